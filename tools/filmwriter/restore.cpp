// `restore`: files written as data frames, read back from developed film (engine/data).
#include <fmt/format.h>

#include "api/restore.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

struct RestoreFlags {
  std::vector<std::string> dirs;
  std::string out;
  std::string catalog;
};

int run_restore(const RestoreFlags& flags) {
  const api::RestoreResult result =
      api::restore({{flags.dirs.begin(), flags.dirs.end()}, flags.out, flags.catalog});
  fmt::print("{}report: {}{}\n", result.text(),
             (std::filesystem::path(flags.out) / "restore.json").string(),
             result.earlier_report.empty()
                 ? std::string()
                 : fmt::format(" (the earlier restore's report is kept as {})",
                               result.earlier_report.string()));
  return result.ok() ? exit_ok : exit_qc;
}

}  // namespace

void add_restore_commands(CLI::App& app, std::vector<Command>& commands) {
  auto flags = std::make_shared<RestoreFlags>();
  auto* cmd = app.add_subcommand(
      "restore",
      "read the data frames in folders of developed-film images (or scans; any names, any "
      "order, several reels) and write their files back, each checked against its SHA-256; "
      "writes restore.json; exit 5 when a file is not restored whole");
  cmd->add_option("DIR", flags->dirs,
                  "folders of film images (searched recursively; in a job's folder, each reel's "
                  "film/) or image files: out/JOB/R0001/film, out/JOB/R0001 out/JOB/R0002, "
                  "out/JOB")
      ->required();
  cmd->add_option("--out", flags->out, "where the files go, as DOCUMENT/NAME")->required();
  cmd->add_option("--catalog", flags->catalog,
                  "check each file against the catalog's record of its job (e.g. "
                  "out/catalog.sqlite, or a postgresql:// URL)");
  commands.push_back({cmd, [flags](Context&) { return run_restore(*flags); }});
}

}  // namespace fw::cli
