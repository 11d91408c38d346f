// Tables of contents (目次): read from the job file or a cataloguer's CSV/TSV, refused with
// file and line when they do not fit, filmed as TOC target frames with the entries' pages on
// the middle blip level, and answered by the catalog and its TOC upload package.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "catalog/catalog.hpp"
#include "job/job.hpp"
#include "pipeline/pipeline.hpp"
#include "render/blip.hpp"
#include "render/target.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/test_support.hpp"
#include "support/toc_catalog.hpp"

namespace fw::toc_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kPitchUm = 12.5;

// A job file with one document of `pages` small pages (60 x 80 mm at 254 dpi, filmed at 10x)
// and `toc` appended to its [[documents]] table.
std::string job_text(const std::string& toc, const std::string& extra = "") {
  return R"(version = 1
id = "toc"
title = "目次 测试"
reduction = 10
calibration = "none"
)" + extra +
         R"(
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 12.5
compression = "none"

[[documents]]
id = "D001"
title = "论语集注"
pages = { dir = "scans" }
)" + toc;
}

void make_pages(const std::filesystem::path& dir, int pages) {
  std::filesystem::create_directories(dir / "scans");
  for (int i = 1; i <= pages; ++i) {
    samples::PageSpec spec;
    spec.width_mm = 60;
    spec.height_mm = 80;
    spec.dpi = 254;
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{}.png", i),
                       samples::Encoding::png, spec.dpi);
  }
}

// Two levels, 卷 and 篇, as the demo job has them.
constexpr const char* kTwoLevelToc = R"(
[[documents.toc]]
title = "卷一 学而第一"
page = 1

[[documents.toc]]
title = "篇一 学而时习之"
page = 2
level = 2
[documents.toc.metadata]
"作者" = "孔子弟子"

[[documents.toc]]
title = "卷二 为政第二"
page = 3
)";

Job load(const test::TempDir& dir, const std::string& text) {
  test::write_text(dir / "job.toml", text);
  return load_job(dir / "job.toml");
}

std::string load_error(const test::TempDir& dir, const std::string& text) {
  try {
    load(dir, text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::job);
    return e.what();
  }
  return "no error";
}

PreparedJob prepare(const Job& job, const std::filesystem::path& profiles) {
  hal::Capabilities caps;
  caps.pixel_pitch_um = kPitchUm;
  return prepare_job(job, caps, profiles);
}

TEST(TocInput, EntriesFromTheJobFileKeepTheirOrderLevelsAndMetadata) {
  test::TempDir dir;
  const Job job = load(dir, job_text(kTwoLevelToc));
  const auto& toc = job.documents.at(0).toc;
  ASSERT_EQ(toc.size(), 3u);
  EXPECT_EQ(toc[0].title, "卷一 学而第一");
  EXPECT_EQ(toc[1].level, 2);
  EXPECT_EQ(toc[1].page, 2u);
  ASSERT_EQ(toc[1].metadata.size(), 1u);
  EXPECT_EQ(toc[1].metadata[0].second, "孔子弟子");
  EXPECT_EQ(toc[2].key, "documents[1].toc[3]");
  EXPECT_THAT(toc[2].origin, HasSubstr("job.toml:"));
}

TEST(TocInput, ACsvWithAHeaderGivesColumnsAndMetadataAndATsvWorksWithoutOne) {
  test::TempDir dir;
  test::write_text(
      dir / "toc" / "D001.csv",
      "\xEF\xBB\xBFtitle,page,level,责任者\n卷一 学而,1,1,朱熹\n\"篇一, 学而\",2,2,\n");
  Job job = load(dir, job_text("toc = \"toc/D001.csv\"\n"));
  auto toc = job.documents.at(0).toc;
  ASSERT_EQ(toc.size(), 2u);
  EXPECT_EQ(toc[0].title, "卷一 学而");
  EXPECT_EQ(toc[0].origin, "toc/D001.csv:2");
  ASSERT_EQ(toc[0].metadata.size(), 1u);
  EXPECT_EQ(toc[0].metadata[0], (std::pair<std::string, std::string>{"责任者", "朱熹"}));
  EXPECT_EQ(toc[1].title, "篇一, 学而");
  EXPECT_EQ(toc[1].level, 2);

  // Chinese column names, in another order.
  test::write_text(dir / "toc" / "D001.csv", "页码,题名,级别\n1,卷一,1\n2,篇一,2\n");
  job = load(dir, job_text("toc = \"toc/D001.csv\"\n"));
  toc = job.documents.at(0).toc;
  ASSERT_EQ(toc.size(), 2u);
  EXPECT_EQ(toc[1].title, "篇一");
  EXPECT_EQ(toc[1].page, 2u);
  EXPECT_EQ(toc[1].level, 2);
  EXPECT_TRUE(toc[1].metadata.empty());

  test::write_text(dir / "toc" / "D001.tsv", "卷一\t1\n篇一\t2\t2\n");
  job = load(dir, job_text("toc = \"toc/D001.tsv\"\n"));
  toc = job.documents.at(0).toc;
  ASSERT_EQ(toc.size(), 2u);
  EXPECT_EQ(toc[1].title, "篇一");
  EXPECT_EQ(toc[1].origin, "toc/D001.tsv:2");
}

