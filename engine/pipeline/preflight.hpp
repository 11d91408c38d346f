// Preflight: before a reel's first frame is exposed, every source page the reel still has to
// film is decoded in full, once, so that a truncated or undecodable page is found before film
// is used. Reading headers (plan, dry run) cannot find a JPEG cut off halfway; the render
// stage would, but only when the reel has reached the page, and film cannot be edited after
// exposure.
//
// Pages are decoded through ingest's open_page, as the render stage opens them (the same
// loaders with fail_on=warning and the same shrink-on-load; PDF pages at 72 dpi, which runs
// every drawing operator at a fraction of the frame's cost), into a libvips reduction (`avg`)
// over the sequential load: no page is kept, so memory is a few hundred rows per thread
// whatever the reel's length.
// Pages shared by several frames (the three separations of a colour page) are decoded once.
// Documents with `on_error = "skip-document"` are left out: their pages were decoded in full when
// the job was scanned (ingest's scan_documents), and a failure there already left the document out.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "film/plan.hpp"
#include "model/job.hpp"

namespace fw {

struct BadPage {
  std::uint64_t sequence = 0;  // the first planned frame that films the page
  std::string reel;            // that frame's reel ("R0002")
  std::string address;         // and its address ("R0002-D001-0003")
  std::size_t document = 0;    // index into Job::documents
  std::uint32_t page = 0;      // 1-based within the document
  std::string file;
  std::uint32_t page_in_file = 0;  // 0-based
  FailurePolicy policy = FailurePolicy::fail;
  // Why, worded as the render stage words it, so that the substitute frame preflight puts in
  // the page's place is the frame a re-render of the plan gives (verify compares them).
  std::string reason;
  // The same with the file named: "scans/p3.jpg (page 1): cannot decode: ...".
  std::string where;
  // And with the document and its page:
  // "document D001 (documents[1]) page 3: scans/p3.jpg (page 1): cannot decode: ...".
  std::string message;
};

struct PreflightProgress {
  std::string reel;  // the reel being checked ("R0002")
  std::size_t pages_done = 0;
  std::size_t pages_total = 0;
};

struct PreflightOptions {
  unsigned threads = 0;                     // decoding threads (oneTBB); 0: one per core
  const std::atomic<bool>* stop = nullptr;  // set: decode no further page
  // After each page decoded, from the decoding threads, one call at a time.
  std::function<void(const PreflightProgress&)> on_progress;
};

struct PreflightReport {
  std::string reel;          // the reel checked; "" for a whole plan
  std::size_t pages = 0;     // distinct pages decoded
  std::vector<BadPage> bad;  // in plan order
  bool stopped = false;      // options.stop was set before every page was decoded
  double seconds = 0;
};

// Why the page cannot be filmed ("" when it decodes), decoding it in this process at the
// render stage's `scale`, in the words render_frame would use for its substitute: open_page's
// own errors as they are (they name the file), errors in the pixel data as raster's
// "cannot decode: ...". The `decode-page` command runs it in a child (isolated_decode.hpp).
std::string page_decode_failure(const SourcePage& source, double scale, const Limits& limits);

// Frame `index` of the plan (the pipeline reads them from its spool).
using FrameReader = std::function<PlannedFrame(std::size_t)>;

// Decodes the pages that the reel holding frame `first` films from `first` to its end: the
// whole reel, or on resume the frames still to be exposed.
PreflightReport preflight_reel(const Job& job, const Plan& plan, const FrameReader& frames,
                               std::size_t first, const PreflightOptions& options);

// Every reel of the plan in turn (`plan --decode-all`): every bad page of the job, not only
// the first.
PreflightReport preflight_plan(const Job& job, const Plan& plan, const PreflightOptions& options);

}  // namespace fw
