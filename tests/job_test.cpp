#include "job/job.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "support/test_support.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;

// The message of the Error that parsing `text` throws, checking that it is a job error.
std::string job_error(const std::string& text) {
  try {
    parse_job(text, "job.toml", "/jobs");
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

std::string usage_error(Job job, const JobOverrides& overrides) {
  try {
    apply_overrides(job, overrides);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::usage) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error for the overrides";
  return {};
}

// A valid job; tests append or replace lines to break it. Line numbers are fixed:
//   1 version, 2 id, 3 title, 4 blank, 5 [[documents]], 6 id, 7 title, 8 pages
const std::string kHeader = "version = 1\nid = \"j1\"\ntitle = \"T\"\n\n";
const std::string kFirstDocument =
    "[[documents]]\nid = \"D001\"\ntitle = \"卷一\"\npages = { dir = \"scans/d1\" }\n";

// Document ids become folder names (restore) and frame addresses; titles and metadata are
// drawn on film. What cannot be either is refused with the line and what was found (issue 25).
TEST(JobFile, UnsafeIdsBlankTitlesAndControlCharactersAreRefused) {
  const auto document = [](const std::string& id, const std::string& title) {
    return "version = 1\nid = \"j\"\ntitle = \"t\"\n[[documents]]\nid = " + id +
           "\ntitle = " + title + "\npages = { dir = \"s\" }\n";
  };
  const std::string rule =
      "expected a document id of 1 to 64 characters without '/', '\\', control characters or "
      "a leading '.' or space, got ";
  EXPECT_EQ(job_error(document("\"../evil\"", "\"d\"")),
            "job.toml:5: documents[1].id: " + rule + "\"../evil\"");
  EXPECT_EQ(job_error(document("\"a/b\"", "\"d\"")),
            "job.toml:5: documents[1].id: " + rule + "\"a/b\"");
  EXPECT_EQ(job_error(document("\"a\\nb\"", "\"d\"")),
            "job.toml:5: documents[1].id: " + rule + "\"a\\nb\"");
  EXPECT_THAT(job_error(document("\"" + std::string(10000, 'x') + "\"", "\"d\"")),
              ::testing::HasSubstr(rule + "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" ... "
                                          "(10000 characters)"));
  EXPECT_EQ(job_error(document("\"D1\"", "\"   \"")),
            "job.toml:6: documents[1].title: expected a title with a visible character, got "
            "\"   \"");
  EXPECT_EQ(job_error("version = 1\nid = \"j\"\ntitle = \"a\\u0000b\"\n" + kFirstDocument),
            "job.toml:3: title: expected a title without control characters, got "
            "\"a\\u0000b\"");
  EXPECT_EQ(job_error("version = 1\nid = \"" + std::string(65, 'j') + "\"\ntitle = \"t\"\n" +
                      kFirstDocument),
            "job.toml:2: id: expected a job id of at most 64 characters, got \"" +
                std::string(40, 'j') + "\" ... (65 characters)");
  // Chinese ids of up to 64 characters are ids like any other.
  const Job job = parse_job(document("\"论语卷一\"", "\"论语\""), "job.toml", "/jobs");
  EXPECT_EQ(job.documents[0].id, "论语卷一");
}

TEST(JobFile, FullJobRoundTripsIntoTheStruct) {
  test::TempDir dir;
  const auto job_file = dir / "jobs/job.toml";
  test::write_text(job_file, R"(version = 1
id = "nlc-2026-0001"
title = "善本古籍 第一批"
institution = "国家图书馆"
output = "../film-out"
format = "35mm-comic-30m"
reduction = 21.5
mode = "gray"
polarity = "positive"
threads = 2
dpi = 300
force_dpi = true
rotate = 90
threshold = 140
on_error = "skip-document"

[limits]
max_page_pixels = 1000000
max_file_mb = 3

[recorder]
driver = "sim"
[recorder.options]
pitch_um = 2.5
lines = 4
label = "A"
fast = false

[[documents]]
id = "D001"
title = "论语集注 卷一"
pages = { dir = "scans/d1" }
reduction = 24
mode = "bitonal"
dpi = 400
force_dpi = false
rotate = 270
threshold = 100
on_error = "substitute"
[documents.metadata]
朝代 = "宋"
作者 = "朱熹"
z_first = "排序"
a_last = 1.5

[[documents]]
id = "D002"
title = "卷二"
pages = { glob = "scans/./d2/*.tif" }

[[documents]]
id = "D003"
title = "卷三"
pages = { files = ["b.tif", "/abs/a.jpg"] }

[[documents]]
id = "D004"
title = "卷四"
pages = { tiff = "multi.tif", range = "2-5" }

[[documents]]
id = "D005"
title = "卷五"
pages = { pdf = "book.pdf", range = "3-" }

[[documents]]
id = "D006"
title = "卷六"
pages = { pdf = "one.pdf", range = 7 }
)");
  const Job job = load_job(job_file);
  const fs::path base = dir.path() / "jobs";

  EXPECT_EQ(job.version, 1);
  EXPECT_EQ(job.file, job_file);
  EXPECT_EQ(job.base_dir, base);
  EXPECT_EQ(job.id, "nlc-2026-0001");
  EXPECT_EQ(job.title, "善本古籍 第一批");
  EXPECT_EQ(job.institution, "国家图书馆");
  EXPECT_EQ(job.output, dir.path() / "film-out");
  EXPECT_EQ(job.format, "35mm-comic-30m");
  EXPECT_EQ(job.polarity, Polarity::positive);
  EXPECT_EQ(job.threads, 2u);
  EXPECT_EQ(job.defaults.reduction, 21.5);
  EXPECT_EQ(job.defaults.mode, ImageMode::grey);
  EXPECT_EQ(job.defaults.dpi, 300.0);
  EXPECT_TRUE(job.defaults.force_dpi);
  EXPECT_EQ(job.defaults.rotate, 90);
  EXPECT_EQ(job.defaults.threshold, 140);
  EXPECT_EQ(job.defaults.on_error, FailurePolicy::skip_document);
  EXPECT_EQ(job.limits.max_page_pixels, 1'000'000u);
  EXPECT_EQ(job.limits.max_file_bytes, 3u * 1024 * 1024);
  EXPECT_EQ(job.driver, "sim");
  const std::map<std::string, std::string> options = {
      {"pitch_um", "2.5"}, {"lines", "4"}, {"label", "A"}, {"fast", "false"}};
  EXPECT_EQ(job.driver_options, options);

  ASSERT_EQ(job.documents.size(), 6u);
  const Document& first = job.documents[0];
  EXPECT_EQ(first.id, "D001");
  EXPECT_EQ(first.title, "论语集注 卷一");
  EXPECT_EQ(first.key, "documents[1]");
  EXPECT_EQ(first.pages.kind, PageSource::Kind::directory);
  EXPECT_EQ(first.pages.paths, std::vector<std::string>{(base / "scans/d1").string()});
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"朝代", "宋"}, {"作者", "朱熹"}, {"z_first", "排序"}, {"a_last", "1.5"}};
  EXPECT_EQ(first.metadata, metadata);
  EXPECT_EQ(first.overrides.reduction, 24.0);
  EXPECT_EQ(first.overrides.mode, ImageMode::bitonal);
  EXPECT_EQ(first.overrides.dpi, 400.0);
  EXPECT_EQ(first.overrides.force_dpi, false);
  EXPECT_EQ(first.overrides.rotate, 270);
  EXPECT_EQ(first.overrides.threshold, 100);
  EXPECT_EQ(first.overrides.on_error, FailurePolicy::substitute);

  const PageSettings own = settings_for(job, first);
  EXPECT_EQ(own.reduction, 24);
  EXPECT_EQ(own.mode, ImageMode::bitonal);
  EXPECT_EQ(own.dpi, 400.0);
  EXPECT_FALSE(own.force_dpi);
  EXPECT_EQ(own.rotate, 270);
  EXPECT_EQ(own.threshold, 100);
  EXPECT_EQ(own.on_error, FailurePolicy::substitute);
  const PageSettings inherited = settings_for(job, job.documents[1]);
  EXPECT_EQ(inherited.reduction, 21.5);
  EXPECT_EQ(inherited.mode, ImageMode::grey);
  EXPECT_EQ(inherited.dpi, 300.0);
  EXPECT_TRUE(inherited.force_dpi);
  EXPECT_EQ(inherited.rotate, 90);
  EXPECT_EQ(inherited.threshold, 140);
  EXPECT_EQ(inherited.on_error, FailurePolicy::skip_document);

  EXPECT_EQ(job.documents[1].key, "documents[2]");
  EXPECT_EQ(job.documents[1].pages.kind, PageSource::Kind::glob);
  EXPECT_EQ(job.documents[1].pages.paths,
            std::vector<std::string>{(base / "scans/d2/*.tif").string()});
  EXPECT_TRUE(job.documents[1].metadata.empty());
  EXPECT_EQ(job.documents[2].pages.kind, PageSource::Kind::list);
  EXPECT_EQ(job.documents[2].pages.paths,
            (std::vector<std::string>{(base / "b.tif").string(), "/abs/a.jpg"}));
  EXPECT_EQ(job.documents[3].pages.kind, PageSource::Kind::tiff);
  EXPECT_EQ(job.documents[3].pages.paths, std::vector<std::string>{(base / "multi.tif").string()});
  EXPECT_EQ(job.documents[3].pages.first_page, 2u);
  EXPECT_EQ(job.documents[3].pages.last_page, 5u);
  EXPECT_EQ(job.documents[4].pages.kind, PageSource::Kind::pdf);
  EXPECT_EQ(job.documents[4].pages.first_page, 3u);
  EXPECT_EQ(job.documents[4].pages.last_page, 0u);
  EXPECT_EQ(job.documents[5].pages.first_page, 7u);
  EXPECT_EQ(job.documents[5].pages.last_page, 7u);
}

