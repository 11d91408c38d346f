// What an operator reads when something is wrong: each message names its culprit, exactly.
// A folder of good scans with bad files among them (substitute only those, warn of each, list
// them in the summary), paths on film relative to the job's folder, the OS's own files in
// scans folders, a reduction the format cannot film, an interrupt, and the progress line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <sstream>

#include "api/convert.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "builtin.hpp"
#include "core/error.hpp"
#include "film/format.hpp"
#include "film/plan.hpp"
#include "film/target_layout.hpp"
#include "ops/log.hpp"
#include "pipeline/pipeline.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::messages_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Small pages keep the frames small: 30 x 40 mm at 254 dpi, 10x at 12.5 um: 240 x 320 px.
void write_good_page(const fs::path& file) {
  samples::PageSpec spec;
  spec.width_mm = 30;
  spec.height_mm = 40;
  spec.dpi = 254;
  spec.marks = {{5, 5, 3}};
  fs::create_directories(file.parent_path());
  samples::save_page(samples::make_page(spec), file, samples::Encoding::png, spec.dpi);
}

// scans/: p1, p3, p5 good; p2.png empty; p4.jpg a GIF under a JPEG name; the OS's own files.
struct Scans {
  fs::path dir, empty, gif;
  explicit Scans(const fs::path& folder) : dir(folder) {
    fs::create_directories(dir);
    for (const char* name : {"p1.png", "p3.png", "p5.png"}) write_good_page(dir / name);
    empty = dir / "p2.png";
    test::write_text(empty, "");
    gif = dir / "p4.jpg";
    test::write_text(gif, std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00;", 13));
    for (const char* junk : {"Thumbs.db", ".DS_Store", "._p1.png", "desktop.ini"}) {
      test::write_text(dir / junk, "not a page");
    }
  }
  std::string empty_reason() const { return empty.string() + ": the file is empty"; }
  std::string gif_reason() const {
    return gif.string() +
           ": unsupported file type (GIF); filmwriter reads TIFF, JPEG, PNG, JPEG 2000 and PDF";
  }
};

std::string job_toml(const std::string& id, const std::string& on_error) {
  return fmt::format(R"(version = 1
id = "{}"
title = "messages"
output = "out"
format = "16mm-comic-30m"
reduction = 10
targets = "none"
dpi = 254

[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 12.5

[[documents]]
id = "D001"
title = "一"
on_error = "{}"
pages = {{ dir = "scans" }}
)",
                     id, on_error);
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '{') lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

std::string substitute_line(const std::string& page, const std::string& address,
                            const std::string& reason) {
  return fmt::format("document D001 (documents[1]) page {} ({}) is filmed as a substitute: {}",
                     page, address, reason);
}

// --- on_error = "substitute" in a folder of good scans ---------------------------------------

TEST(Messages, SubstituteFilmsOnlyTheBadFilesOfAFolderAndNamesEachOne) {
  test::TempDir dir;
  const Scans scans(dir / "scans");
  test::write_text(dir / "job.toml", job_toml("m1", "substitute"));
  const auto cli = test::run_cli({"convert", (dir / "job.toml").string(), "--threads", "2"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("5 frames (3 pages, 2 substitutes) on 1 reel(s)"));

  // Each warning when it happens (stderr) ...
  const std::string empty_line = substitute_line("2", "R0001-D001-0002", scans.empty_reason());
  const std::string gif_line = substitute_line("4", "R0001-D001-0004", scans.gif_reason());
  EXPECT_THAT(cli.err, HasSubstr("filmwriter: warning: " + empty_line + "\n"));
  EXPECT_THAT(cli.err, HasSubstr("filmwriter: warning: " + gif_line + "\n"));
  // ... and again in the summary, which names every substituted page and why.
  EXPECT_THAT(cli.out, HasSubstr("  warning: " + empty_line + "\n"));
  EXPECT_THAT(cli.out, HasSubstr("  warning: " + gif_line + "\n"));

  // The good pages are filmed, each bad file in its place, named in the index.
  const auto rows = test::read_csv(dir / "out" / "m1" / "R0001" / "index.csv");
  ASSERT_EQ(rows.size(), 6u);
  const std::vector<std::string> kinds{"page", "substitute", "page", "substitute", "page"};
  for (std::size_t i = 0; i < kinds.size(); ++i) EXPECT_EQ(rows[i + 1][1], kinds[i]) << i;
  EXPECT_EQ(rows[2][6], scans.empty.string());
  EXPECT_EQ(rows[4][6], scans.gif.string());
  EXPECT_EQ(fs::path(rows[5][6]).filename(), "p5.png");
}

TEST(Messages, TheJsonLogHasEveryWarningAndTheSummaryListsTheSubstitutes) {
  test::TempDir dir;
  const Scans scans(dir / "scans");
  test::write_text(dir / "job.toml", job_toml("m2", "substitute"));
  const auto cli = test::run_cli(
      {"convert", (dir / "job.toml").string(), "--threads", "2", "--log-format", "json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::vector<nlohmann::json> substitutes;
  nlohmann::json summary;
  for (const auto& line : json_lines(cli.err)) {
    if (line["event"] == "substitute") substitutes.push_back(line);
    if (line["event"] == "summary") summary = line;
  }
  ASSERT_EQ(substitutes.size(), 2u);
  EXPECT_EQ(substitutes[0]["level"], "warning");
  EXPECT_EQ(substitutes[0]["page"], 2);
  EXPECT_EQ(substitutes[0]["file"], scans.empty.string());
  EXPECT_EQ(substitutes[0]["reason"], scans.empty_reason());
  EXPECT_EQ(substitutes[1]["message"], substitute_line("4", "R0001-D001-0004", scans.gif_reason()));
  ASSERT_TRUE(summary.is_object()) << cli.err;
  EXPECT_EQ(summary["warnings"], summary["warning_messages"].size());
  ASSERT_EQ(summary["substitutes"].size(), 2u);
  EXPECT_EQ(summary["substitutes"][0]["address"], "R0001-D001-0002");
  EXPECT_EQ(summary["substitutes"][1]["file"], scans.gif.string());
  EXPECT_EQ(summary["substitutes"][1]["reason"], scans.gif_reason());
}

// A page cut short makes libvips warn ("error in tile ...") beside filmwriter's own error, in
// this process (a JPEG) and in the child that decodes JPEG 2000: with --log-format json each of
// those warnings is a JSON line too, so that stderr stays one object a line, naming the page it
// came from; in text each is a "filmwriter: warning: FILE (page N): libvips: ..." line, never
// GLib's own.
TEST(Messages, LibvipsWarningsOnADamagedPageKeepTheLogsFormat) {
  test::TempDir dir;
  samples::PageSpec spec;
  spec.width_mm = 30;
  spec.height_mm = 40;
  spec.dpi = 254;
  spec.marks = {{5, 5, 3}};
  fs::create_directories(dir / "scans");
  write_good_page(dir / "scans" / "p1.png");
  samples::save_page(samples::make_page(spec), dir / "scans" / "p2.jpg", samples::Encoding::jpeg,
                     spec.dpi);
  samples::save_page(samples::make_page(spec), dir / "scans" / "p3.jp2", samples::Encoding::jp2,
                     spec.dpi);
  test::cut_in_half(dir / "scans" / "p2.jpg");
  test::cut_in_half(dir / "scans" / "p3.jp2");
  test::write_text(dir / "job.toml", job_toml("m9", "substitute"));

  const auto json = test::run_cli({"convert", (dir / "job.toml").string(), "--log-format", "json",
                                   "--out", (dir / "json").string()});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::vector<nlohmann::json> library, bad;
  std::istringstream lines(json.err);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json object;
    ASSERT_NO_THROW(object = nlohmann::json::parse(line)) << "not a JSON line: " << line;
    if (object["event"] == "library_message") library.push_back(object);
    if (object["event"] == "bad_page") bad.push_back(object);
  }
  ASSERT_FALSE(library.empty()) << json.err;
  for (const auto& message : library) {
    EXPECT_EQ(message["level"], "warning");
    EXPECT_EQ(message["library"], "libvips");
    EXPECT_FALSE(message["message"].get<std::string>().empty());
    ASSERT_TRUE(message.contains("page")) << message.dump();
    EXPECT_THAT(message["page"].get<std::string>(),
                ::testing::AnyOf((dir / "scans" / "p2.jpg").string() + " (page 1)",
                                 (dir / "scans" / "p3.jp2").string() + " (page 1)"));
  }
  ASSERT_EQ(bad.size(), 2u) << json.err;
  EXPECT_EQ(bad[0]["file"], (dir / "scans" / "p2.jpg").string());
  EXPECT_EQ(bad[1]["file"], (dir / "scans" / "p3.jp2").string());

  const auto text =
      test::run_cli({"convert", (dir / "job.toml").string(), "--out", (dir / "text").string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.err, HasSubstr("filmwriter: warning: " + (dir / "scans" / "p2.jpg").string() +
                                  " (page 1): libvips: "));
  EXPECT_THAT(text.err, Not(HasSubstr("VIPS-WARNING")));
}

TEST(Messages, EveryBadFileOfAFolderIsReportedInOneRun) {
  test::TempDir dir;
  const Scans scans(dir / "scans");
  test::write_text(dir / "job.toml", job_toml("m3", "fail"));
  const auto cli = test::run_cli({"plan", (dir / "job.toml").string()});
  EXPECT_EQ(cli.exit_code, 3);
  EXPECT_THAT(cli.err, HasSubstr("filmwriter: input error: document D001 (documents[1]): 2 "
                                 "pages cannot be filmed:\n  " +
                                 scans.empty_reason() + "\n  " + scans.gif_reason() + "\n"));
}

// --- film names files relative to the job's folder -------------------------------------------

TEST(Messages, SubstituteTargetsNameTheFileRelativeToTheJobsFolder) {
  test::TempDir dir;
  const Scans scans(dir / "scans");
  Job job;
  job.id = "rel";
  job.base_dir = dir.path();
  job.output = dir / "out";
  job.defaults.reduction = 10;
  job.defaults.dpi = 254;
  job.targets = "none";
  job.calibration.profile = "none";
  Document document;
  document.id = "D001";
  document.title = "一";
  document.key = "documents[1]";
  document.pages.kind = PageSource::Kind::directory;
  document.pages.paths = {scans.dir.string()};
  document.overrides.on_error = FailurePolicy::substitute;
  job.documents.push_back(document);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 12.5;
  const PreparedJob prepared = prepare_job(job, caps, test::source_dir() / "profiles");
  std::vector<std::string> shown;
  for (const PlannedFrame& frame : prepared.plan.frames) {
    if (frame.kind != FrameKind::substitute) continue;
    const auto fields = target_fields(job, prepared.plan, frame);
    shown.push_back(fields.at("source") + " | " + fields.at("reason"));
    std::string texts;
    for (const FilledText& text : target_texts(job, prepared.plan, frame)) texts += text.text;
    EXPECT_THAT(texts, Not(HasSubstr(dir.path().string()))) << texts;
  }
  EXPECT_EQ(shown, (std::vector<std::string>{
                       "scans/p2.png (page 1) | scans/p2.png: the file is empty",
                       "scans/p4.jpg (page 1) | scans/p4.jpg: unsupported file type (GIF); "
                       "filmwriter reads TIFF, JPEG, PNG, JPEG 2000 and PDF"}));

  // A file outside the job's folder, and a reason naming a folder under it.
  PlannedFrame frame;
  frame.source.ref.file = "/elsewhere/p9.tif";
  EXPECT_EQ(film_path(job, "/elsewhere/p9.tif"),
            fs::path("/elsewhere/p9.tif").lexically_relative(dir.path()).generic_string());
  EXPECT_EQ(film_reason(job, frame, (dir / "gone").string() + ": no such folder"),
            "gone: no such folder");
  // One-line mode: relative to the scans folder's parent.
  const Job one_line = job_from_directory(scans.dir, {});
  EXPECT_EQ(film_path(one_line, scans.empty.string()), "scans/p2.png");
}

// --- the OS's own files ----------------------------------------------------------------------

TEST(Messages, TheOperatingSystemsFilesBesideDocumentFoldersAreIgnored) {
  test::TempDir dir;
  const fs::path batch = dir / "batch";
  write_good_page(batch / "D1" / "p1.png");
  write_good_page(batch / "D2" / "p1.png");
  for (const char* junk : {"Thumbs.db", ".DS_Store", "desktop.ini", "._D1"}) {
    test::write_text(batch / junk, "x");
  }
  const Job job = job_from_directory(batch, {});
  ASSERT_EQ(job.documents.size(), 2u);
  EXPECT_EQ(job.documents[0].id, "D1");
  EXPECT_EQ(job.documents[1].id, "D2");

  // A real page beside them is still refused, naming it.
  write_good_page(batch / "loose.png");
  try {
    (void)job_from_directory(batch, {});
    FAIL() << "a loose page was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              (batch / "loose.png").string() +
                  ": a file beside document folders belongs to no document; move it into a "
                  "document folder or write a job file");
  }
}

// --- a reduction the format cannot film ------------------------------------------------------

TEST(Messages, AReductionTheFormatCannotFilmNamesTheFlagOrKeyAndTheFormat) {
  const FilmFormat format = load_format(test::source_dir() / "profiles", "35mm-comic-30m");
  Job job;
  Document d1, d2;
  d1.id = "D001";
  d1.key = "documents[1]";
  d2.id = "D002";
  d2.key = "documents[2]";
  job.documents = {d1, d2};
  auto message = [&] {
    try {
      check_reductions(job, format);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::job);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  job.defaults.reduction = 24;
  job.reduction_flag = "--reduction";
  EXPECT_EQ(message(),
            "--reduction 24: reduction 24x is outside the range of 35mm-comic-30m (7x to 21x)");
  job.reduction_flag.clear();
  job.file = "/batch/job.toml";
  EXPECT_EQ(message(),
            "/batch/job.toml: reduction = 24: reduction 24x is outside the range of "
            "35mm-comic-30m (7x to 21x)");
  // A document's own reduction is named by its key; the job's is not used by any document.
  job.defaults.reduction = 14.8;
  job.documents[1].overrides.reduction = 30;
  EXPECT_EQ(message(),
            "/batch/job.toml: documents[2].reduction = 30 (document D002): reduction 30x is "
            "outside the range of 35mm-comic-30m (7x to 21x)");
  job.documents[1].overrides.reduction = 10.5;
  EXPECT_EQ(message(), "no error");

  // Through the CLI, before any page is read: not blamed on the first page.
  test::TempDir dir;
  const Scans scans(dir / "scans");
  const auto cli =
      test::run_cli({"plan", scans.dir.string(), "--format", "35mm-comic-30m", "--reduction", "24",
                     "--out", (dir / "out").string(), "--dpi", "254"});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_EQ(cli.err,
            "filmwriter: job error: --reduction 24: reduction 24x is outside the range "
            "of 35mm-comic-30m (7x to 21x)\n");
}

// An output that cannot be written is the machine's problem, not a bug: exit 8 (storage),
// naming the path and the reason, never "internal error" (issue 25).
TEST(Messages, AnOutputThatCannotBeWrittenIsAStorageErrorNamingThePath) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  samples::PageSpec spec;
  spec.width_mm = 100;
  spec.height_mm = 140;
  spec.dpi = 60;
  samples::save_page(samples::make_page(spec), dir / "scans" / "p1.png", samples::Encoding::png,
                     60);
  test::write_text(dir / "a-file", "not a folder");
  const auto cli =
      test::run_cli({"convert", (dir / "scans").string(), "--out", (dir / "a-file").string()});
  EXPECT_EQ(cli.exit_code, 8) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr(fmt::format("filmwriter: storage error: {}: cannot create the "
                                             "folder: Not a directory",
                                             (dir / "a-file").string())));
  EXPECT_THAT(cli.err, Not(HasSubstr("internal")));
}

// Zip tools on Chinese Windows write file names in GBK; unpacked on Linux, a page's name is not
// UTF-8. Every record of a page (plan.json, index, journal, catalog, mets.xml) is UTF-8, so
// the job stops before anything is planned, whatever the document's on_error, naming the file
// (its bytes written \xHH) and the encoding, and saying what to do; it was an internal error
// from plan.json's writer.
TEST(Messages, APageFileWhoseNameIsNotUtf8IsRefusedNamingItBeforeAnyFilm) {
  test::TempDir dir;
  write_good_page(dir / "scans" / "p1.png");
  // 第一页.png in GBK: 第 = B5 DA, 一 = D2 BB, 页 = D2 B3.
  write_good_page(dir / "scans" / "\xB5\xDA\xD2\xBB\xD2\xB3.png");
  test::write_text(dir / "job.toml", job_toml("gbk", "substitute"));
  for (const char* command : {"plan", "convert"}) {
    const auto cli = test::run_cli({command, (dir / "job.toml").string()});
    EXPECT_EQ(cli.exit_code, 2) << cli.err;
    EXPECT_THAT(cli.err, HasSubstr(fmt::format(
                             "filmwriter: job error: document D001 (documents[1]): "
                             "{}/\\xB5\\xDA\\xD2\\xBB\\xD2\\xB3.png: the file's path is not "
                             "UTF-8 (byte 0xB5); it looks like GBK/GB18030; ",
                             (dir / "scans").string())));
    EXPECT_THAT(cli.err, HasSubstr("rename it (convmv -f gbk -t utf-8"));
    EXPECT_THAT(cli.err, Not(HasSubstr("internal")));
    EXPECT_FALSE(fs::exists(dir / "out" / "gbk" / "plan.json"));
    EXPECT_FALSE(fs::exists(dir / "out" / "gbk" / "R0001"));
  }
}

// A PDF page is rendered at its frame's resolution: one that passes the page limit at 72 dpi but
// not at that size is refused when the job is planned, naming the page, before any film.
TEST(Messages, APdfPageOverTheLimitAtItsFramesResolutionIsRefusedBeforeAnyFilm) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  samples::PageSpec spec;
  spec.width_mm = 105;
  spec.height_mm = 148;
  spec.dpi = 100;
  samples::save_pdf({spec}, dir / "scans" / "big.pdf");
  test::write_text(dir / "job.toml", R"(version = 1
id = "pdf"
title = "PDF"
[recorder]
driver = "tiff"
[limits]
max_page_pixels = 1000000
[[documents]]
id = "D001"
title = "报告"
pages = { files = ["scans/big.pdf"] }
)");
  for (const bool dry_run : {true, false}) {
    std::vector<std::string> args{"convert", (dir / "job.toml").string()};
    if (dry_run) args.emplace_back("--dry-run");
    const auto cli = test::run_cli(args);
    EXPECT_EQ(cli.exit_code, 3) << cli.err;
    EXPECT_THAT(cli.err, HasSubstr("D001 page 1 (" + (dir / "scans" / "big.pdf").string() +
                                   ", page 1 in file): the page renders at "));
    EXPECT_THAT(cli.err, HasSubstr("pixels for its frame, more than the limit of 1000000 (job key "
                                   "limits.max_page_pixels)"));
    EXPECT_FALSE(fs::exists(dir / "out" / "pdf" / "journal.jsonl"));
  }
}

// `targets = "none"` on fiche: no targets, but the sheet keeps its header strip (it used to stop
// mid-job, exit 2, looking for targets/none/fiche-header.toml).
TEST(Messages, AFicheWithoutTargetsKeepsItsHeaderAndFilmsToTheEnd) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  for (int p = 1; p <= 2; ++p) write_good_page(dir / "scans" / fmt::format("p{}.png", p));
  test::write_text(
      dir / "job.toml",
      test::small_tiff_job("fiche", "缩微平片",
                           "format = \"fiche-a6-98-24x\"\ntargets = \"none\"\n", "报告"));
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml"));
  const std::string journal = read_file(dir / "out" / "fiche" / "journal.jsonl");
  EXPECT_THAT(journal, HasSubstr("\"event\":\"finished\""));
  EXPECT_THAT(journal, HasSubstr("\"kind\":\"fiche-header\""));
  EXPECT_THAT(journal, Not(HasSubstr("\"kind\":\"title-target\"")));
}

