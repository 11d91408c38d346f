// The queue several recorder hosts share, on a real PostgreSQL server (tests/support/
// pg_server.hpp): two workers film the jobs of one queue into one catalog; one is killed with
// SIGKILL in the middle of a job, and once its lease has expired the job is resumed from its
// journal by another worker. Every frame ends up in the catalog exactly once.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <set>
#include <thread>

#include "base/files.hpp"
#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace fw::pg_queue_test {
namespace {

using namespace std::chrono_literals;

// A worker in its own process group, as on a host of its own: killing the group kills the
// worker and the convert it runs, as a host that loses power would.
pid_t start_worker(const std::vector<std::string>& args, const std::filesystem::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    std::freopen(log.c_str(), "w", stdout);
    std::freopen(log.c_str(), "a", stderr);
    std::vector<char*> argv{const_cast<char*>(FW_CLI)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(FW_CLI, argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

std::size_t journal_frames(const std::filesystem::path& journal) {
  std::error_code ec;
  if (!std::filesystem::exists(journal, ec)) return 0;
  const std::string text = read_file(journal);
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find("\"event\":\"frame\"", at)) != std::string::npos; ++at) {
    ++n;
  }
  return n;
}

TEST(PgQueue, TwoWorkersAndOneKilledMidJobFilmEveryFrameExactlyOnce) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();  // the queue's and the catalog's
  test::TempDir dir;                                 // the hosts' shared storage
  test::copy_profiles_with_test_recorder(dir / "profiles");
  constexpr std::uint32_t kPages = 20;
  const std::vector<std::string> ids = {"q1", "q2", "q3"};
  std::filesystem::create_directories(dir / "scans");
  for (std::uint32_t p = 1; p <= kPages; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{:02}.png", p),
                       samples::Encoding::png, 100);
  }
  std::vector<std::string> submit = {"queue", "submit", "--queue", url};
  for (const auto& id : ids) {
    // The simulated recorder at its real rate: a few frames a second.
    test::write_text(dir / "jobs" / (id + ".toml"), R"(version = 1
id = ")" + id + R"("
title = "共享队列 test"
dpi = 100
targets = "none"
[recorder]
driver = "sim"
[recorder.options]
recorder = "sim-test"
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { dir = "../scans" }
)");
    submit.push_back((dir / "jobs" / (id + ".toml")).string());
  }
  const auto submitted = test::run_cli(submit);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  EXPECT_EQ(submitted.out, "queued q1.toml\nqueued q2.toml\nqueued q3.toml\n");

