// What a command names and asks for, before anything is resolved: a job source and the flags
// that replace its keys. `convert` keeps it in the job's journal, so that every later command
// on the job's output (resume, verify, catalog, inspect) resolves the very same job from the
// output folder alone, and an operator never repeats a flag.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "job/job.hpp"

namespace fw::api {

struct JobRequest {
  std::filesystem::path source;    // a job file or a folder of scans (one-line mode)
  JobOverrides overrides;          // flags that replace job keys (--out, --reduction, -O, ...)
  std::filesystem::path profiles;  // "": FILMWRITER_PROFILES or the installed profiles
  std::filesystem::path base_dir;  // relative paths in the job file resolve here ("": its folder)
  std::filesystem::path catalog;   // "": the job's `catalog` key, else <output>/catalog.sqlite

  // Every path absolute, so that the record means the same from any working folder.
  nlohmann::ordered_json to_json() const;
  // `where` names the record in errors ("out/demo/journal.jsonl:1").
  static JobRequest from_json(const nlohmann::json& json, const std::string& where);
};

// "KEY=VALUE" (a -O flag): Error(usage) naming `flag` when the key is missing.
std::pair<std::string, std::string> parse_key_value(const std::string& text,
                                                    const std::string& flag);

}  // namespace fw::api
