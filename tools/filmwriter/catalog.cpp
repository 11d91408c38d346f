// `catalog find | export | check | migrate`: questions to the catalog that convert keeps
// (engine/catalog: a SQLite file or a PostgreSQL database), and its move to another. The job is
// named as for verify (api/catalog_target.hpp).
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include "api/catalog_target.hpp"
#include "api/catalog_upkeep.hpp"
#include "base/files.hpp"
#include "catalog/export.hpp"
#include "catalog/migrate.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "mets/mets.hpp"
#include "mets/toc_export.hpp"

namespace fw::cli {
namespace {

struct CatalogFlags {
  std::string named;  // JOB
  std::string catalog;
  std::string job;
  FrameQuery query;
  std::vector<std::string> meta;  // KEY=VALUE
  std::string format = "csv";
  std::string output;
  std::string out_dir;  // --out: the folder of --format mets or toc-csv
  bool bom = false;
  bool all_attempts = false;
  std::string from, to;  // migrate
};

api::CatalogTarget target(const CatalogFlags& flags) {
  return api::locate_catalog(flags.named, flags.catalog, flags.job);
}

// One line per run of consecutive frames of one document, or of the reel's targets, on a reel.
int run_find(CatalogFlags& flags) {
  auto& q = flags.query;
  for (const auto& kv : flags.meta) q.metadata.push_back(parse_meta_query(kv));
  if (q.document_id.empty() && q.title.empty() && q.source_file.empty() && q.sha256.empty() &&
      q.metadata.empty() && q.text.empty()) {
    throw Error(ErrorKind::usage,
                "catalog find: give at least one of --document, --title, --meta, --text, "
                "--source, --sha256");
  }
  const auto t = target(flags);
  q.job_id = t.job_id;
  q.all_attempts = flags.all_attempts;
  const Catalog catalog(t.catalog_file);
  auto lines = describe_frames(catalog.find(q));
  // A title is also looked for among the documents' TOC entries (chapters), narrowed by the
  // other filters as the documents are, answered with the entry's frames and the blips a
  // reader counts from the reel start to reach it.
  if (!q.title.empty()) {
    for (auto& line : describe_toc(catalog.find_toc(q))) lines.push_back(line);
  }
  for (const auto& line : lines) fmt::print("{}\n", line);
  if (lines.empty()) fmt::print("no frame matches\n");
  return exit_ok;
}

// --format mets: one package per reel, a folder each, so no single output file or stdout.
int run_export_mets(const CatalogFlags& flags) {
  if (!flags.output.empty()) {
    throw Error(ErrorKind::usage,
                "-o/--output: not with --format mets (one mets.xml per reel); give --out DIR, or "
                "nothing to rewrite each reel's own R0001/mets.xml");
  }
  if (flags.all_attempts) {
    throw Error(ErrorKind::usage, "--all-attempts: not with --format mets (the reels on film)");
  }
  if (flags.bom) throw Error(ErrorKind::usage, "--bom: only for --format csv");
  const auto t = target(flags);
  const Catalog catalog(t.catalog_file);
  std::string job_id = t.job_id;
  if (job_id.empty()) {
    const auto jobs = catalog.jobs();
    if (jobs.size() != 1) {
      throw Error(ErrorKind::usage,
                  fmt::format("--format mets: name the job (--job ID or its folder); {} holds {} "
                              "jobs",
                              t.catalog_file.string(), jobs.size()));
    }
    job_id = jobs.front().id;
  }
  for (const auto& file : export_mets(catalog, job_id, flags.out_dir)) {
    fmt::print("wrote {}\n", file.string());
  }
  return exit_ok;
}

// The TOC database's upload package: a folder with toc.csv, the entries' page images and each
// document's MODS record.
int run_export_toc(const CatalogFlags& flags) {
  if (flags.out_dir.empty()) {
    throw Error(ErrorKind::usage, "--format toc-csv: give --out DIR (the package's folder)");
  }
  if (!flags.output.empty()) {
    throw Error(ErrorKind::usage,
                "--output: not with --format toc-csv (it writes a folder: --out)");
  }
  const auto t = target(flags);
  const Catalog catalog(t.catalog_file);
  const TocPackage package = export_toc_package(catalog, t.job_id, flags.out_dir);
  for (const auto& warning : package.warnings)
    fmt::print(stderr, "filmwriter: warning: {}\n", warning);
  fmt::print("{}: {} TOC entries, {} page images, {} MODS records\n",
             (std::filesystem::path(flags.out_dir) / "toc.csv").string(), package.entries,
             package.images, package.records);
  return exit_ok;
}

int run_export(const CatalogFlags& flags) {
  if (flags.format == "mets") return run_export_mets(flags);
  if (flags.format == "toc-csv") return run_export_toc(flags);
  if (flags.format != "csv" && flags.format != "json") {
    throw Error(ErrorKind::usage,
                "--format: expected csv, json, mets or toc-csv, got \"" + flags.format + "\"");
  }
  if (!flags.out_dir.empty()) {
    throw Error(ErrorKind::usage,
                "--out: only for --format mets or toc-csv (csv and json: -o FILE)");
  }
  if (flags.bom && flags.format != "csv") {
    throw Error(ErrorKind::usage, "--bom: only for --format csv");
  }
  const auto t = target(flags);
  const Catalog catalog(t.catalog_file);
  const std::string text = flags.format == "csv"
                               ? export_csv(catalog, t.job_id, {flags.bom, flags.all_attempts})
                               : export_json(catalog, t.job_id, flags.all_attempts);
  if (flags.output.empty()) {
    fmt::print("{}", text);
  } else {
    write_file_atomic(flags.output, text);
  }
  return exit_ok;
}

int run_check(const CatalogFlags& flags) {
  const auto t = api::locate_catalog(flags.named, flags.catalog, flags.job, false);
  const api::CatalogCheck check = api::check_catalog(t, flags.named);
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

int run_rebuild(const CatalogFlags& flags, const hal::Registry& drivers) {
  if (flags.named.empty()) {
    throw Error(ErrorKind::usage,
                "catalog rebuild: name a job's output folder or the --out folder of its jobs");
  }
  const api::RebuildResult result = api::rebuild_catalog(flags.named, flags.catalog, drivers);
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

int run_migrate(const CatalogFlags& flags) {
  const auto counts = migrate_catalog(flags.from, flags.to);
  for (const auto& c : counts) fmt::print("{}: {} row(s)\n", c.table, c.rows);
  fmt::print("OK: {} migrated to {}; row counts and frame checksums agree\n", flags.from,
             Catalog(flags.to).location());
  return exit_ok;
}

}  // namespace

void add_catalog_commands(CLI::App& app, std::vector<Command>& commands) {
  auto flags = std::make_shared<CatalogFlags>();
  auto* group = app.add_subcommand("catalog", "query, check and migrate the catalog");
  group->require_subcommand(1);
  auto common = [&](CLI::App* cmd) {
    cmd->add_option("JOB", flags->named,
                    "only this job, and its catalog: the job's output folder (or the --out "
                    "folder holding it) or its job file");
    cmd->add_option("--catalog", flags->catalog,
                    "catalog file or postgresql:// URL (default: the job's, else "
                    "FILMWRITER_CATALOG, else out/catalog.sqlite)");
    cmd->add_option("--job", flags->job, "only the job with this id");
  };
  auto all_attempts = [&](CLI::App* cmd) {
    cmd->add_flag("--all-attempts", flags->all_attempts,
                  "also the frames of spoiled reels and of runs an --overwrite superseded (their "
                  "reel status says which)");
  };
  auto* find = group->add_subcommand("find",
                                     "which reel and frames hold a document, title, metadata, "
                                     "file or checksum");
  common(find);
  all_attempts(find);
  find->add_option("--document", flags->query.document_id, "document id");
  find->add_option("--title", flags->query.title, "part of a document title (any script)");
  find->add_option("--meta", flags->meta,
                   "KEY=VALUE: a metadata value holding VALUE, e.g. 作者=朱熹 (repeatable)");
  find->add_option("--text", flags->query.text,
                   "words each in the title or a metadata value (any script)");
  find->add_option("--source", flags->query.source_file, "source file path, or its last parts");
  find->add_option("--sha256", flags->query.sha256,
                   "checksum of a source file or a frame (either case)");
  commands.push_back({find, [flags](Context&) { return run_find(*flags); }});

  auto* exporter =
      group->add_subcommand("export", "every frame with its document, for other systems");
  common(exporter);
  all_attempts(exporter);
  exporter
      ->add_option("--format", flags->format,
                   "csv, json, mets (a METS/MODS/PREMIS package per reel, R0001/mets.xml) or "
                   "toc-csv (the TOC database's upload package, in --out DIR)")
      ->capture_default_str();
  exporter->add_option("-o,--output", flags->output, "write to this file instead of stdout");
  exporter->add_option("--out", flags->out_dir,
                       "--format mets: write DIR/R0001/mets.xml ... (default: each reel's own "
                       "folder, the file convert wrote); --format toc-csv: the folder for "
                       "toc.csv, the TOC page images and each document's MODS record");
  exporter->add_flag("--bom", flags->bom,
                     "begin the CSV with a UTF-8 byte order mark (for spreadsheet programs)");
  commands.push_back({exporter, [flags](Context&) { return run_export(*flags); }});

  auto* check =
      group->add_subcommand("check", "every reel's index and manifest against the catalog");
  common(check);
  commands.push_back({check, [flags](Context&) { return run_check(*flags); }});

  auto* rebuild = group->add_subcommand(
      "rebuild",
      "write a lost, damaged or stale catalog again from the jobs' own records (journal, index, "
      "manifest)");
  rebuild
      ->add_option("JOB", flags->named,
                   "a job's output folder, or the --out folder of its jobs (each rebuilt)")
      ->required();
  rebuild->add_option("--catalog", flags->catalog,
                      "catalog file or postgresql:// URL to write (default: the one each job's "
                      "journal recorded)");
  commands.push_back(
      {rebuild, [flags](Context& context) { return run_rebuild(*flags, context.drivers); }});

  auto* migrate = group->add_subcommand(
      "migrate", "move a whole catalog into another, empty one (e.g. SQLite to PostgreSQL)");
  migrate->add_option("--from", flags->from, "catalog file or URL to copy from")->required();
  migrate->add_option("--to", flags->to, "empty catalog file or postgresql:// URL")->required();
  commands.push_back({migrate, [flags](Context&) { return run_migrate(*flags); }});
}

}  // namespace fw::cli
