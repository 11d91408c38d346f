// The catalog: how fast a job can record frames (batches of 32 per transaction, as
// RecordKeeper writes them; SQLite in WAL, synchronous as configured), and how fast `catalog
// find` answers on a large catalog (200,000 frames in 2,000 documents, or
// FW_BENCH_CATALOG_FRAMES frames, 100 a document: the fill's rate is printed on stderr every
// million frames) by document id, title text (Chinese, substring) and checksum. Each on SQLite
// (/0) and on PostgreSQL (/1, when FW_BENCH_PG_URL names an empty database to fill:
// bench/README.md says how to start one); and the shared queue's claim of a job, one worker
// (BM_SharedQueueClaim) and 8 at once (BM_SharedQueueClaim8Workers), PostgreSQL only.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "api/shared_queue.hpp"
#include "catalog/catalog.hpp"
#include "catalog/journal.hpp"

namespace {

namespace fs = std::filesystem;

fs::path bench_dir(const std::string& name) {
  std::random_device random;
  auto dir = fs::temp_directory_path() / fmt::format("fw-catalog-bench-{}-{}", name, random());
  fs::create_directories(dir);
  return dir;
}

// The catalog of a benchmark: a SQLite file in `dir` (backend 0), or FW_BENCH_PG_URL
// (backend 1; "" when it is not set).
std::string catalog_location(const fs::path& dir, std::int64_t backend) {
  if (backend == 0) return (dir / "catalog.sqlite").string();
  const char* url = std::getenv("FW_BENCH_PG_URL");
  return url != nullptr ? url : "";
}

// A job id of its own per process: a PostgreSQL database outlives the benchmark.
std::string unique_id(const std::string& name) {
  std::random_device random;
  return fmt::format("{}-{}", name, random());
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
                             {fmt::format("/scans/D{:05}.tif", d + 1)},
                             {}});
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

// Writes `frames` frames in batches of 32, reel by reel, as a job does; with `report`, the
// rate of each million frames on stderr (how inserts slow down as the catalog grows).
void fill(fw::Catalog& catalog, const std::string& job, std::uint64_t first, std::uint64_t frames,
          std::size_t per_document, const char* report = nullptr, std::size_t per_batch = 32) {
  std::vector<fw::CatalogFrame> batch;
  std::string loaded;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto since = start;
  for (std::uint64_t n = first; n < first + frames; ++n) {
    if (report != nullptr && n > first && (n - first) % 1000000 == 0) {
      const auto now = Clock::now();
      std::fprintf(stderr, "%s: %llu frames in %.0f s; the last million at %.0f frames/s\n", report,
                   static_cast<unsigned long long>(n - first),
                   std::chrono::duration<double>(now - start).count(),
                   1e6 / std::chrono::duration<double>(now - since).count());
      since = now;
    }
    auto frame = make_frame(job, n, per_document);
    if (frame.reel_id != loaded) {
      if (!batch.empty()) catalog.add_frames(job, batch);
      batch.clear();
      catalog.reel_loaded(job, frame.reel_id, 1, 30.5);
      loaded = frame.reel_id;
    }
    batch.push_back(std::move(frame));
    if (batch.size() == per_batch) {
      catalog.add_frames(job, batch);
      batch.clear();
    }
  }
  if (!batch.empty()) catalog.add_frames(job, batch);
  if (report != nullptr) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "%s: %llu frames in %.0f s, %.0f frames/s\n", report,
                 static_cast<unsigned long long>(frames), seconds,
                 static_cast<double>(frames) / seconds);
  }
}

// The large catalog's frames: FW_BENCH_CATALOG_FRAMES, else 200,000.
std::uint64_t large_frames() {
  const char* env = std::getenv("FW_BENCH_CATALOG_FRAMES");
  return env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 10) : 200000;
}

// Frames per add_frames call (one transaction) while the large catalog is filled:
// FW_BENCH_FILL_BATCH, else 32 as a job writes them. A server commits a transaction to disk
// (fsync) before it answers, so millions of frames are filled in larger batches through the
// same call; BM_CatalogInsertFramesIntoLarge measures a job's batches of 32 on the full catalog.
std::size_t fill_batch() {
  const char* env = std::getenv("FW_BENCH_FILL_BATCH");
  return env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 10) : 32;
}