// An unknown format is named by the key (file and line) or the flag that asked for it, with the
// known formats and the likeliest one meant; nothing is read before it.
TEST(Messages, AnUnknownFormatNamesTheKeyOrFlagAndTheKnownFormats) {
  test::TempDir dir;
  const Scans scans(dir / "scans");
  std::string job = job_toml("f1", "fail");
  const std::string line = "format = \"16mm-comic-30m\"";
  job.replace(job.find(line), line.size(), "format = \"16mm-comic-3m\"");
  test::write_text(dir / "job.toml", job);
  // Every format file of the profiles, by name: a format added to profiles/formats/ is listed
  // too, without this test naming it.
  const std::filesystem::path formats = test::source_dir() / "profiles" / "formats";
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(formats)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {"16mm-comic-30m", "16mm-cine-30m", "35mm-comic-30m", "fiche-a6-98-24x"}));
  const std::string known =
      fmt::format("known formats in {}: {}\n", formats.string(), fmt::join(names, ", "));
  auto cli = test::run_cli({"plan", (dir / "job.toml").string()});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_EQ(cli.err, "filmwriter: job error: " + (dir / "job.toml").string() +
                         ":5: format: unknown film format \"16mm-comic-3m\" (did you mean "
                         "\"16mm-comic-30m\"?); " +
                         known);
  cli = test::run_cli({"convert", (dir / "job.toml").string(), "--format", "nosuch"});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_EQ(cli.err, "filmwriter: job error: --format: unknown film format \"nosuch\"; " + known);
  EXPECT_FALSE(fs::exists(dir / "out"));
  // One-line mode names the flag too.
  cli = test::run_cli({"plan", scans.dir.string(), "--format", "35mm-comc-30m", "--out",
                       (dir / "out").string(), "--dpi", "254"});
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_EQ(cli.err,
            "filmwriter: job error: --format: unknown film format \"35mm-comc-30m\" (did you "
            "mean \"35mm-comic-30m\"?); " +
                known);
}

