// convert's dealings with an earlier run and with the journal around a run: an earlier run's
// reels refused or removed, the journal rewound to the film after a full disk, and the catalog
// brought up to a finished job's journal (engine/api/convert_steps.hpp).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "api/catalog_upkeep.hpp"
#include "api/convert_steps.hpp"
#include "base/files.hpp"
#include "core/error.hpp"
#include "mets/mets.hpp"

namespace fw::api {

namespace fs = std::filesystem;

namespace {

// The previous run's reel folders: R0001... on roll film, F0001... for fiche sheets, each
// perhaps after a site prefix (NLC-B2-R0001).
bool is_reel_folder(const std::string& name) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto dash = name.rfind('-');
  if (dash != std::string::npos && !is_site(std::string_view(name).substr(0, dash))) return false;
  const std::string_view reel =
      std::string_view(name).substr(dash == std::string::npos ? 0 : dash + 1);
  return reel.size() >= 5 && (reel[0] == 'R' || reel[0] == 'F') &&
         std::all_of(reel.begin() + 1, reel.end(), digit);
}

// The journal's last lines, when they are the frame records of `reel` after frame `on_film`,
// cut off (the file resized, then fsync'ed as far as the disk allows). Returns the frames cut;
// 0 when the tail is anything else, and the journal is left as it was.
std::size_t cut_journal_to_film(const fs::path& file, const std::string& reel, std::size_t lost) {
  const std::string text = read_file(file);
  std::size_t end = text.size(), cut = 0;
  while (cut < lost && end > 0) {
    const std::size_t start = text.rfind('\n', end - 2);
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    const auto record = nlohmann::json::parse(text.substr(from, end - from), nullptr, false);
    if (record.is_discarded() || record.value("event", "") != "frame" ||
        record.value("reel", "") != reel) {
      return 0;
    }
    end = from;
    ++cut;
  }
  if (cut != lost) return 0;
  fs::resize_file(file, end);
  if (const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    [[maybe_unused]] const int rc = ::fsync(fd);
    ::close(fd);
  }
  return cut;
}

}  // namespace

std::size_t frames_on_film(const JournalState& journal) {
  std::size_t frames = 0;
  for (const auto& reel : journal.reels) frames += reel.rows.size();
  return frames;
}

// Film cannot be exposed twice: an earlier run's reels in the job's folder are refused unless
// the operator says --overwrite (a fresh job) or --resume (the same job, continued).
void refuse_earlier_run(const fs::path& dir, const Plan& plan, const ConvertOptions& options,
                        bool resuming) {
  if (resuming || options.overwrite) return;
  const fs::path journal_file = dir / "journal.jsonl";
  if (journal_started(journal_file)) {
    const JournalState journal = read_journal(journal_file);
    if (!journal.finished) {
      throw Error(
          ErrorKind::usage,
          fmt::format("{} holds a run that stopped with {} of {} frames on film: continue "
                      "it with `filmwriter convert --resume {}` (or pass --overwrite to "
                      "film the job again from the start)",
                      dir.string(), frames_on_film(journal), journal.frames_planned, dir.string()));
    }
    throw Error(ErrorKind::usage,
                fmt::format("{} holds a finished conversion of job {}; choose another --out or "
                            "--id, or pass --overwrite to film it again",
                            dir.string(), journal.job_id));
  }
  for (const auto& reel : plan.reels) {
    if (fs::exists(dir / reel.id / "index.csv")) {
      throw Error(ErrorKind::usage,
                  (dir / reel.id).string() +
                      " already holds a conversion; choose another --out or --id, or pass "
                      "--overwrite");
    }
  }
}

void remove_earlier_run(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && is_reel_folder(entry.path().filename().string())) {
      fs::remove_all(entry.path());
    }
  }
  fs::remove(dir / "journal.jsonl");
  fs::remove_all(dir / "spoiled");
}

// After a run stopped by storage (a full disk): a device that buffers frames (the sim) may
// have accepted frames whose film it could not write. The journal must not claim them: it is
// rewound to what the device's film holds, as resume does after a crash (a reel_rewound
// record), or, when the disk has no room even for that record, its last frame lines are cut.
// Returns the reel and the frames taken back, if any.
std::optional<std::pair<std::string, std::size_t>> rewind_journal_to_film(const Job& job,
                                                                          const Plan& plan,
                                                                          hal::Recorder& recorder,
                                                                          RecordKeeper& keeper,
                                                                          const fs::path& dir) {
  const JournalState journal = read_journal(keeper.journal_file());
  const JournalReel* loaded = journal.in_recorder();
  if (!loaded || loaded->rows.empty()) return std::nullopt;
  const auto planned = std::ranges::find(plan.reels, loaded->id, &PlannedReel::id);
  if (planned == plan.reels.end()) return std::nullopt;
  // A device without its own record of the film: every frame it accepted is on it.
  if (!recorder.supports(hal::capability::film_record)) return std::nullopt;
  std::optional<std::uint32_t> on_film;
  try {
    on_film = recorder.frames_on_film(plan.reel_spec(*planned, job.id, dir / loaded->id));
  } catch (const hal::DeviceError&) {
    return std::nullopt;  // resume asks again
  }
  if (!on_film || *on_film >= loaded->rows.size()) return std::nullopt;
  const std::size_t lost = loaded->rows.size() - *on_film;
  try {
    keeper.rewind(*loaded, *on_film);
    return std::pair{loaded->id, lost};
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::storage) throw;
  }
  if (cut_journal_to_film(keeper.journal_file(), loaded->id, lost) == lost) {
    return std::pair{loaded->id, lost};
  }
  return std::nullopt;
}

// A resume of a finished job: a catalog left behind (a run whose catalog was locked or full
// near its end) is brought up to the journal, so that a retry from a queue repairs it.
void catch_up_catalog(Catalog& catalog, const Job& job, const Plan& plan,
                      const JournalState& journal, const fs::path& dir, ConvertListener& listener) {
  const auto jobs = catalog.jobs();
  const auto known = std::ranges::find(jobs, job.id, &CatalogJob::id);
  if (known != jobs.end() && compare_with_journal(catalog, *known, journal).empty()) return;
  std::size_t journaled = 0;
  for (const JournalReel& reel : journal.reels) journaled += reel.spoiled ? 0 : reel.rows.size();
  CatalogJob rows = catalog_job(job, plan, dir);
  if (!journal.plan_sha256.empty()) rows.plan_sha256 = journal.plan_sha256;
  catalog_from_journal(catalog, rows, journal);
  export_mets(catalog, job.id);
  listener.note(fmt::format("the catalog {} was behind the journal: brought up to its {} frames",
                            catalog.location(), journaled));
}

}  // namespace fw::api