void BM_CatalogInsertFrames(benchmark::State& state) {
  const auto dir = bench_dir("insert");
  const std::string location = catalog_location(dir, state.range(0));
  if (location.empty()) {
    state.SkipWithError("FW_BENCH_PG_URL is not set");
    return;
  }
  fw::Catalog catalog(location);
  const std::uint64_t per_round = 2048;
  const std::string id = unique_id("insert");
  catalog.start_job(make_job(id, 2000));
  std::uint64_t next = 0;
  for (auto _ : state) {
    fill(catalog, id, next, per_round, 100);
    next += per_round;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(next));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(next), benchmark::Counter::kIsRate);
  state.counters["frames_in_catalog"] = static_cast<double>(next);
  fs::remove_all(dir);
}
BENCHMARK(BM_CatalogInsertFrames)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// One large catalog per backend shared by the find benchmarks (on PostgreSQL, a job "large"
// filled once: a database filled by an earlier run is used as it is; the insert benchmark's
// jobs have no frame of the documents the finds ask for).
struct LargeCatalog {
  static constexpr std::size_t kPerDocument = 100;
  const std::uint64_t frames = large_frames();
  const std::string job = frames == 200000 ? "large" : fmt::format("large-{}", frames);
  fs::path dir = bench_dir("find");
  std::unique_ptr<fw::Catalog> catalog;
  explicit LargeCatalog(std::int64_t backend) {
    const std::string location = catalog_location(dir, backend);
    if (location.empty()) return;
    catalog = std::make_unique<fw::Catalog>(location);
    if (!catalog->reels(job).empty()) return;
    catalog->start_job(make_job(job, frames / kPerDocument));
    fill(*catalog, job, 0, frames, kPerDocument, backend == 0 ? "fill SQLite" : "fill PostgreSQL",
         fill_batch());
  }
  ~LargeCatalog() {
    catalog.reset();
    fs::remove_all(dir);
  }
  static LargeCatalog& get(std::int64_t backend) {
    static LargeCatalog sqlite(0);
    if (backend == 0) return sqlite;
    static LargeCatalog postgresql(1);
    return postgresql;
  }
};

