#include "qc/reel_verifier.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>
#include <vips/vips8>

#include <algorithm>
#include <cmath>
#include <exception>

#include "base/buffer_pool.hpp"
#include "base/threads.hpp"
#include "color/paper.hpp"
#include "core/error.hpp"
#include "render/render.hpp"

namespace fw::qc {
namespace {

// Judged layers: colour stock develops three dye layers, each judged on its own (a drift of
// one layer is a colour cast the other two do not show). Grey frames, or grey film, have one.
std::uint32_t judged_channels(const FilmFrame& film, const RenderedFrame& sent) {
  return film.channels() == 3 && sent.channels == 3 ? 3 : 1;
}

std::vector<std::string> layer_names(std::uint32_t channels) {
  if (channels == 1) return {""};
  return {"red", "green", "blue"};
}

std::string jpeg_of(const vips::VImage& image) {
  void* buffer = nullptr;
  std::size_t size = 0;
  image.write_to_buffer(".jpg", &buffer, &size, vips::VImage::option()->set("Q", 90));
  std::string out(static_cast<const char*>(buffer), size);
  g_free(buffer);
  return out;
}

// The film as on a light box (dense film dark), 160 px on its long side. Densities are
// averaged over blocks first, so that only a small picture goes through libvips.
std::string thumbnail(const FilmPlane& film, double d_top) {
  const std::uint32_t k = std::max<std::uint32_t>(1, std::max(film.width, film.height) / 320);
  const std::uint32_t w = std::max<std::uint32_t>(1, film.width / k);
  const std::uint32_t h = std::max<std::uint32_t>(1, film.height / k);
  std::vector<std::uint8_t> grey(std::size_t{w} * h);
  std::vector<std::uint64_t> sums(w);
  const double n = double(k) * k * film.scale;
  for (std::uint32_t by = 0; by < h; ++by) {
    std::fill(sums.begin(), sums.end(), 0);
    for (std::uint32_t y = by * k; y < (by + 1) * k; ++y) {
      const std::uint16_t* row = film.data + std::size_t{y} * film.width * film.stride;
      for (std::uint32_t bx = 0; bx < w; ++bx) {
        std::uint32_t s = 0;
        for (std::uint32_t x = bx * k; x < (bx + 1) * k; ++x)
          s += row[std::size_t{x} * film.stride];
        sums[bx] += s;
      }
    }
    for (std::uint32_t bx = 0; bx < w; ++bx) {
      grey[std::size_t{by} * w + bx] = static_cast<std::uint8_t>(
          std::clamp(255.0 * (1 - static_cast<double>(sums[bx]) / n / d_top), 0.0, 255.0));
    }
  }
  vips::VImage image =
      vips::VImage::new_from_memory(grey.data(), grey.size(), int(w), int(h), 1, VIPS_FORMAT_UCHAR);
  return jpeg_of(image.resize(160.0 / std::max(w, h)));
}

std::string blank_thumbnail() {
  return jpeg_of((vips::VImage::black(100, 160) + 255).cast(VIPS_FORMAT_UCHAR));
}

// A frame's checks need its reel's completeness and tone, and the setup.
struct ReelContext {
  const VerifySetup& setup;
  const ReelCompleteness& completeness;
  ReelTone& tone;  // read by every frame; written by the frame it is read from, first
  const FilmReader& film;
};

double pitch_of(const Plan& plan, const PlannedFrame& f) {
  // A fiche header is written at a coarser pitch than the images (PlannedFrame).
  return f.pixel_pitch_um > 0 ? f.pixel_pitch_um : plan.pitch_um;
}

// Gives a rendered frame's pixels back to the buffer pool when the frame's checks end.
struct PooledFrame {
  RenderedFrame frame;
  ~PooledFrame() {
    if (frame.pixels.capacity() > 0) frame_buffers().give(std::move(frame.pixels));
  }
};

// `tone_frame`: the reel's tone is read from this frame's wedge before its checks use it.
FrameVerdict verify_frame(const ReelContext& ctx, const PlannedFrame& f, bool tone_frame,
                          std::vector<std::string>& reel_failures) {
  const VerifySetup& setup = ctx.setup;
  const Job& job = *setup.job;
  const Plan& plan = *setup.plan;
  const QcProfile& profile = *setup.profile;
  const bool negative = job.polarity == Polarity::negative;
  FrameVerdict v;
  v.frame = f.number;
  v.address = f.address;
  v.kind = f.kind;
  const FrameCompleteness presence = check_frame_completeness(f, ctx.completeness);
  v.problems = presence.problems;
  if (!presence.on_film) {
    v.thumbnail_jpeg = blank_thumbnail();  // the contact sheet shows the gap
    return v;
  }
  v.present = true;

  // The frame rendered again exactly as the pipeline did; the code values before calibration
  // say what the page is (paper, ink, clear film), those after are what was sent.
  PooledFrame rendered{render_frame(job, plan, f, *setup.hashes, Calibrate::no)};
  RenderedFrame& sent = rendered.frame;
  const FilmFrame film = ctx.film.read(f.number);
  const std::uint32_t channels = judged_channels(film, sent);
  std::vector<FilmPlane> layers;
  for (std::uint32_t c = 0; c < channels; ++c) layers.push_back(film.channel(c));
  v.width = film.width();
  v.height = film.height();
  v.channels = channels;
  const auto size_problem = check_frame_size(film.width(), film.height(), sent.width, sent.height);
  const double pitch = pitch_of(plan, f);
  const Placement& p = f.placement;
  const Rect page{p.page_x_px, p.page_y_px, p.page_width_px, p.page_height_px};
  const std::uint32_t edge = std::max<std::uint32_t>(2, std::lround(10.0 / pitch));
  const bool ink = f.kind == FrameKind::technical_target && setup.technical;
  std::optional<FrameAreas> areas;
  if (!size_problem) {
    areas = find_areas(sent.pixels.data(), sent.width, sent.height, sent.channels,
                       {page, negative, sent.channels > 1 || f.separation != Separation::none, ink,
                        edge, paper_block_px(pitch)});
  }
  // A page that did not decode at preflight or in the render stage went to film as a
  // substitute where the plan says page: index.csv says what was filmed.
  if (f.kind == FrameKind::substitute ||
      (presence.row != nullptr && presence.row->kind == to_string(FrameKind::substitute))) {
    const Document& document = job.documents.at(f.document);
    v.kind = FrameKind::substitute;
    v.substitute = SubstituteFor{document.id, f.page, f.source.ref.file,
                                 f.source.ref.page_in_file + 1, sent.substitute_reason};
    // A declared substitute's page is its place among the filmed pages, as the plan numbers it.
    v.substitute->declared =
        f.kind == FrameKind::substitute &&
        std::any_of(document.substitutes.begin(), document.substitutes.end(),
                    [&](const DeclaredSubstitute& d) { return d.page == f.page; });
  }
  calibrate_rendered(job, plan, f, sent);
  if (auto problem = check_same_render(presence.row, sent.sha256)) v.problems.push_back(*problem);
  if (size_problem) {
    v.problems.push_back(*size_problem);
    v.thumbnail_jpeg = thumbnail(film.channel(0), 2.5);
    return v;
  }
  v.size_ok = true;
  const std::vector<std::string> names = layer_names(channels);
  if (tone_frame) {
    ctx.tone = read_reel_tone(technical_layout(*setup.technical, f, pitch), layers,
                              sent.pixels.data(), sent.width, sent.channels, f.address, names);
    if (ctx.tone.failure) {
      reel_failures.push_back(
          fmt::format("frame {} ({}): {}", f.number, f.address, *ctx.tone.failure));
    }
  }
  auto add = [&](const std::vector<std::string>& problems) {
    v.problems.insert(v.problems.end(), problems.begin(), problems.end());
  };

  const bool judged_page = f.kind == FrameKind::page || f.kind == FrameKind::substitute;
  v.density =
      check_density(layers, *areas, page, judged_page,
                    {negative, setup.aim_low, setup.aim_high, profile.positive_background_max,
                     profile.base_fog_max, profile.frame_uniformity},
                    names);
  add(v.density->problems);
  // The chart's ink is read on the areas too; then they go, before SSIM's planes come.
  const double d_ink = ink ? masked_mean(layers[0], areas->bits(), kInk, page).mean : 0;
  areas.reset();

  std::vector<ToneTable> tones;
  for (std::uint32_t c = 0; c < channels; ++c) {
    tones.push_back(c < ctx.tone.tables.size()
                        ? ctx.tone.tables[c]
                        : tone_from_frame(sent.pixels.data(), sent.channels, c, layers[c]));
  }
  const ToneTable& tone = tones.front();
  // SSIM's constants scale with the density range: the frame's own, or at least the range
  // the film is meant to hold (paper aim over base + fog), so that the grain of a frame
  // with little or no structure (a blank fiche header tile) does not pass for a defect.
  const SsimScale scale =
      ssim_scale(pitch, profile.block_mm, std::max(0.5, setup.aim_low - profile.base_fog_max));
  const double range = std::max(scale.least_range, tone[255] - tone[0]);
  // The frame's outermost 2 x 10 um are left out: where a frame is exposed up to its edge
  // (a fiche header tile), the spot spreads light past the edge and the last pixels come
  // out thinner on film than the frame says.
  const std::uint32_t border = std::min({2 * edge, film.width() / 4, film.height() / 4});
  const Rect inner{border, border, film.width() - 2 * border, film.height() - 2 * border};
  v.content = check_content(sent.pixels.data(), sent.width, sent.channels, tones, layers, inner,
                            scale, profile.ssim_min, profile.ssim_block_min, names);
  if (f.kind == FrameKind::data) {
    // A data frame's content is judged by decoding it, not by its likeness to the render.
    v.data = check_data_frame(layers[0], data_identity(job, plan, f), f.data_frame);
    add(v.data->problems);
  } else {
    add(v.content->problems);
  }

  // Blips, the address and the frame mark are exposed in every channel: read on the first.
  if (p.track_width_px > 0 && p.track_height_px > 0) {
    v.blip = check_blip(layers[0], (tone[0] + tone[255]) / 2, p, plan.format, pitch, f.blip);
    if (v.blip->problem) v.problems.push_back(*v.blip->problem);
    v.track = check_track(sent.pixels.data(), sent.width, sent.channels, tone, layers[0],
                          {p.track_x_px, p.track_y_px, p.track_width_px, p.track_height_px}, scale,
                          range, profile.ssim_block_min);
    if (v.track->problem) v.problems.push_back(*v.track->problem);
  }
  // In the blip track, or in the frame's margin where there is no track (fiche).
  if (const MarkBox box = mark_box(p, plan.format, pitch); box.size > 0) {
    const FrameMark want{
        f.reel, f.number,
        FrameMark::hash_of(presence.row ? presence.row->source_sha256 : sent.source_sha256)};
    v.mark = check_frame_mark(layers[0], box, tone[0], tone[255], want);
    add(v.mark->problems);
  }
  if (ink) {
    v.resolution = check_resolution(layers[0], technical_layout(*setup.technical, f, pitch),
                                    v.density->channels[0].paper_mean, d_ink, negative, f.reduction,
                                    f.number, profile, setup.source_qi);
    if (v.resolution->problem) v.problems.push_back(*v.resolution->problem);
  }
  v.thumbnail_jpeg = thumbnail(layers[0], 2.5);
  return v;
}

std::string substitute_warning(const SubstituteFor& s) {
  if (!s.reason.empty()) {
    return fmt::format("document {} page {} is on film as a substitute, not as itself: {}",
                       s.document, s.page, page_failure(s.file, s.file_page, s.reason));
  }
  return fmt::format(
      "document {} page {} ({}) is on film as a substitute (index.csv), not as itself, though its "
      "source renders as the page now: the page is not on this film",
      s.document, s.page, s.file);
}

}  // namespace

const char* channel_name(std::uint32_t channels, std::uint32_t c) {
  static const char* const names[] = {"red", "green", "blue"};
  return channels == 3 ? names[c] : "grey";
}

ReelVerdict verify_reel(const VerifySetup& setup, const PlannedReel& reel,
                        const std::filesystem::path& reel_dir,
                        const std::function<void(FrameVerdict&)>& on_frame) {
  const Plan& plan = *setup.plan;
  const QcProfile& profile = *setup.profile;
  ReelVerdict out;
  out.reel = reel.id;
  out.frames_planned = static_cast<std::uint32_t>(reel.frame_count);
  const FilmReader reader(reel_dir);
  std::vector<std::string> failures;  // without the reel's id yet
  const ReelCompleteness completeness =
      check_reel_completeness(reel, reader.frames(), reel_dir / "index.csv", reader.folder());
  out.frames_on_film = static_cast<std::uint32_t>(completeness.on_film.size());
  failures = completeness.failures;
  out.tone = tone_without_target();
  const ReelContext ctx{setup, completeness, out.tone, reader};
  // The reel's tone comes from its first technical target on film: that frame is verified
  // first, and the others with its tone.
  std::optional<std::size_t> tone_at;
  for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count && setup.technical;
       ++i) {
    const PlannedFrame& f = plan.frames[i];
    if (f.kind != FrameKind::technical_target || !completeness.on_film.contains(f.number)) continue;
    tone_at = i;
    break;
  }
  std::optional<FrameVerdict> tone_verdict;
  if (tone_at) tone_verdict = verify_frame(ctx, plan.frames[*tone_at], true, failures);