TEST(JobFile, MinimalJobGetsTheDefaults) {
  const Job job = parse_job(kHeader + kFirstDocument, "job.toml", "/jobs");
  EXPECT_TRUE(job.file.empty());
  EXPECT_EQ(job.output, fs::path("/jobs/out"));
  EXPECT_EQ(job.format, "16mm-comic-30m");
  EXPECT_EQ(job.driver, "sim");  // the simulated recorder (issue 6)
  EXPECT_TRUE(job.driver_options.empty());
  EXPECT_EQ(job.polarity, Polarity::negative);
  EXPECT_EQ(job.threads, 0u);
  EXPECT_EQ(job.institution, "");
  EXPECT_EQ(job.limits.max_page_pixels, 400'000'000u);
  EXPECT_EQ(job.limits.max_file_bytes, 2048ull * 1024 * 1024);
  EXPECT_EQ(job.defaults.reduction, 24);
  EXPECT_EQ(job.defaults.mode, ImageMode::grey);
  EXPECT_FALSE(job.defaults.dpi.has_value());
  EXPECT_EQ(job.defaults.on_error, FailurePolicy::fail);
  ASSERT_EQ(job.documents.size(), 1u);
  EXPECT_EQ(job.documents[0].pages.first_page, 1u);
  EXPECT_EQ(job.documents[0].pages.last_page, 0u);
}