TEST(TocInput, AGbkCsvIsNamedAndAskedForAsUtf8) {
  test::TempDir dir;
  // "卷一,1" in GBK: 卷 = BE ED, 一 = D2 BB.
  test::write_text(dir / "toc" / "D001.csv", "title,page\n\xBE\xED\xD2\xBB,1\n");
  const std::string error = load_error(dir, job_text("toc = \"toc/D001.csv\"\n"));
  EXPECT_THAT(error, HasSubstr("toc/D001.csv:2: documents[1].toc: the file is not UTF-8"));
  EXPECT_THAT(error, HasSubstr("looks like GBK/GB18030; save it as UTF-8"));
  // Bytes that are neither UTF-8 nor GB18030 are not called GBK.
  test::write_text(dir / "toc" / "D001.csv", "title,page\nx\xFF,1\n");
  const std::string other = load_error(dir, job_text("toc = \"toc/D001.csv\"\n"));
  EXPECT_THAT(other, HasSubstr("is not UTF-8 (byte 0xFF); save it as UTF-8"));
  EXPECT_THAT(other, Not(HasSubstr("GBK")));
}

// Excel's "Unicode text" and Notepad's "Unicode" are UTF-16 with a byte order mark.
TEST(TocInput, AUtf16FileIsNamedAsUtf16) {
  test::TempDir dir;
  test::write_text(dir / "toc.tsv", std::string("\xFF\xFEt\0i\0", 6));
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.tsv\"\n")),
            "toc.tsv:1: documents[1].toc: the file is UTF-16 (it begins with the byte order mark "
            "FF FE); save it as UTF-8");
}

// A spreadsheet cell holding an ideographic space (U+3000) or a zero-width space is as blank
// as an empty one: nothing would show on the TOC frame. Its code points say what was found.
TEST(TocInput, ATitleOfSpacesThatDrawNothingIsBlank) {
  test::TempDir dir;
  test::write_text(dir / "toc.csv", "卷一,1\n\u3000\u3000,2\n\u200b,2\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:2: documents[1].toc[2].title: expected a title with a visible character, "
            "got \"\u3000\u3000\" (U+3000 U+3000)");
  test::write_text(dir / "toc.csv", "卷一,1\n\u00a0\u200b\ufeff,2\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:2: documents[1].toc[2].title: expected a title with a visible character, "
            "got \"\u00a0\u200b\ufeff\" (U+00A0 U+200B U+FEFF)");
  // A title with an ideographic space between its words is a title.
  test::write_text(dir / "toc.csv", "卷一\u3000学而,1\n");
  EXPECT_EQ(load(dir, job_text("toc = \"toc.csv\"\n")).documents[0].toc[0].title, "卷一\u3000学而");
}

// An entry's metadata is kept by key (catalog, toc.csv, JSON): a header naming a column twice
// kept the second column's value and lost the first's without a word, and a value under a
// column the header leaves unnamed was kept under the key "". Both are refused; an unnamed
// column with no values (a spreadsheet's trailing comma) is not.
TEST(TocInput, AHeaderNamingAColumnTwiceOrAValueUnderNoNameIsRefused) {
  test::TempDir dir;
  test::write_text(dir / "toc.csv", "title,page,level,附注,附注\n卷一,1,1,朱熹注,宋刻本\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:1: documents[1].toc: the header names one column twice: \"附注\" (column "
            "4) and \"附注\" (column 5); give each column a name of its own");
  test::write_text(dir / "toc.csv", "Title,题名,page\n卷一,卷一,1\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:1: documents[1].toc: the header names one column twice: \"Title\" (column "
            "1) and \"题名\" (column 2); give each column a name of its own");
  test::write_text(dir / "toc.csv", "title,page,,附注\n卷一,1,,\n卷二,2,朱熹,\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:3: documents[1].toc[2]: column 3 holds \"朱熹\" but the header gives it no "
            "name");
  test::write_text(dir / "toc.csv", "title,page,level,,\n卷一,1,1,,\n");
  const Job job = load(dir, job_text("toc = \"toc.csv\"\n"));
  ASSERT_EQ(job.documents[0].toc.size(), 1u);
  EXPECT_TRUE(job.documents[0].toc[0].metadata.empty());
}