  // Frames in parallel, a frame's big buffers (film, render, areas) alive only while its
  // checks run, so that memory is bounded by the threads, not the reel; verdicts in order.
  const unsigned threads = threads_or_all_cores(setup.threads);
  struct Slot {
    const PlannedFrame* frame = nullptr;
    FrameVerdict verdict;
    bool done = false;  // verified before the others (the tone frame)
    std::exception_ptr error;
  };
  std::vector<std::string> unused;
  const unsigned tokens = 2 * threads;
  std::vector<Slot> slots(tokens);
  std::size_t next = reel.first_frame;
  const std::size_t end = reel.first_frame + reel.frame_count;
  out.frames.reserve(reel.frame_count);
  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, Slot*>(tbb::filter_mode::serial_in_order,
                                      [&](tbb::flow_control& control) -> Slot* {
                                        if (next == end) {
                                          control.stop();
                                          return nullptr;
                                        }
                                        Slot* slot = &slots[next % tokens];
                                        *slot = Slot{};
                                        slot->frame = &plan.frames[next];
                                        if (tone_at && next == *tone_at) {
                                          slot->verdict = std::move(*tone_verdict);
                                          slot->done = true;
                                        }
                                        ++next;
                                        return slot;
                                      }) &
            tbb::make_filter<Slot*, Slot*>(tbb::filter_mode::parallel,
                                           [&](Slot* slot) {
                                             try {
                                               if (slot->done) return slot;
                                               slot->verdict =
                                                   verify_frame(ctx, *slot->frame, false, unused);
                                             } catch (...) {
                                               slot->error = std::current_exception();
                                             }
                                             return slot;
                                           }) &
            tbb::make_filter<Slot*, void>(tbb::filter_mode::serial_in_order, [&](Slot* slot) {
              if (on_frame) on_frame(slot->verdict);
              if (slot->error) std::rethrow_exception(slot->error);
              out.frames.push_back(std::move(slot->verdict));
            }));
  });

  // Per frame, in order.
  std::vector<BackgroundSeries> backgrounds(1);
  // The last page warned of as a substitute: its first frame and its last so far.
  const FrameVerdict* page_substituted = nullptr;
  std::uint32_t substituted_through = 0;
  for (const FrameVerdict& v : out.frames) {
    for (const auto& problem : v.problems) {
      // A reel with no film at all has said so once, not once a frame (qc.json's frames do).
      if (out.frames_on_film == 0 && problem == kMissingOnFilm) continue;
      failures.push_back(fmt::format("frame {} ({}): {}", v.frame, v.address, problem));
    }
    // The film is right, but a page is not on it: as convert warned when it filmed it, the
    // QC record says so, for every such page.
    if (v.present && v.substitute && !v.substitute->declared) {
      ++out.substitutes;
      // A colour page's separations are three frames and one page: one warning names them all.
      const FrameVerdict* first = page_substituted;
      if (first != nullptr && substituted_through + 1 == v.frame &&
          first->substitute->document == v.substitute->document &&
          first->substitute->page == v.substitute->page &&
          first->substitute->reason == v.substitute->reason) {
        out.warnings.back() =
            fmt::format("{}: frames {}-{} ({} .. {}): {}", reel.id, first->frame, v.frame,
                        first->address, v.address, substitute_warning(*v.substitute));
      } else {
        page_substituted = &v;
        out.warnings.push_back(fmt::format("{}: frame {} ({}): {}", reel.id, v.frame, v.address,
                                           substitute_warning(*v.substitute)));
      }
      substituted_through = v.frame;
    }
    out.channels = std::max(out.channels, v.channels);
    if (backgrounds.size() < out.channels) backgrounds.resize(out.channels);
    if (!v.density) continue;
    if (v.density->base_fog) out.base_fog_max = std::max(out.base_fog_max, *v.density->base_fog);
    for (std::uint32_t c = 0; c < v.density->channels.size(); ++c) {
      if (const auto& bg = v.density->channels[c].background) {
        backgrounds[c].frames.emplace_back(v.frame, *bg);
      }
    }
    if (v.data) ++out.data.checked;
    if (v.data && v.data->decoded) {
      ++out.data.frames;
      out.data.symbols += v.data->symbols;
      out.data.symbol_errors += v.data->symbol_errors;
      out.data.least_margin = out.data.least_margin < 0
                                  ? v.data->margin
                                  : std::min(out.data.least_margin, v.data->margin);
    }
    if (v.resolution &&
        (!out.resolution || v.resolution->finest_document < out.resolution->finest_document)) {
      out.resolution = v.resolution;
    }
  }
  // Along the reel: each channel's backgrounds against that channel's mean.
  out.density = check_reel_density(backgrounds, profile.reel_uniformity);
  for (const OffTheMean& off : out.density.off) {
    const std::string prefix = out.channels == 1
                                   ? std::string()
                                   : std::string(channel_name(out.channels, off.channel)) + " ";
    failures.push_back(fmt::format(
        "frame {}: {}background {:.3f} D is {:.3f} D from the reel's mean {:.3f} D (limit ±{:.2f})",
        off.frame, prefix, off.background, off.background - off.mean, off.mean,
        profile.reel_uniformity));
    for (FrameVerdict& v : out.frames) {
      if (v.frame == off.frame) {
        v.problems.push_back("along the reel: " + prefix + "background off the reel's mean");
      }
    }
  }
  if (setup.technical && !out.resolution)
    failures.emplace_back("no technical target could be measured");
  // The quality index against the masters' requirement: a failure, or where the QC profile
  // says so (a recorder whose pitch cannot reach it at this reduction) a warning that is
  // printed with the verdict, never a silent pass.
  if (out.resolution) {
    if (const auto shortfall = judge_quality_index(*out.resolution, profile)) {
      if (shortfall->fails) {
        failures.push_back(shortfall->what);
        out.qi_shortfall = ReelVerdict::QiShortfall::failure;
      } else {
        out.warnings.push_back(reel.id + ": " + shortfall->what);
        out.qi_shortfall = ReelVerdict::QiShortfall::warning;
      }
    }
  }
  // Oversize pages filmed at a higher reduction than the reel's technical target (oversize =
  // "reduce") resolve less on the document: what the film resolves over their reduction.
  if (out.resolution) {
    const double film_lp_per_mm = out.resolution->finest_document * out.resolution->reduction;
    for (std::size_t i = reel.first_frame; i < end; ++i) {
      const PlannedFrame& f = plan.frames[i];
      // A page's sections (oversize = "split") are at the document's reduction, whose quality
      // index is the reel's.
      if (f.kind != FrameKind::reduction_change || !(f.announced_reduction > 0) || f.sections > 0) {
        continue;
      }
      // The overview of a page filmed in sections shows where they lie; the sections carry
      // the page's detail at the document's reduction.
      if (i + 1 < end && plan.frames[i + 1].sections > 0) continue;
      const double qi = film_lp_per_mm / f.announced_reduction * profile.e_height_mm;
      if (qi + 1e-9 >= profile.qi_required) continue;
      const std::string what = fmt::format(
          "frame {} ({}): the oversize pages behind it, from page {} of {}, are filmed at {:g}x: "
          "QI {:.1f} below the required {:g} ({:g} lp/mm on film / {:g} = {:.1f} lp/mm on the "
          "document; e = {:g} mm)",
          f.number, f.address, f.page, setup.job->documents.at(f.document).id,
          f.announced_reduction, round3(qi), profile.qi_required, round3(film_lp_per_mm),
          f.announced_reduction, film_lp_per_mm / f.announced_reduction, profile.e_height_mm);
      if (profile.qi_below_required_fails) {
        failures.push_back(what);
      } else {
        out.warnings.push_back(reel.id + ": " + what);
      }
    }
  }
  for (const auto& f : failures) out.failures.push_back(reel.id + ": " + f);
  return out;
}

}  // namespace fw::qc
