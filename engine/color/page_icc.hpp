// Source pages into the job's working space (sRGB) with LittleCMS, before the raster stage
// turns them into grey, bitonal or colour code values. A page that carries an ICC profile
// (JPEG APP2, PNG iCCP, TIFF tag 34675; for a PNG's gAMA and cHRM chunks, the profile ingest
// builds from them) is converted from it; an untagged page is taken to be
// sRGB already, which is what libvips's own colourspace conversions then assume.
#pragma once

#include <vips/vips8>

#include "color/icc.hpp"

namespace fw {

// The process's one transform cache: every pipeline thread shares its transforms, so a profile
// is parsed and linked once per job, not once per page.
IccTransformCache& shared_icc_cache();

// Returns `page` converted from its embedded profile to sRGB (8-bit, or 16-bit for 16-bit
// sources; alpha kept), or `page` itself when it has no profile or already is sRGB. Grey,
// RGB and CMYK pages are converted, and a grey page with an RGB profile as R = G = B (what
// ImageMagick writes for an RGB scan that is all neutral); throws Error(input) when LittleCMS
// cannot use the profile or the profile's colour space does not match the page's bands.
vips::VImage page_to_working_space(const vips::VImage& page,
                                   RenderingIntent intent = RenderingIntent::relative_colorimetric,
                                   bool black_point_compensation = true);

// Throws the Error(input) page_to_working_space would for a profile that does not fit the
// page's bands or sample format, from the header alone: preflight finds such a page before its
// reel is loaded, not the render stage halfway along the reel.
void check_embedded_profile(const vips::VImage& page);

}  // namespace fw