// An inline [format] films on the sim as the profile with the same keys does (docs/formats.md,
// docs/drivers.md); one with a key missing is a job error (exit 2) before anything is written,
// so a refused job leaves no journal behind (issue 25, item 10).
TEST(Messages, AnInlineFormatFilmsOnTheSimAndABadOneIsRefusedBeforeAnythingIsWritten) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  for (const char* name : {"p1.png", "p2.png"}) write_good_page(dir / "scans" / name);
  test::copy_profiles_with_test_recorder(dir / "profiles");
  std::string job = job_toml("inline", "fail");
  const std::string driver = "driver = \"tiff\"\n[recorder.options]\npitch_um = 12.5\n";
  job.replace(job.find(driver), driver.size(),
              "driver = \"sim\"\n[recorder.options]\nrecorder = \"sim-test\"\nrate = \"0\"\n");
  job.replace(job.find("reduction = 10"), 14, "reduction = 24");
  test::write_text(dir / "profile.toml", job);
  // The same format inline: every key of the profile, in a [format] table.
  std::string keys;
  std::istringstream profile(read_file(dir / "profiles" / "formats" / "16mm-comic-30m.toml"));
  for (std::string line; std::getline(profile, line);) {
    if (!line.empty() && line[0] != '#') keys += line.substr(0, line.find('#')) + "\n";
  }
  std::string inline_job = job;
  inline_job.erase(inline_job.find("format = \"16mm-comic-30m\"\n"), 25);
  inline_job.replace(inline_job.find("[recorder]"), 10, "[format]\n" + keys + "\n[recorder]");
  test::write_text(dir / "inline.toml", inline_job);
  const std::vector<std::string> flags{"--profiles", (dir / "profiles").string()};
  const auto run = [&](const std::string& file, const std::string& out) {
    std::vector<std::string> args{"convert", (dir / file).string(), "--out", (dir / out).string()};
    args.insert(args.end(), flags.begin(), flags.end());
    return test::run_cli(args);
  };
  const auto by_name = run("profile.toml", "by-name");
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  const auto inline_format = run("inline.toml", "inline");
  ASSERT_EQ(inline_format.exit_code, 0) << inline_format.err;
  // The same frames on the same film: the index's frame checksums and the developed film.
  const auto frames = [](const fs::path& index) {
    std::vector<std::string> sha;
    for (const auto& row : test::read_csv(index)) sha.push_back(row.at(9));
    return sha;
  };
  EXPECT_EQ(frames(dir / "inline" / "inline" / "R0001" / "index.csv"),
            frames(dir / "by-name" / "inline" / "R0001" / "index.csv"));
  EXPECT_EQ(sha256_file(dir / "inline" / "inline" / "R0001" / "film" / "F000002.tif"),
            sha256_file(dir / "by-name" / "inline" / "R0001" / "film" / "F000002.tif"));
  const auto verify = test::run_cli({"verify", (dir / "inline" / "inline").string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // A key missing: refused naming it, and no job folder, journal or catalog made.
  std::string bad = inline_job;
  bad.erase(bad.find("margin_mm"),
            bad.find('\n', bad.find("margin_mm")) - bad.find("margin_mm") + 1);
  test::write_text(dir / "bad.toml", bad);
  const auto refused = run("bad.toml", "bad");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("format.margin_mm"));
  EXPECT_FALSE(fs::exists(dir / "bad" / "inline" / "journal.jsonl"));
  EXPECT_FALSE(fs::exists(dir / "bad" / "inline"));
}

