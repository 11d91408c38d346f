// The job reader: the job (model/job.hpp) parsed from a TOML job file (v1) or built from a
// scans directory in one-line mode; command-line flags override file keys.
//
// Every error is an fw::Error(ErrorKind::job) whose message names the place:
//   job.toml:14: documents[2].reduction: expected a number 7–50, got a string "24x"
// Documents are numbered from 1 in messages: documents[1] is the first [[documents]] table.
// Non-ASCII bare keys (作者 = "朱熹") are accepted as TOML 1.1 allows, see bare_keys.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/job.hpp"

namespace fw {

// Command-line flags; each maps onto one job key.
struct JobOverrides {
  std::optional<std::filesystem::path> output;        // output
  std::optional<std::string> driver;                  // recorder.driver
  std::optional<unsigned> threads;                    // threads
  std::optional<std::string> format;                  // format
  std::optional<double> reduction;                    // reduction
  std::optional<ImageMode> mode;                      // mode
  std::optional<Polarity> polarity;                   // polarity
  std::optional<OversizePolicy> oversize;             // oversize
  std::optional<double> dpi;                          // dpi
  std::optional<std::string> id;                      // id
  std::optional<std::string> title;                   // title
  std::optional<std::string> calibration;             // calibration (profile, file or none)
  std::optional<std::string> site;                    // site
  std::optional<std::string> operator_name;           // operator
  std::optional<bool> reel_contents;                  // reel_contents
  std::map<std::string, std::string> driver_options;  // recorder.options.KEY
  std::vector<std::filesystem::path> checksums;       // checksums (added to the job's)
};

// A site prefix: 1 to 16 ASCII letters, digits and '-', beginning and ending with a letter or
// a digit ("NLC-B2"): it becomes part of reel ids, folder names and frame addresses.
constexpr std::size_t kMaxSiteCharacters = 16;
bool is_site(std::string_view text);
// What a site must be, for messages: "a site of 1 to 16 ASCII letters, digits and '-' ...".
std::string site_rule();

Job load_job(const std::filesystem::path& file);
// `name` is used in error messages; relative paths resolve against `base_dir`.
Job parse_job(const std::string& toml_text, const std::string& name,
              const std::filesystem::path& base_dir);
// Applies flags and validates the result (flags are checked like file keys).
void apply_overrides(Job& job, const JobOverrides& overrides);
// One-line mode: SCANS_DIR becomes the job. Each subfolder (natural order) is a document;
// a folder without subfolders is one document. The id defaults to the folder's name.
// A BagIt bag (a folder with bagit.txt) is the bag's data/ folder checked against the bag's
// manifests; checksum files in the scans folder (MD5SUMS, *.sha256 ...) are its manifests.
Job job_from_directory(const std::filesystem::path& scans, const JobOverrides& overrides);

// Reads a table of contents from a UTF-8 CSV or TSV file (TSV when the name ends in .tsv or
// the first line holds a tab): columns title, page, level (level optional, default 1). A
// first row naming a title column (title, page, level, or 题名/标题, 页码/页, 级别/层级; any
// other name a metadata key) is a header. `shown` is the name messages give the file; `key` the
// document's
// ("documents[1]"). Throws Error(job) with shown:line; a file that is not UTF-8 but decodes
// as GB18030 is named "looks like GBK/GB18030; save it as UTF-8".
std::vector<TocEntry> read_toc_file(const std::filesystem::path& file, const std::string& shown,
                                    const std::string& key);
// Checks a table of contents on its own (empty titles, levels 1–3 that do not skip one,
// duplicate entries); the page against the document's length is checked by the planner.
void check_toc(const std::vector<TocEntry>& toc);

// Parsers shared with the CLI; throw Error(usage) listing the accepted words, without a
// flag name ("expected one of negative, positive, got \"neg\""): the caller adds it.
ImageMode parse_image_mode(const std::string& text);
Polarity parse_polarity(const std::string& text);
FailurePolicy parse_failure_policy(const std::string& text);
OversizePolicy parse_oversize_policy(const std::string& text);

}  // namespace fw
