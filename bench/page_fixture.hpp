// A one-page job for the stage benches: an A4 page at 300 dpi saved in one encoding,
// planned for a 24x frame on the default 2.5 um recorder (3500 x 4950 px page).
#pragma once

#include <unistd.h>
#include <filesystem>
#include <string>

#include "film/plan.hpp"
#include "ingest/ingest.hpp"
#include "pipeline/pipeline.hpp"
#include "samples/samples.hpp"

namespace fw::bench {

inline const char* extension(samples::Encoding encoding) {
  switch (encoding) {
    case samples::Encoding::jpeg:
      return "jpg";
    case samples::Encoding::png:
      return "png";
    case samples::Encoding::jp2:
      return "jp2";
    default:
      return "tif";
  }
}

struct PageFixture {
  std::filesystem::path dir;
  Job job;
  Plan plan;

  // `pdf` saves the page as a one-page PDF instead of in `encoding`. `orientation` stores the
  // page turned and tagged with its EXIF/TIFF orientation; `rotate` is the job's.
  PageFixture(samples::Encoding encoding, ImageMode mode, int bands = 1, bool pdf = false,
              int orientation = 1, int rotate = 0) {
    dir = std::filesystem::temp_directory_path() /
          ("fw-bench-" + std::to_string(::getpid()) + "-" + samples::to_string(encoding) +
           (pdf ? "-pdf" : "") + std::to_string(bands) + "-o" + std::to_string(orientation) + "-r" +
           std::to_string(rotate));
    std::filesystem::create_directories(dir);
    samples::PageSpec spec;
    spec.label = "filmwriter stage bench";
    spec.bands = bands;
    spec.marks = {{20, 20, 5}, {180, 270, 5}};
    const auto file = dir / (std::string("page.") + (pdf ? "pdf" : extension(encoding)));
    if (pdf) {
      samples::save_pdf({spec}, file);
    } else if (orientation != 1) {
      samples::save_oriented_page(samples::make_page(spec), file, encoding, spec.dpi, orientation);
    } else {
      samples::save_page(samples::make_page(spec), file, encoding, spec.dpi);
    }
    job.id = "bench";
    job.title = "bench";
    job.output = dir / "out";
    job.targets = "none";
    job.defaults.mode = mode;
    job.defaults.dpi = spec.dpi;  // JPEG 2000 files carry no resolution
    job.defaults.rotate = rotate;
    Document doc;
    doc.id = "D1";
    doc.title = "bench";
    doc.key = "documents[1]";
    doc.pages.kind = PageSource::Kind::list;
    doc.pages.paths = {file};
    job.documents.push_back(doc);
    hal::Capabilities caps;
    caps.pixel_pitch_um = 2.5;
    caps.calibration = "sim-default-negative";  // the tiff driver's default, as a real job has
    plan = prepare_job(job, caps, default_profiles_dir()).plan;
  }
  ~PageFixture() { std::filesystem::remove_all(dir); }

  const PlannedFrame& page_frame() const {
    for (const auto& frame : plan.frames) {
      if (frame.kind == FrameKind::page) return frame;
    }
    return plan.frames.at(0);
  }
};

}  // namespace fw::bench