// --- an interrupt ----------------------------------------------------------------------------

TEST(Messages, AnInterruptSaysWhereTheFilmStandsAndHowToContinue) {
  test::TempDir dir;
  for (const char* name : {"p1.png", "p2.png", "p3.png"}) write_good_page(dir / "scans" / name);
  test::write_text(dir / "job.toml", job_toml("m4", "fail"));
  api::JobRequest request;
  request.source = dir / "job.toml";
  const api::JobSettings settings = api::resolve(request);
  hal::Registry drivers;
  drivers::register_builtin_drivers(drivers);
  std::atomic<bool> stop{true};  // SIGINT before the first frame
  api::ConvertOptions options;
  options.stop = &stop;
  api::ConvertListener listener;
  try {
    (void)api::convert(settings, drivers, options, listener);
    FAIL() << "a stopped run reported success";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::interrupted);
    // Printed as "filmwriter: interrupted: stopped with ...": the word once.
    EXPECT_EQ(std::string(e.what()),
              fmt::format("stopped with 0 of 3 frames on film; continue with `filmwriter "
                          "convert --resume {}`",
                          (dir / "out" / "m4").string()))
        << e.what();
  }
}

// --- the progress line and the summary -------------------------------------------------------

struct FakeClock {
  double now = 0;
  std::function<double()> function() {
    return [this] { return now; };
  }
};

