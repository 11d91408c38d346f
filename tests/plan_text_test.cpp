// Text on film, end to end through the real CLI: missing glyphs stop a job before anything is
// exposed, the job's font set draws every text, substitution targets come in the variants the
// job asks for, and the filming date is part of the plan.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "samples/samples.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::plan_text_test {
namespace {

using ::testing::HasSubstr;

// Sets an environment variable for the CLI runs of one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

constexpr const char* kPua = "\xEE\x80\x80";     // U+E000, private use
constexpr const char* kUnassigned = "\xCD\xB8";  // U+0378, unassigned
constexpr const char* kDay1 = "1700000000";      // 2023-11-14 UTC
constexpr const char* kDay2 = "1700100000";      // 2023-11-16 UTC

class PlanTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir / "scans");
    for (int i = 1; i <= 3; ++i) {
      samples::PageSpec spec;
      spec.width_mm = 50;
      spec.height_mm = 70;
      spec.dpi = 100;
      spec.marks = {{10.0 * i, 10, 5}};
      samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{}.png", i),
                         samples::Encoding::png, 100);
    }
  }

  // Targets on, a coarse pitch (10 um: an A4 target is 875 x 1237 px at 24x).
  std::string job(const std::string& documents, const std::string& extra = "") const {
    return R"(version = 1
id = "t"
title = "文本 测试"
institution = "国家图书馆"
output = "out"
reduction = 24
)" + extra +
           R"(
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 10
compression = "none"
)" + documents;
  }

  test::CliResult run(const std::string& command, const std::string& toml,
                      std::vector<std::string> flags = {}) const {
    test::write_text(dir / "job.toml", toml);
    std::vector<std::string> args{command, (dir / "job.toml").string()};
    args.insert(args.end(), flags.begin(), flags.end());
    return test::run_cli(args);
  }

  std::filesystem::path out(const std::string& sub = "out") const { return dir / sub / "t"; }

  test::TempDir dir;
};

const std::string kDocument = R"(
[[documents]]
id = "D001"
title = "论语集注"
pages = { dir = "scans" }
)";

TEST_F(PlanTextTest, MissingGlyphInATitleStopsPlanAndConvertBeforeAnyFrame) {
  const std::string bad = R"(
[[documents]]
id = "D001"
title = "论语)" + std::string(kPua) +
                          R"(集注"
pages = { dir = "scans" }
)";
  const auto plan = run("plan", job(bad));
  EXPECT_EQ(plan.exit_code, 3) << plan.err;
  EXPECT_THAT(plan.err, HasSubstr("job.toml: documents[1].title (document D001)"));
  EXPECT_THAT(plan.err, HasSubstr("can draw U+E000"));
  EXPECT_THAT(plan.err, HasSubstr("(in \"论语\xEE\x80\x80集注\")"));
  EXPECT_FALSE(std::filesystem::exists(out() / "plan.json"));

  const auto convert = run("convert", job(bad));
  EXPECT_EQ(convert.exit_code, 3) << convert.err;
  EXPECT_THAT(convert.err, HasSubstr("U+E000"));
  EXPECT_FALSE(std::filesystem::exists(out() / "R0001"));  // the recorder never loaded a reel
  EXPECT_FALSE(std::filesystem::exists(out() / "journal.jsonl"));

  // An unassigned code point in a job key that only the targets show.
  const std::string institution = std::string("institution = \"图书馆") + kUnassigned + "\"\n";
  auto toml = job(kDocument);
  const std::string old_institution = "institution = \"国家图书馆\"\n";
  toml.replace(toml.find(old_institution), old_institution.size(), institution);
  const auto unassigned = run("convert", toml);
  EXPECT_EQ(unassigned.exit_code, 3) << unassigned.err;
  EXPECT_THAT(unassigned.err, HasSubstr("job.toml: institution: no font"));
  EXPECT_THAT(unassigned.err, HasSubstr("U+0378"));
  EXPECT_FALSE(std::filesystem::exists(out() / "R0001"));
}

