// Inside the engine only: a film format from a TOML table, for a job's inline [format].
#pragma once

#include <string>

#include "base/toml_reader.hpp"
#include "film/format.hpp"

namespace fw {

// Checks the table like a format file; messages name the table's file, the line and the key
// under the table's own ("job.toml:12: format.margin_mm: expected ...").
FilmFormat format_from_table(const TomlTable& table, const std::string& name);

}  // namespace fw
