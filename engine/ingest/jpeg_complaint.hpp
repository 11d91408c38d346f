// libjpeg's own words about one JPEG file, from a decode of it that is nobody else's. Private
// to engine/ingest.
//
// libvips hands libjpeg's warnings to its error buffer, which every thread shares, and logs
// that whole buffer when a load closes with a warning (ingest.hpp, decode_page_checked): under
// parallel decoding its last line may be another page's. The rare page that fails so is
// decoded once more here, with an error manager of its own, so that the reason given is this
// file's.
#pragma once

#include <optional>
#include <string>

namespace fw::ingest_detail {

// Decodes the JPEG `file` at full size, every row, and returns the text of libjpeg's first
// warning ("Corrupt JPEG data: premature end of data segment") or of the error that stopped
// it ("Premature end of JPEG file", "Not a JPEG file: starts with 0x.. 0x.."), as libjpeg's
// format_message words it; nothing when it decodes without a word. A file that cannot be
// opened gives the system's reason. Safe from any number of threads.
std::optional<std::string> libjpeg_complaint(const std::string& file);

}  // namespace fw::ingest_detail