TEST(JobFile, WrongTypeNamesTheTypeFound) {
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "reduction = \"24x\"\n"),
            "job.toml:9: documents[1].reduction: expected a number 7–50, got \"24x\"");
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\ntitle = [\"T\"]\n\n" + kFirstDocument),
            "job.toml:3: title: expected a non-empty string, got an array");
  EXPECT_EQ(job_error(kHeader + "[[documents]]\nid = \"D1\"\ntitle = \"t\"\npages = \"scans\"\n"),
            "job.toml:8: documents[1].pages: expected a table such as { dir = \"scans\" }, got "
            "\"scans\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "force_dpi = 1\n"),
            "job.toml:9: documents[1].force_dpi: expected true or false, got an integer 1");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "rotate = 90.0\n"),
            "job.toml:9: documents[1].rotate: expected one of 0, 90, 180, 270, got a number 90.0");
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\ntitle = \"T\"\nlimits = 5\n" + kFirstDocument),
            "job.toml:4: limits: expected a table, got an integer 5");
  EXPECT_EQ(job_error(kHeader + "documents = \"all\"\n"),
            "job.toml:5: documents: expected an array of tables ([[documents]]), got \"all\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "[documents.metadata]\nyear = true\n"),
            "job.toml:10: documents[1].metadata.year: expected a string or number, got a "
            "boolean true");
  EXPECT_EQ(
      job_error(kHeader + "[recorder.options]\nsizes = [1, 2]\n\n" + kFirstDocument),
      "job.toml:6: recorder.options.sizes: expected a string, number or boolean, got an array");
}

TEST(JobFile, ValuesOutOfRangeAreRejected) {
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\nreduction = 70\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:3: reduction: expected a number 7–50, got 70");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "reduction = 6.5\n"),
            "job.toml:9: documents[1].reduction: expected a number 7–50, got 6.5");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "dpi = 49\n"),
            "job.toml:9: documents[1].dpi: expected a number 50–4800, got 49");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "threshold = 256\n"),
            "job.toml:9: documents[1].threshold: expected an integer 0–255, got 256");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "rotate = 45\n"),
            "job.toml:9: documents[1].rotate: expected one of 0, 90, 180, 270, got 45");
  EXPECT_EQ(job_error("threads = 300\n" + kHeader + kFirstDocument),
            "job.toml:1: threads: expected an integer 0–256, got 300");
  EXPECT_EQ(job_error(kHeader + "[limits]\nmax_page_pixels = 0\n" + kFirstDocument),
            "job.toml:6: limits.max_page_pixels: expected a positive integer, got 0");
  EXPECT_EQ(job_error(kHeader + "[limits]\nmax_file_mb = 0\n" + kFirstDocument),
            "job.toml:6: limits.max_file_mb: expected an integer 1–16777216, got 0");
  EXPECT_EQ(
      job_error("version = 1\nid = \"2026/01\"\ntitle = \"T\"\n" + kFirstDocument),
      "job.toml:2: id: expected a job id of letters, digits, '.', '_' or '-', got \"2026/01\"");
  EXPECT_EQ(job_error("version = 1\nid = \"..\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:2: id: expected a job id of letters, digits, '.', '_' or '-', got \"..\"");
  EXPECT_EQ(job_error("version = 1\nid = \"j\"\ntitle = \"\"\n" + kFirstDocument),
            "job.toml:3: title: expected a non-empty string, got an empty string");
}