// Two spellings of one text read the same in a header and on the TOC frames: a column named
// 저자 in syllables and again in jamo (a file that went through macOS), and an entry repeated
// with its title in another spelling, are refused as the byte-for-byte repeats are, with the
// code points that differ; a fullwidth look-alike is another name.
TEST(TocInput, ColumnsAndEntriesThatReadTheSameInAnotherUnicodeSpellingAreRefused) {
  test::TempDir dir;
  test::write_text(dir / "toc.csv",
                   "title,page,\uC800\uC790,\u110C\u1165\u110C\u1161\n卷一,1,a,b\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:1: documents[1].toc: the header names one column twice: \"\uC800\uC790\" "
            "(column 3) and \"\u110C\u1165\u110C\u1161\" (column 4), two Unicode spellings of one "
            "name (U+C800 U+C790 vs U+110C U+1165 U+110C U+1161); give each column a name of its "
            "own");
  test::write_text(dir / "toc.csv", "\uAC00\uB098,1\n\u1100\u1161\uB098,1\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:2: documents[1].toc[2].title: duplicate entry \"\u1100\u1161\uB098\" page 1 "
            "(first at toc.csv:1, documents[1].toc[1], as \"\uAC00\uB098\" in another Unicode "
            "spelling: U+AC00 vs U+1100 U+1161)");
  test::write_text(dir / "toc.csv", "title,page,\uFF21,A\n\uAC00,1,a,b\n\uFF21\uB098,1,,\n");
  const Job job = load(dir, job_text("toc = \"toc.csv\"\n"));
  ASSERT_EQ(job.documents[0].toc.size(), 2u);
  EXPECT_EQ(job.documents[0].toc[0].metadata.size(), 2u);
}

// A CSV saved with Windows line ends has CR LF inside a quoted two-line cell too: the cell's
// line break is text, its CR the file's. The title was refused for its control character CR.
TEST(TocInput, ACsvWithWindowsLineEndsKeepsATwoLineCellAsTwoLines) {
  test::TempDir dir;
  test::write_text(
      dir / "toc.csv",
      "\xEF\xBB\xBFtitle,page,责任者\r\n\"卷一\r\n学而\",1,\"朱\r\n熹\"\r\n卷二,2,\r\n");
  const Job job = load(dir, job_text("toc = \"toc.csv\"\n"));
  const std::vector<TocEntry>& toc = job.documents[0].toc;
  ASSERT_EQ(toc.size(), 2u);
  EXPECT_EQ(toc[0].title, "卷一\n学而");
  EXPECT_EQ(toc[0].metadata.at(0).second, "朱\n熹");
  EXPECT_EQ(toc[1].title, "卷二");
  EXPECT_EQ(toc[1].origin, "toc.csv:5");  // the two cells above take two lines each
}

// The job file's reader refuses a control character in an entry's metadata; a CSV's was kept
// and written raw into the catalog and toc.csv.
TEST(TocInput, AControlCharacterInACsvEntrysMetadataIsRefused) {
  test::TempDir dir;
  test::write_text(dir / "toc.csv", "title,page,责任者\n卷一,1,朱\x01熹\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:2: documents[1].toc[1].metadata.责任者: expected a key and value without "
            "control characters, got \"责任者\" = \"朱\\u0001熹\"");
  // A line break inside a quoted field is text, as in a title.
  test::write_text(dir / "toc.csv", "title,page,责任者\n卷一,1,\"朱\n熹\"\n");
  EXPECT_EQ(load(dir, job_text("toc = \"toc.csv\"\n")).documents[0].toc[0].metadata.at(0).second,
            "朱\n熹");
}

// A TOC that went through a broken conversion has U+FFFD where characters were lost: refused
// in titles (drawn on the TOC frames) and metadata, as in the job file.
TEST(TocInput, TheReplacementCharacterOfALostCharacterIsRefused) {
  test::TempDir dir;
  test::write_text(dir / "toc.csv", "title,page,责任者\n卷一,1,\n卷\uFFFD,2,\n");
  EXPECT_THAT(load_error(dir, job_text("toc = \"toc.csv\"\n")),
              HasSubstr("toc.csv:3: documents[1].toc[2].title: expected a title without U+FFFD"));
  test::write_text(dir / "toc.csv", "title,page,责任者\n卷一,1,朱\uFFFD\n");
  EXPECT_THAT(load_error(dir, job_text("toc = \"toc.csv\"\n")),
              HasSubstr("toc.csv:2: documents[1].toc[1].metadata.责任者: expected a key and value "
                        "without U+FFFD"));
}

