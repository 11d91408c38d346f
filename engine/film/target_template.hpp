// The target templates as the target files read them: each file parsed once per version
// (target_template.cpp), and a text block's writing direction. Private to the
// targets' files (film/target_*.cpp, render/target*.cpp).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "film/target_layout.hpp"

namespace fw::target_detail {

// A template is read once per file version: a queue that films many jobs re-reads a template
// an institution edited, never a stale one. Throws like load_template.
std::shared_ptr<const TargetTemplate> cached_template(const std::filesystem::path& file);

// A text block's writing direction as the layout and the drawing set it.
struct Vertical {
  bool on = false;
  double height_mm = 0;
  std::string language = "zh-Hans";
};

// A text block's writing direction: vertical blocks run down `height_mm`, else to 20 mm above
// the foot of a page `page_height_mm` high.
Vertical vertical_of(const TargetText& block, double page_height_mm);

}  // namespace fw::target_detail