TEST(JobFile, UnknownKeysSuggestTheClosestKnownKey) {
  EXPECT_EQ(
      job_error("version = 1\nid = \"j1\"\ntitle = \"T\"\n\nreducton = 24\n" + kFirstDocument),
      "job.toml:5: reducton: unknown key (did you mean \"reduction\"?)");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "titel = \"x\"\n"),
            "job.toml:9: documents[1].titel: unknown key (did you mean \"title\"?)");
  EXPECT_EQ(job_error(kHeader + "[[documents]]\nid = \"D1\"\ntitle = \"t\"\npages = { "
                                "dirs = \"a\" }\n"),
            "job.toml:8: documents[1].pages.dirs: unknown key (did you mean \"dir\"?)");
  EXPECT_EQ(job_error(kHeader + "[limit]\nmax_file_mb = 3\n" + kFirstDocument),
            "job.toml:5: limit: unknown key (did you mean \"limits\"?)");
  EXPECT_EQ(job_error(kHeader + "[recorder]\ndriver = \"tiff\"\nspeed = 3\n" + kFirstDocument),
            "job.toml:7: recorder.speed: unknown key (known keys: driver, options)");
}

TEST(JobFile, MissingRequiredKeysPointAtTheirTable) {
  EXPECT_EQ(job_error(kHeader + "\n[[documents]]\nid = \"D1\"\npages = { dir = \"a\" }\n"),
            "job.toml:6: documents[1].title: expected a non-empty string (required), got "
            "nothing");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "\n[[documents]]\nid = \"D2\"\ntitle = \"t\"\n"),
            "job.toml:10: documents[2].pages: expected a table such as { dir = \"scans\" } "
            "(required), got nothing");
  EXPECT_EQ(job_error("version = 1\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:1: id: expected a job id of letters, digits, '.', '_' or '-' (required), got "
            "nothing");
  EXPECT_EQ(job_error(kHeader),
            "job.toml:1: documents: expected at least one [[documents]] table, got none");
  EXPECT_EQ(job_error(kHeader + "documents = []\n"),
            "job.toml:5: documents: expected at least one [[documents]] table, got an empty "
            "array");
}

TEST(JobFile, VersionMustBeOne) {
  EXPECT_EQ(job_error("id = \"j1\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:1: version: expected 1 (required), got nothing");
  EXPECT_EQ(job_error("\nversion = 2\nid = \"j1\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:2: version: expected 1, got 2");
  EXPECT_EQ(job_error("version = \"1\"\nid = \"j1\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:1: version: expected 1, got \"1\"");
}

TEST(JobFile, EnumWordsListTheAcceptedWords) {
  EXPECT_EQ(job_error("mode = \"rgb\"\n" + kHeader + kFirstDocument),
            "job.toml:1: mode: expected one of bitonal, grey (or gray), colour (or color), got "
            "\"rgb\"");
  EXPECT_EQ(job_error("polarity = \"neg\"\n" + kHeader + kFirstDocument),
            "job.toml:1: polarity: expected one of negative, positive, got \"neg\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "on_error = \"skip\"\n"),
            "job.toml:9: documents[1].on_error: expected one of fail, skip-document, substitute, "
            "got \"skip\"");
}

TEST(JobFile, PagesNeedExactlyOneKind) {
  const std::string document = "[[documents]]\nid = \"D1\"\ntitle = \"t\"\n";
  EXPECT_EQ(job_error(kHeader + document + "pages = { dir = \"a\", glob = \"b/*.tif\" }\n"),
            "job.toml:8: documents[1].pages: expected exactly one of dir, glob, files, tiff, pdf, "
            "got dir and glob");
  EXPECT_EQ(job_error(kHeader + document +
                      "pages = { pdf = \"a.pdf\", files = [\"x\"], dir = "
                      "\"a\" }\n"),
            "job.toml:8: documents[1].pages: expected exactly one of dir, glob, files, tiff, pdf, "
            "got pdf, files and dir");
  EXPECT_EQ(
      job_error(kHeader + document + "pages = { range = \"1\" }\n"),
      "job.toml:8: documents[1].pages: expected one of dir, glob, files, tiff, pdf, got none");
  EXPECT_EQ(job_error(kHeader + document + "pages = { files = [] }\n"),
            "job.toml:8: documents[1].pages.files: expected an array of file paths, got an empty "
            "array");
  EXPECT_EQ(job_error(kHeader + document + "pages = { files = [\"a.tif\", 3] }\n"),
            "job.toml:8: documents[1].pages.files[2]: expected a file path, got an integer 3");
}

TEST(JobFile, PageRangesAreChecked) {
  const std::string document = "[[documents]]\nid = \"D1\"\ntitle = \"t\"\n";
  for (const std::string range : {"5-2", "0", "x", "1-2-3", "-4", "", " 1", "99999999999"}) {
    EXPECT_EQ(
        job_error(kHeader + document + "pages = { tiff = \"m.tif\", range = \"" + range + "\" }\n"),
        "job.toml:8: documents[1].pages.range: expected a page range \"N\", \"N-M\" or "
        "\"N-\" (first page is 1), got \"" +
            range + "\"");
  }
  EXPECT_EQ(job_error(kHeader + document + "pages = { pdf = \"m.pdf\", range = 0 }\n"),
            "job.toml:8: documents[1].pages.range: expected a page range \"N\", \"N-M\" or \"N-\" "
            "(first page is 1), got 0");
  EXPECT_EQ(job_error(kHeader + document + "pages = { dir = \"d\", range = \"1-2\" }\n"),
            "job.toml:8: documents[1].pages.range: expected a range only with tiff or pdf, got it "
            "with dir");
}

TEST(JobFile, DuplicateDocumentIdsAreRejected) {
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "\n[[documents]]\nid = \"D001\"\ntitle = \"t\"\n" +
                      "pages = { dir = \"b\" }\n"),
            "job.toml:11: documents[2].id: expected a unique document id, got \"D001\" again "
            "(first used by documents[1])");
}

