// The job file (engine/job): a full job read into the struct key by key, a minimal job given the
// defaults, and a job's own [format] table.
#include "job/job.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "support/job_text.hpp"
#include "support/test_support.hpp"

namespace fw::job_file_test {
namespace {

namespace fs = std::filesystem;

using test::job_error;
using test::kFirstDocument;
using test::kHeader;

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
min_page_mm = 2.5

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
  EXPECT_EQ(job.limits.min_page_mm, 2.5);
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

// Metadata is drawn on the title target and written to mets.xml as the cataloguer wrote it: a
// number was kept as its value printed again, so 版本 = 2.0 filmed "2" and 卷 = 1.10 "1.1".
TEST(JobFile, MetadataNumbersAreKeptAsWritten) {
  const Job job = parse_job(kHeader + kFirstDocument +
                                "[documents.metadata]\n版本 = 2.0\n\"卷\" = 1.10\n年代 = 1127\n"
                                "e = 1e3\nh = 0x1F\nu = 1_000\nn = -5.50\n"
                                "[[documents.toc]]\ntitle = \"卷一\"\npage = 1\n"
                                "metadata = { 页数 = 12.0, 次 = 3 }\n",
                            "job.toml", "/jobs");
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"版本", "2.0"}, {"卷", "1.10"}, {"年代", "1127"}, {"e", "1e3"},
      {"h", "0x1F"},   {"u", "1_000"}, {"n", "-5.50"}};
  EXPECT_EQ(job.documents[0].metadata, metadata);
  const std::vector<std::pair<std::string, std::string>> entry = {{"页数", "12.0"}, {"次", "3"}};
  EXPECT_EQ(job.documents[0].toc.at(0).metadata, entry);
  // A byte order mark is no column: a number on the first line is still read whole.
  const Job marked = parse_job(
      "\xEF\xBB\xBF"
      "documents = [{ id = \"D001\", title = \"t\", pages = { dir = \"s\" }, "
      "metadata = { 版本 = 2.50 } }]\nversion = 1\nid = \"j\"\ntitle = \"T\"\n",
      "job.toml", "/jobs");
  EXPECT_EQ(marked.documents[0].metadata.at(0).second, "2.50");
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
  EXPECT_EQ(job.limits.min_page_mm, 5.0);
  EXPECT_EQ(job.defaults.reduction, 24);
  EXPECT_EQ(job.defaults.mode, ImageMode::grey);
  EXPECT_FALSE(job.defaults.dpi.has_value());
  EXPECT_EQ(job.defaults.on_error, FailurePolicy::fail);
  ASSERT_EQ(job.documents.size(), 1u);
  EXPECT_EQ(job.documents[0].pages.first_page, 1u);
  EXPECT_EQ(job.documents[0].pages.last_page, 0u);
}

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
}  // namespace fw::job_file_test
