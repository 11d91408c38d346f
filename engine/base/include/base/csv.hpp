// RFC 4180 CSV (and TSV): the one reader of the CSV files filmwriter reads (a reel's index.csv,
// a cataloguer's table of contents), and the quoting its CSV writers use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace fw {

// RFC 4180: the value, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& value);

// One record of a CSV file: its fields and the line of the file it starts on (1-based).
struct CsvRecord {
  std::vector<std::string> fields;
  std::uint32_t line = 0;
};

// Reads RFC 4180 records one at a time, so that a long file costs one record's memory on top
// of its text. A field that starts with a double quote may hold the separator, line breaks and
// quotes (doubled: ""); a quote anywhere else in a field is an ordinary character. CR LF ends a
// line as LF does. A UTF-8 byte order mark at the start (spreadsheets write one) and blank
// lines are skipped. `text` must outlive the reader; `shown` names the file in errors.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string shown, char separator = ',',
            ErrorKind error = ErrorKind::input);
  // The next record, or nullopt after the last. A quoted field that the text ends in throws
  // Error(error) "SHOWN:LINE: a quoted field is not closed (a " is missing)", LINE being the
  // record's first.
  std::optional<CsvRecord> next();

 private:
  std::string_view text_;
  std::string shown_;
  char separator_;
  ErrorKind error_;
  std::size_t at_ = 0;
  std::uint32_t line_ = 1;
};

// Every record of `text`, as CsvReader reads them.
std::vector<CsvRecord> read_csv(std::string_view text, const std::string& shown,
                                char separator = ',', ErrorKind error = ErrorKind::input);

}  // namespace fw
