// filmwriter: the command line. Thin by design: it parses arguments and dispatches to a
// command group (one file each); the engine does the work. Exit codes:
// docs/operations.md#exit-codes.
#include <fmt/format.h>

#include <malloc.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builtin.hpp"
#include "catalog/catalog.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "core/vips_error.hpp"
#include "ingest/ingest.hpp"
#include "ops/child.hpp"
#include "ops/log.hpp"
#include "pipeline/isolated_decode.hpp"

namespace {

// `filmwriter convert -scans`: CLI11 takes a folder named "-scans" for options and then misses
// the job. The first argument of the command that looks like an option and is none of its
// options, so that the usage error can say how to name such a file.
std::string option_like_path(const CLI::App& app, int argc, char** argv) {
  const std::vector<CLI::App*> commands = app.get_subcommands();
  if (commands.empty()) return {};
  const CLI::App& command = *commands.front();
  bool after_command = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == command.get_name()) after_command = true;
    if (!after_command || arg.size() < 2 || arg[0] != '-') continue;
    const std::string name(arg.substr(0, arg.find('=')));
    const std::string first_flag = name.starts_with("--") ? name : name.substr(0, 2);
    if (command.get_option_no_throw(first_flag) == nullptr &&
        app.get_option_no_throw(first_flag) == nullptr) {
      return std::string(arg);
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  // Frames (17 MB for an A4 page at 24x) and decoded pages are allocated and freed for every
  // frame. Above glibc's mmap threshold each one is mapped, faulted in page by page, zeroed by
  // the kernel and unmapped again: a quarter of a frame's CPU in perf. Kept in the heap, freed
  // buffers are reused; memory stays bounded by the frames in flight (bench/README.md).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"filmwriter: digital-to-film conversion engine"};
  app.set_version_flag("--version", FW_VERSION_STRING);
  app.require_subcommand(1);
  // Global, and accepted after the subcommand too (`convert JOB --log-format json`).
  std::string log_format = "text";
  app.add_option("--log-format", log_format,
                 "text (human lines, a progress bar on a terminal) or json (one JSON object per "
                 "line on stderr)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.fallthrough();
  std::vector<fw::cli::Command> commands;
  fw::cli::add_convert_commands(app, commands);
  fw::cli::add_info_commands(app, commands);
  fw::cli::add_catalog_commands(app, commands);
  fw::cli::add_calibrate_commands(app, commands);
  fw::cli::add_text_commands(app, commands);
  fw::cli::add_verify_commands(app, commands);
  fw::cli::add_inspect_commands(app, commands);
  fw::cli::add_queue_commands(app, commands);
  fw::cli::add_restore_commands(app, commands);
  fw::cli::add_decode_page_command(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      if (const std::string path = option_like_path(app, argc, argv); !path.empty()) {
        std::fprintf(stderr,
                     "%s was read as options, not as a file: a job file or folder whose name "
                     "starts with '-' goes after -- (filmwriter %s -- %s) or as ./%s\n",
                     path.c_str(), app.get_subcommands().front()->get_name().c_str(), path.c_str(),
                     path.c_str());
      }
    }
    return rc == 0 ? fw::exit_ok : fw::exit_usage;
  }

  auto& log = fw::ops::Log::global();
  log.set_format(fw::ops::parse_log_format(log_format));
  try {
    fw::init_vips(argv[0]);
    // libvips's warnings (a damaged page's "error in tile") and any library's GLib message
    // reach stderr through the log, in its format, instead of GLib's own lines.
    fw::set_glib_message_sink([&log](const std::string& domain, const std::string& message,
                                     const std::string& where) {
      const std::string from = domain == "VIPS" ? "libvips" : domain;
      nlohmann::json fields = {{"library", from}, {"message", message}};
      // A decoder's warning about a page names it: with pages in flight, the line is the
      // operator's only way to know which file it is about.
      if (!where.empty()) fields["page"] = where;
      log.event(
          "warning", "library_message", fields,
          "filmwriter: warning: " + (where.empty() ? "" : where + ": ") + from + ": " + message);
    });
    // Preflight decodes JPEG 2000 and PDF pages in a child of this same program.
    fw::set_isolated_decoder(fw::ops::self_executable(), {"--log-format", log_format});
    fw::set_catalog_wait_notice([&log](const std::string& message) {
      log.event("warning", "catalog_locked", {{"message", message}},
                "filmwriter: warning: " + message);
    });
    fw::cli::Context context;
    fw::drivers::register_builtin_drivers(context.drivers);
    for (auto& command : commands) {
      if (*command.app) return command.run(context);
    }
  } catch (const fw::Error& e) {
    log.error(fw::to_string(e.kind()), fw::exit_code(e.kind()), e.what());
    return fw::exit_code(e.kind());
  } catch (const fw::hal::DeviceError& e) {
    log.error("device error", fw::exit_device,
              std::string(fw::hal::to_string(e.kind())) + ": " + e.what());
    return fw::exit_device;
  } catch (const std::filesystem::filesystem_error& e) {
    // The output or a file beside it cannot be made or read: the machine's problem, not a bug.
    std::string message = e.path1().string() + ": " + e.code().message();
    if (const std::string_view what = e.what();
        what.find("cannot create directories") != std::string_view::npos) {
      message = e.path1().string() + ": cannot create the folder: " + e.code().message();
    }
    log.error(fw::to_string(fw::ErrorKind::storage), fw::exit_storage, message);
    return fw::exit_storage;
  } catch (const std::exception& e) {
    log.error("internal error", fw::exit_internal, e.what());
    return fw::exit_internal;
  }
  return fw::exit_usage;
}