TEST_F(PlanTextTest, SkipDocumentPolicySkipsADocumentWithAMissingGlyph) {
  const auto result = run("plan", job(kDocument + R"(
[[documents]]
id = "D002"
title = "二"
on_error = "skip-document"
pages = { dir = "scans" }
[documents.metadata]
作者 = "某)" + std::string(kPua) + R"("
)"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("skipped document D002: "));
  EXPECT_THAT(result.out, HasSubstr("documents[2].metadata.作者 (document D002): no font"));
  EXPECT_THAT(result.out, HasSubstr("U+E000"));
  const auto plan = nlohmann::json::parse(read_file(out() / "plan.json"));
  for (const auto& frame : plan["frames"]) EXPECT_NE(frame["document"], "D002");
}

TEST_F(PlanTextTest, MissingGlyphInATemplateNamesTheTemplateAndTheFrame) {
  const auto profiles = dir / "profiles";
  std::filesystem::copy(test::source_dir() / "profiles", profiles,
                        std::filesystem::copy_options::recursive);
  const auto title = profiles / "targets" / "standard" / "title-target.toml";
  test::write_text(title, read_file(title) + "\n[[text]]\ntext = \"题名" + kPua +
                              "\"\ntop_mm = 270\nsize_mm = 4\n");
  const auto result = run("plan", job(kDocument), {"--profiles", profiles.string()});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("reel R0001 frame 3 (title-target R0001-D001-TITLE, document "
                                    "D001 (documents[1])), "));
  // The template's own 5 blocks (the last the site's), then the one added here.
  EXPECT_THAT(result.err, HasSubstr("title-target.toml text[6]: no font"));
  EXPECT_THAT(result.err, HasSubstr("U+E000"));
}

// A title too long for its target stops plan and convert before anything is filmed, naming the
// template's block, the frame and the document; a long one that fits pushes the rest down.
TEST_F(PlanTextTest, ATitleThatCannotFitOnItsTargetStopsPlanAndConvertBeforeAnyFrame) {
  std::string title;
  for (int i = 0; i < 12; ++i) title += "钦定四库全书总目提要卷一百二十三子部三十三杂家类七";
  const std::string documents =
      "\n[[documents]]\nid = \"D001\"\ntitle = \"" + title + "\"\npages = { dir = \"scans\" }\n";
  const auto plan = run("plan", job(documents));
  EXPECT_EQ(plan.exit_code, 2) << plan.err;
  EXPECT_THAT(plan.err, HasSubstr("title-target.toml text[1] ({document_title}: \"钦定四库全书"));
  EXPECT_THAT(plan.err, HasSubstr("on title-target R0001-D001-TITLE of document D001 "
                                  "(documents[1]), its lines end "));
  EXPECT_THAT(plan.err, HasSubstr("past its border at 295.0 mm; shorten the text"));
  EXPECT_FALSE(std::filesystem::exists(out() / "plan.json"));

  const auto convert = run("convert", job(documents));
  EXPECT_EQ(convert.exit_code, 2) << convert.err;
  EXPECT_THAT(convert.err, HasSubstr("title-target.toml text[1]"));
  EXPECT_FALSE(std::filesystem::exists(out() / "R0001"));  // the recorder never loaded a reel

  title.resize(title.size() / 4);  // three lines
  const auto fits = run("convert", job("\n[[documents]]\nid = \"D001\"\ntitle = \"" + title +
                                       "\"\npages = { dir = \"scans\" }\n"));
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
}

