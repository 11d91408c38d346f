#include "base/csv.hpp"

#include <fmt/format.h>

#include <utility>

namespace fw {

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

CsvReader::CsvReader(std::string_view text, std::string shown, char separator, ErrorKind error)
    : text_(text), shown_(std::move(shown)), separator_(separator), error_(error) {
  if (text_.starts_with("\xEF\xBB\xBF")) at_ = 3;
}

std::optional<CsvRecord> CsvReader::next() {
  while (at_ < text_.size()) {
    CsvRecord record;
    record.line = line_;
    std::string field;
    bool quoted = false, field_started = false;
    for (; at_ < text_.size(); ++at_) {
      const char c = text_[at_];
      if (quoted) {
        if (c == '"' && at_ + 1 < text_.size() && text_[at_ + 1] == '"') {
          field += '"';
          ++at_;
        } else if (c == '"') {
          quoted = false;
        } else {
          if (c == '\n') ++line_;
          field += c;
        }
        continue;
      }
      if (c == '"' && !field_started) {
        quoted = field_started = true;
      } else if (c == separator_) {
        record.fields.push_back(std::move(field));
        field.clear();
        field_started = false;
      } else if (c == '\r' && at_ + 1 < text_.size() && text_[at_ + 1] == '\n') {
        continue;
      } else if (c == '\n') {
        ++line_;
        ++at_;
        break;
      } else {
        field += c;
        field_started = true;
      }
    }
    if (quoted) {
      throw Error(error_, fmt::format("{}:{}: a quoted field is not closed (a \" is missing)",
                                      shown_, record.line));
    }
    record.fields.push_back(std::move(field));
    if (record.fields.size() == 1 && record.fields[0].empty()) continue;  // a blank line
    return record;
  }
  return std::nullopt;
}

std::vector<CsvRecord> read_csv(std::string_view text, const std::string& shown, char separator,
                                ErrorKind error) {
  std::vector<CsvRecord> records;
  CsvReader reader(text, shown, separator, error);
  while (auto record = reader.next()) records.push_back(std::move(*record));
  return records;
}

}  // namespace fw
