#include "pipeline/pipeline.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <exception>
#include <map>
#include <optional>

#include "base/buffer_pool.hpp"
#include "base/threads.hpp"
#include "catalog/index.hpp"
#include "color/calibration.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/target_layout.hpp"
#include "film/text_check.hpp"
#include "render/render.hpp"

namespace fw {
namespace {

// A frame on its way through the pipeline: rendered and prepared by the driver in parallel,
// exposed in order.
struct InFlight {
  PlannedFrame frame;
  RenderedFrame rendered;
  hal::Frame device;         // `rendered` as the recorder receives it
  std::exception_ptr error;  // rethrown at the serial stage, in frame order
};

hal::Frame device_frame(const Plan& plan, const PlannedFrame& frame, const RenderedFrame& r) {
  hal::Frame device;
  device.width = r.width;
  device.height = r.height;
  device.channels = r.channels;
  device.pixels = r.pixels;
  device.pixel_pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  device.reel_number = frame.reel;
  device.frame_number = frame.number;
  device.blip = frame.blip;
  device.address = frame.address;
  device.description =
      r.substitute_reason.empty() ? to_string(frame.kind) : to_string(FrameKind::substitute);
  device.reel_id = plan.reels.at(frame.reel - 1).id;
  device.sha256 = r.sha256;
  return device;
}

// `where`: what the engine asked of the device ("reel R0002 frame 7 (...)", "unloading reel
// R0002 after 7 frames"), which the driver's message does not know.
Error device_failure(const std::string& where, const hal::DeviceError& e) {
  return Error(ErrorKind::device, where + ": " + hal::to_string(e.kind()) + ": " + e.what());
}

Error device_failure(const Job& job, const PlannedFrame& frame, const hal::DeviceError& e) {
  return device_failure(describe_frame(job, frame), e);
}

// Keeps `count` frame buffers of `bytes` resident (BufferPool::reserve) until the run
// ends.
class FrameReservation {
 public:
  FrameReservation(std::size_t count, std::size_t bytes) { frame_buffers().reserve(count, bytes); }
  ~FrameReservation() { frame_buffers().reserve(0, 0); }
  FrameReservation(const FrameReservation&) = delete;
  FrameReservation& operator=(const FrameReservation&) = delete;
};

}  // namespace

RunResult run_plan(const Job& job, const Plan& plan, hal::Recorder& recorder,
                   const std::filesystem::path& job_dir, const RunOptions& options) {
  const unsigned threads = threads_or_all_cores(options.threads);
  const unsigned tokens = options.tokens ? options.tokens : 2 * threads;
  const std::size_t total = options.spool ? options.spool->size() : plan.frames.size();
  auto frame_at = [&](std::size_t i) {
    return options.spool ? options.spool->read(i) : plan.frames[i];
  };
  // Density calibration (engine/color), resolved by prepare_job: one LUT per frame type,
  // applied by the render stage before its sha256, so that the index records the frame
  // exactly as the recorder receives it.
  const FrameCalibration identity;
  const FrameCalibration& calibration = plan.calibration ? *plan.calibration : identity;
  SourceHashes hashes;
  RunResult result;
  std::optional<ReelIndex> index;
  const PlannedReel* reel = nullptr;
  std::atomic<bool> interrupted{false};  // set by both serial stages
  auto stop_requested = [&] { return options.stop && options.stop->load(); };

  auto close_reel = [&](bool complete) {
    hal::ReelReport report;
    try {
      report = recorder.unload();
    } catch (const hal::DeviceError& e) {
      throw device_failure(
          fmt::format("unloading reel {} after {} frame(s)", reel->id, index->size()), e);
    }
    index->write(report.files, report.sha256);
    ReelResult r{reel->id, index->dir(), static_cast<std::uint32_t>(index->size()),
                 report.film_used_m > 0 ? report.film_used_m : reel->film_used_m, complete};
    result.reels.push_back(r);
    if (options.observer)
      options.observer->reel_closed({r.id, r.dir, r.frames, r.film_used_m, complete});
    index.reset();
    reel = nullptr;
  };

  auto open_reel = [&](const PlannedFrame& frame) {
    reel = &plan.reels.at(frame.reel - 1);
    const auto dir = job_dir / reel->id;
    std::filesystem::create_directories(dir);
    hal::ReelSpec spec = plan.reel_spec(*reel, job.id, dir);
    index.emplace(dir);
    if (frame.sequence == options.first_frame && frame.number > 1) {
      spec.first_frame = frame.number;  // resume: the reel already holds its earlier frames
      for (const auto& row : options.resumed_rows) index->add(row);
    }
    try {
      recorder.load(spec);
    } catch (const hal::DeviceError& e) {
      throw device_failure(
          fmt::format("loading reel {} (from its frame {})", reel->id, spec.first_frame), e);
    }
    if (options.observer) options.observer->reel_loaded(spec);
  };

  auto expose = [&](InFlight& work) {
    const PlannedFrame& frame = work.frame;
    if (work.error) std::rethrow_exception(work.error);
    if (!reel || reel->number != frame.reel) {
      if (reel) close_reel(true);
      open_reel(frame);
    }
    const Document& doc = job.documents[frame.document];
    const RenderedFrame& r = work.rendered;
    try {
      recorder.expose(work.device);
    } catch (const hal::DeviceError& e) {
      throw device_failure(job, frame, e);
    } catch (const Error& e) {
      // A local driver's own files that cannot be written (a full disk): storage, exit 8.
      if (e.kind() != ErrorKind::storage) throw;
      throw with_context(describe_frame(job, frame), e);
    }
    const bool substitute = !r.substitute_reason.empty();
    IndexRow row;
    row.frame = frame.number;
    row.kind = substitute ? "substitute" : to_string(frame.kind);
    row.document_id = doc.id;
    row.page = frame.page;
    row.address = frame.address;
    row.blip = hal::to_string(frame.blip);
    row.source_file = frame.source.ref.file;
    row.source_page = frame.source.ref.file.empty() ? 0 : frame.source.ref.page_in_file + 1;
    if (frame.kind == FrameKind::data) {
      // A data frame: its file, and its number among the file's frames (source_page).
      row.source_file = plan.masters.at(frame.document).at(frame.data_file).path;
      row.source_page = frame.data_frame + 1;
    }
    row.source_sha256 = r.source_sha256;
    row.frame_sha256 = r.sha256;
    // What ingest turned the page by; a substitute shows a target, not the page.
    row.orientation =
        frame.kind == FrameKind::page && !substitute ? frame.source.info.orientation : 1;
    row.calibration = calibration.label();
    row.substitute_reason = r.substitute_reason;
    index->add(row);
    if (options.observer) options.observer->frame_exposed(reel->id, frame.sequence, row);
    ++result.frames_exposed;
    if (options.on_progress) {
      options.on_progress({result.frames_exposed, total, frame.reel});
    }
  };

  // One slot per token: TBB never has more than `tokens` frames in flight, so frame i can
  // reuse the slot of frame i - tokens, and nothing leaks when the pipeline is cancelled.
  std::vector<InFlight> slots(tokens);
  // Whichever frames happen to finish first, the frames in flight never need more buffers
  // than these: the run's peak memory does not depend on the job's length.
  // Sized by the first page frame to be filmed; reels open with a few targets only.
  std::optional<FrameReservation> reservation;
  for (std::size_t i = options.first_frame; i < std::min(total, options.first_frame + 32); ++i) {
    const PlannedFrame frame = frame_at(i);
    if (frame.kind != FrameKind::page) continue;
    reservation.emplace(std::min<std::size_t>(tokens, total - options.first_frame),
                        rendered_bytes(job, frame));
    break;
  }
  // Pages that failed preflight under `substitute`, on the reel being filmed: (file, page in
  // file) -> the reason its substitute frame shows.
  std::map<std::pair<std::string, std::uint32_t>, std::string> substituted;
  // Checks the reel that frame `first` begins (or, on resume, continues) before it is loaded.
  auto check_reel = [&](std::size_t first) {
    substituted.clear();
    PreflightReport report = preflight_reel(job, plan, frame_at, first,
                                            {threads, options.stop, options.on_preflight_progress});
    if (options.on_preflight) options.on_preflight(report);
    if (report.stopped) {
      interrupted = true;
      return;
    }
    const BadPage* first_failure = nullptr;
    std::size_t failures = 0;
    for (const BadPage& bad : report.bad) {
      if (bad.policy == FailurePolicy::substitute) {
        substituted[{bad.file, bad.page_in_file}] = bad.reason;
      } else {
        if (!first_failure) first_failure = &bad;
        ++failures;
      }
    }
    if (first_failure) {
      const std::string more =
          failures > 1 ? fmt::format(" (and {} more page(s) that do not decode)", failures - 1)
                       : std::string();
      throw Error(ErrorKind::input,
                  fmt::format("preflight of reel {}: {}{}; nothing was exposed on {}", report.reel,
                              first_failure->message, more, report.reel));
    }
  };

  std::size_t next = options.first_frame;
  std::size_t reel_end = next;  // the frames of one reel go through the pipeline at a time
  try {
    tbb::task_arena arena(static_cast<int>(threads));
    // One reel at a time: its preflight must be over before its first frame is exposed, and
    // between reels the recorder stands still anyway (unload, load), so nothing is lost by
    // letting the pipeline drain there rather than decoding the next reel's pages beside the
    // exposures of this one (which would slow the renders feeding the recorder).
    while (next < total && !interrupted) {
      const PlannedReel& planned = plan.reels.at(frame_at(next).reel - 1);
      reel_end = std::min(total, planned.first_frame + planned.frame_count);
      if (options.preflight) {
        check_reel(next);
        if (interrupted) break;
      }
      arena.execute([&] {
        tbb::parallel_pipeline(
            tokens, tbb::make_filter<void, InFlight*>(
                        tbb::filter_mode::serial_in_order,
                        [&](tbb::flow_control& control) -> InFlight* {
                          if (next == reel_end) {
                            control.stop();
                            return nullptr;
                          }
                          if (stop_requested()) {
                            interrupted = true;
                            control.stop();
                            return nullptr;
                          }
                          InFlight* work = &slots[next % tokens];
                          *work = InFlight{};
                          work->frame = frame_at(next++);
                          PlannedFrame& frame = work->frame;
                          if (frame.kind == FrameKind::page && !substituted.empty()) {
                            const auto bad = substituted.find(
                                {frame.source.ref.file, frame.source.ref.page_in_file});
                            if (bad != substituted.end()) {
                              frame.kind = FrameKind::substitute;
                              frame.reason = bad->second;
                            }
                          }
                          return work;
                        }) &
                        tbb::make_filter<InFlight*, InFlight*>(
                            tbb::filter_mode::parallel,
                            [&](InFlight* work) {
                              // Stopped: a frame not yet rendered is not rendered.
                              if (stop_requested()) return work;
                              try {
                                work->rendered = render_frame(job, plan, work->frame, hashes);
                                work->device = device_frame(plan, work->frame, work->rendered);
                                // The driver's own per-frame work (encoding, checksums) runs here
                                // too, so that the serial stage is left with device I/O.
                                try {
                                  work->device.prepared = recorder.prepare(work->device);
                                } catch (const hal::DeviceError& e) {
                                  throw device_failure(job, work->frame, e);
                                }
                              } catch (...) {
                                work->error = std::current_exception();
                              }
                              return work;
                            }) &
                        tbb::make_filter<InFlight*, void>(
                            tbb::filter_mode::serial_in_order, [&](InFlight* work) {
                              // Stopped: no further frame goes to the recorder, so that the
                              // job ends one exposure (the frame the recorder is taking) and
                              // the frames already in its buffer after the signal.
                              if (stop_requested()) {
                                interrupted = true;
                              } else {
                                expose(*work);
                              }
                              // Free the prepared frame now and keep the pixels' buffer for a later
                              // frame (base/buffer_pool.hpp).
                              work->device = {};
                              frame_buffers().give(std::move(work->rendered.pixels));
                              work->rendered = {};
                            }));
      });
      // The reel is on film before the next one's pages are checked.
      if (reel && next == reel_end && !interrupted) close_reel(true);
    }
  } catch (...) {
    // Keep what was filmed: the reel in progress gets an index of the accepted frames.
    // The error that stopped the run is the one to report: a reel that cannot be closed or an
    // index that cannot be written (the same full disk) is a consequence of it.
    if (reel) {
      try {
        close_reel(false);
      } catch (...) {
        try {
          if (index) index->write({});
        } catch (const Error&) {
        }
      }
    }
    throw;
  }
  if (reel) close_reel(!interrupted);
  if (interrupted) {
    // The kind already says "interrupted": the message says where the film stands.
    throw Error(ErrorKind::interrupted,
                fmt::format("stopped with {} of {} frames on film",
                            options.first_frame + result.frames_exposed, total));
  }
  return result;
}

PreparedJob prepare_job(const Job& job, const hal::Capabilities& recorder,
                        const std::filesystem::path& profiles_dir,
                        const std::filesystem::path& calibration_dir) {
  PreparedJob prepared;
  // The calibration first: a missing profile is known before thousands of pages are read.
  auto calibration = std::make_shared<const FrameCalibration>(FrameCalibration::for_job(
      job, recorder, calibration_dir.empty() ? profiles_dir : calibration_dir));
  if (job.inline_format) {
    prepared.format = *job.inline_format;
  } else {
    try {
      prepared.format = load_format(profiles_dir, job.format);
    } catch (const Error& error) {
      // The key or flag that named it: "job.toml:5: format: unknown film format ...".
      if (job.format_origin.empty()) throw;
      throw with_context(job.format_origin, error);
    }
  }
  // A reduction the format cannot film is the job's (or the flag's), not its first page's.
  check_reductions(job, prepared.format);
  std::vector<DocumentPages> documents = scan_documents(job, &prepared.checksums);
  list_masters(job, documents);  // the source files written as data frames, if any
  // Missing glyphs are found here, before the first exposure (film/text_check.hpp).
  auto text = job_text_engine(job);
  check_document_text(job, *text, documents);
  // How many entries a TOC or reel contents frame lists is its template's to say (its layout
  // holds them).
  prepared.plan = plan_reels(job, prepared.format, recorder, documents, text.get(),
                             target_entries(job, profiles_dir));
  prepared.plan.profiles_dir = profiles_dir;
  prepared.plan.calibration = std::move(calibration);
  prepare_plan_text(job, prepared.plan, std::move(text));
  prepared.job_dir = job.output / job.id;
  return prepared;
}

}  // namespace fw
