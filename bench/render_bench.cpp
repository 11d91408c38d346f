// Render stage benchmark: one A4 page at 300 dpi to a 24x frame at the default 2.5 um pitch
// (3500 x 4950 px page in a 5000 px high comic frame), as the pipeline's parallel stage does.
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <filesystem>

#include "film/plan.hpp"
#include "ingest/ingest.hpp"
#include "pipeline/pipeline.hpp"
#include "samples/samples.hpp"

namespace {

struct Fixture {
  std::filesystem::path dir;
  fw::Job job;
  fw::Plan plan;

  explicit Fixture(fw::samples::Encoding encoding, fw::ImageMode mode) {
    dir = std::filesystem::temp_directory_path() /
          ("fw-bench-" + std::to_string(::getpid()) + "-" + fw::samples::to_string(encoding));
    std::filesystem::create_directories(dir);
    fw::samples::PageSpec spec;
    spec.label = "filmwriter render bench";
    spec.marks = {{20, 20, 5}, {180, 270, 5}};
    const auto file =
        dir / (std::string("page.") + (encoding == fw::samples::Encoding::jpeg ? "jpg" : "tif"));
    fw::samples::save_page(fw::samples::make_page(spec), file, encoding, spec.dpi);

    job.id = "bench";
    job.title = "bench";
    job.output = dir / "out";
    job.defaults.mode = mode;
    fw::Document doc;
    doc.id = "D1";
    doc.title = "bench";
    doc.key = "documents[1]";
    doc.pages.kind = fw::PageSource::Kind::list;
    doc.pages.paths = {file};
    job.documents.push_back(doc);
    fw::hal::Capabilities caps;
    caps.pixel_pitch_um = 2.5;
    plan = fw::prepare_job(job, caps, fw::default_profiles_dir()).plan;
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

void render(benchmark::State& state, fw::samples::Encoding encoding, fw::ImageMode mode) {
  Fixture fixture(encoding, mode);
  const auto& frame = fixture.plan.frames.at(0);
  for (auto _ : state) {
    fw::SourceHashes hashes;
    auto rendered = fw::render_frame(fixture.job, fixture.plan, frame, hashes);
    benchmark::DoNotOptimize(rendered.pixels.data());
  }
  state.counters["pages/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["frame_Mpx"] =
      frame.placement.frame_width_px * double(frame.placement.frame_height_px) / 1e6;
}

void BM_RenderA4GreyJpeg(benchmark::State& state) {
  render(state, fw::samples::Encoding::jpeg, fw::ImageMode::grey);
}
void BM_RenderA4BitonalG4(benchmark::State& state) {
  render(state, fw::samples::Encoding::tiff_g4, fw::ImageMode::bitonal);
}
BENCHMARK(BM_RenderA4GreyJpeg)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RenderA4BitonalG4)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  fw::init_vips(argv[0]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
