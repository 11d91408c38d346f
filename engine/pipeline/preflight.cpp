#include "pipeline/preflight.hpp"
#include "pipeline/isolated_decode.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_set>

#include "base/threads.hpp"
#include "color/page_icc.hpp"
#include "core/error.hpp"
#include "core/vips_error.hpp"
#include "ingest/ingest.hpp"

namespace fw {
namespace {

// A page to decode and the first frame that films it.
struct Candidate {
  SourcePage source;
  double scale = 1;
  std::uint64_t sequence = 0;
  std::string reel;
  std::string address;
  std::size_t document = 0;
  std::uint32_t page = 0;
};

}  // namespace

std::string page_decode_failure(const SourcePage& source, double scale, const Limits& limits) {
  // libvips's errors are this page's only within the scope (core/vips_error.hpp): it spans the
  // catch below, where the reason is read.
  const VipsMessageScope messages(page_context(source.ref));
  Candidate page;
  page.source = source;
  page.scale = scale;
  try {
    decode_in_full(
        [&] {
          vips::VImage image;
          if (page.source.ref.format == SourceFormat::pdf) {
            // At the frame's size only to apply the page limit exactly as the render stage
            // will (open_page is lazy: nothing is rendered); decoded at 72 dpi.
            (void)open_page(page.source, page.scale, limits);
            image = open_page(page.source, 1.0, limits);
          } else {
            // At the frame's scale, i.e. with the render stage's shrink-on-load: a smaller JPEG
            // shrink would be cheaper, but libjpeg then meets some damage only after the last
            // row (a corrupt data segment becomes a warning at 1/8 that is an error at full
            // size), and a page preflight passes must not fail in the render, nor the reverse.
            image = open_page(page.source, page.scale, limits);
          }
          // A profile that does not fit the page stops the render stage on this frame: found
          // here, from the header, it stops the job before the reel is loaded, worded the same.
          check_embedded_profile(image);
          return image;
        },
        page.source.ref);
  } catch (const Error& error) {
    return error.what();
  } catch (const vips::VError& error) {
    return "cannot decode: " + vips_error_message(error);
  }
  return {};
}

namespace {

// The formats whose decoders this program trusts least decode in a child process when the CLI
// set one (isolated_decode.hpp), so that their crash is this page's error, not the job's end.
std::string decode_failure(const Candidate& page, const Limits& limits) {
  if (decodes_isolated(page.source.ref.format)) {
    if (const std::filesystem::path decoder = isolated_decoder(); !decoder.empty()) {
      return decode_failure_isolated(decoder, page.source, page.scale, limits);
    }
  }
  return page_decode_failure(page.source, page.scale, limits);
}

BadPage bad_page(const Job& job, const Candidate& page, std::string reason) {
  const Document& document = job.documents.at(page.document);
  const std::string key =
      document.key.empty() ? fmt::format("documents[{}]", page.document + 1) : document.key;
  const PageRef& ref = page.source.ref;
  const std::string where = page_failure(ref.file, ref.page_in_file + 1, reason);
  BadPage bad;
  bad.sequence = page.sequence;
  bad.reel = page.reel;
  bad.address = page.address;
  bad.document = page.document;
  bad.page = page.page;
  bad.file = ref.file;
  bad.page_in_file = ref.page_in_file;
  bad.policy = settings_for(job, document).on_error;
  bad.message = fmt::format("document {} ({}) page {}: {}", document.id, key, page.page, where);
  bad.where = where;
  bad.reason = std::move(reason);
  return bad;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Decodes frames [first, end) of the plan's pages, in parallel, into `report`.
void check(const Job& job, const Plan& plan, const FrameReader& frames, std::size_t first,
           std::size_t end, const PreflightOptions& options, PreflightReport& report) {
  // The reel's distinct pages, read in plan order before any decoding: a reel's worth of
  // small records, never the job's.
  std::vector<Candidate> pages;
  std::unordered_set<std::string> seen;
  for (std::size_t i = first; i < end; ++i) {
    PlannedFrame frame = frames(i);
    if (frame.kind != FrameKind::page || frame.source.ref.file.empty()) continue;
    const Document& document = job.documents.at(frame.document);
    if (settings_for(job, document).on_error == FailurePolicy::skip_document) continue;
    std::string key = fmt::format("{}\n{}", frame.source.ref.file, frame.source.ref.page_in_file);
    if (!seen.insert(std::move(key)).second) continue;
    pages.push_back({std::move(frame.source), frame.placement.scale_x, frame.sequence,
                     plan.reels.at(frame.reel - 1).id, frame.address, frame.document, frame.page});
  }
  std::unordered_set<std::string>().swap(seen);

  std::vector<std::string> failures(pages.size());
  std::mutex progress_mutex;
  std::size_t done = 0;
  std::atomic<bool> stopped{false};
  const std::string reel = report.reel;
  tbb::task_arena arena(static_cast<int>(threads_or_all_cores(options.threads)));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, pages.size(), [&](std::size_t i) {
      if (options.stop && options.stop->load()) {
        stopped = true;
        return;
      }
      failures[i] = decode_failure(pages[i], job.limits);
      if (options.on_progress) {
        std::lock_guard lock(progress_mutex);
        options.on_progress({reel, ++done, pages.size()});
      }
    });
  });
  report.pages += pages.size();
  report.stopped = report.stopped || stopped;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    if (!failures[i].empty()) report.bad.push_back(bad_page(job, pages[i], std::move(failures[i])));
  }
}

}  // namespace

PreflightReport preflight_reel(const Job& job, const Plan& plan, const FrameReader& frames,
                               std::size_t first, const PreflightOptions& options) {
  const double start = now_s();
  const PlannedReel& reel = plan.reels.at(frames(first).reel - 1);
  const std::size_t end = reel.first_frame + reel.frame_count;
  if (first < reel.first_frame || first >= end) {
    throw Error(ErrorKind::internal,
                fmt::format("preflight: frame {} is not on reel {} (frames {}-{})", first + 1,
                            reel.id, reel.first_frame + 1, end));
  }
  PreflightReport report;
  report.reel = reel.id;
  check(job, plan, frames, first, end, options, report);
  report.seconds = now_s() - start;
  return report;
}

PreflightReport preflight_plan(const Job& job, const Plan& plan, const PreflightOptions& options) {
  const double start = now_s();
  const FrameReader frames = [&](std::size_t i) { return plan.frames.at(i); };
  PreflightReport whole;
  for (const PlannedReel& reel : plan.reels) {
    if (reel.frame_count == 0) continue;
    PreflightReport one;
    one.reel = reel.id;
    check(job, plan, frames, reel.first_frame, reel.first_frame + reel.frame_count, options, one);
    whole.pages += one.pages;
    whole.stopped = whole.stopped || one.stopped;
    for (BadPage& bad : one.bad) whole.bad.push_back(std::move(bad));
    if (whole.stopped) break;
  }
  whole.seconds = now_s() - start;
  return whole;
}

}  // namespace fw
