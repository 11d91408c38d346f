// What a JPEG's markers say that libjpeg does not warn about: whether its scans bring every
// coefficient of every component to full precision, and a JFIF density without a unit (the
// pixels' aspect only). Private to engine/ingest.
//
// A progressive JPEG cut after a complete scan, with an end-of-image marker appended (what
// some "repair" tools and broken uploads leave), decodes without a warning from the scans it
// has: blurred or blocky, for good. So does a sequential JPEG of one scan per component cut
// after its first scan (the page without its colour). libjpeg fills a scan cut in its middle
// and warns (fail_on=warning refuses it), but a missing scan is no damage to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fw::ingest_detail {

// A JFIF APP0 segment's density with units 0: no resolution, only the pixels' shape (a pixel
// is y_density / x_density times as wide as it is high).
struct JfifAspect {
  std::uint16_t x_density = 0;
  std::uint16_t y_density = 0;
};

struct JpegMarkers {
  std::optional<JfifAspect> unitless_density;  // nonzero densities only
  bool progressive = false;                    // SOF2 or SOF10
  int scans = 0;                               // scans read (a complete sequential file: 1)
  // What the scans before the end-of-image marker leave out, for a message ("component 1:
  // coefficients 6-63 never sent"); empty when every coefficient of every component reached
  // full precision, when the file ends without the marker (libjpeg warns of that itself), or
  // when its markers are not what libjpeg reads (libjpeg names that damage).
  std::string missing;
};

// Reads the markers of the JPEG `file`. A sequential file whose first scan holds every
// component (every common JPEG) is read only up to that scan; any other file is read to its
// end-of-image marker, skipping the entropy-coded data byte by byte (a 5 MB file takes a few
// milliseconds). Throws nothing: a file it cannot read gives what was read so far.
JpegMarkers read_jpeg_markers(const std::string& file);

// Throws Error(input) "`context`: the progressive JPEG ends after scan N ...: what is missing;
// the file is cut ..." when the scans leave coefficients unsent or unrefined.
void check_jpeg_scans(const JpegMarkers& markers, const std::string& context);

}  // namespace fw::ingest_detail
