// `restore`: files written as data frames, read back from developed film (engine/data).
#include <fmt/format.h>

#include "commands.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "data/data_frames.hpp"

namespace fw::cli {
namespace {

struct RestoreFlags {
  std::string dir;
  std::string out;
};

int run_restore(const RestoreFlags& flags) {
  const std::filesystem::path out(flags.out);
  std::filesystem::create_directories(out);
  const data::RestoreReport report = data::restore_directory(flags.dir, out);
  write_file_atomic(out / "restore.json", report.json().dump(2) + "\n");
  fmt::print("{}report: {}\n", report.text(), (out / "restore.json").string());
  if (report.files.empty()) {
    throw Error(ErrorKind::input, "restore: no data frame in " + flags.dir);
  }
  return report.all_recovered() ? exit_ok : exit_qc;
}

}  // namespace

void add_restore_commands(CLI::App& app, std::vector<Command>& commands) {
  auto flags = std::make_shared<RestoreFlags>();
  auto* cmd = app.add_subcommand(
      "restore",
      "read the data frames in a folder of developed-film images (or scans; any names, any "
      "order) and write their files back, each checked against its SHA-256; writes "
      "restore.json; exit 5 when a file is not restored whole");
  cmd->add_option("DIR", flags->dir, "folder of film images, e.g. out/JOB/R0001/film")->required();
  cmd->add_option("--out", flags->out, "where the files go, as DOCUMENT/NAME")->required();
  commands.push_back({cmd, [flags](Context&) { return run_restore(*flags); }});
}

}  // namespace fw::cli
