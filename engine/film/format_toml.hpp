// Inside the engine only: a film format from a TOML table, for a job's inline [format].
#pragma once

#include <string>

#include <toml++/toml.h>

#include "film/format.hpp"

namespace fw {

// Checks the table like a format file; messages name `file`, the line and key_prefix + key
// ("job.toml:12: format.margin_mm: expected ...").
FilmFormat format_from_table(const toml::table& table, const std::string& name,
                             const std::string& file, const std::string& key_prefix);

}  // namespace fw