TEST(JobFile, ForceDpiNeedsADpi) {
  EXPECT_EQ(job_error("force_dpi = true\n" + kHeader + kFirstDocument),
            "job.toml:1: force_dpi: expected dpi to be set when force_dpi = true, got no dpi");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "force_dpi = true\n"),
            "job.toml:9: documents[1].force_dpi: expected dpi to be set when force_dpi = true, "
            "got no dpi");
  // The document's own dpi satisfies the job-level force_dpi.
  const Job job = parse_job("force_dpi = true\n" + kHeader + kFirstDocument + "dpi = 600\n",
                            "job.toml", "/jobs");
  EXPECT_EQ(settings_for(job, job.documents[0]).dpi, 600.0);
}

TEST(JobFile, SyntaxErrorsGiveTheLine) {
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\ntitle = = \"T\"\n"),
            "job.toml:3: syntax error: Error while parsing value: could not determine value type");
  EXPECT_EQ(job_error("version = 1\nversion = 1\n"), "job.toml:2: version is defined twice");
}

// toml++ names a doubled key from its own record of it, which for a Unicode bare key (quoted
// before parsing, job/bare_keys.hpp) reads '"版本版本" '; the message names the key as written.
TEST(JobFile, AKeyDefinedTwiceIsNamedAsWritten) {
  const std::string metadata = "\n[documents.metadata]\n版本 = \"a\"\n";
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "版本 = \"b\"\n"),
            "job.toml:12: 版本 is defined twice");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "  \"版本\" = 'b' # again\n"),
            "job.toml:12: \"版本\" is defined twice");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "索书号 = 1\n卷.册 = 2\n索书号 = 3\n"),
            "job.toml:14: 索书号 is defined twice");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "[documents.metadata]\n"),
            "job.toml:12: [documents.metadata] is defined twice");
  // Through load_job too: the file's name and line.
  test::TempDir dir;
  test::write_text(dir / "job.toml", kHeader + kFirstDocument + metadata + "版本 = \"b\"\n");
  try {
    load_job(dir / "job.toml");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    EXPECT_EQ(std::string(error.what()),
              (dir / "job.toml").string() + ":12: 版本 is defined twice");
  }
}

TEST(JobFile, UnicodeBareKeysAreAcceptedAndStringsAreLeftAlone) {
  const std::string text =
      "\xEF\xBB\xBF" + kHeader + kFirstDocument +
      "metadata = { 版本 = \"宋刻本\", \"quoted 键\" = 'x, 年代 = y', 年代 = 1127 }\n"
      "\n[[documents]]\nid = \"D002\"\npages = { dir = \"b\" }\n"
      "title = \"\"\"\n作者 = \"不是键\"\n# 不是注释\"\"\"\"\n"
      "[documents.metadata] # 作者 = \"注释\"\n"
      "  作者 =  '朱熹'\n"
      "bare-ascii = \"a\" \n"
      "\"引号\" = \"\"\"多行\n 值 = 1\"\"\"\n";
  const Job job = parse_job(text, "job.toml", "/jobs");
  ASSERT_EQ(job.documents.size(), 2u);
  const std::vector<std::pair<std::string, std::string>> inline_metadata = {
      {"版本", "宋刻本"}, {"quoted 键", "x, 年代 = y"}, {"年代", "1127"}};
  EXPECT_EQ(job.documents[0].metadata, inline_metadata);
  // 卷.数 is a dotted key: a table, which metadata does not take.
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "metadata = { 卷.数 = 3 }\n"),
            "job.toml:9: documents[1].metadata.卷: expected a string or number, got a table");
  EXPECT_EQ(job.documents[1].title, "作者 = \"不是键\"\n# 不是注释\"");
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"作者", "朱熹"}, {"bare-ascii", "a"}, {"引号", "多行\n 值 = 1"}};
  EXPECT_EQ(job.documents[1].metadata, metadata);
}

