#include "api/catalog_upkeep.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "api/settings.hpp"
#include "base/utc.hpp"
#include "catalog/catalog.hpp"
#include "catalog/inspection.hpp"
#include "catalog/keeper.hpp"
#include "core/error.hpp"
#include "film/plan.hpp"
#include "film/plan_file.hpp"
#include "mets/mets.hpp"
#include "pipeline/pipeline.hpp"

namespace fw::api {
namespace {

namespace fs = std::filesystem;

// The job folders `named` means: itself (it holds journal.jsonl) or the jobs of an --out folder.
std::vector<fs::path> job_folders(const fs::path& named) {
  std::error_code ec;
  if (fs::is_regular_file(named / "journal.jsonl", ec)) return {named};
  if (!fs::is_directory(named, ec)) {
    throw Error(ErrorKind::usage,
                named.string() + ": not a job's output folder nor an --out folder holding jobs");
  }
  auto jobs = jobs_in_output(named);
  if (jobs.empty()) {
    throw Error(ErrorKind::usage, named.string() + ": holds no job (no */journal.jsonl)");
  }
  return jobs;
}

// The catalog a job's journal recorded when it started ("" for a journal without one).
fs::path recorded_catalog(const JournalState& journal) {
  return journal.start.contains("catalog")
             ? fs::path(journal.start.at("catalog").get<std::string>())
             : fs::path();
}

// The same catalog: one URL, or one file however the path was spelled.
bool same_catalog(const fs::path& a, const fs::path& b) {
  if (is_catalog_url(a) || is_catalog_url(b)) return redacted_location(a) == redacted_location(b);
  std::error_code ec;
  if (fs::equivalent(a, b, ec)) return true;
  return fs::absolute(a).lexically_normal() == fs::absolute(b).lexically_normal();
}

// A damaged SQLite file goes out of the way (with its -wal and -shm), so that a new one can
// be written in its place; nothing is deleted.
void set_aside_damaged(const fs::path& file, RebuildResult& result) {
  const std::string damage = catalog_damage(file);
  if (damage.empty()) return;
  const fs::path aside = file.string() + ".damaged-" + utc_timestamp_now();
  fs::rename(file, aside);
  for (const char* suffix : {"-wal", "-shm"}) {
    std::error_code ec;
    if (fs::exists(file.string() + suffix, ec)) {
      fs::rename(file.string() + suffix, aside.string() + suffix);
    }
  }
  result.damaged = file;
  result.set_aside = aside;
  result.damage = damage;
}

RebuiltJob rebuild_job(const fs::path& dir, const fs::path& catalog_flag,
                       const hal::Registry& drivers, RebuildResult& result) {
  const auto lock = lock_job(dir);
  const JournalState journal = read_journal(dir / "journal.jsonl");
  JobRequest request = recorded_request(dir);
  const fs::path catalog_file = !catalog_flag.empty() ? catalog_flag
                                : !recorded_catalog(journal).empty()
                                    ? recorded_catalog(journal)
                                    : resolve(request).catalog_file;
  request.catalog = catalog_file;
  const JobSettings settings = resolve(request);
  Job job = settings.job;
  if (job.filming_date.empty()) job.filming_date = recorded_filming_date(dir / "plan.json");
  // The plan gives each document's source files; opening the recorder touches no film.
  const auto recorder = open_recorder(settings, drivers);
  const PreparedJob prepared = prepare_job(job, recorder->capabilities(), settings.profiles_dir,
                                           settings.recorder_profiles_dir);
  if (result.damaged.empty()) set_aside_damaged(catalog_file, result);
  Catalog catalog(catalog_file);
  CatalogJob rows = catalog_job(job, prepared.plan, dir);
  if (!journal.plan_sha256.empty()) rows.plan_sha256 = journal.plan_sha256;
  const KeptInspections inspections(catalog, job.id);
  catalog_from_journal(catalog, rows, journal);
  inspections.restore();
  RebuiltJob out;
  out.job_id = job.id;
  out.dir = dir;
  out.catalog = catalog.location();
  out.finished = journal.finished;
  out.inspections = inspections.size();
  for (const JournalReel& reel : journal.reels) {
    if (reel.spoiled) continue;
    ++out.reels;
    out.frames += reel.rows.size();
  }
  catalog.add_event(job.id, "rebuilt",
                    fmt::format("catalog rows rebuilt from {}: {} frames on {} reel(s)",
                                (dir / "journal.jsonl").string(), out.frames, out.reels));
  export_mets(catalog, job.id);
  return out;
}

}  // namespace

RebuildResult rebuild_catalog(const fs::path& named, const fs::path& catalog_flag,
                              const hal::Registry& drivers) {
  RebuildResult result;
  for (const fs::path& dir : job_folders(named)) {
    result.jobs.push_back(rebuild_job(dir, catalog_flag, drivers, result));
  }
  return result;
}

std::vector<std::string> compare_with_journal(const Catalog& catalog, const CatalogJob& job,
                                              const JournalState& journal) {
  std::vector<std::string> problems;
  std::map<std::string, std::size_t> frames;  // current reel -> frames in the catalog
  for (const CatalogReel& reel : catalog.reels(job.id)) {
    if (reel.status != "spoiled") frames[reel.reel_id] = reel.frames;
  }
  const std::string rebuild = fmt::format(
      "bring the catalog up to it with `filmwriter catalog rebuild {}`", job.dir.string());
  for (const JournalReel& reel : journal.reels) {
    if (reel.spoiled) continue;
    const auto it = frames.find(reel.id);
    if (it == frames.end()) {
      problems.push_back(
          fmt::format("job {} reel {}: in the journal ({} frames) but not in the "
                      "catalog; {}",
                      job.id, reel.id, reel.rows.size(), rebuild));
    } else if (it->second != reel.rows.size()) {
      problems.push_back(
          fmt::format("job {} reel {}: the journal holds {} frames, the catalog "
                      "{}; {}",
                      job.id, reel.id, reel.rows.size(), it->second, rebuild));
    }
  }
  if (journal.finished && job.status != "done") {
    problems.push_back(fmt::format("job {}: finished in its journal, {} in the catalog; {}", job.id,
                                   job.status, rebuild));
  }
  return problems;
}

CatalogCheck check_catalog(const CatalogTarget& target, const fs::path& named) {
  CatalogCheck check;
  const Catalog catalog(target.catalog_file);
  std::set<std::string> known;
  std::set<fs::path> outputs;
  for (const CatalogJob& job : catalog.jobs()) {
    known.insert(job.id);
    if (!target.job_id.empty() && job.id != target.job_id) continue;
    outputs.insert(job.dir.parent_path());
    for (auto& problem : check_job(catalog, job)) check.problems.push_back(std::move(problem));
    for (const CatalogReel& reel : catalog.reels(job.id)) check.reels += reel.status != "spoiled";
    std::error_code ec;
    const fs::path journal_file = job.dir / "journal.jsonl";
    if (!fs::is_regular_file(journal_file, ec)) {
      check.problems.push_back(
          fmt::format("job {}: {} is missing (the job's folder moved or "
                      "was deleted?)",
                      job.id, journal_file.string()));
      continue;
    }
    for (auto& problem : compare_with_journal(catalog, job, read_journal(journal_file))) {
      check.problems.push_back(std::move(problem));
    }
  }
  // The other way: jobs on disk that were filmed into this catalog and that it does not hold.
  if (!named.empty()) {
    std::error_code ec;
    outputs.insert(fs::is_regular_file(named / "journal.jsonl", ec) ? named.parent_path() : named);
  }
  if (!is_catalog_url(target.catalog_file)) outputs.insert(target.catalog_file.parent_path());
  for (const fs::path& out : outputs) {
    std::error_code ec;
    if (out.empty() || !fs::is_directory(out, ec)) continue;
    for (const fs::path& dir : jobs_in_output(out)) {
      JournalState journal;
      try {
        journal = read_journal(dir / "journal.jsonl");
      } catch (const Error& e) {
        check.problems.push_back(fmt::format("{}: {}", dir.string(), e.what()));
        continue;
      }
      const fs::path recorded = recorded_catalog(journal);
      if (journal.job_id.empty() ||
          (!recorded.empty() && !same_catalog(recorded, target.catalog_file))) {
        continue;  // nothing filmed yet, or another catalog's job
      }
      if (!target.job_id.empty() && journal.job_id != target.job_id) continue;
      ++check.jobs_on_disk;
      if (known.count(journal.job_id)) continue;
      std::size_t frames = 0;
      for (const JournalReel& reel : journal.reels) frames += reel.spoiled ? 0 : reel.rows.size();
      check.problems.push_back(fmt::format(
          "job {} ({}): {} frames on {} reel(s) in its journal, but the catalog holds no such "
          "job; bring it in with `filmwriter catalog rebuild {}`",
          journal.job_id, dir.string(), frames, journal.reels.size(), dir.string()));
    }
  }
  return check;
}

}  // namespace fw::api
