// `catalog check | rebuild | migrate`: the catalog kept true to the film
// (api/catalog_upkeep.hpp), and its move to another (catalog/migrate.hpp).
#include <fmt/format.h>

#include "api/catalog_query.hpp"
#include "api/catalog_upkeep.hpp"
#include "catalog/migrate.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

struct UpkeepFlags {
  api::CatalogNames names;  // JOB, --catalog, --job
  std::string from, to;     // migrate
};

int run_check(const UpkeepFlags& flags) {
  const auto& n = flags.names;
  const auto t = api::locate_catalog(n, false);
  const api::CatalogCheck check = api::check_catalog(t, n.named);
  for (const auto& problem : check.problems) fmt::print("FAILED {}\n", problem);
  if (!check.problems.empty()) {
    fmt::print(stderr, "filmwriter: qc failure: {} problem(s) in {} reel(s)\n",
               check.problems.size(), check.reels);
    return exit_qc;
  }
  fmt::print(
      "OK: {} reel(s): every index and manifest agrees with the catalog, and the catalog with "
      "the {} job folder(s) on disk that were filmed into it\n",
      check.reels, check.jobs_on_disk);
  return exit_ok;
}

int run_rebuild(const UpkeepFlags& flags, const hal::Registry& drivers) {
  const auto& n = flags.names;
  if (n.named.empty()) {
    throw Error(ErrorKind::usage,
                "catalog rebuild: name a job's output folder or the --out folder of its jobs");
  }
  const api::RebuildResult result = api::rebuild_catalog(n.named, n.catalog, drivers);
  if (!result.damaged.empty()) {
    fmt::print(
        "{} was damaged ({}): set aside as {}; a new catalog is written in its place "
        "(rebuild the other jobs it held from their folders too)\n",
        result.damaged.string(), result.damage, result.set_aside.string());
  }
  for (const auto& job : result.jobs) {
    fmt::print("job {} ({}): {} frames on {} reel(s), {}, rebuilt into {}{}\n", job.job_id,
               job.dir.string(), job.frames, job.reels, job.finished ? "done" : "not finished",
               job.catalog.string(),
               job.inspections
                   ? fmt::format(" ({} vault inspection record(s) kept)", job.inspections)
                   : std::string());
  }
  return exit_ok;
}

int run_migrate(const UpkeepFlags& flags) {
  const auto counts = migrate_catalog(flags.from, flags.to);
  for (const auto& c : counts) fmt::print("{}: {} row(s)\n", c.table, c.rows);
  fmt::print("OK: {} migrated to {}; row counts and frame checksums agree\n", flags.from,
             Catalog(flags.to).location());
  return exit_ok;
}

}  // namespace

void add_catalog_upkeep_commands(CLI::App& group, std::vector<Command>& commands) {
  auto flags = std::make_shared<UpkeepFlags>();
  auto* check =
      group.add_subcommand("check", "every reel's index and manifest against the catalog");
  add_catalog_names(*check, flags->names);
  commands.push_back({check, [flags](Context&) { return run_check(*flags); }});

  auto* rebuild = group.add_subcommand(
      "rebuild",
      "write a lost, damaged or stale catalog again from the jobs' own records (journal, index, "
      "manifest)");
  rebuild
      ->add_option("JOB", flags->names.named,
                   "a job's output folder, or the --out folder of its jobs (each rebuilt)")
      ->required();
  rebuild->add_option("--catalog", flags->names.catalog,
                      "catalog file or postgresql:// URL to write (default: the one each job's "
                      "journal recorded)");
  commands.push_back(
      {rebuild, [flags](Context& context) { return run_rebuild(*flags, context.drivers); }});

  auto* migrate = group.add_subcommand(
      "migrate", "move a whole catalog into another, empty one (e.g. SQLite to PostgreSQL)");
  migrate->add_option("--from", flags->from, "catalog file or URL to copy from")->required();
  migrate->add_option("--to", flags->to, "empty catalog file or postgresql:// URL")->required();
  commands.push_back({migrate, [flags](Context&) { return run_migrate(*flags); }});
}

}  // namespace fw::cli