TEST(JobFile, LoadJobReportsAnUnreadableFile) {
  test::TempDir dir;
  try {
    load_job(dir / "missing.toml");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    // The reason after the path is fw::read_file's.
    EXPECT_TRUE(std::string(error.what()).starts_with((dir / "missing.toml").string() + ": "))
        << error.what();
  }
  try {
    load_job(dir.path());
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    EXPECT_EQ(std::string(error.what()),
              dir.path().string() + ": expected a job file, got a folder");
  }
}

TEST(JobFile, ErrorsNameTheFileAsGiven) {
  test::TempDir dir;
  test::write_text(dir / "a/job.toml", "version = 1\nid = \"j1\"\ntitle = \"T\"\n");
  try {
    load_job(dir / "a/job.toml");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              (dir / "a/job.toml").string() +
                  ":1: documents: expected at least one [[documents]] table, got none");
  }
}

TEST(Overrides, FlagsReplaceJobKeysAndDocumentsKeepTheirOwn) {
  Job job = parse_job(kHeader + kFirstDocument + "reduction = 30\n\n[[documents]]\nid = \"D2\"\n" +
                          "title = \"t\"\npages = { dir = \"b\" }\n",
                      "job.toml", "/jobs");
  JobOverrides overrides;
  overrides.output = "/film";
  overrides.driver = "sim";
  overrides.threads = 4;
  overrides.format = "35mm-comic-30m";
  overrides.reduction = 42;
  overrides.mode = ImageMode::colour;
  overrides.polarity = Polarity::positive;
  overrides.dpi = 600;
  overrides.id = "other-id";
  overrides.title = "新题";
  overrides.driver_options = {{"pitch_um", "3"}};
  apply_overrides(job, overrides);
  EXPECT_EQ(job.output, fs::path("/film"));
  EXPECT_EQ(job.driver, "sim");
  EXPECT_EQ(job.threads, 4u);
  EXPECT_EQ(job.format, "35mm-comic-30m");
  EXPECT_EQ(job.polarity, Polarity::positive);
  EXPECT_EQ(job.id, "other-id");
  EXPECT_EQ(job.title, "新题");
  EXPECT_EQ(job.driver_options.at("pitch_um"), "3");
  EXPECT_EQ(settings_for(job, job.documents[0]).reduction, 30);  // the document's own key wins
  EXPECT_EQ(settings_for(job, job.documents[1]).reduction, 42);
  EXPECT_EQ(settings_for(job, job.documents[1]).mode, ImageMode::colour);
  EXPECT_EQ(settings_for(job, job.documents[1]).dpi, 600.0);

  JobOverrides relative;
  relative.output = "rel/out";
  apply_overrides(job, relative);
  EXPECT_EQ(job.output, fs::current_path() / "rel/out");
}

TEST(Overrides, FlagValuesAreValidatedLikeFileKeys) {
  const Job job = parse_job(kHeader + kFirstDocument, "job.toml", "/jobs");
  JobOverrides reduction;
  reduction.reduction = 70;
  EXPECT_EQ(usage_error(job, reduction), "--reduction: expected a number 7–50, got 70");
  JobOverrides dpi;
  dpi.dpi = 12.5;
  EXPECT_EQ(usage_error(job, dpi), "--dpi: expected a number 50–4800, got 12.5");
  JobOverrides threads;
  threads.threads = 257;
  EXPECT_EQ(usage_error(job, threads), "--threads: expected an integer 0–256, got 257");
  JobOverrides id;
  id.id = "a b";
  EXPECT_EQ(usage_error(job, id),
            "--id: expected a job id of at most 64 letters, digits, '.', '_' or '-', got "
            "\"a b\"");
  JobOverrides title;
  title.title = "";
  EXPECT_EQ(usage_error(job, title),
            "--title: expected a title with a visible character, got \"\"");
  title.title = " \t";
  EXPECT_EQ(usage_error(job, title),
            "--title: expected a title with a visible character, got \" \\t\"");
  JobOverrides output;
  output.output = fs::path();
  EXPECT_EQ(usage_error(job, output), "--out: expected a folder path, got an empty path");
  JobOverrides option;
  option.driver_options = {{"", "3"}};
  EXPECT_EQ(usage_error(job, option),
            "--driver-option: expected KEY=VALUE with a non-empty KEY, got \"=3\"");
  JobOverrides driver;
  driver.driver = "../x";
  EXPECT_EQ(usage_error(job, driver),
            "--driver: expected a driver name of letters, digits, '.', '_' or '-', got \"../x\"");
}

