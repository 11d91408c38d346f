// The job reader's entry points (job/job.hpp): a job file read and parsed, command-line flags
// applied over it, and one-line mode's job built from a folder of scans.
#include "job/job.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/files.hpp"
#include "base/strings.hpp"
#include "base/toml_reader.hpp"
#include "base/unicode.hpp"
#include "core/error.hpp"
#include "ingest/checksum_manifest.hpp"
#include "ingest/ingest.hpp"
#include "job/bare_keys.hpp"
#include "job/job_parser.hpp"
#include "job/job_rules.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using job_detail::drawn_text_fault;
using job_detail::expected_integer;
using job_detail::expected_number;
using job_detail::format_number;
using job_detail::in_range;
using job_detail::is_document_id;
using job_detail::is_name_char;
using job_detail::is_safe_name;
using job_detail::JobParser;
using job_detail::kDocumentIdRule;
using job_detail::kDpi;
using job_detail::kMaxIdCharacters;
using job_detail::kNameRule;
using job_detail::kReduction;
using job_detail::kThreads;
using job_detail::quote_blank;
using job_detail::quote_start;

[[noreturn]] void fail_flag(const std::string& flag, const std::string& expected,
                            const std::string& found) {
  throw Error(ErrorKind::usage, flag + ": expected " + expected + ", got " + found);
}

// One-line mode names the job after the scans folder; other characters become '-', one per
// character (not per UTF-8 byte).
std::string sanitised_id(const std::string& name) {
  std::string id;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_name_char(c)) {
      id += c;
    } else if ((byte & 0xC0) != 0x80) {
      id += '-';  // a lead byte or ASCII; continuation bytes belong to the same character
    }
  }
  if (!is_safe_name(id)) id = "job";  // only "." or ".." can fail here
  return id;
}

}  // namespace

Job parse_job(const std::string& toml_text, const std::string& name,
              const std::filesystem::path& base_dir) {
  TomlDocument::check_utf8(toml_text, name);
  const std::string text = job_detail::quote_unicode_bare_keys(toml_text);
  // A key defined twice is not a syntax error as an operator reads it, and is named as
  // written (job/bare_keys.hpp); the rest are.
  const TomlDocument document =
      TomlDocument::parse(text, name, [&](std::uint32_t line, std::string_view description) {
        const std::string said = job_detail::describe_parse_error(toml_text, line, description);
        return said != description ? said : "syntax error: " + said;
      });
  return JobParser(name, fs::absolute(base_dir).lexically_normal()).parse(document.root());
}

Job load_job(const std::filesystem::path& file) {
  std::error_code error;
  if (fs::is_directory(file, error)) {
    throw Error(ErrorKind::job, file.string() + ": expected a job file, got a folder");
  }
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error& read_error) {
    throw Error(ErrorKind::job, read_error.what());
  }
  const fs::path absolute = fs::absolute(file).lexically_normal();
  Job job = parse_job(text, file.string(), absolute.parent_path());
  job.file = absolute;
  return job;
}

void apply_overrides(Job& job, const JobOverrides& overrides) {
  if (overrides.output) {
    if (overrides.output->empty()) fail_flag("--out", "a folder path", "an empty path");
    job.output = fs::absolute(*overrides.output).lexically_normal();
  }
  if (overrides.driver) {
    if (!is_safe_name(*overrides.driver)) {
      fail_flag("--driver", std::string("a driver name of ") + kNameRule, quote(*overrides.driver));
    }
    job.driver = *overrides.driver;
  }
  if (overrides.threads) {
    if (!in_range(*overrides.threads, kThreads)) {
      fail_flag("--threads", expected_integer(kThreads), std::to_string(*overrides.threads));
    }
    job.threads = *overrides.threads;
  }
  if (overrides.format) {
    if (!is_safe_name(*overrides.format)) {
      fail_flag("--format", std::string("a film format name of ") + kNameRule,
                quote(*overrides.format));
    }
    job.format = *overrides.format;
    job.format_origin = "--format";
    job.inline_format.reset();  // the flag names a profile, which replaces the job's own
  }
  if (overrides.reduction) {
    if (!in_range(*overrides.reduction, kReduction)) {
      fail_flag("--reduction", expected_number(kReduction), format_number(*overrides.reduction));
    }
    job.defaults.reduction = *overrides.reduction;
    job.reduction_flag = "--reduction";
  }
  if (overrides.mode) job.defaults.mode = *overrides.mode;
  if (overrides.polarity) job.polarity = *overrides.polarity;
  if (overrides.oversize) job.defaults.oversize = *overrides.oversize;
  if (overrides.dpi) {
    if (!in_range(*overrides.dpi, kDpi)) {
      fail_flag("--dpi", expected_number(kDpi), format_number(*overrides.dpi));
    }
    job.defaults.dpi = *overrides.dpi;
  }
  if (overrides.id) {
    if (!is_safe_name(*overrides.id) || overrides.id->size() > kMaxIdCharacters) {
      fail_flag("--id", fmt::format("a job id of at most {} {}", kMaxIdCharacters, kNameRule),
                quote_start(*overrides.id));
    }
    job.id = *overrides.id;
  }
  if (overrides.site) {
    if (!is_site(*overrides.site)) fail_flag("--site", site_rule(), quote_start(*overrides.site));
    job.site = *overrides.site;
  }
  // A terminal in a GBK locale passes text in GBK: refused here, named as the flag's, rather
  // than by the text check as the job file's key.
  const auto drawn_flag = [](const char* flag, const std::string& text, const char* what) {
    if (const std::string reason = not_utf8_reason(text); !reason.empty()) {
      fail_flag(flag, fmt::format("{} in UTF-8", what),
                fmt::format("\"{}\", {}", escape_non_ascii(text), reason));
    }
    if (const auto fault = drawn_text_fault(text, what)) {
      fail_flag(flag, fault->expected, fault->blank ? quote_blank(text) : quote(text));
    }
  };
  if (overrides.title) {
    drawn_flag("--title", *overrides.title, "a title");
    job.title = *overrides.title;
  }
  if (overrides.reel_contents) job.reel_contents = *overrides.reel_contents;
  if (overrides.operator_name) {
    drawn_flag("--operator", *overrides.operator_name, "an operator's name");
    job.operator_name = *overrides.operator_name;
  }
  if (overrides.calibration) {
    if (overrides.calibration->empty()) {
      fail_flag("--calibration", "a calibration profile name, a .toml file or none",
                "an empty string");
    }
    // The flag replaces the whole choice: its class and tone are the profile's own.
    job.calibration = {};
    job.calibration.profile = overrides.calibration->ends_with(".toml")
                                  ? fs::absolute(*overrides.calibration).lexically_normal().string()
                                  : *overrides.calibration;
  }
  for (const fs::path& checksums : overrides.checksums) {
    if (checksums.empty()) fail_flag("--checksums", "a manifest file or a BagIt bag", "\"\"");
    const std::string path = fs::absolute(checksums).lexically_normal().string();
    if (std::find(job.checksums.begin(), job.checksums.end(), path) == job.checksums.end()) {
      job.checksums.push_back(path);
    }
  }
  for (const auto& [key, value] : overrides.driver_options) {
    if (key.empty())
      fail_flag("--driver-option", "KEY=VALUE with a non-empty KEY", quote("=" + value));
    job.driver_options[key] = value;
  }
}

