// decode-page: the child side of isolated decoding (engine/pipeline/isolated_decode.hpp).
// Hidden from the help: preflight runs it, one page per process, for the formats whose system
// decoders crash on some files. It decodes the page in full and exits 0, or prints why it
// cannot be filmed and exits 3; a crash ends only this process.
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "commands.hpp"
#include "core/error.hpp"
#include "pipeline/isolated_decode.hpp"
#include "pipeline/preflight.hpp"

namespace fw::cli {

void add_decode_page_command(CLI::App& app, std::vector<Command>& commands) {
  auto request = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("decode-page", "decode one page in this process (internal)");
  cmd->group("");  // not listed: an internal command of preflight
  cmd->add_option("REQUEST", *request, "the page as JSON")->required();
  commands.push_back({cmd, [request](Context&) {
                        const nlohmann::json json = nlohmann::json::parse(*request);
                        const SourcePage page = page_of(json);
                        // Fault injection for the tests: a decoder that crashes on the file
                        // named here (no file this machine's decoders crash on can ship).
                        if (const char* crash = std::getenv("FILMWRITER_INJECT_DECODER_CRASH");
                            crash && *crash && page.ref.file.find(crash) != std::string::npos) {
                          std::abort();
                        }
                        const std::string failure =
                            page_decode_failure(page, scale_of(json), limits_of(json));
                        if (failure.empty()) return exit_ok;
                        fmt::print("{}\n", failure);
                        return exit_input;
                      }});
}

}  // namespace fw::cli
