// `catalog find | export`: questions to the catalog that convert keeps (engine/catalog: a
// SQLite file or a PostgreSQL database), answered by api/catalog_query.hpp, and the `catalog`
// group; its upkeep (check, rebuild, migrate) is in catalog_upkeep.cpp. The job is named as for
// verify (api/catalog_target.hpp).
#include <fmt/format.h>

#include "api/catalog_query.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

struct CatalogFlags {
  api::CatalogNames names;  // JOB, --catalog, --job
  FrameQuery query;
  std::vector<std::string> meta;  // KEY=VALUE
  api::CatalogExportRequest request;
};

int run_find(const CatalogFlags& flags) {
  const auto lines = api::find_in_catalog(flags.names, flags.query, flags.meta);
  for (const auto& line : lines) fmt::print("{}\n", line);
  if (lines.empty()) fmt::print("no frame matches\n");
  return exit_ok;
}

int run_export(CatalogFlags& flags) {
  flags.request.all_attempts = flags.query.all_attempts;
  const api::CatalogExport exported = api::export_catalog(flags.names, flags.request);
  for (const auto& file : exported.files) fmt::print("wrote {}\n", file.string());
  if (const auto& package = exported.toc) {
    for (const auto& warning : package->warnings)
      fmt::print(stderr, "filmwriter: warning: {}\n", warning);
    fmt::print("{}: {} TOC entries, {} page images, {} MODS records\n", exported.toc_csv.string(),
               package->entries, package->images, package->records);
  }
  fmt::print("{}", exported.text);
  return exit_ok;
}

}  // namespace

void add_catalog_names(CLI::App& cmd, api::CatalogNames& names) {
  cmd.add_option("JOB", names.named,
                 "only this job, and its catalog: the job's output folder (or the --out "
                 "folder holding it) or its job file");
  cmd.add_option("--catalog", names.catalog,
                 "catalog file or postgresql:// URL (default: the job's, else "
                 "FILMWRITER_CATALOG, else out/catalog.sqlite)");
  cmd.add_option("--job", names.job, "only the job with this id");
}

void add_catalog_commands(CLI::App& app, std::vector<Command>& commands) {
  auto flags = std::make_shared<CatalogFlags>();
  auto* group = app.add_subcommand("catalog", "query, check and migrate the catalog");
  group->require_subcommand(1);
  auto common = [&](CLI::App* cmd) {
    add_catalog_names(*cmd, flags->names);
    cmd->add_flag("--all-attempts", flags->query.all_attempts,
                  "also the frames of spoiled reels and of runs an --overwrite superseded (their "
                  "reel status says which)");
  };
  auto* find = group->add_subcommand("find",
                                     "which reel and frames hold a document, title, metadata, "
                                     "file or checksum, or an operator filmed");
  common(find);
  find->add_option("--document", flags->query.document_id, "document id");
  find->add_option("--title", flags->query.title, "part of a document title (any script)");
  find->add_option("--meta", flags->meta,
                   "KEY=VALUE: a metadata value holding VALUE, e.g. 作者=朱熹 (repeatable)");
  find->add_option("--text", flags->query.text,
                   "words each in the title or a metadata value (any script)");
  find->add_option("--source", flags->query.source_file, "source file path, or its last parts");
  find->add_option("--sha256", flags->query.sha256,
                   "checksum of a source file or a frame (either case)");
  find->add_option("--operator", flags->query.operator_name,
                   "every frame of the jobs this operator declared (the whole name, as their "
                   "declaration targets carry it)");
  commands.push_back({find, [flags](Context&) { return run_find(*flags); }});

  auto* exporter =
      group->add_subcommand("export", "every frame with its document, for other systems");
  common(exporter);
  auto& request = flags->request;
  exporter
      ->add_option("--format", request.format,
                   "csv, json, mets (a METS/MODS/PREMIS package per reel, R0001/mets.xml) or "
                   "toc-csv (the TOC database's upload package, in --out DIR)")
      ->capture_default_str();
  exporter->add_option("-o,--output", request.output, "write to this file instead of stdout");
  exporter->add_option("--out", request.out_dir,
                       "--format mets: write DIR/R0001/mets.xml ... (default: each reel's own "
                       "folder, the file convert wrote); --format toc-csv: the folder for "
                       "toc.csv, the TOC page images and each document's MODS record");
  exporter->add_flag("--bom", request.bom,
                     "begin the CSV with a UTF-8 byte order mark (for spreadsheet programs)");
  commands.push_back({exporter, [flags](Context&) { return run_export(*flags); }});

  add_catalog_upkeep_commands(*group, commands);
}

}  // namespace fw::cli
