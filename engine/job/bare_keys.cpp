#include "job/bare_keys.hpp"

#include <algorithm>
#include <vector>

namespace fw::job_detail {
namespace {

bool is_bare_key_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || byte >= 0x80;
}

// Copies TOML text through, tracking just enough of the grammar (strings, comments, table
// headers, arrays, inline tables) to know where a key may start.
class BareKeyQuoter {
 public:
  explicit BareKeyQuoter(std::string_view text) : text_(text) { out_.reserve(text.size() + 64); }

  std::string run() {
    static constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (text_.starts_with(kByteOrderMark)) copy(kByteOrderMark.size());
    key_position(true);
    while (pos_ < text_.size()) step();
    return std::move(out_);
  }

 private:
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void copy(std::size_t count = 1) {
    count = std::min(count, text_.size() - pos_);
    out_.append(text_.substr(pos_, count));
    pos_ += count;
  }
  void copy_blanks() {
    while (peek() == ' ' || peek() == '\t') copy();
  }

  // Unicode spaces typed by an input method end a key instead of joining it, so that toml++
  // reports them rather than the job gaining a key with an invisible space in it.
  bool unicode_space_at(std::size_t at) const {
    const std::string_view rest = text_.substr(at);
    return rest.starts_with("\xE3\x80\x80") || rest.starts_with("\xC2\xA0");
  }

  void key_position(bool at_line_start) {
    copy_blanks();
    if (at_line_start && peek() == '[') {  // a table header: [a.b] or [[a.b]]
      copy();
      if (peek() == '[') copy();
      copy_blanks();
    }
    copy_key();
  }

  // A dotted key: segments, each bare or quoted, separated by '.'.
  void copy_key() {
    while (true) {
      const char c = peek();
      if (c == '"' || c == '\'') {
        copy_string(c);
      } else if (!copy_bare_segment()) {
        return;
      }
      copy_blanks();
      if (peek() != '.') return;
      copy();
      copy_blanks();
    }
  }

  bool copy_bare_segment() {
    std::size_t end = pos_;
    bool unicode = false;
    while (end < text_.size() && is_bare_key_byte(text_[end]) && !unicode_space_at(end)) {
      unicode = unicode || static_cast<unsigned char>(text_[end]) >= 0x80;
      ++end;
    }
    if (end == pos_) return false;
    const std::string_view segment = text_.substr(pos_, end - pos_);
    if (unicode) {
      out_ += '"';
      out_ += segment;
      out_ += '"';
    } else {
      out_ += segment;
    }
    pos_ = end;
    return true;
  }

  // Basic strings ("...", """...""") have backslash escapes; literal strings ('...') do not.
  void copy_string(char quote) {
    const bool escapes = quote == '"';
    if (peek(1) == quote && peek(2) == quote) {
      copy(3);
      while (pos_ < text_.size()) {
        if (escapes && peek() == '\\') {
          copy(2);
        } else if (peek() == quote && peek(1) == quote && peek(2) == quote) {
          copy(3);
          // Up to two more quotes belong to the content: """a""""" ends with a"".
          for (int extra = 0; extra < 2 && peek() == quote; ++extra) copy();
          return;
        } else {
          copy();
        }
      }
      return;
    }
    copy();
    while (pos_ < text_.size() && peek() != '\n') {
      if (escapes && peek() == '\\' && peek(1) != '\n') {
        copy(2);
      } else if (peek() == quote) {
        copy();
        return;
      } else {
        copy();
      }
    }
  }

  void step() {
    switch (peek()) {
      case '#':
        while (pos_ < text_.size() && peek() != '\n') copy();
        break;
      case '"':
      case '\'':
        copy_string(peek());
        break;
      case '[':
        copy();
        nesting_.push_back('[');
        break;
      case '{':
        copy();
        nesting_.push_back('{');
        key_position(false);
        break;
      case ']':
      case '}':
        copy();
        if (!nesting_.empty()) nesting_.pop_back();
        break;
      case ',':
        copy();
        if (!nesting_.empty() && nesting_.back() == '{') key_position(false);
        break;
      case '\n':
        copy();
        if (nesting_.empty()) key_position(true);
        break;
      default:
        copy();
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string out_;
  std::vector<char> nesting_;  // open arrays '[' and inline tables '{'
};

}  // namespace

std::string quote_unicode_bare_keys(std::string_view toml_text) {
  return BareKeyQuoter(toml_text).run();
}

namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Line `line` (1-based) of the text without surrounding blanks; "" past the end.
std::string_view line_of(std::string_view text, std::size_t line) {
  std::size_t begin = 0;
  for (std::size_t n = 1; n < line; ++n) {
    begin = text.find('\n', begin);
    if (begin == std::string_view::npos) return {};
    ++begin;
  }
  const std::string_view rest = text.substr(begin);
  return trim_blanks(rest.substr(0, rest.find('\n')));
}

}  // namespace

std::string key_on_line(std::string_view toml_text, std::size_t line) {
  std::string_view text = line_of(toml_text, line);
  const bool header = text.starts_with('[');
  if (header) text.remove_prefix(text.starts_with("[[") ? 2 : 1);
  char quote = '\0';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != '\0') {
      if (c == quote) quote = '\0';
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return {};
    } else if ((header && c == ']') || (!header && c == '=')) {
      return std::string(trim_blanks(text.substr(0, i)));
    }
  }
  return {};
}

std::string describe_parse_error(std::string_view toml_text, std::size_t line,
                                 std::string_view description) {
  // toml++'s "cannot redefine existing TYPE 'KEY'": a key-value pair or a table header given
  // twice. (Its "... 'KEY' as table" forms, a key reopened as another kind, are left as they
  // are.)
  // toml++ puts "Error while parsing key-value pair: " (or "table header: ") before it.
  if (description.find("cannot redefine existing ") == std::string_view::npos ||
      !description.ends_with('\'')) {
    return std::string(description);
  }
  const std::string key = key_on_line(toml_text, line);
  if (key.empty()) return std::string(description);
  return line_of(toml_text, line).starts_with('[') ? "[" + key + "] is defined twice"
                                                   : key + " is defined twice";
}

}  // namespace fw::job_detail