void run_find(benchmark::State& state, const fw::FrameQuery& query, std::size_t expected) {
  auto& large = LargeCatalog::get(state.range(0));
  if (!large.catalog) {
    state.SkipWithError("FW_BENCH_PG_URL is not set");
    return;
  }
  std::size_t found = 0;
  for (auto _ : state) {
    found = large.catalog->find(query).size();
    benchmark::DoNotOptimize(found);
  }
  if (found != expected)
    state.SkipWithError(fmt::format("found {} frames, expected {}", found, expected).c_str());
  state.counters["frames_found"] = static_cast<double>(found);
  state.counters["frames_in_catalog"] = static_cast<double>(large.frames);
  state.counters["queries/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// A job's inserts (batches of 32, one transaction each) into the large catalog: another job's
// frames, in the same tables and indexes.
void BM_CatalogInsertFramesIntoLarge(benchmark::State& state) {
  auto& large = LargeCatalog::get(state.range(0));
  if (!large.catalog) {
    state.SkipWithError("FW_BENCH_PG_URL is not set");
    return;
  }
  const std::string id = unique_id("insert-large");
  large.catalog->start_job(make_job(id, 2000));
  const std::uint64_t per_round = 2048;
  std::uint64_t next = 0;
  for (auto _ : state) {
    fill(*large.catalog, id, next, per_round, 100);
    next += per_round;
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(next), benchmark::Counter::kIsRate);
  state.counters["frames_in_catalog"] = static_cast<double>(large.frames + next);
}
BENCHMARK(BM_CatalogInsertFramesIntoLarge)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_CatalogFindByDocument(benchmark::State& state) {
  fw::FrameQuery query;
  query.document_id = "D01234";
  run_find(state, query, LargeCatalog::kPerDocument);
}
BENCHMARK(BM_CatalogFindByDocument)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// `catalog find --document` in another Unicode spelling than the catalog's: a Korean
// collection of 100,000 documents whose ids are Hangul syllables (NFC), one frame each, asked
// for in the jamo of a macOS folder name (NFD). Every id beyond ASCII is compared in NFC
// (catalog_find.cpp), so this is the lookup's worst case: every id of the catalog read.
struct HangulCatalog {
  static constexpr std::size_t kDocuments = 100000;
  static std::string id(std::size_t d) { return fmt::format("\uBB38\uC9D1-{:06}", d + 1); }
  fs::path dir = bench_dir("hangul");
  std::unique_ptr<fw::Catalog> catalog;
  explicit HangulCatalog(std::int64_t backend) {
    const std::string location = catalog_location(dir, backend);
    if (location.empty()) return;
    catalog = std::make_unique<fw::Catalog>(location);
    const std::string job = "hangul";
    if (!catalog->reels(job).empty()) return;
    fw::CatalogJob record = make_job(job, 0);
    for (std::size_t d = 0; d < kDocuments; ++d)
      record.documents.push_back({id(d), "문집", {}, {}, {}});
    catalog->start_job(record);
    std::vector<fw::CatalogFrame> batch;
    for (std::size_t d = 0; d < kDocuments; ++d) {
      fw::CatalogFrame f = make_frame(job, d, 1);
      f.row.document_id = id(d);
      if (f.row.frame == 1) {
        if (!batch.empty()) catalog->add_frames(job, batch);
        batch.clear();
        catalog->reel_loaded(job, f.reel_id, 1, 30.5);
      }
      batch.push_back(std::move(f));
    }
    catalog->add_frames(job, batch);
  }
  ~HangulCatalog() {
    catalog.reset();
    fs::remove_all(dir);
  }
};

void BM_CatalogFindByHangulDocumentInJamo(benchmark::State& state) {
  static HangulCatalog sqlite(0);
  static HangulCatalog postgresql(1);
  HangulCatalog& hangul = state.range(0) == 0 ? sqlite : postgresql;
  if (!hangul.catalog) {
    state.SkipWithError("FW_BENCH_PG_URL is not set");
    return;
  }
  fw::FrameQuery query;
  query.document_id = "\u1106\u116E\u11AB\u110C\u1175\u11B8-012345";  // 문집-012345 in NFD
  std::size_t found = 0;
  for (auto _ : state) {
    found = hangul.catalog->find(query).size();
    benchmark::DoNotOptimize(found);
  }
  if (found != 1) state.SkipWithError(fmt::format("found {} frames, expected 1", found).c_str());
  state.counters["documents_in_catalog"] = static_cast<double>(HangulCatalog::kDocuments);
}
BENCHMARK(BM_CatalogFindByHangulDocumentInJamo)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_CatalogFindByChineseTitle(benchmark::State& state) {
  fw::FrameQuery query;
  query.title = "卷1234 ";  // one document's title, by a part of it
  run_find(state, query, LargeCatalog::kPerDocument);
}
BENCHMARK(BM_CatalogFindByChineseTitle)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_CatalogFindByFrameSha256(benchmark::State& state) {
  fw::FrameQuery query;
  query.sha256 = fmt::format("{:064x}", 123456ull * 2654435761u + 1);
  run_find(state, query, 1);
}
BENCHMARK(BM_CatalogFindByFrameSha256)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// A worker's turn per job of the shared queue: claim (SELECT ... FOR UPDATE SKIP LOCKED),
// start and stop the lease's heartbeat, record the outcome; the job itself does nothing.
class NoJob final : public fw::api::JobRunner {
 public:
  fw::ops::ChildResult run(const fw::api::QueueJob&) override { return {0, "", 0}; }
};

// Replaying a job's journal (read_journal): resume does it once, and each reel's METS package
// once more at the reel's close (the source checks of the runs that filmed it). A journal of
// `range(0)` frames on reels of 2,400, with a resume halfway.
void BM_ReadJournal(benchmark::State& state) {
  const auto frames = static_cast<std::uint64_t>(state.range(0));
  const fs::path dir = bench_dir("journal");
  {
    fw::Journal journal(dir / "journal.jsonl");
    journal.append({{"event", "start"},
                    {"job", "bench"},
                    {"plan_sha256", std::string(64, 'a')},
                    {"frames", frames},
                    {"reels", frames / 2400 + 1}});
    std::uint32_t in_reel = 0;
    std::string reel;
    for (std::uint64_t seq = 0; seq < frames; ++seq) {
      if (in_reel == 0) {
        reel = fmt::format("R{:04}", seq / 2400 + 1);
        journal.append({{"event", "reel_loaded"}, {"reel", reel}, {"first_frame", 1}});
      }
      if (seq == frames / 2) {
        journal.append({{"event", "resume"}, {"policy", "continue"}, {"next_seq", seq}});
      }
      fw::IndexRow row;
      row.frame = ++in_reel;
      row.kind = "page";
      row.document_id = fmt::format("D{:05}", seq / 100 + 1);
      row.page = static_cast<std::uint32_t>(seq % 100 + 1);
      row.address = fmt::format("{}-{}-{:04}", reel, row.document_id, row.page);
      row.blip = "page";
      row.source_file = fmt::format("/data/scans/{}/p{:04}.tif", row.document_id, row.page);
      row.source_page = 1;
      row.source_sha256 = std::string(64, 'b');
      row.frame_sha256 = std::string(64, 'c');
      row.calibration = "sim-default-negative sha256:2632940c";
      journal.append(fw::frame_record(reel, seq, row));
      if (in_reel == 2400 || seq + 1 == frames) {
        journal.append({{"event", "reel_closed"},
                        {"reel", reel},
                        {"complete", in_reel == 2400},
                        {"film_used_m", 30.0}});
        in_reel = 0;
      }
    }
  }
  for (auto _ : state) {
    const fw::JournalState replayed = fw::read_journal(dir / "journal.jsonl");
    benchmark::DoNotOptimize(replayed.next_sequence);
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  fs::remove_all(dir);
}
BENCHMARK(BM_ReadJournal)->Arg(2400)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_SharedQueueClaim(benchmark::State& state) {
  const char* url = std::getenv("FW_BENCH_PG_URL");
  if (url == nullptr) {
    state.SkipWithError("FW_BENCH_PG_URL is not set");
    return;
  }
  const auto dir = bench_dir("queue");
  constexpr int kJobs = 100;
  std::vector<fs::path> files;
  for (int j = 0; j < kJobs; ++j) {
    files.push_back(dir / fmt::format("{}.toml", unique_id("claim")));
    std::fclose(std::fopen(files.back().c_str(), "w"));
  }
  fw::api::SharedQueueOptions options;
  options.url = url;
  options.out = dir / "out";
  NoJob runner;
  std::int64_t claimed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& file : files) file = dir / fmt::format("{}.toml", unique_id("claim"));
    for (const auto& file : files) std::fclose(std::fopen(file.c_str(), "w"));
    fw::api::submit_shared_jobs(url, files);
    state.ResumeTiming();
    claimed += static_cast<std::int64_t>(fw::api::run_shared_queue(options, runner).done);
  }
  state.counters["claims/s"] =
      benchmark::Counter(static_cast<double>(claimed), benchmark::Counter::kIsRate);
  state.counters["us_per_claim"] = benchmark::Counter(
      static_cast<double>(claimed), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  fs::remove_all(dir);
}
BENCHMARK(BM_SharedQueueClaim)->Unit(benchmark::kMillisecond)->UseRealTime();

// Eight workers (threads, each with its own connections, as eight hosts' workers would be) on
// one queue of 400 jobs that do nothing: every job claimed once, and the latency of a claim as
// a worker sees it, from the end of its last job (or its start) to the next job's start.
class TimedNoJob final : public fw::api::JobRunner {
 public:
  using Clock = std::chrono::steady_clock;
  fw::ops::ChildResult run(const fw::api::QueueJob&) override {
    const auto now = Clock::now();
    {
      std::lock_guard lock(mutex_);
      latencies_us.push_back(std::chrono::duration<double, std::micro>(now - last()).count());
    }
    last() = Clock::now();
    return {0, "", 0};
  }
  static Clock::time_point& last() {
    thread_local Clock::time_point at = Clock::now();
    return at;
  }
  std::vector<double> latencies_us;

 private:
  std::mutex mutex_;
};

void BM_SharedQueueClaim8Workers(benchmark::State& state) {
  const char* url = std::getenv("FW_BENCH_PG_URL");
  if (url == nullptr) {
    state.SkipWithError("FW_BENCH_PG_URL is not set");
    return;
  }
  const auto dir = bench_dir("queue8");
  constexpr int kJobs = 400;
  constexpr int kWorkers = 8;
  fw::api::SharedQueueOptions options;
  options.url = url;
  options.out = dir / "out";
  TimedNoJob runner;
  std::size_t done = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<fs::path> files;
    for (int j = 0; j < kJobs; ++j) {
      files.push_back(dir / fmt::format("{}.toml", unique_id("claim8")));
      std::fclose(std::fopen(files.back().c_str(), "w"));
    }
    fw::api::submit_shared_jobs(url, files);
    state.ResumeTiming();
    std::vector<std::thread> workers;
    workers.reserve(kWorkers);
    std::vector<std::size_t> counts(kWorkers);
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, w] {
        TimedNoJob::last() = TimedNoJob::Clock::now();
        counts[static_cast<std::size_t>(w)] = fw::api::run_shared_queue(options, runner).done;
      });
    }
    for (auto& worker : workers) worker.join();
    for (std::size_t c : counts) done += c;
  }
  if (done != static_cast<std::size_t>(kJobs) * state.iterations()) {
    state.SkipWithError(fmt::format("{} jobs done, expected {}", done,
                                    static_cast<std::size_t>(kJobs) * state.iterations())
                            .c_str());
  }
  auto& l = runner.latencies_us;
  std::sort(l.begin(), l.end());
  const auto at = [&](double q) {
    return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(q * l.size()))];
  };
  state.counters["claim_us_p50"] = at(0.5);
  state.counters["claim_us_p95"] = at(0.95);
  state.counters["claim_us_max"] = l.empty() ? 0.0 : l.back();
  state.counters["jobs/s"] =
      benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
  fs::remove_all(dir);
}
BENCHMARK(BM_SharedQueueClaim8Workers)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace
