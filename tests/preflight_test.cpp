// Preflight (engine/pipeline/preflight.hpp): before a reel's first frame is exposed, every
// page it films is decoded in full, so that a truncated page stops the job before film is used
// (or becomes a substitute frame); `plan --decode-all` lists every bad page of a job. Through
// the real CLI with the tiff driver and tiny pages, and through the engine where the frames'
// bytes are compared with the render stage's.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/files.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/preflight.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::preflight_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() == '{') lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

std::vector<nlohmann::json> events(const std::vector<nlohmann::json>& lines,
                                   const std::string& name, const std::string& key = "event") {
  std::vector<nlohmann::json> out;
  for (const auto& line : lines) {
    if (line.value(key, "") == name) out.push_back(line);
  }
  return out;
}

// Jobs of small JPEG pages (105 x 148 mm at 100 dpi), tiff driver at 50 um, no targets: a
// frame is a few hundred pixels. On the `short-reel` format a reel holds about six frames.
class PreflightTest : public ::testing::Test {
 protected:
  void SetUp() override { test::copy_profiles_with_short_reel(dir / "profiles"); }

  void write_document(const std::string& id, int pages) {
    fs::create_directories(dir / "scans" / id);
    for (int p = 1; p <= pages; ++p) {
      samples::PageSpec spec{
          105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, id + " p" + std::to_string(p)};
      samples::save_page(samples::make_page(spec), page(id, p), samples::Encoding::jpeg, 100);
    }
  }
  fs::path page(const std::string& document, int p) const {
    return dir / "scans" / document / fmt::format("p{}.jpg", p);
  }

  // `documents`: id and on_error of each, filmed in this order.
  void write_job(const std::vector<std::pair<std::string, std::string>>& documents,
                 const std::string& format = "16mm-comic-30m") {
    std::string toml = test::tiff_job_head("pf", "预检 test", format);
    for (const auto& [id, on_error] : documents) {
      toml += fmt::format(
          "[[documents]]\nid = \"{}\"\ntitle = \"卷 {}\"\non_error = \"{}\"\n"
          "pages = {{ dir = \"scans/{}\" }}\n",
          id, id, on_error, id);
    }
    test::write_text(dir / "job.toml", toml);
  }

  test::CliResult run(const std::string& command, std::vector<std::string> flags = {}) const {
    std::vector<std::string> args{command,      (dir / "job.toml").string(),
                                  "--out",      out().string(),
                                  "--profiles", (dir / "profiles").string()};
    args.insert(args.end(), flags.begin(), flags.end());
    return test::run_cli(args);
  }
  fs::path out() const { return dir / "out"; }
  fs::path job_dir() const { return out() / "pf"; }

  // The journal's records of one kind ("frame", "reel_loaded", "reel_closed", ...).
  std::vector<nlohmann::json> journal(const std::string& event) const {
    return events(json_lines(read_file(job_dir() / "journal.jsonl")), event);
  }

  // The catalog's frames of the job, as `catalog export` gives them (without the header).
  std::vector<std::string> catalog_frames() const {
    const auto cli = test::run_cli(
        {"catalog", "export", "--catalog", (out() / "catalog.sqlite").string(), "--format", "csv"});
    EXPECT_EQ(cli.exit_code, 0) << cli.err;
    std::vector<std::string> rows;
    std::istringstream in(cli.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && !line.starts_with("job_id")) rows.push_back(line);
    }
    return rows;
  }

  test::TempDir dir;
};

TEST_F(PreflightTest, ATruncatedThirdPageStopsTheJobBeforeAnyFrameIsExposed) {
  write_document("D001", 5);
  test::cut_in_half(page("D001", 3));
  write_job({{"D001", "fail"}});
  const auto cli = run("convert");
  EXPECT_EQ(cli.exit_code, 3) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr(fmt::format(
                           "preflight of reel R0001: document D001 (documents[1]) page 3: {} "
                           "(page 1): cannot decode: VipsJpeg: Premature end of",
                           page("D001", 3).string())));
  EXPECT_THAT(cli.err, HasSubstr("nothing was exposed on R0001"));
  // No frame written, the reel never loaded, nothing journaled or catalogued as on film.
  EXPECT_FALSE(fs::exists(job_dir() / "R0001"));
  EXPECT_TRUE(journal("frame").empty());
  EXPECT_TRUE(journal("reel_loaded").empty());
  EXPECT_TRUE(catalog_frames().empty());
  EXPECT_THAT(cli.out, HasSubstr("summary: job pf failed: 0 pages, 0 frames"));
}

TEST_F(PreflightTest, UnderSubstituteTheBadPageBecomesASubstituteFrameAndTheGoodPagesAreFilmed) {
  write_document("D001", 5);
  test::cut_in_half(page("D001", 3));
  write_job({{"D001", "substitute"}});
  const auto cli = run("convert");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto rows = test::read_csv(job_dir() / "R0001" / "index.csv");
  ASSERT_EQ(rows.size(), 6u);  // header + 5 frames
  for (std::size_t frame = 1; frame <= 5; ++frame) {
    EXPECT_EQ(rows[frame][1], frame == 3 ? "substitute" : "page") << frame;
    EXPECT_TRUE(fs::exists(job_dir() / "R0001" / "frames" / fmt::format("F{:06}.tif", frame)));
  }
  // The substitute keeps the page it stands for named.
  EXPECT_EQ(rows[3][6], page("D001", 3).string());
  EXPECT_THAT(cli.err,
              HasSubstr(fmt::format("warning: preflight R0001: document D001 (documents[1]) page "
                                    "3: {} (page 1): cannot decode",
                                    page("D001", 3).string())));
  EXPECT_THAT(cli.out, HasSubstr("5 pages, 5 frames, 1 reel(s)"));
  EXPECT_THAT(cli.out, HasSubstr("1 warning(s)"));
  // Listed under the summary with the frame's address and the file, as every substitute is.
  EXPECT_THAT(cli.out, HasSubstr(fmt::format("  warning: document D001 (documents[1]) page 3 "
                                             "(R0001-D001-0003) is filmed as a substitute: {} "
                                             "(page 1): cannot decode",
                                             page("D001", 3).string())));

  // The same frames, byte for byte, as when the render stage substitutes the page itself.
  api::ConvertOptions no_preflight;
  no_preflight.preflight = false;
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", no_preflight,
                                    test::job_flags(dir / "later", dir / "profiles")));
  for (const char* file : {"index.csv", "manifest.sha256", "frames/F000003.tif"}) {
    EXPECT_EQ(read_file(job_dir() / "R0001" / file),
              read_file(dir / "later" / "pf" / "R0001" / file))
        << file;
  }
}

// JPEG 2000 and PDF pages are decoded in a child process: when the decoder crashes there (the
// sim of a decoder fault: FILMWRITER_INJECT_DECODER_CRASH names the file the child aborts on,
// as Debian's OpenJPEG aborts on some files), the page is a named input error and the job
// follows on_error, instead of the whole process dying with it.
TEST_F(PreflightTest, ADecoderCrashIsThePagesErrorNotTheJobsEnd) {
  write_document("D001", 3);
  samples::PageSpec spec{105, 148, 100, 1, {{20, 20, 8}}, "jp2 page"};
  fs::remove(page("D001", 2));
  const fs::path jp2 = dir / "scans" / "D001" / "p2.jp2";
  samples::save_page(samples::make_page(spec), jp2, samples::Encoding::jp2, 100);
  // JPEG 2000 from libvips declares no resolution: the job gives it.
  const auto job_with_dpi = [&](const std::string& on_error) {
    write_job({{"D001", on_error}});
    const std::string toml = read_file(dir / "job.toml");
    test::write_text(dir / "job.toml", std::regex_replace(toml, std::regex("threads = 2\n"),
                                                          "threads = 2\ndpi = 100\n"));
  };
  job_with_dpi("substitute");
  // Without a fault the JPEG 2000 page passes its isolated decode and is filmed.
  const auto good = run("convert");
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(test::read_csv(job_dir() / "R0001" / "index.csv")[2][1], "page");

  ::setenv("FILMWRITER_INJECT_DECODER_CRASH", "p2.jp2", 1);
  const auto crashed =
      test::run_cli({"convert", (dir / "job.toml").string(), "--out", (dir / "crash").string(),
                     "--profiles", (dir / "profiles").string()});
  job_with_dpi("fail");
  const auto refused =
      test::run_cli({"convert", (dir / "job.toml").string(), "--out", (dir / "refused").string(),
                     "--profiles", (dir / "profiles").string()});
  ::unsetenv("FILMWRITER_INJECT_DECODER_CRASH");
  ASSERT_EQ(crashed.exit_code, 0) << crashed.err;
  const auto rows = test::read_csv(dir / "crash" / "pf" / "R0001" / "index.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2][1], "substitute");
  EXPECT_THAT(crashed.err, HasSubstr(fmt::format("{} (page 1): cannot decode: the JPEG 2000 "
                                                 "decoder crashed on this page (signal 6",
                                                 jp2.string())));
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("the JPEG 2000 decoder crashed on this page"));
  EXPECT_THAT(refused.err, HasSubstr("nothing was exposed on R0001"));
}

TEST_F(PreflightTest, NoPreflightExposesTheGoodPagesBeforeTheBadOneAsBefore) {
  write_document("D001", 5);
  test::cut_in_half(page("D001", 3));
  write_job({{"D001", "fail"}});
  const auto cli = run("convert", {"--no-preflight"});
  EXPECT_EQ(cli.exit_code, 3) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr("p3.jpg"));
  EXPECT_THAT(cli.err, Not(HasSubstr("preflight")));
  const auto frames = job_dir() / "R0001" / "frames";
  EXPECT_TRUE(fs::exists(frames / "F000001.tif"));
  EXPECT_TRUE(fs::exists(frames / "F000002.tif"));
  EXPECT_FALSE(fs::exists(frames / "F000003.tif"));
  EXPECT_EQ(journal("frame").size(), 2u);
}

TEST_F(PreflightTest, DecodeAllListsEveryBadPageOfTheJobAndWritesNothing) {
  write_document("D001", 3);
  write_document("D002", 3);
  test::cut_in_half(page("D001", 2));
  test::cut_in_half(page("D002", 3));
  write_job({{"D001", "fail"}, {"D002", "substitute"}});

  const auto plan = run("plan", {"--decode-all"});
  EXPECT_EQ(plan.exit_code, 3) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("decode-all: 6 page(s) decoded"));
  EXPECT_THAT(plan.out, HasSubstr(fmt::format("R0001: document D001 (documents[1]) page 2: {} "
                                              "(page 1): cannot decode",
                                              page("D001", 2).string())));
  EXPECT_THAT(plan.out, HasSubstr(fmt::format("R0001: document D002 (documents[2]) page 3: {} "
                                              "(page 1): cannot decode",
                                              page("D002", 3).string())));
  EXPECT_THAT(plan.out, HasSubstr("on_error = substitute: filmed as a substitute frame"));
  EXPECT_THAT(plan.err, HasSubstr("2 of 6 page(s) do not decode"));
  EXPECT_FALSE(fs::exists(job_dir() / "plan.json"));
  EXPECT_FALSE(fs::exists(job_dir() / "R0001"));

  const auto dry = run("convert", {"--dry-run", "--decode-all"});
  EXPECT_EQ(dry.exit_code, 3) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr(page("D001", 2).string()));
  EXPECT_THAT(dry.out, HasSubstr(page("D002", 3).string()));
  EXPECT_FALSE(fs::exists(out()));

  // Without the dry run, convert checks each reel anyway: the flag would say otherwise.
  EXPECT_EQ(run("convert", {"--decode-all"}).exit_code, 2);

  // Headers alone find nothing wrong: that is what --decode-all is for.
  const auto headers = run("plan");
  EXPECT_EQ(headers.exit_code, 0) << headers.err;
}

TEST_F(PreflightTest, DecodeAllOfAGoodJobWritesThePlan) {
  write_document("D001", 2);
  write_job({{"D001", "fail"}});
  const auto plan = run("plan", {"--decode-all"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("decode-all: 2 page(s) decoded"));
  EXPECT_THAT(plan.out, HasSubstr("none bad"));
  EXPECT_TRUE(fs::exists(job_dir() / "plan.json"));
}

TEST_F(PreflightTest, ABadPageOnTheSecondReelStopsTheJobWithReelOneFilmedAndReelTwoEmpty) {
  write_document("D001", 4);
  write_document("D002", 4);
  test::cut_in_half(page("D002", 2));
  write_job({{"D001", "fail"}, {"D002", "fail"}}, "short-reel");
  const auto plan = run("plan");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  ASSERT_THAT(plan.out, HasSubstr("R0001: 4 frames (4 pages)"));
  ASSERT_THAT(plan.out, HasSubstr("R0002: 4 frames (4 pages)"));

  const auto cli = run("convert");
  EXPECT_EQ(cli.exit_code, 3) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr(fmt::format("preflight of reel R0002: document D002 "
                                             "(documents[2]) page 2: {} (page 1): cannot decode",
                                             page("D002", 2).string())));
  // Reel 1 is filmed and closed complete; reel 2 was never loaded.
  EXPECT_EQ(test::read_csv(job_dir() / "R0001" / "index.csv").size(), 5u);
  const auto closed = journal("reel_closed");
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0]["reel"], "R0001");
  EXPECT_EQ(closed[0]["complete"], true);
  EXPECT_EQ(journal("reel_loaded").size(), 1u);
  EXPECT_EQ(journal("frame").size(), 4u);
  EXPECT_FALSE(fs::exists(job_dir() / "R0002"));
  EXPECT_EQ(catalog_frames().size(), 4u);
}

TEST_F(PreflightTest, OnResumeOnlyTheFramesStillToBeExposedAreChecked) {
  write_document("D001", 5);
  const std::string good = read_file(page("D001", 3));
  test::cut_in_half(page("D001", 3));
  write_job({{"D001", "fail"}});
  // Today's behaviour: pages 1 and 2 on film, then the stop at page 3.
  ASSERT_EQ(run("convert", {"--no-preflight"}).exit_code, 3);
  ASSERT_EQ(journal("frame").size(), 2u);
  // The page is mended; page 1, already on film, is damaged since: nothing reads it again.
  test::write_text(page("D001", 3), good);
  test::cut_in_half(page("D001", 1));
  const test::CliResult resumed = [&] {
    std::vector<std::string> args{"--log-format", "json"};
    auto rest = std::vector<std::string>{
        "convert",    (dir / "job.toml").string(), "--out",   out().string(),
        "--profiles", (dir / "profiles").string(), "--resume"};
    args.insert(args.end(), rest.begin(), rest.end());
    return test::run_cli(args);
  }();
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto lines = json_lines(resumed.err);
  const auto done = events(lines, "preflight_done");
  ASSERT_EQ(done.size(), 1u) << resumed.err;
  EXPECT_EQ(done[0]["reel"], "R0001");
  EXPECT_EQ(done[0]["pages"], 3);
  EXPECT_EQ(done[0]["bad"], 0);
  const auto progress = events(lines, "preflight_progress");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back()["pages_done"], 3);
  EXPECT_EQ(progress.back()["pages_total"], 3);
  EXPECT_EQ(journal("frame").size(), 5u);
}

TEST_F(PreflightTest, BadPagesAreJsonEventsWithTheirDocumentPageAndFile) {
  write_document("D001", 3);
  test::cut_in_half(page("D001", 2));
  write_job({{"D001", "substitute"}});
  const auto cli =
      test::run_cli({"--log-format", "json", "convert", (dir / "job.toml").string(), "--out",
                     out().string(), "--profiles", (dir / "profiles").string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto lines = json_lines(cli.err);
  const auto bad = events(lines, "bad_page");
  ASSERT_EQ(bad.size(), 1u) << cli.err;
  EXPECT_EQ(bad[0]["level"], "warning");
  EXPECT_EQ(bad[0]["document"], "D001");
  EXPECT_EQ(bad[0]["page"], 2);
  EXPECT_EQ(bad[0]["file"], page("D001", 2).string());
  EXPECT_EQ(bad[0]["on_error"], "substitute");
  const auto summary = events(lines, "summary");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["warnings"], 1);
}

// --- through the engine ------------------------------------------------------------------

// A job of `pages` small pages (60 x 80 mm at 254 dpi) at 10x on a 12.5 um pitch.
Job engine_job(const test::TempDir& dir, int pages, samples::Encoding encoding, int bands) {
  const auto scans = dir / "scans";
  fs::create_directories(scans);
  for (int i = 1; i <= pages; ++i) {
    samples::PageSpec spec{60, 80, 254, bands, {{5.0 + i, 5.0 + i, 3}}, "p" + std::to_string(i)};
    samples::save_page(samples::make_page(spec),
                       scans / fmt::format("p{}.{}", i,
                                           encoding == samples::Encoding::jpeg  ? "jpg"
                                           : encoding == samples::Encoding::png ? "png"
                                                                                : "tif"),
                       encoding, spec.dpi);
  }
  Job job;
  job.id = "pf";
  job.title = "preflight";
  job.output = dir / "out";
  job.defaults.reduction = 10;
  job.targets = "none";
  job.threads = 2;
  Document doc;
  doc.id = "D001";
  doc.title = "一";
  doc.key = "documents[1]";
  doc.pages.kind = PageSource::Kind::directory;
  doc.pages.paths = {scans.string()};
  job.documents.push_back(doc);
  return job;
}

Plan plan_of(const Job& job) {
  hal::Capabilities caps;
  caps.pixel_pitch_um = 12.5;
  caps.calibration = "sim-default-negative";
  return prepare_job(job, caps, test::source_dir() / "profiles").plan;
}

TEST(Preflight, AColourPageFilmedAsThreeSeparationsIsDecodedOnce) {
  test::TempDir dir;
  Job job = engine_job(dir, 2, samples::Encoding::jpeg, 3);
  job.defaults.mode = ImageMode::colour;
  job.defaults.colour_route = ColourRoute::separations;
  const Plan plan = plan_of(job);
  ASSERT_EQ(plan.frames.size(), 6u);  // R, G, B of each page
  std::size_t progress_calls = 0;
  const PreflightReport report =
      preflight_plan(job, plan, {2, nullptr, [&](const PreflightProgress& p) {
                                   ++progress_calls;
                                   EXPECT_EQ(p.pages_total, 2u);
                                   EXPECT_EQ(p.reel, "R0001");
                                 }});
  EXPECT_EQ(report.pages, 2u);
  EXPECT_EQ(progress_calls, 2u);
  EXPECT_TRUE(report.bad.empty());
}

// A substitute that preflight puts in a page's place must be the frame that rendering the
// plan again gives (verify re-renders every frame and compares checksums), so its reason is
// worded exactly as the render stage words it, for each kind of damage.
// Bytes in the middle of the file overwritten, as a bad sector leaves them: the header reads
// and the length is right.
void scramble_middle(const fs::path& file) {
  std::string bytes = read_file(file);
  std::uint32_t state = 12345;
  for (std::size_t i = bytes.size() * 6 / 10; i < bytes.size() * 6 / 10 + 64; ++i) {
    state = state * 1103515245u + 12345u;
    bytes[i] = static_cast<char>(state >> 24);
  }
  test::write_text(file, bytes);
}

// A baseline JPEG cut in its last rows, an end-of-image marker appended: libvips only logs
// libjpeg's warning as the load closes (ingest.hpp, decode_page_checked).
void cut_in_last_rows(const fs::path& file) {
  const std::string bytes = read_file(file);
  test::write_text(file, bytes.substr(0, bytes.size() - 12) + "\xFF\xD9");
}

TEST(Preflight, ASubstituteCarriesTheReasonTheRenderStageWouldGive) {
  struct Case {
    samples::Encoding encoding;
    void (*damage)(const fs::path&);
  };
  void (*const truncate_to_half)(const fs::path&) = [](const fs::path& f) { test::cut_in_half(f); };
  // Damage in the middle of a JPEG's data is met where the render stage meets it (at 1/8,
  // libjpeg would report this one only as a warning after the last row).
  for (const auto [encoding, damage] : {Case{samples::Encoding::jpeg, truncate_to_half},
                                        Case{samples::Encoding::jpeg, scramble_middle},
                                        Case{samples::Encoding::jpeg, cut_in_last_rows},
                                        Case{samples::Encoding::png, truncate_to_half},
                                        Case{samples::Encoding::tiff_lzw, truncate_to_half}}) {
    test::TempDir dir;
    Job job = engine_job(dir, 2, encoding, 1);
    job.defaults.on_error = FailurePolicy::substitute;
    const Plan plan = plan_of(job);
    const PlannedFrame& frame = plan.frames.at(1);
    damage(frame.source.ref.file);

    const PreflightReport report = preflight_plan(job, plan, {1, nullptr, {}});
    ASSERT_EQ(report.bad.size(), 1u) << samples::to_string(encoding);
    const BadPage& bad = report.bad[0];
    EXPECT_EQ(bad.sequence, 1u);
    EXPECT_EQ(bad.page, 2u);
    EXPECT_EQ(bad.file, frame.source.ref.file);
    EXPECT_EQ(bad.policy, FailurePolicy::substitute);
    EXPECT_THAT(
        bad.message,
        HasSubstr("document D001 (documents[1]) page 2: " + frame.source.ref.file + " (page 1): "));

    SourceHashes hashes;
    const RenderedFrame rendered = render_frame(job, plan, frame, hashes);
    EXPECT_EQ(rendered.substitute_reason, bad.reason) << samples::to_string(encoding);
    PlannedFrame substituted = frame;
    substituted.kind = FrameKind::substitute;
    substituted.reason = bad.reason;
    EXPECT_EQ(render_frame(job, plan, substituted, hashes).sha256, rendered.sha256)
        << samples::to_string(encoding);
  }
}

}  // namespace
}  // namespace fw::preflight_test
