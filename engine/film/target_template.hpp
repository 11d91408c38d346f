// The target templates as the target files read them: each file parsed once per version
// (target_template.cpp). Private to engine/film.
#pragma once

#include <filesystem>
#include <memory>

#include "film/target_layout.hpp"

namespace fw::target_detail {

// A template is read once per file version: a queue that films many jobs re-reads a template
// an institution edited, never a stale one. Throws like load_template.
std::shared_ptr<const TargetTemplate> cached_template(const std::filesystem::path& file);

}  // namespace fw::target_detail
