// The steps of api::convert (engine/api/convert.cpp) that live in files of their own: an
// earlier run and the journal around a run (convert_journal.cpp), and what a plan warns of
// (convert_warnings.cpp). Private to engine/api.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/convert.hpp"
#include "catalog/catalog.hpp"
#include "catalog/journal.hpp"
#include "ops/log.hpp"

namespace fw::api {

// convert_journal.cpp

// The frames the journal's reels hold.
std::size_t frames_on_film(const JournalState& journal);
// Error(usage) when `dir` holds an earlier run the operator did not say to replace or resume.
void refuse_earlier_run(const std::filesystem::path& dir, const Plan& plan,
                        const ConvertOptions& options, bool resuming);
// --overwrite: the earlier run's reel folders, journal and spoiled reels removed.
void remove_earlier_run(const std::filesystem::path& dir);
// After a full disk: the journal taken back to what the device's film holds.
std::optional<std::pair<std::string, std::size_t>> rewind_journal_to_film(
    const Job& job, const Plan& plan, hal::Recorder& recorder, RecordKeeper& keeper,
    const std::filesystem::path& dir);
// A resume of a finished job: its catalog brought up to the journal.
void catch_up_catalog(Catalog& catalog, const Job& job, const Plan& plan,
                      const JournalState& journal, const std::filesystem::path& dir,
                      ConvertListener& listener);

// convert_warnings.cpp

// One warning of the plan: its log event, the event's fields and the run summary's warning.
struct PlanWarning {
  std::string event;
  nlohmann::json fields;
  ops::RunWarning warning;
};
// The plan's warnings from frame `first` on (the frames before it are on film already).
std::vector<PlanWarning> plan_warnings(const Job& job, const Plan& plan, std::size_t first);

}  // namespace fw::api