// The site prefix of reel ids (issue 22): the key and the flag take a short, path-safe ASCII
// name; anything else is refused with the rule.
TEST(Overrides, TheSiteIsAShortPathSafeNameFromTheKeyOrTheFlag) {
  const std::string rule =
      "expected a site of 1 to 16 ASCII letters, digits and '-', beginning and ending with a "
      "letter or digit (e.g. \"NLC-B2\"), got ";
  Job job = parse_job(kHeader + "site = \"NLC-B2\"\n" + kFirstDocument, "job.toml", "/jobs");
  EXPECT_EQ(job.site, "NLC-B2");
  EXPECT_EQ(parse_job(kHeader + kFirstDocument, "job.toml", "/jobs").site, "");
  EXPECT_EQ(job_error(kHeader + "site = \"../b2\"\n" + kFirstDocument),
            "job.toml:5: site: " + rule + "\"../b2\"");
  EXPECT_EQ(job_error(kHeader + "site = \"-B2\"\n" + kFirstDocument),
            "job.toml:5: site: " + rule + "\"-B2\"");
  EXPECT_EQ(job_error(kHeader + "site = \"国图\"\n" + kFirstDocument),
            "job.toml:5: site: " + rule + "\"国图\"");
  EXPECT_THAT(job_error(kHeader + "site = 2\n" + kFirstDocument),
              ::testing::HasSubstr("job.toml:5: site: " + rule));
  JobOverrides site;
  site.site = "NLC-B3";
  apply_overrides(job, site);
  EXPECT_EQ(job.site, "NLC-B3");
  site.site = "NLC_B3";
  EXPECT_EQ(usage_error(job, site), "--site: " + rule + "\"NLC_B3\"");
  site.site = std::string(17, 'S');
  EXPECT_EQ(usage_error(job, site), "--site: " + rule + "\"" + std::string(17, 'S') + "\"");
  EXPECT_TRUE(is_site("B"));
  EXPECT_TRUE(is_site(std::string(16, 'S')));
  EXPECT_FALSE(is_site(""));
  EXPECT_FALSE(is_site("B2-"));
  EXPECT_FALSE(is_site("B 2"));
}

TEST(WordParsers, AcceptTheWordsAndListThemOnError) {
  EXPECT_EQ(parse_image_mode("gray"), ImageMode::grey);
  EXPECT_EQ(parse_image_mode("color"), ImageMode::colour);
  EXPECT_EQ(parse_image_mode("bitonal"), ImageMode::bitonal);
  EXPECT_EQ(parse_polarity("positive"), Polarity::positive);
  EXPECT_EQ(parse_failure_policy("skip-document"), FailurePolicy::skip_document);
  EXPECT_STREQ(to_string(ImageMode::colour), "colour");
  EXPECT_STREQ(to_string(ImageMode::grey), "grey");
  EXPECT_STREQ(to_string(Polarity::negative), "negative");
  EXPECT_STREQ(to_string(FailurePolicy::skip_document), "skip-document");
  EXPECT_STREQ(to_string(FailurePolicy::substitute), "substitute");
  try {
    parse_failure_policy("skip");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::usage);
    EXPECT_STREQ(error.what(), "expected one of fail, skip-document, substitute, got \"skip\"");
  }
  try {
    parse_polarity("Neg\"");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "expected one of negative, positive, got \"Neg\\\"\"");
  }
}

TEST(OneLineMode, SubfoldersBecomeDocumentsInNaturalOrder) {
  test::TempDir dir;
  const fs::path scans = dir / "善本 batch#1";
  for (const char* name : {"p10", "p2", "p1", ".hidden"}) fs::create_directories(scans / name);
  test::write_text(scans / ".DS_Store", "hidden files are not pages");
  const Job job = job_from_directory(scans, {});
  EXPECT_EQ(job.id, "---batch-1");
  EXPECT_EQ(job.title, "善本 batch#1");
  EXPECT_EQ(job.output, fs::current_path() / "out");
  EXPECT_TRUE(job.file.empty());
  ASSERT_EQ(job.documents.size(), 3u);
  const char* expected[] = {"p1", "p2", "p10"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(job.documents[i].id, expected[i]);
    EXPECT_EQ(job.documents[i].title, expected[i]);
    EXPECT_EQ(job.documents[i].key, "documents[" + std::to_string(i + 1) + "]");
    EXPECT_EQ(job.documents[i].pages.kind, PageSource::Kind::directory);
    EXPECT_EQ(job.documents[i].pages.paths,
              std::vector<std::string>{(scans / expected[i]).string()});
  }
}

TEST(OneLineMode, AFileBesideDocumentFoldersIsAnError) {
  test::TempDir dir;
  fs::create_directories(dir / "scans/d1");
  test::write_text(dir / "scans/p9.tif", "a page that would belong to no document");
  try {
    job_from_directory(dir / "scans", {});
    FAIL() << "the loose page was left off silently";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_EQ(std::string(error.what()),
              (dir / "scans/p9.tif").string() +
                  ": a file beside document folders belongs to no document; move it into a "
                  "document folder or write a job file");
  }
}