IndexRow row_of(std::uint32_t frame, const std::string& kind = "page") {
  IndexRow row;
  row.frame = frame;
  row.kind = kind;
  row.document_id = "D001";
  row.page = frame;
  row.address = fmt::format("R0001-D001-{:04}", frame);
  return row;
}

TEST(Messages, TheProgressLineCountsTheLeaderAndItsRateIsTheFilmsPace) {
  ops::Log log;
  ops::RunTotals totals;
  totals.job_id = "p";
  totals.frames_planned = 10;
  totals.reel_film_m = {{"R0001", 2.0}};  // 1 m leader, 0.5 m of frames, 0.5 m trailer
  totals.reel_frames = {{"R0001", 10}};
  totals.leader_m = 1.0;
  totals.trailer_m = 0.5;
  totals.buffer_frames = 3;
  FakeClock clock;
  ops::RunLog run(log, nullptr, totals, true);
  run.set_clock(clock.function());
  hal::ReelSpec spec;
  spec.reel_id = "R0001";
  testing::internal::CaptureStderr();
  run.reel_loaded(spec);
  // The recorder's buffer takes the first three frames at once ...
  for (std::uint32_t frame = 1; frame <= 3; ++frame) {
    clock.now = 0.2 * frame;
    run.frame_exposed("R0001", frame - 1, row_of(frame));
  }
  // ... then one a second, as the film moves.
  for (std::uint32_t frame = 4; frame <= 6; ++frame) {
    clock.now = 0.6 + (frame - 3);
    run.frame_exposed("R0001", frame - 1, row_of(frame));
  }
  const std::string err = testing::internal::GetCapturedStderr();
  // The film counter starts with the leader; no rate from the buffer's burst.
  EXPECT_THAT(err, HasSubstr("] 1/10 frames  R0001  -- frames/s  ETA --:--  film 1.05 m "));
  // 1 frame/s: 4 frames to send and 3 in the buffer still to be written take 7 s.
  EXPECT_THAT(err, HasSubstr("] 6/10 frames  R0001  1.00 frames/s  ETA 0:07  film 1.30 m "));
  EXPECT_THAT(err, Not(HasSubstr("pages/s")));
}

