// The checks of `filmwriter verify` (engine/qc/checks/) one at a time, on the frames of a
// 16 mm comic reel of A4 pages at 24x on a 2.5 um recorder (a page frame 3540 x 5600 px and the
// reel's technical target), so that the cost of each is visible: reading the developed film,
// rendering the frame again, the areas and densities, SSIM against the source, the blip and
// the address track, the DataMatrix frame mark, the resolution chart. The film is the frame's
// code values through a noise-free linear tone (0.06 D clear, 1.10 D at full exposure), except
// in BM_QcReadFilm, which reads a frame the simulated recorder developed (grain and all).
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "base/files.hpp"
#include "color/paper.hpp"
#include "film/format.hpp"
#include "film/mark_box.hpp"
#include "film/target_layout.hpp"
#include "pipeline/pipeline.hpp"
#include "qc/checks/blip.hpp"
#include "qc/checks/content.hpp"
#include "qc/checks/density.hpp"
#include "qc/checks/frame_mark.hpp"
#include "qc/checks/resolution.hpp"
#include "qc/checks/tone.hpp"
#include "qc/checks/track.hpp"
#include "qc/film_reader.hpp"
#include "qc/measure.hpp"
#include "samples/samples.hpp"
#include "sim/sim_physics.hpp"

namespace {

namespace fs = std::filesystem;
using namespace fw;
using namespace fw::qc;

constexpr double kPitchUm = 2.5;
constexpr std::uint16_t kClear = 600, kExposed = 11000;  // density x 10000

// One A4 300 dpi page at 24x with the standard targets, planned for a 2.5 um recorder.
struct Reel {
  fs::path dir = fs::temp_directory_path() / "fw-qc-bench";
  Job job;
  PreparedJob prepared;
  Reel() {
    fs::remove_all(dir);
    fs::create_directories(dir / "scans");
    samples::PageSpec spec;
    spec.width_mm = 210;
    spec.height_mm = 297;
    spec.dpi = 300;
    spec.label = "qc bench";
    samples::save_page(samples::make_page(spec), dir / "scans" / "p1.png", samples::Encoding::png,
                       spec.dpi);
    job.id = "qcbench";
    job.title = "qc bench";
    job.output = dir / "out";
    job.defaults.reduction = 24;
    job.targets = "standard";
    job.format = "16mm-comic-30m";
    job.calibration.profile = "none";
    Document doc;
    doc.id = "D001";
    doc.title = "bench";
    doc.key = "documents[1]";
    doc.pages.kind = PageSource::Kind::directory;
    doc.pages.paths = {dir / "scans"};
    job.documents.push_back(doc);
    hal::Capabilities caps;
    caps.pixel_pitch_um = kPitchUm;
    prepared = prepare_job(job, caps, default_profiles_dir());
  }
  ~Reel() { fs::remove_all(dir); }
  const PlannedFrame& frame(FrameKind kind) const {
    for (const PlannedFrame& f : prepared.plan.frames) {
      if (f.kind == kind) return f;
    }
    throw std::runtime_error("no such frame");
  }
};

Reel& reel() {
  static Reel r;
  return r;
}

// A frame rendered and turned into film, kept for every benchmark that reads it.
struct Filmed {
  const PlannedFrame* frame = nullptr;
  RenderedFrame rendered;
  std::vector<std::uint16_t> film;
  FilmPlane plane() const { return {film.data(), rendered.width, rendered.height, 1, 10000}; }
};

Filmed filmed(FrameKind kind) {
  Filmed out;
  out.frame = &reel().frame(kind);
  SourceHashes hashes;
  out.rendered = render_frame(reel().job, reel().prepared.plan, *out.frame, hashes);
  const RenderedFrame& r = out.rendered;
  out.film.resize(std::size_t{r.width} * r.height);
  for (std::size_t i = 0; i < out.film.size(); ++i) {
    out.film[i] =
        static_cast<std::uint16_t>(kClear + (kExposed - kClear) * r.pixels[i * r.channels] / 255);
  }
  return out;
}

const Filmed& page() {
  static const Filmed f = filmed(FrameKind::page);
  return f;
}
const Filmed& technical() {
  static const Filmed f = filmed(FrameKind::technical_target);
  return f;
}

ToneTable linear_tone() {
  ToneTable t{};
  for (int c = 0; c < 256; ++c) {
    // Truncated as the film's 16-bit densities above are, so the table reads them back exactly.
    const int density_x10000 = kClear + (kExposed - kClear) * c / 255;
    t[c] = density_x10000 / 10000.0;
  }
  return t;
}

FrameAreas areas_of(const Filmed& f, bool ink) {
  const Placement& p = f.frame->placement;
  const RenderedFrame& r = f.rendered;
  return find_areas(r.pixels.data(), r.width, r.height, r.channels,
                    {{p.page_x_px, p.page_y_px, p.page_width_px, p.page_height_px},
                     true,
                     false,
                     ink,
                     4,
                     paper_block_px(kPitchUm)});
}

void frames_counter(benchmark::State& state) {
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// A developed frame of the simulated recorder read back as 16-bit densities.
void BM_QcReadFilm(benchmark::State& state) {
  const auto recorder = drivers::sim::load_recorder(default_profiles_dir(), "sim-fast");
  const auto stock = drivers::sim::load_stock(default_profiles_dir(), "sim-negative");
  const RenderedFrame& r = page().rendered;
  const auto developed =
      drivers::sim::develop(recorder, stock, r.pixels, r.width, r.height, r.channels, 1);
  const FilmReader reader(reel().dir / "R0001");
  fs::create_directories(reader.folder());
  drivers::sim::save_developed(developed, kPitchUm, reader.file(1));
  for (auto _ : state) {
    const FilmFrame film = reader.read(1);
    benchmark::DoNotOptimize(film.channel(0).data);
  }
  frames_counter(state);
}
BENCHMARK(BM_QcReadFilm)->Unit(benchmark::kMillisecond)->UseRealTime();

// The frame rendered again exactly as the pipeline did (what verify compares the film with).
void BM_QcRenderAgain(benchmark::State& state) {
  const PlannedFrame& f = *page().frame;
  for (auto _ : state) {
    SourceHashes hashes;
    RenderedFrame r = render_frame(reel().job, reel().prepared.plan, f, hashes, Calibrate::no);
    benchmark::DoNotOptimize(r.pixels.data());
  }
  frames_counter(state);
}
BENCHMARK(BM_QcRenderAgain)->Unit(benchmark::kMillisecond)->UseRealTime();

// Density: the paper, ink and clear-film areas found on the render, then read on the film.
void BM_QcDensity(benchmark::State& state) {
  const Filmed& f = page();
  const Placement& p = f.frame->placement;
  const Rect page_rect{p.page_x_px, p.page_y_px, p.page_width_px, p.page_height_px};
  for (auto _ : state) {
    const FrameAreas areas = areas_of(f, false);
    const DensityResult d = check_density({f.plane()}, areas, page_rect, true, {}, {""});
    benchmark::DoNotOptimize(d.background);
  }
  frames_counter(state);
}
BENCHMARK(BM_QcDensity)->Unit(benchmark::kMillisecond)->UseRealTime();

// Content: block SSIM of the film against the frame's code values through the tone.
void BM_QcSsim(benchmark::State& state) {
  const Filmed& f = page();
  const RenderedFrame& r = f.rendered;
  const Rect inner{8, 8, r.width - 16, r.height - 16};
  const SsimScale scale = ssim_scale(kPitchUm, 0.25, 0.5);
  for (auto _ : state) {
    const ContentResult c = check_content(r.pixels.data(), r.width, r.channels, {linear_tone()},
                                          {f.plane()}, inner, scale, 0.9, 0.9, {""});
    benchmark::DoNotOptimize(c.worst.mean);
  }
  frames_counter(state);
}
BENCHMARK(BM_QcSsim)->Unit(benchmark::kMillisecond)->UseRealTime();

// The frame mark: the DataMatrix in the blip track decoded (libdmtx).
void BM_QcDataMatrix(benchmark::State& state) {
  const Filmed& f = page();
  const MarkBox box = mark_box(f.frame->placement, reel().prepared.plan.format, kPitchUm);
  const FrameMark want{f.frame->reel, f.frame->number,
                       FrameMark::hash_of(f.rendered.source_sha256)};
  for (auto _ : state) {
    const MarkResult m = check_frame_mark(f.plane(), box, 0.06, 1.10, want);
    if (!m.problems.empty()) state.SkipWithError(m.problems.front().c_str());
    benchmark::DoNotOptimize(m.problems.data());
  }
  frames_counter(state);
}
BENCHMARK(BM_QcDataMatrix)->Unit(benchmark::kMillisecond)->UseRealTime();

// The blip read back, and the blip track with its image address compared by SSIM.
void BM_QcBlips(benchmark::State& state) {
  const Filmed& f = page();
  const Placement& p = f.frame->placement;
  const ToneTable tone = linear_tone();
  const Rect track{p.track_x_px, p.track_y_px, p.track_width_px, p.track_height_px};
  const SsimScale scale = ssim_scale(kPitchUm, 0.25, 0.5);
  const RenderedFrame& r = f.rendered;
  for (auto _ : state) {
    const BlipResult b = check_blip(f.plane(), (tone[0] + tone[255]) / 2, p,
                                    reel().prepared.plan.format, kPitchUm, f.frame->blip);
    const TrackResult t =
        check_track(r.pixels.data(), r.width, r.channels, tone, f.plane(), track, scale, 1.04, 0.9);
    benchmark::DoNotOptimize(b.read);
    benchmark::DoNotOptimize(t.ssim.mean);
  }
  frames_counter(state);
}
BENCHMARK(BM_QcBlips)->Unit(benchmark::kMillisecond)->UseRealTime();

// The technical target: the reel's tone from its wedge and the resolution chart.
void BM_QcChart(benchmark::State& state) {
  const Filmed& f = technical();
  const TargetTemplate tmpl =
      load_template(template_file(default_profiles_dir(), "standard", FrameKind::technical_target));
  const ChartLayout chart = technical_layout(tmpl, *f.frame, kPitchUm);
  const QcProfile profile;
  const RenderedFrame& r = f.rendered;
  for (auto _ : state) {
    const ReelTone tone = read_reel_tone(chart, {f.plane()}, r.pixels.data(), r.width, r.channels,
                                         f.frame->address, {""});
    const ResolutionResult res = check_resolution(f.plane(), chart, 1.10, 0.06, true,
                                                  f.frame->reduction, f.frame->number, profile, 8);
    if (tone.failure) state.SkipWithError(tone.failure->c_str());
    if (res.groups.empty()) state.SkipWithError("no chart group on the target");
    benchmark::DoNotOptimize(tone.tables.data());
    benchmark::DoNotOptimize(res.finest_document);
  }
  frames_counter(state);
}
BENCHMARK(BM_QcChart)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