TEST_F(PlanTextTest, TheJobsFontSetDrawsEveryText) {
  const auto sans = run("convert", job(kDocument), {"--out", (dir / "sans").string()});
  ASSERT_EQ(sans.exit_code, 0) << sans.err;
  const auto serif =
      run("convert", job(kDocument, "fonts = \"serif\"\n"), {"--out", (dir / "serif").string()});
  ASSERT_EQ(serif.exit_code, 0) << serif.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(out("serif") / "plan.json"))["fonts"], "serif");
  EXPECT_EQ(nlohmann::json::parse(read_file(out("sans") / "plan.json"))["fonts"], "default");

  // Same frames, other glyphs: every target differs; pages differ only in the address.
  const auto a = test::read_csv(out("sans") / "R0001" / "index.csv");
  const auto b = test::read_csv(out("serif") / "R0001" / "index.csv");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t row = 1; row < a.size(); ++row) {
    EXPECT_NE(a[row].at(9), b[row].at(9)) << a[row][1] << " " << a[row][4];
  }
  // The page itself is the same: only the blip track (address) changed, and with it the
  // length of a frame this short (2.1 mm of page), which is as long as its address and frame
  // mark need in the job's font set.
  const auto plan_a = nlohmann::json::parse(read_file(out("sans") / "plan.json"));
  const auto plan_b = nlohmann::json::parse(read_file(out("serif") / "plan.json"));
  ASSERT_EQ(plan_a["frames"][3]["kind"], "page");
  const auto page_of = [&](const std::string& set, const nlohmann::json& plan) {
    const auto& p = plan["frames"][3]["placement"];
    EXPECT_GT(p["track"][1].get<int>(), 0);  // the track lies under the page in a comic frame
    return vips::VImage::new_from_file((out(set) / "R0001" / "frames" / "F000004.tif").c_str())
        .crop(p["page_x_px"].get<int>(), p["page_y_px"].get<int>(), p["page_width_px"].get<int>(),
              p["page_height_px"].get<int>());
  };
  const vips::VImage page_a = page_of("sans", plan_a);
  const vips::VImage page_b = page_of("serif", plan_b);
  ASSERT_EQ(page_a.width(), page_b.width());
  EXPECT_EQ((page_a - page_b).abs().max(), 0.0);

  // `fonts --set` takes the same names.
  const auto fonts = test::run_cli({"fonts", "--set", "serif", "--check", "题A"});
  ASSERT_EQ(fonts.exit_code, 0) << fonts.err;
  EXPECT_THAT(fonts.out, HasSubstr("U+9898 题  han: noto-serif-sc (Noto Serif CJK SC)"));
  EXPECT_THAT(fonts.out, HasSubstr("U+0041 A  latin: dejavu-serif (DejaVu Serif)"));

  const auto unknown = run("plan", job(kDocument, "fonts = \"nope\"\n"));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("font set \"nope\": no file"));
  EXPECT_THAT(unknown.err, HasSubstr("default, serif"));
}