TEST(OneLineMode, AFolderWithoutSubfoldersIsOneDocument) {
  test::TempDir dir;
  test::write_text(dir / "scans/0001.tif", "x");
  JobOverrides overrides;
  overrides.id = "batch-7";
  overrides.title = "第七批";
  overrides.reduction = 18;
  overrides.output = dir / "film";
  const Job job = job_from_directory(dir.path().string() + "/scans/", overrides);
  EXPECT_EQ(job.id, "batch-7");
  EXPECT_EQ(job.title, "第七批");
  EXPECT_EQ(job.output, dir / "film");
  EXPECT_EQ(job.defaults.reduction, 18);
  ASSERT_EQ(job.documents.size(), 1u);
  EXPECT_EQ(job.documents[0].id, "scans");
  EXPECT_EQ(job.documents[0].title, "scans");
  EXPECT_EQ(job.documents[0].pages.paths, std::vector<std::string>{(dir / "scans").string()});
}

TEST(OneLineMode, TheScansPathMustBeAFolder) {
  test::TempDir dir;
  test::write_text(dir / "file.tif", "x");
  for (const auto& [path, message] :
       {std::pair{dir / "absent", (dir / "absent").string() + ": no such folder"},
        std::pair{dir / "file.tif",
                  (dir / "file.tif").string() + ": expected a folder of scans, got a file"}}) {
    try {
      job_from_directory(path, {});
      FAIL() << "no error for " << path;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::input);
      EXPECT_EQ(std::string(error.what()), message);
    }
  }
  JobOverrides bad;
  bad.reduction = 3;
  fs::create_directories(dir / "ok");
  EXPECT_THROW(job_from_directory(dir / "ok", bad), Error);
}

}  // namespace
}  // namespace fw

namespace fw {
namespace {

// A job may carry its own film format as a [format] table, checked like a format file.
TEST(JobFile, InlineFormatTable) {
  const std::string format =
      "\n[format]\ndescription = \"lab 16 mm\"\nfilm_width_mm = 16.0\nimage_area_across_mm = 12.0\n"
      "frame_length_mm = 0.0\nframe_gap_mm = 1.5\nmargin_mm = 0.1\norientation = \"comic\"\n"
      "leader_m = 0.5\ntrailer_m = 0.5\nreel_length_m = 30.5\nreel_lengths_m = [30.5]\n"
      "min_reduction = 20.0\nmax_reduction = 30.0\nallowed_reductions = [24.0]\n";
  const Job job =
      parse_job(kHeader + "targets = \"none\"\n" + kFirstDocument + format, "job.toml", "/jobs");
  ASSERT_TRUE(job.inline_format.has_value());
  EXPECT_EQ(job.format, "inline");
  EXPECT_EQ(job.targets, "none");
  EXPECT_DOUBLE_EQ(job.inline_format->image_area_across_mm, 12.0);
  EXPECT_DOUBLE_EQ(job.inline_format->frame_gap_mm, 1.5);
  EXPECT_EQ(job.inline_format->allowed_reductions, std::vector<double>{24.0});

  // Errors name the job file, the line and the key under format.
  std::string broken = format;
  broken.replace(broken.find("margin_mm = 0.1"), 15, "margin_mm = -1");
  const std::string text = kHeader + kFirstDocument + broken;
  const auto line = 1 + std::count(text.begin(), text.begin() + text.find("margin_mm"), '\n');
  EXPECT_EQ(job_error(text),
            fmt::format("job.toml:{}: format.margin_mm: expected a number >= 0, got -1", line));
  // The inline table is read by base's TOML reader like a format file: a typo is named with the
  // key meant, a missing key at the [format] line.
  std::string typo = format;
  typo.replace(typo.find("margin_mm = 0.1"), 9, "margn_mm");
  const std::string typo_text = kHeader + kFirstDocument + typo;
  const auto typo_line =
      1 + std::count(typo_text.begin(), typo_text.begin() + typo_text.find("margn_mm"), '\n');
  EXPECT_EQ(job_error(typo_text),
            fmt::format("job.toml:{}: format.margn_mm: unknown key (did you mean \"margin_mm\"?)",
                        typo_line));
  std::string missing = format;
  missing.replace(missing.find("margin_mm = 0.1"), 15, "");
  const std::string missing_text = kHeader + kFirstDocument + missing;
  const auto table_line =
      1 +
      std::count(missing_text.begin(), missing_text.begin() + missing_text.find("[format]"), '\n');
  EXPECT_EQ(job_error(missing_text),
            fmt::format("job.toml:{}: format.margin_mm: expected a number >= 0 (required), got "
                        "nothing",
                        table_line));
  EXPECT_EQ(job_error(kHeader + "targets = \"../x\"\n" + kFirstDocument),
            "job.toml:5: targets: expected a target set in profiles/targets/ or \"none\" of "
            "letters, digits, '.', '_' or '-', got \"../x\"");
  // A named format and the default target set otherwise.
  const Job named = parse_job(kHeader + kFirstDocument, "job.toml", "/jobs");
  EXPECT_FALSE(named.inline_format.has_value());
  EXPECT_EQ(named.targets, "standard");
}

}  // namespace
}  // namespace fw
