// The substitution target: the frame filmed in place of a page that could not be filmed
// (policy `substitute`) or that the job replaces or inserts ([[documents.substitute]]), so
// that the film itself says what is missing and why. Its wording comes from a template in
// profiles/targets/<set>/ (page-missing, original-damaged, filmed-as-found,
// best-copy-available, or the institution's own), chosen per document or per page.
#pragma once

#include <string>

#include "film/plan.hpp"
#include "raster/raster.hpp"

namespace fw {

FrameImage render_substitute(const Job& job, const Plan& plan, const PlannedFrame& frame,
                             const std::string& reason, const RasterSettings& settings);

}  // namespace fw