TEST(TocInput, SkippedLevelsEmptyTitlesAndDuplicatesAreRefusedWithFileAndLine) {
  test::TempDir dir;
  test::write_text(dir / "toc.csv", "卷一,1,1\n章一,2,3\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:2: documents[1].toc[2].level: level 3 skips level 2 (the entry before is "
            "level 1)");
  test::write_text(dir / "toc.csv", "卷一,1\n  ,2\n");
  EXPECT_THAT(load_error(dir, job_text("toc = \"toc.csv\"\n")),
              HasSubstr("toc.csv:2: documents[1].toc[2].title: expected a non-empty title"));
  test::write_text(dir / "toc.csv", "卷一,1\n卷二,2\n卷一,1\n");
  EXPECT_EQ(load_error(dir, job_text("toc = \"toc.csv\"\n")),
            "toc.csv:3: documents[1].toc[3].title: duplicate entry \"卷一\" page 1 (first at "
            "toc.csv:1, documents[1].toc[1])");
  test::write_text(dir / "toc.csv", "卷一,1\n卷\x01二,2\n");
  EXPECT_THAT(load_error(dir, job_text("toc = \"toc.csv\"\n")),
              HasSubstr("toc.csv:2: documents[1].toc[2].title: expected a title without control "
                        "characters"));
  test::write_text(dir / "toc.csv", "卷一,x\n");
  EXPECT_THAT(load_error(dir, job_text("toc = \"toc.csv\"\n")),
              HasSubstr("toc.csv:1: documents[1].toc[1].page: expected a page number"));
  // In the job file: the table's line and key.
  const std::string error = load_error(dir, job_text(R"(
[[documents.toc]]
title = "篇一"
page = 1
level = 2
)"));
  EXPECT_THAT(error, HasSubstr("job.toml:18: documents[1].toc[1].level: expected level 1 for "
                               "the first entry, got 2"));
  EXPECT_THAT(load_error(dir, job_text("toc = \"missing.csv\"\n")),
              HasSubstr("documents[1].toc: expected a CSV/TSV file, got \"missing.csv\" (no such "
                        "file)"));
}

TEST(TocFilm, TocFramesFollowTheTitleAndEntryPagesCarryTheMiddleBlip) {
  test::TempDir dir;
  make_pages(dir.path(), 4);
  const Job job = load(dir, job_text(kTwoLevelToc));
  const PreparedJob prepared = prepare(job, test::source_dir() / "profiles");
  const Plan& plan = prepared.plan;
  std::vector<std::string> kinds;
  kinds.reserve(plan.frames.size());
  for (const PlannedFrame& frame : plan.frames) kinds.emplace_back(to_string(frame.kind));
  ASSERT_EQ(kinds, (std::vector<std::string>{"start-target", "technical-target", "title-target",
                                             "toc-target", "page", "page", "page", "page",
                                             "technical-target", "end-target"}));
  // Read back from the rendered frames: the document start is the highest mark, the entries'
  // first pages the middle one, other pages the lowest.
  SourceHashes hashes;
  std::vector<hal::BlipLevel> read;
  for (const PlannedFrame& frame : plan.frames) {
    RenderedFrame rendered = render_frame(job, plan, frame, hashes);
    const FrameImage image{rendered.width, rendered.height, rendered.channels,
                           std::move(rendered.pixels)};
    read.push_back(read_blip(image, frame.placement, plan.format, kPitchUm));
  }
  using L = hal::BlipLevel;
  EXPECT_EQ(read, (std::vector<L>{L::batch, L::none, L::batch, L::none, L::document, L::document,
                                  L::document, L::page, L::none, L::none}));
  // The TOC frame lists each entry with its frame on this reel, and draws it.
  const PlannedFrame& toc = plan.frames.at(3);
  EXPECT_EQ(toc.address, "R0001-D001-TOC1");
  const auto texts = target_texts(job, plan, toc);
  std::string listed;
  for (const auto& text : texts) listed += text.text + "\n";
  EXPECT_THAT(listed, HasSubstr("卷一 学而第一\u3000p.1\u3000R0001-D001-0001  frame 5"));
  EXPECT_THAT(listed,
              HasSubstr("\u3000\u3000篇一 学而时习之\u3000p.2\u3000R0001-D001-0002  frame 6"));
  RasterSettings settings;
  std::vector<DrawnBox> drawn;
  render_target(job, plan, toc, settings, &drawn);
  bool toc_inked = false;
  for (const DrawnBox& box : drawn) {
    // The entries' block: three lines of ink, well below the heading.
    if (box.what.find("text[3]") != std::string::npos) toc_inked = box.y1 > box.y0 + 20;
  }
  EXPECT_TRUE(toc_inked);
}

TEST(TocFilm, AnInstitutionsTemplateSetsTheTocInVerticalColumns) {
  test::TempDir dir;
  std::filesystem::copy(test::source_dir() / "profiles", dir / "profiles",
                        std::filesystem::copy_options::recursive);
  const auto file = dir / "profiles" / "targets" / "standard" / "toc-target.toml";
  std::string text = read_file(file);
  const std::string block = "width_mm = 178\n";
  ASSERT_NE(text.find(block), std::string::npos);
  text.replace(text.find(block), block.size(),
               "width_mm = 178\nvertical = true\nheight_mm = 190\n");
  test::write_text(file, text);
  make_pages(dir.path(), 4);
  const Job job = load(dir, job_text(kTwoLevelToc));
  const Plan plan = prepare(job, dir / "profiles").plan;
  const PlannedFrame& toc = plan.frames.at(3);
  ASSERT_EQ(toc.kind, FrameKind::toc_target);
  std::vector<DrawnBox> drawn;
  render_target(job, plan, toc, RasterSettings{}, &drawn);
  const auto entries = std::find_if(drawn.begin(), drawn.end(), [](const DrawnBox& box) {
    return box.what.find("text[3]") != std::string::npos;
  });
  ASSERT_NE(entries, drawn.end());
  // Three entries as three columns down the page, right to left: taller than wide, at the right.
  EXPECT_GT(entries->y1 - entries->y0, 2 * (entries->x1 - entries->x0));
  EXPECT_GT(entries->x0, toc.placement.page_x_px + toc.placement.page_width_px / 2);
}

TEST(TocFilm, ALongTocContinuesOverSeveralFrames) {
  test::TempDir dir;
  make_pages(dir.path(), 2);
  std::string csv;
  for (int i = 1; i <= 20; ++i) csv += fmt::format("第{}篇,{},1\n", i, 1 + i % 2);
  test::write_text(dir / "toc.csv", csv);
  const Job job = load(dir, job_text("toc = \"toc.csv\"\n"));
  const Plan plan = prepare(job, test::source_dir() / "profiles").plan;
  std::vector<std::string> tocs;
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind == FrameKind::toc_target) tocs.push_back(frame.address);
  }
  EXPECT_EQ(tocs, (std::vector<std::string>{"R0001-D001-TOC1", "R0001-D001-TOC2"}));
  const PlannedFrame& second = plan.frames.at(4);
  EXPECT_EQ(second.toc_first, kTocEntriesPerFrame);
  EXPECT_EQ(second.toc_count, 20 - kTocEntriesPerFrame);
  std::string listed;
  for (const auto& text : target_texts(job, plan, second)) listed += text.text + "\n";
  EXPECT_THAT(listed, HasSubstr("(2/2)"));
  EXPECT_THAT(listed, HasSubstr("第20篇"));
}

