// The reel planner on a synthetic job of 1,000 documents and 40,000 A4 pages, with targets:
// the planner must stay well under a second (the tests check the plan, this times it).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "film/plan.hpp"

namespace {

void BM_Plan1000Documents40000Pages(benchmark::State& state) {
  fw::Job job;
  job.id = "bench";
  job.title = "bench";
  std::vector<fw::DocumentPages> documents;
  for (std::size_t d = 0; d < 1000; ++d) {
    fw::Document document;
    document.id = fmt::format("D{:04}", d + 1);
    document.title = document.id;
    job.documents.push_back(document);
    fw::DocumentPages pages;
    pages.document = d;
    for (int p = 0; p < 40; ++p) {
      fw::SourcePage page;
      page.ref.file = fmt::format("/scans/{}/p{}.tif", document.id, p + 1);
      page.info.width_mm = 210;
      page.info.height_mm = 297;
      page.info.width_px = 2480;
      page.info.height_px = 3508;
      page.info.dpi = 300;
      pages.pages.push_back(page);
    }
    documents.push_back(std::move(pages));
  }
  fw::FilmFormat format;
  format.name = "16mm-comic-30m";
  format.blips.track_mm = 1.5;
  fw::hal::Capabilities recorder;
  recorder.pixel_pitch_um = 2.5;
  for (auto _ : state) {
    fw::Plan plan = fw::plan_reels(job, format, recorder, documents);
    benchmark::DoNotOptimize(plan.frames.data());
  }
  state.SetItemsProcessed(state.iterations() * 40000);
}
BENCHMARK(BM_Plan1000Documents40000Pages)->Unit(benchmark::kMillisecond);

}  // namespace
