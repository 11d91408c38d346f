// Drawing the targets: the frames a reel carries besides pages (start, technical, title, TOC,
// continued, end, data targets, fiche headers) and the substitution target filmed in place of a
// page. Their templates, fields, texts and the technical target's layout: film/target_layout.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "film/plan.hpp"
#include "film/target_layout.hpp"
#include "raster/raster.hpp"

namespace fw {

// Renders a substitution target in place of a page: the frame's template (page-missing,
// original-damaged, ...) scaled from A4 to the page it stands for, `reason` as {reason}.
FrameImage render_substitute_target(const Job& job, const Plan& plan, const PlannedFrame& frame,
                                    const std::string& reason, const RasterSettings& settings);

// Where render_target drew one text block or the data target's symbol, in frame pixels
// [x0, x1) x [y0, y1): for text the pixels its drawing changed (empty, x0 == x1, for no text).
struct DrawnBox {
  std::string what;  // the template's text context ("... data-target.toml text[2]") or "symbol"
  std::uint32_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// Renders a target frame (any kind but page and substitute) with the frame's template; with
// `drawn`, also where each text block and the symbol went (tests: no two overlap).
FrameImage render_target(const Job& job, const Plan& plan, const PlannedFrame& frame,
                         const RasterSettings& settings, std::vector<DrawnBox>* drawn = nullptr);

}  // namespace fw
