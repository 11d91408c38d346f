// `catalog find | export | check`: questions to the SQLite catalog that convert keeps.
#include "catalog/catalog.hpp"
#include "catalog/index.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

struct CatalogFlags {
  std::string catalog = "out/catalog.sqlite";
  std::string job;
  FrameQuery query;
  std::string format = "csv";
  std::string output;
};

Catalog open_catalog(const CatalogFlags& flags) {
  if (!std::filesystem::exists(flags.catalog)) {
    throw Error(ErrorKind::usage, "--catalog: " + flags.catalog + " does not exist");
  }
  return Catalog(flags.catalog);
}

// One line per run of consecutive frames of one document on one reel.
int run_find(CatalogFlags& flags) {
  auto& q = flags.query;
  if (q.document_id.empty() && q.title.empty() && q.source_file.empty() && q.sha256.empty()) {
    throw Error(ErrorKind::usage,
                "catalog find: give at least one of --document, --title, --source, --sha256");
  }
  q.job_id = flags.job;
  const Catalog catalog = open_catalog(flags);
  const auto frames = catalog.find(q);
  if (frames.empty()) {
    fmt::print("no frame matches\n");
    return exit_ok;
  }
  for (std::size_t i = 0; i < frames.size();) {
    std::size_t j = i + 1;
    while (j < frames.size() && frames[j].job_id == frames[i].job_id &&
           frames[j].reel_id == frames[i].reel_id &&
           frames[j].row.document_id == frames[i].row.document_id &&
           frames[j].row.frame == frames[j - 1].row.frame + 1) {
      ++j;
    }
    const auto& first = frames[i];
    const auto& last = frames[j - 1];
    // Targets (title, end of reel) carry page 0: the page range is of the document's pages.
    std::uint32_t low = 0, high = 0;
    for (std::size_t k = i; k < j; ++k) {
      const std::uint32_t page = frames[k].row.page;
      if (page == 0) continue;
      low = low ? std::min(low, page) : page;
      high = std::max(high, page);
    }
    const std::string pages = low ? fmt::format(" pages {}-{}", low, high) : "";
    fmt::print("{} {} frames {}-{}: document {} \"{}\"{} ({} .. {})\n", first.job_id, first.reel_id,
               first.row.frame, last.row.frame, first.row.document_id, first.title, pages,
               first.row.address, last.row.address);
    i = j;
  }
  return exit_ok;
}

constexpr const char* kExportColumns =
    "job_id,reel,frame,address,blip,kind,document_id,title,page,source_file,source_page,"
    "source_sha256,frame_sha256";

std::string export_csv(const Catalog& catalog, const std::string& job_id) {
  std::string out = std::string(kExportColumns) + "\n";
  for (const auto& f : catalog.frames(job_id)) {
    const auto& r = f.row;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(f.job_id), f.reel_id,
                       r.frame, csv_field(r.address), r.blip, r.kind, csv_field(r.document_id),
                       csv_field(f.title), r.page, csv_field(r.source_file), r.source_page,
                       r.source_sha256, r.frame_sha256);
  }
  return out;
}