TEST(TocFilm, APagePastTheEndAndAnUndrawableTitleAreRefusedBeforePlanning) {
  test::TempDir dir;
  make_pages(dir.path(), 2);
  test::write_text(dir / "toc.csv", "卷一,1\n卷二,5\n");
  try {
    prepare(load(dir, job_text("toc = \"toc.csv\"\n")), test::source_dir() / "profiles");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "toc.csv:2: documents[1].toc[2].page: page 5 but document D001 has 2 "
                 "page(s)");
  }
  test::write_text(dir / "toc.csv", "卷一,1\n卷\xEE\x80\x80,2\n");  // U+E000: no font has it
  try {
    prepare(load(dir, job_text("toc = \"toc.csv\"\n")), test::source_dir() / "profiles");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("U+E000"));
    EXPECT_THAT(e.what(), HasSubstr("toc.csv:2: documents[1].toc[2].title (document D001)"));
  }
}

TEST(TocFilm, AnEntryOnTheNextReelIsListedOnBothReelsWithItsReel) {
  test::TempDir dir;
  // The short test reel, long enough for the targets of a document with a TOC (11 cm).
  test::copy_profiles_with_short_reel(dir / "profiles");
  const auto format = dir / "profiles" / "formats" / "short-reel.toml";
  std::string text = read_file(format);
  for (std::size_t at; (at = text.find("0.035")) != std::string::npos;) text.replace(at, 5, "0.11");
  test::write_text(format, text);
  make_pages(dir.path(), 10);
  test::write_text(dir / "toc.csv", "卷一,1\n卷二,10\n");
  const Job job = load(dir, job_text("toc = \"toc.csv\"\n", "format = \"short-reel\"\n"));
  const Plan plan = prepare(job, dir / "profiles").plan;
  ASSERT_GE(plan.reels.size(), 2u);
  ASSERT_EQ(plan.toc.at(0).size(), 2u);
  const TocPlace& second = plan.toc[0][1];
  EXPECT_GT(second.reel, 1u);
  std::vector<std::string> listings;
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind != FrameKind::toc_target) continue;
    std::string listed;
    for (const auto& text : target_texts(job, plan, frame)) listed += text.text + "\n";
    listings.push_back(fmt::format("R{:04}: {}", frame.reel, listed));
  }
  ASSERT_GE(listings.size(), 2u);  // the first reel and every reel the document continues on
  EXPECT_THAT(listings.front(), HasSubstr(fmt::format("{}  \u2192 R{:04} frame {}", second.address,
                                                      second.reel, second.frame)));
  EXPECT_THAT(listings.back(),
              HasSubstr(fmt::format("{}  frame {}", second.address, second.frame)));
}