TEST(Messages, TheSummaryListsEveryWarningAndEachSubstitutedPageOnce) {
  ops::Log log;
  ops::RunTotals totals;
  totals.job_id = "s";
  totals.frames_planned = 3;
  ops::RunLog run(log, nullptr, totals, false);
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  run.warn("substitute", {},
           {ops::substitute_warning("D001 (documents[1])", 1, "R0001-D001-0001", "p1.tif: gone"),
            {{"document", "D001"}, {"page", 1}}});
  hal::ReelSpec spec;
  spec.reel_id = "R0001";
  run.reel_loaded(spec);
  run.frame_exposed("R0001", 0, row_of(1, "substitute"));  // warned of already
  IndexRow rendered = row_of(2, "substitute");             // found by the render stage
  rendered.substitute_reason = "p2.tif (page 1): cannot decode: damaged";
  run.frame_exposed("R0001", 1, rendered);
  run.frame_exposed("R0001", 2, row_of(3));
  const auto fields = run.summary("done");
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "filmwriter: warning: document D001 (documents[1]) page 1 (R0001-D001-0001) is "
            "filmed as a substitute: p1.tif: gone\n"
            "filmwriter: warning: document D001 page 2 (R0001-D001-0002) is filmed as a "
            "substitute: p2.tif (page 1): cannot decode: damaged\n");
  EXPECT_THAT(out, HasSubstr(", 2 warning(s)\n"
                             "  warning: document D001 (documents[1]) page 1 (R0001-D001-0001) "
                             "is filmed as a substitute: p1.tif: gone\n"
                             "  warning: document D001 page 2 (R0001-D001-0002) is filmed as a "
                             "substitute: p2.tif (page 1): cannot decode: damaged\n"));
  EXPECT_EQ(fields["warnings"], 2);
  EXPECT_EQ(fields["substitutes"].size(), 2u);
  EXPECT_EQ(fields["substitutes"][1]["reason"], "p2.tif (page 1): cannot decode: damaged");
}

}  // namespace
}  // namespace fw::messages_test
