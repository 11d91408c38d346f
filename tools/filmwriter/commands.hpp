// The CLI's command groups. Each file in tools/filmwriter/ adds its subcommands to the app
// and the action to run when one is chosen; main.cpp only parses and dispatches.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <vector>

#include "hal/registry.hpp"

namespace fw::api {
struct CatalogNames;
}  // namespace fw::api

namespace fw::cli {

// What every command may need, built once after parsing.
struct Context {
  hal::Registry drivers;  // every built-in recorder driver
};

struct Command {
  CLI::App* app = nullptr;  // the subcommand; run when it was given
  std::function<int(Context&)> run;
};

void add_convert_commands(CLI::App& app, std::vector<Command>& commands);  // convert, plan
void add_info_commands(CLI::App& app, std::vector<Command>& commands);     // drivers, formats
void add_catalog_commands(CLI::App& app,
                          std::vector<Command>& commands);              // catalog find|export|...
void add_calibrate_commands(CLI::App&, std::vector<Command>&);          // calibrate wedge|fit|auto
void add_text_commands(CLI::App& app, std::vector<Command>& commands);  // fonts, text
void add_verify_commands(CLI::App& app, std::vector<Command>& commands);   // verify
void add_inspect_commands(CLI::App& app, std::vector<Command>& commands);  // inspect add|due|list
void add_queue_commands(CLI::App& app, std::vector<Command>& commands);    // queue run|status
void add_restore_commands(CLI::App& app, std::vector<Command>& commands);  // restore
void add_decode_page_command(CLI::App&, std::vector<Command>&);            // decode-page (internal)

// catalog_upkeep.cpp: catalog check | rebuild | migrate, under the `catalog` group.
void add_catalog_upkeep_commands(CLI::App& group, std::vector<Command>& commands);
// queue_run.cpp: queue run, under the `queue` group.
void add_queue_run_command(CLI::App& queue, std::vector<Command>& commands);
// queue.cpp: how `queue run` and `queue status` name their queue, once: the QUEUE argument or
// --queue (the form `queue submit` takes). take_queue_argument throws Error(usage) for neither
// or both.
struct QueueName {
  std::filesystem::path argument, option;
};
void add_queue_argument(CLI::App& cmd, QueueName& name);
std::filesystem::path take_queue_argument(const CLI::App& cmd, const QueueName& name);

// catalog.cpp: JOB, --catalog and --job, naming the catalog and job a `catalog` subcommand asks.
void add_catalog_names(CLI::App& cmd, api::CatalogNames& names);

}  // namespace fw::cli