std::string export_json(const Catalog& catalog, const std::string& job_id) {
  nlohmann::ordered_json jobs = nlohmann::ordered_json::array();
  for (const auto& job : catalog.jobs()) {
    if (!job_id.empty() && job.id != job_id) continue;
    nlohmann::ordered_json j = {
        {"id", job.id},           {"title", job.title},   {"institution", job.institution},
        {"status", job.status},   {"format", job.format}, {"plan_sha256", job.plan_sha256},
        {"dir", job.dir.string()}};
    j["documents"] = nlohmann::ordered_json::array();
    for (const auto& doc : catalog.documents(job.id)) {
      nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
      for (const auto& [key, value] : doc.metadata) metadata[key] = value;
      j["documents"].push_back({{"id", doc.id},
                                {"title", doc.title},
                                {"metadata", metadata},
                                {"source_files", doc.source_files}});
    }
    j["reels"] = nlohmann::ordered_json::array();
    for (const auto& reel : catalog.reels(job.id)) {
      j["reels"].push_back({{"id", reel.reel_id},
                            {"attempt", reel.attempt},
                            {"status", reel.status},
                            {"frames", reel.frames},
                            {"film_used_m", reel.film_used_m},
                            {"index_sha256", reel.index_sha256},
                            {"manifest_sha256", reel.manifest_sha256}});
    }
    j["frames"] = nlohmann::ordered_json::array();
    for (const auto& f : catalog.frames(job.id)) {
      const auto& r = f.row;
      j["frames"].push_back({{"reel", f.reel_id},
                             {"frame", r.frame},
                             {"address", r.address},
                             {"blip", r.blip},
                             {"kind", r.kind},
                             {"document_id", r.document_id},
                             {"page", r.page},
                             {"source_file", r.source_file},
                             {"source_page", r.source_page},
                             {"source_sha256", r.source_sha256},
                             {"frame_sha256", r.frame_sha256}});
    }
    jobs.push_back(std::move(j));
  }
  nlohmann::ordered_json out = {{"catalog_schema", Catalog::latest_version()}, {"jobs", jobs}};
  return out.dump(2) + "\n";
}

int run_export(const CatalogFlags& flags) {
  if (flags.format != "csv" && flags.format != "json") {
    throw Error(ErrorKind::usage, "--format: expected csv or json, got \"" + flags.format + "\"");
  }
  const Catalog catalog = open_catalog(flags);
  const std::string text =
      flags.format == "csv" ? export_csv(catalog, flags.job) : export_json(catalog, flags.job);
  if (flags.output.empty()) {
    fmt::print("{}", text);
  } else {
    write_file_atomic(flags.output, text);
  }
  return exit_ok;
}

int run_check(const CatalogFlags& flags) {
  const Catalog catalog = open_catalog(flags);
  std::size_t problems = 0, reels = 0;
  for (const auto& job : catalog.jobs()) {
    if (!flags.job.empty() && job.id != flags.job) continue;
    for (const auto& problem : check_job(catalog, job)) {
      fmt::print("FAILED {}\n", problem);
      ++problems;
    }
    for (const auto& reel : catalog.reels(job.id)) reels += reel.status != "spoiled";
  }
  if (problems) {
    fmt::print(stderr, "filmwriter: qc failure: {} problem(s) in {} reel(s)\n", problems, reels);
    return exit_qc;
  }
  fmt::print("OK: {} reel(s): every index and manifest agrees with the catalog\n", reels);
  return exit_ok;
}

}  // namespace

void add_catalog_commands(CLI::App& app, std::vector<Command>& commands) {
  auto flags = std::make_shared<CatalogFlags>();
  auto* group = app.add_subcommand("catalog", "query and check the SQLite catalog");
  group->require_subcommand(1);
  auto common = [&](CLI::App* cmd) {
    cmd->add_option("--catalog", flags->catalog, "catalog file")->capture_default_str();
    cmd->add_option("--job", flags->job, "only this job");
  };
  auto* find = group->add_subcommand("find",
                                     "which reel and frames hold a document, title, file "
                                     "or checksum");
  common(find);
  find->add_option("--document", flags->query.document_id, "document id");
  find->add_option("--title", flags->query.title, "part of a document title (any script)");
  find->add_option("--source", flags->query.source_file, "source file path, or its last parts");
  find->add_option("--sha256", flags->query.sha256, "checksum of a source file or a frame");
  commands.push_back({find, [flags](Context&) { return run_find(*flags); }});

  auto* exporter =
      group->add_subcommand("export", "every frame with its document, for other systems");
  common(exporter);
  exporter->add_option("--format", flags->format, "csv or json")->capture_default_str();
  exporter->add_option("-o,--output", flags->output, "write to this file instead of stdout");
  commands.push_back({exporter, [flags](Context&) { return run_export(*flags); }});

  auto* check =
      group->add_subcommand("check", "every reel's index and manifest against the catalog");
  common(check);
  commands.push_back({check, [flags](Context&) { return run_check(*flags); }});
}

}  // namespace fw::cli
