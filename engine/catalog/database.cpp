#include "catalog/database.hpp"

#include <cctype>

namespace fw::db {
namespace {

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// `text` with each whole-word `from` replaced by `to`.
std::string replace_word(const std::string& text, const std::string& from, const std::string& to) {
  std::string out;
  std::size_t at = 0;
  for (std::size_t hit; (hit = text.find(from, at)) != std::string::npos;) {
    const bool before = hit > 0 && identifier_char(text[hit - 1]);
    const bool after = hit + from.size() < text.size() && identifier_char(text[hit + from.size()]);
    out += text.substr(at, hit - at);
    out += before || after ? from : to;
    at = hit + from.size();
  }
  return out + text.substr(at);
}

// The SQL outside string literals, rewritten.
std::string translate_code(std::string code, const std::string& like) {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (code[i] == '?' && i + 1 < code.size() &&
        std::isdigit(static_cast<unsigned char>(code[i + 1])) != 0) {
      out += '$';
    } else {
      out += code[i];
    }
  }
  out = replace_word(out, "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY");
  out = replace_word(out, "REAL", "DOUBLE PRECISION");
  out = replace_word(out, "LIKE", like);
  // json_each(X) with X a column: PostgreSQL's json_each gives json values, json_each_text
  // gives text as SQLite's does.
  std::string json;
  std::size_t at = 0;
  for (std::size_t hit; (hit = out.find("json_each(", at)) != std::string::npos;) {
    const std::size_t close = out.find(')', hit);
    if (close == std::string::npos) break;
    const std::size_t arg = hit + 10;
    json += out.substr(at, hit - at) + "json_each_text(CAST(" + out.substr(arg, close - arg) +
            " AS json))";
    at = close + 1;
  }
  return json + out.substr(at);
}

}  // namespace

bool is_url(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::string redact(const std::string& location) {
  if (!is_url(location)) return location;
  std::string out = location;
  const std::size_t authority = out.find("://") + 3;
  const std::size_t end = std::min(out.find('/', authority), out.find('?', authority));
  const std::size_t at = out.rfind('@', end);
  if (at != std::string::npos && at >= authority) {
    const std::size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
  }
  for (std::size_t p = out.find("password="); p != std::string::npos;
       p = out.find("password=", p + 1)) {
    const std::size_t value = p + 9;
    const std::size_t stop = out.find('&', value);
    out.replace(value, (stop == std::string::npos ? out.size() : stop) - value, "***");
  }
  return out;
}

std::string translate(const std::string& sql, bool unicode_case) {
  // The collation's own lowercase, for a database whose locale folds ASCII letters only.
  const std::string like = unicode_case ? "COLLATE \"und-x-icu\" ILIKE" : "ILIKE";
  std::string text = sql;
  const std::string now = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";
  for (std::size_t at; (at = text.find(now)) != std::string::npos;) {
    text.replace(at, now.size(),
                 "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
  }
  std::string out;
  std::string code;
  bool literal = false;
  for (char c : text) {
    if (c == '\'') {
      if (!literal) {
        out += translate_code(code, like);
        code.clear();
      }
      literal = !literal;
      out += c;
    } else if (literal) {
      out += c;
    } else {
      code += c;
    }
  }
  return out + translate_code(code, like);
}

std::unique_ptr<Connection> open(const std::string& location, bool create) {
  return is_url(location) ? open_postgresql(location) : open_sqlite(location, create);
}

}  // namespace fw::db
