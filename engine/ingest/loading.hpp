// What the two halves of ingest share: page_files.cpp finds a source's files and counts their
// pages, ingest.cpp probes and opens the pages; both check a file before a decoder sees it and
// load it with the same loader and options. Private to engine/ingest.
#pragma once

#include <filesystem>
#include <string>

#include <vips/vips8>

#include "ingest/ingest.hpp"

namespace fw::ingest_detail {

// Some loaders start their message with the file name, which the context already gives.
// `reason` is vips_error_message's, taken within the decode's VipsMessageScope.
[[noreturn]] void throw_cannot_decode(const std::string& context, const std::filesystem::path& file,
                                      std::string reason);
[[noreturn]] void throw_cannot_decode(const std::string& context, const std::filesystem::path& file,
                                      const vips::VError& error);
// Checks that `file` is a readable regular file within the size limit, before any decoder
// sees it.
void check_file(const std::filesystem::path& file, const Limits& limits);
// Options shared by every load: read once top to bottom (what the pipeline does, and it lets
// libvips stream instead of buffering the page), and treat any decoder warning as an error so
// that a damaged file never becomes a half-grey frame.
vips::VOption* load_options();
// Always the loader for the sniffed format, never libvips's own choice (which would consider
// every loader it has, including ones we block).
vips::VImage load(const PageRef& ref, vips::VOption* options);

}  // namespace fw::ingest_detail
