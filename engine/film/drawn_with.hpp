// The files a plan's frames are drawn with besides the pages: the target templates and the
// fonts of the eye-legible text. They decide the targets' and the image addresses' pixels as
// much as the plan does, so plan.json records each with its sha256 ("drawn_with"), the plan's
// hash covers them, a resume refuses a job whose files changed, and verify says which changed
// before it judges frames drawn again with them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fw {

struct DrawnFile {
  std::string file;  // drawn_file_name(): absolute
  std::string sha256;
};

// A file as plan.json names it: absolute and normal, so that a resume or verify started from
// another folder (the journal records the profiles folder absolute) names the same file.
std::string drawn_file_name(const std::filesystem::path& file);

struct DrawnWith {
  std::vector<DrawnFile> templates;  // every template a frame of the plan is drawn from
  DrawnFile font_set;                // the font-set file: which font draws which character
  std::vector<DrawnFile> fonts;      // every font file a character of the plan is drawn with
};

// plan.json's "drawn_with" and back; from_json throws nlohmann::json::exception on another
// shape.
nlohmann::ordered_json drawn_with_json(const DrawnWith& drawn);
DrawnWith drawn_with_from_json(const nlohmann::json& json);

// A file recorded in plan.json that is not the same now.
struct DrawnChange {
  std::string role;  // "template", "font set" or "font"
  std::string file;
  std::string planned_sha256;
  std::string now_sha256;  // "": the file is gone (or no longer drawn with)
  bool missing = false;    // the file is not on disk
};

// Each recorded file against the file now on disk (sha256 of its bytes): what verify asks.
std::vector<DrawnChange> changed_on_disk(const DrawnWith& recorded);

// Each recorded file against the plan made now: what a resume asks. A file only one side
// draws with is a change too.
std::vector<DrawnChange> changed_between(const DrawnWith& recorded, const DrawnWith& now);

// "profiles/targets/standard/title-target.toml changed since the job started (sha256
// ab12cd34ef56… → 0123456789ab…)"; `since`: "the job started", "the job was filmed".
std::string describe(const DrawnChange& change, const std::string& since);

// The first 12 hex digits and an ellipsis: enough to tell two versions apart in a message.
std::string short_sha256(const std::string& sha256);

}  // namespace fw