// End to end through the CLI: convert, the catalog's answers, the upload package.
TEST(TocCatalog, FindExportAndTheUploadPackageAnswerForChapters) {
  test::TempDir dir;
  make_pages(dir.path(), 4);
  test::write_text(dir / "job.toml", job_text(kTwoLevelToc, "output = \"out\"\n"));
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml"));

  const std::string find = test::catalog_find(dir / "out" / "toc", test::titled("学而"));
  EXPECT_THAT(find, HasSubstr("toc R0001 frames 5-6: TOC entry 1 \"卷一 学而第一\" (level 1) of "
                              "document D001 \"论语集注\" page 1 (R0001-D001-0001), blip 3 "
                              "from the reel start"));
  EXPECT_THAT(find, HasSubstr("toc R0001 frame 6: TOC entry 2 \"篇一 学而时习之\" (level 2)"));
  // The reel's METS package nests the pages under the entries (logical structMap).
  const std::string mets = read_file(dir / "out" / "toc" / "R0001" / "mets.xml");
  EXPECT_THAT(mets, HasSubstr("TYPE=\"toc-level-1\" LABEL=\"卷一 学而第一\""));
  EXPECT_THAT(mets, HasSubstr("TYPE=\"toc-level-2\" LABEL=\"篇一 学而时习之\""));

  Catalog catalog(dir / "out" / "catalog.sqlite");
  const auto toc = catalog.toc("toc");
  ASSERT_EQ(toc.size(), 3u);
  EXPECT_EQ(toc[2].address, "R0001-D001-0003");
  EXPECT_EQ(toc[2].frame, 7u);
  EXPECT_EQ(toc[2].last_frame, 8u);
  EXPECT_EQ(toc[2].blips, 5u);  // start, title, pages 1-3 (the TOC and technical frames: none)
  EXPECT_EQ(toc[1].toc.metadata.at(0).first, "作者");

  const auto exported = nlohmann::json::parse(test::catalog_export(dir / "out" / "toc", "json"));
  const auto& entries = exported["jobs"][0]["documents"][0]["toc"];
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1]["address"], "R0001-D001-0002");
  EXPECT_EQ(entries[1]["level"], 2);

  const auto package =
      test::run_cli({"catalog", "export", "--catalog", (dir / "out" / "catalog.sqlite").string(),
                     "--job", "toc", "--format", "toc-csv", "--out", (dir / "pkg").string()});
  ASSERT_EQ(package.exit_code, 0) << package.err;
  EXPECT_THAT(package.out, HasSubstr("3 TOC entries, 3 page images"));
  const auto rows = test::read_csv(dir / "pkg" / "toc.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at(0), "job_id");
  EXPECT_EQ(rows[0].back(), "作者");
  EXPECT_EQ(rows[2], (std::vector<std::string>{"toc", "D001", "论语集注", "2", "2",
                                               "篇一 学而时习之", "2", "R0001", "6", "6",
                                               "R0001-D001-0002", "4", "images/toc/D001/0002.jpg",
                                               "mods/toc/D001.xml", "complete", "孔子弟子"}));
  // The page image: a JPEG of the entry's page, scaled down to a viewing size, upright.
  const vips::VImage image =
      vips::VImage::new_from_file((dir / "pkg" / "images" / "toc" / "D001" / "0002.jpg").c_str());
  EXPECT_LE(std::max(image.width(), image.height()), 1024);
  EXPECT_LT(image.width(), image.height());  // a portrait page stays portrait
}

// The template says how many entries a TOC frame lists (entries_per_frame), not a constant.
std::filesystem::path profiles_with_toc_template(const test::TempDir& dir,
                                                 const std::string& top_keys) {
  std::filesystem::copy(test::source_dir() / "profiles", dir / "profiles",
                        std::filesystem::copy_options::recursive);
  const auto file = dir / "profiles" / "targets" / "standard" / "toc-target.toml";
  std::string text = read_file(file);
  const std::string standard = "entries_per_frame = 14\n";
  EXPECT_NE(text.find(standard), std::string::npos);
  text.replace(text.find(standard), standard.size(), top_keys);
  test::write_text(file, text);
  return dir / "profiles";
}