TEST_F(PlanTextTest, SubstitutionTargetVariantsPerDocumentAndPerPage) {
  // A page without a resolution (and no dpi in the job) fails when its header is read.
  samples::PageSpec spec;
  spec.width_mm = 50;
  spec.height_mm = 70;
  spec.dpi = 100;
  std::filesystem::create_directories(dir / "bad");
  samples::save_page(samples::make_page(spec), dir / "bad" / "nores.png", samples::Encoding::png,
                     100, false);
  const auto result = run("convert", job(R"(
[[documents]]
id = "D001"
title = "论语集注"
on_error = "substitute"
substitute_target = "original-damaged"
pages = { files = ["scans/p1.png", "bad/nores.png", "scans/p3.png"] }

[[documents]]
id = "D002"
title = "孟子"
pages = { dir = "scans" }
[[documents.substitute]]
page = 1
target = "filmed-as-found"
insert = true
[[documents.substitute]]
page = 3
target = "page-missing"
note = "第二页原缺 leaf torn out"
)"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto plan = nlohmann::json::parse(read_file(out() / "plan.json"));
  std::vector<std::string> d1, d2;
  for (const auto& frame : plan["frames"]) {
    if (frame["kind"] != "page" && frame["kind"] != "substitute") continue;
    auto& list = frame["document"] == "D001" ? d1 : d2;
    list.push_back(frame["kind"].get<std::string>() +
                   (frame.contains("target") ? ":" + frame["target"].get<std::string>() : ""));
  }
  EXPECT_EQ(d1, (std::vector<std::string>{"page", "substitute:original-damaged", "page"}));
  // Inserted before source page 1; page 3 of the filmed document (source page 2) replaced.
  EXPECT_EQ(d2, (std::vector<std::string>{"substitute:filmed-as-found", "page",
                                          "substitute:page-missing", "page"}));
  const auto rows = test::read_csv(out() / "R0001" / "index.csv");
  // D002 page 3 (replaced) still names the source page it stands for.
  bool found = false;
  for (const auto& row : rows) {
    if (row.size() > 6 && row[4] == "R0001-D002-0003") {
      found = true;
      EXPECT_EQ(row[1], "substitute");
      EXPECT_THAT(row[6], HasSubstr("p2.png"));
    }
  }
  EXPECT_TRUE(found);

  const auto missing = run("plan", job(R"(
[[documents]]
id = "D001"
title = "一"
pages = { dir = "scans" }
[[documents.substitute]]
page = 9
target = "page-missing"
)"));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_THAT(missing.err,
              HasSubstr("documents[1].substitute[1].page: page 9 replaced but document D001 has "
                        "3 page(s)"));
  const auto no_template = run("plan", job(R"(
[[documents]]
id = "D001"
title = "一"
pages = { dir = "scans" }
[[documents.substitute]]
page = 1
target = "coffee-stain"
)"));
  EXPECT_EQ(no_template.exit_code, 2) << no_template.err;
  EXPECT_THAT(no_template.err, HasSubstr("substitution target \"coffee-stain\" of document D001: "
                                         "no template"));
}

// The day on the start and end targets is fixed in the plan: a job planned with a date films
// the same targets on any day, and a resumed job keeps the day it started with.
TEST_F(PlanTextTest, FilmingDateIsPartOfThePlan) {
  {
    ScopedEnv day(("SOURCE_DATE_EPOCH"), kDay1);
    const auto planned = run("plan", job(kDocument));
    ASSERT_EQ(planned.exit_code, 0) << planned.err;
    EXPECT_EQ(nlohmann::json::parse(read_file(out() / "plan.json"))["filming_date"], "2023-11-14");
  }
  auto start_target_sha = [&](const std::string& sub) {
    return test::read_csv(out(sub) / "R0001" / "index.csv").at(1).at(9);  // frame_sha256
  };
  const std::string fixed = "filming_date = 2020-01-02\n";
  {
    ScopedEnv day("SOURCE_DATE_EPOCH", kDay1);
    ASSERT_EQ(run("convert", job(kDocument, fixed), {"--out", (dir / "a").string()}).exit_code, 0);
    ASSERT_EQ(run("convert", job(kDocument), {"--out", (dir / "today").string()}).exit_code, 0);
  }
  {
    ScopedEnv day("SOURCE_DATE_EPOCH", kDay2);
    ASSERT_EQ(run("convert", job(kDocument, fixed), {"--out", (dir / "b").string()}).exit_code, 0);
    ASSERT_EQ(run("convert", job(kDocument, "filming_date = \"2020-01-03\"\n"),
                  {"--out", (dir / "c").string()})
                  .exit_code,
              0);
  }
  EXPECT_EQ(read_file(out("a") / "R0001" / "index.csv"),
            read_file(out("b") / "R0001" / "index.csv"));
  EXPECT_NE(start_target_sha("a"), start_target_sha("c"));
  EXPECT_NE(start_target_sha("a"), start_target_sha("today"));
  EXPECT_EQ(nlohmann::json::parse(read_file(out("c") / "plan.json"))["filming_date"], "2020-01-03");

  // Filmed on every target, so only a day the calendar has.
  for (const char* date : {"2020-13-01", "2026-02-31", "2026-04-31", "1899-12-31", "2026-1-05"}) {
    const auto bad = run("plan", job(kDocument, fmt::format("filming_date = \"{}\"\n", date)));
    EXPECT_EQ(bad.exit_code, 2) << date;
    EXPECT_THAT(bad.err,
                HasSubstr(fmt::format(
                    "filming_date: expected a date YYYY-MM-DD from 1900 on, got \"{}\"", date)));
  }
  EXPECT_EQ(run("plan", job(kDocument, "filming_date = \"2024-02-29\"\n")).exit_code, 0);

  // A job that stops on day 1 and is resumed on day 2 films day 1 on every target.
  const auto page = dir / "scans" / "p3.png";
  const std::string good = test::cut_in_half(page);
  {
    ScopedEnv day("SOURCE_DATE_EPOCH", kDay1);
    const auto failed = run("convert", job(kDocument), {"--out", (dir / "r").string()});
    ASSERT_EQ(failed.exit_code, 3) << failed.err;
  }
  test::write_text(page, good);
  {
    ScopedEnv day("SOURCE_DATE_EPOCH", kDay2);
    const auto resumed =
        run("convert", job(kDocument), {"--out", (dir / "r").string(), "--resume"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  }
  EXPECT_EQ(read_file(out("r") / "R0001" / "index.csv"),
            read_file(out("today") / "R0001" / "index.csv"));
}

}  // namespace
}  // namespace fw::plan_text_test