Job job_from_directory(const std::filesystem::path& scans, const JobOverrides& overrides) {
  std::error_code error;
  const auto status = fs::status(scans, error);
  if (!fs::exists(status)) throw Error(ErrorKind::input, scans.string() + ": no such folder");
  if (!fs::is_directory(status)) {
    throw Error(ErrorKind::input, scans.string() + ": expected a folder of scans, got a file");
  }
  fs::path folder = fs::absolute(scans).lexically_normal();
  if (!folder.has_filename() && folder.has_parent_path()) folder = folder.parent_path();
  // The job is named after the folder given: a bag's name, not "data".
  const std::string folder_name = folder.filename().string();
  const fs::path given = folder;
  std::vector<std::string> checksums;
  // A BagIt bag: its payload is data/, checked against every payload manifest of the bag.
  if (is_bagit_bag(folder)) {
    checksums.push_back(folder.string());
    folder /= "data";
    if (!fs::is_directory(folder, error)) {
      throw Error(ErrorKind::input,
                  folder.string() + ": no such folder: the BagIt bag has no payload folder");
    }
  }

  std::vector<std::string> subfolders;
  std::string loose_file;
  std::vector<std::string> manifests;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (is_os_junk(name)) continue;  // .DS_Store, Thumbs.db ... are no pages
    if (!entry.is_directory() && is_checksum_manifest_name(name)) {
      // The delivery's checksums lie beside its scans: they are checked, not filmed.
      manifests.push_back(entry.path().string());
    } else if (entry.is_directory()) {
      subfolders.push_back(name);
    } else if (loose_file.empty() || natural_less(name, loose_file)) {
      loose_file = name;
    }
  }
  std::sort(subfolders.begin(), subfolders.end(), natural_less);
  // Pages beside document folders would belong to no document: refuse rather than leave
  // them off the film unnoticed.
  if (!subfolders.empty() && !loose_file.empty()) {
    throw Error(ErrorKind::input,
                (folder / loose_file).string() +
                    ": a file beside document folders belongs to no document; move it into "
                    "a document folder or write a job file");
  }

  std::sort(manifests.begin(), manifests.end());
  checksums.insert(checksums.end(), manifests.begin(), manifests.end());

  Job job;
  job.base_dir = fs::current_path();
  job.sources_root = given.parent_path();
  job.checksums = std::move(checksums);
  job.id = sanitised_id(folder_name);
  job.title = folder_name.empty() ? job.id : folder_name;
  job.output = (job.base_dir / "out").lexically_normal();
  // The folders by their names in NFC: a file system that keeps names as bytes (ext4) holds
  // 가 as U+AC00 and as the jamo U+1100 U+1161 (a folder copied from macOS) side by side, two
  // documents whose ids read the same on film and in the catalog (job_documents.cpp).
  std::map<std::string, fs::path> folders_by_id;
  auto add_document = [&](const std::string& name, const fs::path& pages) {
    if (!is_document_id(name)) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: the folder's name {} cannot be a document id ({}); rename the "
                              "folder or write a job file",
                              pages.string(), quote_start(name), kDocumentIdRule));
    }
    const auto [first, inserted] = folders_by_id.emplace(nfc(name), pages);
    if (!inserted) {
      const std::string first_name = first->second.filename().string();
      throw Error(ErrorKind::input,
                  fmt::format("{}: the folder's name {} is the document id of {} in another "
                              "Unicode spelling ({}): the two read the same on film and in the "
                              "catalog; rename one folder or write a job file",
                              pages.string(), quote(name), first->second.string(),
                              spelling_difference(first_name, name)));
    }
    Document document;
    document.id = name;
    document.title = name;
    document.pages.kind = PageSource::Kind::directory;
    document.pages.paths = {pages.string()};
    document.key = fmt::format("documents[{}]", job.documents.size() + 1);
    job.documents.push_back(std::move(document));
  };
  if (subfolders.empty()) {
    add_document(job.title, folder);
  } else {
    for (const std::string& name : subfolders) add_document(name, folder / name);
  }
  apply_overrides(job, overrides);
  return job;
}

}  // namespace fw