TEST(TocFilm, TheTemplateSaysHowManyEntriesAFrameLists) {
  test::TempDir dir;
  const auto profiles = profiles_with_toc_template(dir, "entries_per_frame = 5\n");
  make_pages(dir.path(), 2);
  std::string csv;
  for (int i = 1; i <= 12; ++i) csv += fmt::format("第{}篇,{},1\n", i, 1 + i % 2);
  test::write_text(dir / "toc.csv", csv);
  const Job job = load(dir, job_text("toc = \"toc.csv\"\n"));
  const Plan plan = prepare(job, profiles).plan;
  EXPECT_EQ(plan.toc_entries_per_frame, 5u);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> tocs;
  std::vector<const PlannedFrame*> frames;
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind != FrameKind::toc_target) continue;
    tocs.emplace_back(frame.toc_first, frame.toc_count);
    frames.push_back(&frame);
  }
  EXPECT_EQ(tocs, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 5}, {5, 5}, {10, 2}}));
  ASSERT_EQ(frames.size(), 3u);
  std::string listed;
  for (const auto& text : target_texts(job, plan, *frames[2])) listed += text.text + "\n";
  EXPECT_THAT(listed, HasSubstr("(3/3)"));
  EXPECT_THAT(listed, HasSubstr("第12篇"));
  EXPECT_THAT(listed, Not(HasSubstr("第10篇")));
  // Drawn inside the target page.
  std::vector<DrawnBox> drawn;
  render_target(job, plan, *frames[0], RasterSettings{}, &drawn);
  for (const DrawnBox& box : drawn) {
    if (box.x1 == box.x0) continue;
    EXPECT_LE(box.y1, frames[0]->placement.page_y_px + frames[0]->placement.page_height_px)
        << box.what;
  }
  // The standard template's own count is still 14.
  EXPECT_EQ(prepare(job, test::source_dir() / "profiles").plan.toc_entries_per_frame,
            kTocEntriesPerFrame);
}

TEST(TocFilm, EntriesTheirTemplateCannotHoldAreRefusedBeforeFilming) {
  test::TempDir dir;
  const auto profiles = profiles_with_toc_template(dir, "entries_per_frame = 40\n");
  make_pages(dir.path(), 2);
  std::string csv;
  for (int i = 1; i <= 40; ++i) csv += fmt::format("第{}篇,1,1\n", i);
  test::write_text(dir / "toc.csv", csv);
  const Job job = load(dir, job_text("toc = \"toc.csv\"\n"));
  try {
    prepare(job, profiles);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::job);
    EXPECT_THAT(e.what(), HasSubstr("toc-target.toml: text[3] ({toc}): the TOC target "
                                    "R0001-D001-TOC1 of document D001 lists entries 1-40 and "
                                    "does not fit: its lines end"));
    EXPECT_THAT(e.what(), HasSubstr("past text[4] below it, at 272.0 mm"));
    EXPECT_THAT(e.what(), HasSubstr("list fewer entries a frame (entries_per_frame = 40 in this "
                                    "template)"));
  }
  // 40 entries over frames of 14 fit.
  test::TempDir fine;
  const auto standard = profiles_with_toc_template(fine, "entries_per_frame = 14\n");
  make_pages(fine.path(), 2);
  test::write_text(fine / "toc.csv", csv);
  EXPECT_NO_THROW(prepare(load(fine, job_text("toc = \"toc.csv\"\n")), standard));

  test::TempDir bad;
  const auto zero = profiles_with_toc_template(bad, "entries_per_frame = 0\n");
  make_pages(bad.path(), 2);
  try {
    prepare(load(bad, job_text(kTwoLevelToc)), zero);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(
        e.what(),
        HasSubstr("toc-target.toml:12: entries_per_frame: expected an integer 1–200, got 0"));
  }
}

