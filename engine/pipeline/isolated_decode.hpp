// Decoding in a child process, for the formats whose system decoders this program trusts least
// (JPEG 2000 through OpenJPEG, PDF through poppler): Debian 12's OpenJPEG corrupts its heap on
// some valid files (`vips copy` aborts the same way), and a crash inside the process would
// take the whole job with it. Preflight decodes each such page in a child first; the child's
// crash, hang or memory blow-up becomes a named input error for that page, and the job follows
// the document's on_error. The render stage decodes only pages that passed, in process.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/ingest.hpp"
#include "model/job.hpp"

namespace fw {

// The executable whose `decode-page` command decodes a page (the CLI sets its own at start);
// empty (the default, e.g. in tests that link the engine): every page decodes in process.
// `options` go before the command (the CLI's own: the child logs in the parent's format).
void set_isolated_decoder(std::filesystem::path executable, std::vector<std::string> options = {});
std::filesystem::path isolated_decoder();

// Whether pages of `format` are decoded in a child when an isolated decoder is set.
bool decodes_isolated(SourceFormat format);

// What the child needs: the page, the render scale and the limits.
nlohmann::json decode_request(const SourcePage& page, double scale, const Limits& limits);
SourcePage page_of(const nlohmann::json& request);
double scale_of(const nlohmann::json& request);
Limits limits_of(const nlohmann::json& request);

struct IsolationLimits {
  std::chrono::seconds timeout{120};
  std::uint64_t address_space_bytes = 16ull << 30;  // RLIMIT_AS of the child
};

// Runs `executable decode-page REQUEST` and returns why the page cannot be filmed ("" when it
// decodes): the child's own reason, or that the decoder crashed (the signal), ran out of
// memory or did not finish in time.
std::string decode_failure_isolated(const std::filesystem::path& executable, const SourcePage& page,
                                    double scale, const Limits& limits,
                                    const IsolationLimits& isolation = {});

}  // namespace fw
