// The SQLite catalog: how fast a job can record frames (batches of 32 per transaction, as
// RecordKeeper writes them, WAL, synchronous as configured), and how fast `catalog find`
// answers on a large catalog (200,000 frames in 2,000 documents) by document id, title text
// (Chinese, substring) and checksum.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <random>

#include "catalog/catalog.hpp"

namespace {

namespace fs = std::filesystem;

fs::path bench_dir(const std::string& name) {
  std::random_device random;
  const auto dir =
      fs::temp_directory_path() / fmt::format("fw-catalog-bench-{}-{}", name, random());
  fs::create_directories(dir);
  return dir;
}

fw::CatalogJob make_job(const std::string& id, std::size_t documents) {
  fw::CatalogJob job;
  job.id = id;
  job.title = "善本古籍 bench";
  job.dir = "/bench/" + id;
  job.plan_sha256 = std::string(64, 'a');
  job.format = "16mm-comic-30m";
  job.film_length_m = 30.5;
  for (std::size_t d = 0; d < documents; ++d) {
    job.documents.push_back({fmt::format("D{:05}", d + 1),
                             fmt::format("论语集注 卷{} 第{}册", d + 1, d % 7 + 1),
                             {{"作者", "朱熹"}, {"年代", "宋"}},
                             {fmt::format("/scans/D{:05}.tif", d + 1)}});
  }
  return job;
}

fw::CatalogFrame make_frame(const std::string& job, std::uint64_t n, std::size_t per_document) {
  const std::uint64_t document = n / per_document + 1;
  const std::uint32_t page = static_cast<std::uint32_t>(n % per_document + 1);
  const std::uint32_t reel = static_cast<std::uint32_t>(n / 2000 + 1);
  fw::CatalogFrame f;
  f.job_id = job;
  f.reel_id = fmt::format("R{:04}", reel);
  f.row = {static_cast<std::uint32_t>(n % 2000 + 1),
           "page",
           fmt::format("D{:05}", document),
           page,
           fmt::format("R{:04}-D{:05}-{:04}", reel, document, page),
           "page",
           fmt::format("/scans/D{:05}.tif", document),
           page,
           fmt::format("{:064x}", document),
           fmt::format("{:064x}", n * 2654435761u + 1),
           1,
           "sim-default-negative sha256:0123abcd"};
  return f;
}

// Writes `frames` frames in batches of 32, reel by reel, as a job does.
void fill(fw::Catalog& catalog, const std::string& job, std::uint64_t first, std::uint64_t frames,
          std::size_t per_document) {
  std::vector<fw::CatalogFrame> batch;
  std::string loaded;
  for (std::uint64_t n = first; n < first + frames; ++n) {
    auto frame = make_frame(job, n, per_document);
    if (frame.reel_id != loaded) {
      if (!batch.empty()) catalog.add_frames(job, batch);
      batch.clear();
      catalog.reel_loaded(job, frame.reel_id, 1, 30.5);
      loaded = frame.reel_id;
    }
    batch.push_back(std::move(frame));
    if (batch.size() == 32) {
      catalog.add_frames(job, batch);
      batch.clear();
    }
  }
  if (!batch.empty()) catalog.add_frames(job, batch);
}

void BM_CatalogInsertFrames(benchmark::State& state) {
  const auto dir = bench_dir("insert");
  fw::Catalog catalog(dir / "catalog.sqlite");
  const std::uint64_t per_round = 2048;
  catalog.start_job(make_job("insert", 2000));
  std::uint64_t next = 0;
  for (auto _ : state) {
    fill(catalog, "insert", next, per_round, 100);
    next += per_round;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(next));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(next), benchmark::Counter::kIsRate);
  state.counters["frames_in_catalog"] = static_cast<double>(next);
  fs::remove_all(dir);
}
BENCHMARK(BM_CatalogInsertFrames)->Unit(benchmark::kMillisecond)->UseRealTime();

// One large catalog shared by the find benchmarks.
struct LargeCatalog {
  static constexpr std::uint64_t kFrames = 200000;
  static constexpr std::size_t kPerDocument = 100;
  fs::path dir = bench_dir("find");
  std::unique_ptr<fw::Catalog> catalog;
  LargeCatalog() {
    catalog = std::make_unique<fw::Catalog>(dir / "catalog.sqlite");
    catalog->start_job(make_job("large", kFrames / kPerDocument));
    fill(*catalog, "large", 0, kFrames, kPerDocument);
  }
  ~LargeCatalog() {
    catalog.reset();
    fs::remove_all(dir);
  }
  static LargeCatalog& get() {
    static LargeCatalog instance;
    return instance;
  }
};

void run_find(benchmark::State& state, const fw::FrameQuery& query, std::size_t expected) {
  auto& large = LargeCatalog::get();
  std::size_t found = 0;
  for (auto _ : state) {
    found = large.catalog->find(query).size();
    benchmark::DoNotOptimize(found);
  }
  if (found != expected)
    state.SkipWithError(fmt::format("found {} frames, expected {}", found, expected).c_str());
  state.counters["frames_found"] = static_cast<double>(found);
  state.counters["frames_in_catalog"] = static_cast<double>(LargeCatalog::kFrames);
  state.counters["queries/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_CatalogFindByDocument(benchmark::State& state) {
  fw::FrameQuery query;
  query.document_id = "D01234";
  run_find(state, query, LargeCatalog::kPerDocument);
}
BENCHMARK(BM_CatalogFindByDocument)->Unit(benchmark::kMicrosecond);

void BM_CatalogFindByChineseTitle(benchmark::State& state) {
  fw::FrameQuery query;
  query.title = "卷1234 ";  // one document's title, by a part of it
  run_find(state, query, LargeCatalog::kPerDocument);
}
BENCHMARK(BM_CatalogFindByChineseTitle)->Unit(benchmark::kMillisecond);

void BM_CatalogFindByFrameSha256(benchmark::State& state) {
  fw::FrameQuery query;
  query.sha256 = fmt::format("{:064x}", 123456ull * 2654435761u + 1);
  run_find(state, query, 1);
}
BENCHMARK(BM_CatalogFindByFrameSha256)->Unit(benchmark::kMicrosecond);

}  // namespace