// A fiche sheet has no target frames, so no TOC frames: the job says so, films, and the
// entries are still answered by the catalog and in the upload package.
TEST(TocFiche, AFicheJobSaysItsTocIsNotFilmedAndTheCatalogStillHasIt) {
  test::TempDir dir;
  make_pages(dir.path(), 4);
  std::string text = job_text(kTwoLevelToc, "output = \"out\"\nformat = \"fiche-a6-98-24x\"\n");
  const std::string reduction = "reduction = 10\n";
  text.replace(text.find(reduction), reduction.size(), "");
  test::write_text(dir / "job.toml", text);
  const auto convert = test::run_cli({"convert", (dir / "job.toml").string()});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  EXPECT_THAT(convert.err,
              HasSubstr("document D001 (documents[1]): its table of contents (3 entries) is not "
                        "filmed: a fiche sheet carries no target frames"));
  const auto plan = nlohmann::json::parse(read_file(dir / "out" / "toc" / "plan.json"));
  for (const auto& frame : plan["frames"]) EXPECT_NE(frame["kind"], "toc-target");

  const std::string find = test::catalog_find(dir / "out" / "toc", test::titled("学而"));
  EXPECT_THAT(find, HasSubstr("toc F0001 frame"));
  EXPECT_THAT(find, HasSubstr("TOC entry 1 \"卷一 学而第一\" (level 1) of document D001"));
  EXPECT_THAT(find, HasSubstr("(F0001-D001-0001)"));
  const auto package = test::run_cli({"catalog", "export", (dir / "out" / "toc").string(),
                                      "--format", "toc-csv", "--out", (dir / "pkg").string()});
  ASSERT_EQ(package.exit_code, 0) << package.err;
  EXPECT_THAT(package.out, HasSubstr("3 TOC entries, 3 page images, 1 MODS records"));
  EXPECT_THAT(read_file(dir / "pkg" / "mods" / "toc" / "D001.xml"),
              HasSubstr(">microfiche</mods:form>"));
}

// --title with the other find filters, on SQLite (PostgreSQL: pg_catalog_test.cpp).
TEST(TocCatalog, TitleCombinesWithTheOtherFindFilters) {
  test::TempDir dir;
  Catalog catalog(dir / "catalog.sqlite");
  test::write_toc_job(catalog);
  test::expect_title_combines_with_filters(catalog);
}

// The same through the CLI: documents and TOC entries both narrowed.
TEST(TocCatalog, FindTitleWithDocumentOrMetaNarrowsDocumentsAndEntries) {
  test::TempDir dir;
  {
    Catalog catalog(dir / "catalog.sqlite");
    test::write_toc_job(catalog);
  }
  const std::string file = (dir / "catalog.sqlite").string();
  const auto both = test::run_cli({"catalog", "find", "--catalog", file, "--title", "学而"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_THAT(both.out, HasSubstr("TOC entry 1 \"学而第一\""));
  EXPECT_THAT(both.out, HasSubstr("TOC entry 2 \"学而篇\""));
  const auto d2 = test::run_cli(
      {"catalog", "find", "--catalog", file, "--title", "学而", "--document", "D002"});
  ASSERT_EQ(d2.exit_code, 0) << d2.err;
  EXPECT_THAT(d2.out, HasSubstr("TOC entry 2 \"学而篇\" (level 1) of document D002"));
  EXPECT_THAT(d2.out, Not(HasSubstr("学而第一")));
  const auto zhu = test::run_cli({"catalog", "find", "--catalog", file, "--job", "tq", "--title",
                                  "学而", "--meta", "作者=朱熹"});
  ASSERT_EQ(zhu.exit_code, 0) << zhu.err;
  EXPECT_THAT(zhu.out, HasSubstr("tq R0001 frame 1: TOC entry 1 \"学而第一\""));
  EXPECT_THAT(zhu.out, Not(HasSubstr("学而篇")));
  // A document title and a TOC title together: 集注 is in both documents' titles, in no entry.
  const auto titles = test::run_cli(
      {"catalog", "find", "--catalog", file, "--title", "集注", "--document", "D001"});
  ASSERT_EQ(titles.exit_code, 0) << titles.err;
  EXPECT_THAT(titles.out, HasSubstr("tq R0001 frames 1-2: document D001 \"论语集注\" pages 1-2"));
  EXPECT_THAT(titles.out, Not(HasSubstr("D002")));
  const auto none = test::run_cli(
      {"catalog", "find", "--catalog", file, "--title", "学而", "--source", "b/p1.tif"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "no frame matches\n");
}

TEST(TocCatalog, AVersionSevenCatalogGainsTheTocTable) {
  test::TempDir dir;
  const auto file = dir / "catalog.sqlite";
  { Catalog old(file, 7); }
  Catalog current(file);
  EXPECT_EQ(current.schema_version(), Catalog::latest_version());
  CatalogJob job;
  job.id = "j";
  job.title = "t";
  job.dir = dir.path();
  job.plan_sha256 = std::string(64, 'a');
  job.format = "16mm-comic-30m";
  job.documents = {{"D001", "周易", {}, {}, {{"乾卦", 1, 1, {}}, {"坤卦", 2, 1, {}}}}};
  current.start_job(job);
  const auto toc = current.toc("j");
  ASSERT_EQ(toc.size(), 2u);
  EXPECT_EQ(toc[1].toc.title, "坤卦");
  EXPECT_EQ(toc[1].reel_id, "");  // not on film yet
  EXPECT_EQ(current.toc("j", "坤").size(), 1u);
}

}  // namespace
}  // namespace fw::toc_test