  const std::vector<std::string> worker = {"queue",
                                           "run",
                                           url,
                                           "--out",
                                           (dir / "out").string(),
                                           "--catalog",
                                           url,
                                           "--profiles",
                                           (dir / "profiles").string(),
                                           "--lease",
                                           "2"};
  const pid_t a = start_worker(worker, dir / "worker-a.log");
  const pid_t b = start_worker(worker, dir / "worker-b.log");
  // Worker a's job, once a few of its frames are on film.
  std::string victim;
  for (int i = 0; i < 600 && victim.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    for (const auto& row : test::CatalogBackend::column(
             url, fmt::format("SELECT name FROM filmwriter_queue WHERE state = 'running' AND "
                              "worker LIKE '%:{}'",
                              a))) {
      const std::string id = row.substr(0, row.size() - 5);
      if (journal_frames(dir / "out" / id / "journal.jsonl") >= 3) victim = id;
    }
  }
  ASSERT_FALSE(victim.empty()) << read_file(dir / "worker-a.log");
  ASSERT_EQ(kill(-a, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(a, &status, 0), a);
  EXPECT_TRUE(WIFSIGNALED(status));
  const std::size_t on_film = journal_frames(dir / "out" / victim / "journal.jsonl");
  EXPECT_LT(on_film, kPages) << "the job ended before the kill";

  // b films the other jobs, and the killed one once a's lease has expired; a worker started
  // later (cron's next run) finds nothing left.
  ASSERT_EQ(waitpid(b, &status, 0), b);
  EXPECT_TRUE(WIFEXITED(status)) << read_file(dir / "worker-b.log");
  std::this_thread::sleep_for(2500ms);  // a's lease expires, if b did not outwait it
  const auto last = test::run_cli(worker);
  EXPECT_EQ(last.exit_code, 0) << last.out << last.err;

  const auto shown = test::run_cli({"queue", "status", url});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("done: 3\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("  " + victim + ".toml (attempts 2)\n"), std::string::npos) << shown.out;
  const Catalog catalog(url);
  for (const auto& id : ids) {
    const auto frames = catalog.frames(id);
    EXPECT_EQ(frames.size(), kPages) << id;
    std::set<std::uint32_t> numbers;
    for (const auto& f : frames) numbers.insert(f.row.frame);
    EXPECT_EQ(numbers.size(), kPages) << id;
    // On film once each: the reel's index (a resume rewinds the frames the recorder's buffer
    // lost, so the journal may record a frame twice; the index and the catalog never do).
    EXPECT_EQ(test::read_csv(dir / "out" / id / "R0001" / "index.csv").size(), kPages + 1) << id;
  }
  const auto check = test::run_cli({"catalog", "check", "--catalog", url});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("OK: 3 reel(s)"), std::string::npos) << check.out;
}

// The database restarts under a worker's running job: the job stops, stays in the queue (not
// failed) and the next worker resumes it; every frame is in the catalog once.
TEST(PgQueue, ADatabaseRestartMidJobLeavesTheJobForTheNextWorker) {
  FW_REQUIRE_PG(server);
  const std::string url = server->fresh_database();
  test::TempDir dir;
  test::copy_profiles_with_test_recorder(dir / "profiles");
  // convert writes the catalog in batches of 32 frames: the server restarts after the first.
  constexpr std::uint32_t kPages = 48;
  std::filesystem::create_directories(dir / "scans");
  for (std::uint32_t p = 1; p <= kPages; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{:02}.png", p),
                       samples::Encoding::png, 100);
  }
  test::write_text(dir / "jobs" / "r1.toml", R"(version = 1
id = "r1"
title = "重启 test"
dpi = 100
targets = "none"
[recorder]
driver = "sim"
[recorder.options]
recorder = "sim-test"
[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { dir = "../scans" }
)");
  ASSERT_EQ(test::run_cli({"queue", "submit", "--queue", url, (dir / "jobs" / "r1.toml").string()})
                .exit_code,
            0);
  const std::vector<std::string> worker = {"queue",
                                           "run",
                                           url,
                                           "--out",
                                           (dir / "out").string(),
                                           "--catalog",
                                           url,
                                           "--profiles",
                                           (dir / "profiles").string(),
                                           "--lease",
                                           "2"};
  const pid_t a = start_worker(worker, dir / "worker-a.log");
  bool started = false;
  for (int i = 0; i < 600 && !started; ++i) {
    std::this_thread::sleep_for(50ms);
    try {
      started = !Catalog(url).frames("r1").empty();
    } catch (const Error&) {
    }
  }
  ASSERT_TRUE(started) << read_file(dir / "worker-a.log");
  server->stop();
  std::this_thread::sleep_for(500ms);
  server->start();
  int status = 0;
  ASSERT_EQ(waitpid(a, &status, 0), a);
  const std::string log = read_file(dir / "worker-a.log");
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_NE(WEXITSTATUS(status), 0) << log;
  EXPECT_LT(Catalog(url).frames("r1").size(), kPages) << "the job ended before the restart";
  EXPECT_EQ(test::CatalogBackend::column(url, "SELECT state FROM filmwriter_queue"),
            (std::vector<std::string>{"queued"}))
      << log;

  const auto next = test::run_cli(worker);
  EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
  const auto frames = Catalog(url).frames("r1");
  EXPECT_EQ(frames.size(), kPages);
  std::set<std::uint32_t> numbers;
  for (const auto& f : frames) numbers.insert(f.row.frame);
  EXPECT_EQ(numbers.size(), kPages);
  const auto check = test::run_cli({"catalog", "check", "--catalog", url});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace fw::pg_queue_test
