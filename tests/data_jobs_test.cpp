// Data frames in jobs (issue 23): `data_frames = true` / `[data]` puts each document's source
// files on the reel as data frames behind a data target; the planner keeps outer-code groups
// whole on a reel; `convert` films them on the simulated recorder, `restore` reads them back
// byte for byte from the developed film (checked against the catalog), and `verify` decodes
// every data frame. Small and fast: a 10 um recorder, pages of a few hundred pixels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>

#include "api/plan_summary.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "film/format.hpp"
#include "film/plan.hpp"
#include "film/text_check.hpp"
#include "job/job.hpp"
#include "raster/raster.hpp"
#include "render/target.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"
#include "text/text.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------
// Planner

FilmFormat roll_16mm(double reel_m) {
  FilmFormat format = load_format(test::source_dir() / "profiles", "16mm-comic-30m");
  format.reel_length_m = reel_m;
  format.reel_lengths_m = {reel_m};
  format.leader_m = format.trailer_m = 0.001;
  return format;
}

Job data_job(DataPlacement place) {
  Job job;
  job.id = "dj";
  job.title = "Data job";
  job.targets = "none";
  job.data.masters = true;
  job.data.place = place;
  job.data.group_data = 2;
  job.data.group_parity = 1;
  for (const char* id : {"D001", "D002"}) {
    Document document;
    document.id = id;
    document.title = id;
    document.key = id;
    job.documents.push_back(document);
  }
  return job;
}

DocumentPages pages_with_masters(std::size_t document, std::vector<std::uint64_t> sizes) {
  DocumentPages pages;
  pages.document = document;
  SourcePage page;
  page.ref.file = fmt::format("/scans/d{}/p1.tif", document);
  page.info.width_px = 2480;
  page.info.height_px = 3508;
  page.info.width_mm = 210;
  page.info.height_mm = 297;
  page.info.dpi = 300;
  pages.pages.push_back(page);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    pages.masters.push_back(
        {fmt::format("/scans/d{}/m{}.bin", document, i), fmt::format("m{}.bin", i), sizes[i]});
  }
  return pages;
}

hal::Capabilities recorder_10um() {
  hal::Capabilities caps;
  caps.pixel_pitch_um = 10;
  return caps;
}

std::vector<std::string> kinds(const Plan& plan) {
  std::vector<std::string> out;
  out.reserve(plan.frames.size());
  for (const PlannedFrame& f : plan.frames) out.emplace_back(to_string(f.kind));
  return out;
}

TEST(DataPlan, DataFramesFollowEachDocumentBehindOneDataTargetPerReel) {
  const Job job = data_job(DataPlacement::document);
  const Plan plan = plan_reels(job, roll_16mm(30.5), recorder_10um(),
                               {pages_with_masters(0, {1000}), pages_with_masters(1, {50000})});
  ASSERT_TRUE(plan.data_layout);
  EXPECT_EQ(plan.data_layout->payload_bytes, 37910u);  // 611 x 611 modules of 20 um
  // D001: 1 data frame + 1 parity; D002: 2 data frames + 1 parity.
  EXPECT_THAT(kinds(plan), ::testing::ElementsAre("page", "data-target", "data-format", "data",
                                                  "data", "page", "data", "data", "data"));
  EXPECT_EQ(plan.frames[2].address, "R0001-DATA2");
  EXPECT_EQ(plan.frames[3].address, "R0001-D001-M01-0001");
  EXPECT_EQ(plan.frames[8].address, "R0001-D002-M01-0003");
  EXPECT_EQ(plan.frames[6].data_unit, 3u);
  EXPECT_EQ(plan.frames[3].blip, hal::BlipLevel::none);  // the blip count stays a page count
  EXPECT_EQ(plan.reels[0].data_frames, 5u);
  EXPECT_EQ(plan.reels[0].data_bytes, 51000u);
  EXPECT_EQ(plan.reels[0].pages, 2u);
  EXPECT_EQ(plan.reels[0].last_address, "R0001-D002-0001");
  const Json json = Json::parse(plan.to_json(job));
  EXPECT_EQ(json["data"]["files"][1]["data_frames"], 2);
  EXPECT_EQ(json["frames"][8]["data"]["parity"], true);
  EXPECT_EQ(json["frames"][7]["data"]["frame"], 2);
  // The same input, the same plan.
  EXPECT_EQ(plan.hash(job),
            plan_reels(job, roll_16mm(30.5), recorder_10um(),
                       {pages_with_masters(0, {1000}), pages_with_masters(1, {50000})})
                .hash(job));
}

// What `plan` prints of such a plan (api/plan_summary.hpp): its frames by kind, the files as
// data frames, and what a 30.5 m reel of each roll format holds of them at this pitch.
TEST(DataPlan, ThePlansSummaryCountsFramesFilesAndEachRollFormatsCapacity) {
  api::JobSettings settings;
  settings.job = data_job(DataPlacement::document);
  settings.profiles_dir = test::source_dir() / "profiles";
  const Plan plan = plan_reels(settings.job, roll_16mm(30.5), recorder_10um(),
                               {pages_with_masters(0, {1000}), pages_with_masters(1, {50000})});
  const api::FrameCounts counts = api::count_frames(plan);
  EXPECT_EQ(counts.pages, 2u);
  EXPECT_EQ(counts.substitutes, 0u);
  EXPECT_EQ(counts.targets, 2u);  // the data target and its format page
  const api::DataSummary data = api::data_summary(settings, plan, 30.5);
  EXPECT_EQ(data.files, 2u);
  EXPECT_EQ(data.bytes, 51000u);
  EXPECT_EQ(data.frames, 5u);
  const auto comic = std::ranges::find(data.capacity, "16mm-comic-30m", &api::DataCapacity::format);
  ASSERT_NE(comic, data.capacity.end());
  EXPECT_EQ(comic->none, "");
  EXPECT_EQ(comic->bytes,
            data_capacity_bytes(settings.job, load_format(settings.profiles_dir, "16mm-comic-30m"),
                                plan.pitch_um, 30.5));
  for (const api::DataCapacity& c : data.capacity) {
    EXPECT_EQ(load_format(settings.profiles_dir, c.format).layout, FilmLayout::roll) << c.format;
  }
}

TEST(DataPlan, AtTheReelsEndTheDataFramesFollowTheLastDocument) {
  const Job job = data_job(DataPlacement::reel_end);
  const Plan plan = plan_reels(job, roll_16mm(30.5), recorder_10um(),
                               {pages_with_masters(0, {1000}), pages_with_masters(1, {1000})});
  EXPECT_THAT(kinds(plan), ::testing::ElementsAre("page", "page", "data-target", "data-format",
                                                  "data", "data", "data", "data"));
  EXPECT_EQ(plan.frames[4].address, "R0001-D001-M01-0001");
  EXPECT_EQ(plan.frames[6].address, "R0001-D002-M01-0001");
}

TEST(DataPlan, AnOuterCodeGroupIsNeverSplitAcrossReels) {
  Job job = data_job(DataPlacement::document);
  job.documents.resize(1);
  // 4 data frames: groups of 2 + 1 parity, 6 frames of 13.5 mm behind a page and the data
  // target; a 0.1 m reel holds the first group, the second goes on reel 2, whole.
  const Plan plan =
      plan_reels(job, roll_16mm(0.1), recorder_10um(), {pages_with_masters(0, {3 * 37910 + 100})});
  ASSERT_EQ(plan.reels.size(), 2u);
  std::map<std::uint32_t, std::set<std::uint32_t>> reels_of_group;
  for (const PlannedFrame& f : plan.frames) {
    if (f.kind == FrameKind::data) reels_of_group[f.data_frame / 3].insert(f.reel);
  }
  ASSERT_EQ(reels_of_group.size(), 2u);
  EXPECT_EQ(reels_of_group[0], std::set<std::uint32_t>{1});
  EXPECT_EQ(reels_of_group[1], std::set<std::uint32_t>{2});
  EXPECT_TRUE(plan.reels[0].continues_on_next);
  // Reel 2 is self-describing too: its data target comes before its data frames.
  const PlannedFrame& first = plan.frames[plan.reels[1].first_frame];
  EXPECT_EQ(first.kind, FrameKind::data_target);
  EXPECT_EQ(first.address, "R0002-DATA");
  EXPECT_EQ(plan.frames[plan.reels[1].first_frame + 1].kind, FrameKind::data_format);
}

// An outer-code group longer than a whole reel runs over the reel change; the continued
// targets on both sides name the group, its file and which of its frames each reel holds,
// and every string they draw has its glyphs.
TEST(DataPlan, AGroupLongerThanAReelRunsOverTheReelChangeAndTheContinuedTargetsSaySo) {
  Job job = data_job(DataPlacement::document);
  job.targets = "standard";
  job.documents.resize(1);
  job.data.group_data = 6;
  job.data.group_parity = 2;
  // One group of 6 data + 2 parity frames of 13.5 mm: more than a 0.15 m reel holds behind
  // its targets.
  Plan plan =
      plan_reels(job, roll_16mm(0.15), recorder_10um(), {pages_with_masters(0, {5 * 37910 + 100})});
  ASSERT_GE(plan.reels.size(), 2u);
  std::map<std::uint32_t, std::vector<std::uint32_t>> frames_on_reel;
  std::vector<const PlannedFrame*> continued_to, continued_from;
  for (const PlannedFrame& f : plan.frames) {
    if (f.kind == FrameKind::data) frames_on_reel[f.reel].push_back(f.data_frame);
    if (f.kind == FrameKind::continued_to) continued_to.push_back(&f);
    if (f.kind == FrameKind::continued_from) continued_from.push_back(&f);
  }
  // Every frame of the group once, in order, over more than one reel.
  std::vector<std::uint32_t> all;
  for (const auto& [reel, frames] : frames_on_reel)
    all.insert(all.end(), frames.begin(), frames.end());
  EXPECT_EQ(all, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  ASSERT_GE(frames_on_reel.size(), 2u);
  ASSERT_FALSE(continued_to.empty());
  ASSERT_EQ(continued_to.size(), continued_from.size());
  const std::size_t on_first = frames_on_reel.begin()->second.size();
  EXPECT_THAT(continued_to[0]->note,
              HasSubstr(fmt::format("Outer-code group 1 of m0.bin runs over the reel change: its "
                                    "frames 1-{} of 8 are on this reel, the rest on reel 2",
                                    on_first)));
  EXPECT_THAT(continued_to[0]->note, HasSubstr("须两卷同时恢复"));
  EXPECT_THAT(continued_from[0]->note,
              HasSubstr(fmt::format("Outer-code group 1 of m0.bin continues from reel 1 (its "
                                    "frames 1-{} of 8 are there)",
                                    on_first)));
  EXPECT_EQ(continued_from[0]->reel, 2u);
  // The plan is the same for the same input.
  EXPECT_EQ(plan.hash(job), plan_reels(job, roll_16mm(0.15), recorder_10um(),
                                       {pages_with_masters(0, {5 * 37910 + 100})})
                                .hash(job));
  // The note is drawn on the continued target: the text check passes and the frame with the
  // note differs from the same frame without it.
  ASSERT_NO_THROW(prepare_plan_text(job, plan, TextEngine::load_default()));
  const RasterSettings grey{ImageMode::grey, Polarity::positive, 128};
  PlannedFrame plain = *continued_to[0];
  plain.note.clear();
  const FrameImage with_note = render_target(job, plan, *continued_to[0], grey);
  const FrameImage without = render_target(job, plan, plain, grey);
  ASSERT_EQ(with_note.pixels.size(), without.pixels.size());
  std::size_t inked = 0;
  for (std::size_t i = 0; i < with_note.pixels.size(); ++i) {
    inked += std::abs(int{with_note.pixels[i]} - int{without.pixels[i]}) > 64;
  }
  EXPECT_GT(inked, 1000u);
}

// The two frames before a reel's data frames, as the default 2.5 um recorder draws them: no
// text block runs into another or into the example symbol (the boxes are the pixels each
// drawing changed), all stay inside the page's border, and every string has its glyphs.
TEST(DataPlan, TheDataTargetsTextBlocksDoNotOverlapAndEveryCharacterHasAGlyph) {
  Job job = data_job(DataPlacement::document);
  job.documents.resize(1);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 2.5;
  Plan plan = plan_reels(job, roll_16mm(30.5), caps, {pages_with_masters(0, {1000})});
  // The project's text check of every string the plan's frames draw (MissingGlyph otherwise).
  ASSERT_NO_THROW(prepare_plan_text(job, plan, TextEngine::load_default()));
  const TargetTemplate format_template =
      load_template(template_file(default_profiles_dir(), "standard", FrameKind::data_format));
  for (const FrameKind kind : {FrameKind::data_target, FrameKind::data_format}) {
    SCOPED_TRACE(to_string(kind));
    const auto frame = std::find_if(plan.frames.begin(), plan.frames.end(),
                                    [&](const PlannedFrame& f) { return f.kind == kind; });
    ASSERT_NE(frame, plan.frames.end());
    std::vector<DrawnBox> drawn;
    const FrameImage image =
        render_target(job, plan, *frame, {ImageMode::grey, Polarity::negative, 128}, &drawn);
    const Placement& p = frame->placement;
    const std::size_t texts = kind == FrameKind::data_target ? 5 : format_template.texts.size();
    ASSERT_EQ(drawn.size(), texts + (kind == FrameKind::data_target ? 1 : 0));
    const double px_per_mm = 1000.0 / (caps.pixel_pitch_um * frame->reduction);
    const auto border_px = static_cast<std::uint32_t>(std::ceil(4 * px_per_mm));  // 2 + 2 mm
    for (std::size_t i = 0; i < drawn.size(); ++i) {
      const DrawnBox& a = drawn[i];
      SCOPED_TRACE(fmt::format("{}: x {}-{}, y {}-{}", a.what, a.x0, a.x1, a.y0, a.y1));
      EXPECT_LT(a.x0, a.x1);  // every block drew something
      EXPECT_LT(a.y0, a.y1);
      EXPECT_GE(a.x0, p.page_x_px + border_px);
      EXPECT_GE(a.y0, p.page_y_px + border_px);
      EXPECT_LE(a.x1, p.page_x_px + p.page_width_px - border_px);
      EXPECT_LE(a.y1, p.page_y_px + p.page_height_px - border_px);
      EXPECT_LE(a.y1, image.height);
      for (std::size_t j = 0; j < i; ++j) {
        const DrawnBox& b = drawn[j];
        const bool apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
        EXPECT_TRUE(apart) << "overlaps " << b.what << ": x " << b.x0 << "-" << b.x1 << ", y "
                           << b.y0 << "-" << b.y1;
      }
    }
  }
}

TEST(DataPlan, JobKeysAndTheirErrors) {
  const std::string head =
      "version = 1\nid = \"j\"\ntitle = \"t\"\n[[documents]]\nid = \"D1\"\ntitle = \"d\"\n"
      "pages = { dir = \"s\" }\n";
  const Job plain = parse_job(head, "job.toml", "/tmp");
  EXPECT_FALSE(data_frames_for(plain, plain.documents[0]));
  const Job on = parse_job("data_frames = true\n" + head, "job.toml", "/tmp");
  EXPECT_TRUE(data_frames_for(on, on.documents[0]));
  const Job table = parse_job(
      "version = 1\nid = \"j\"\ntitle = \"t\"\n[data]\nfiles = \"masters\"\nplace = "
      "\"reel-end\"\nbits_per_module = 2\n[[documents]]\nid = \"D1\"\ntitle = \"d\"\n"
      "pages = { dir = \"s\" }\ndata_frames = false\n",
      "job.toml", "/tmp");
  EXPECT_EQ(table.data.place, DataPlacement::reel_end);
  EXPECT_EQ(table.data.bits_per_module, 2);
  EXPECT_FALSE(data_frames_for(table, table.documents[0]));  // the document says no
  try {
    parse_job("version = 1\nid = \"j\"\ntitle = \"t\"\n[data]\nplace = \"end\"\n" +
                  head.substr(head.find("[[documents]]")),
              "job.toml", "/tmp");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("job.toml:5: data.place: expected one of document, "
                                    "reel-end, got \"end\""));
  }
}

// ---------------------------------------------------------------------------------------
// On the simulated recorder's developed film

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class DataJob : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new test::TempDir();
    const fs::path root = base_->path();
    test::copy_profiles_with_test_recorder(root / "profiles");
    // The masters: the document's pages, a JPEG, a TIFF and a PDF.
    const fs::path pages = root / "s" / "D001";
    fs::create_directories(pages);
    samples::PageSpec spec;
    spec.width_mm = 100;
    spec.height_mm = 140;
    spec.dpi = 60;
    spec.label = "data frames";
    const vips::VImage page = samples::make_page(spec);
    samples::save_page(page, pages / "p1.jpg", samples::Encoding::jpeg, 60);
    samples::save_page(page, pages / "p2.tif", samples::Encoding::tiff_deflate, 60);
    samples::save_pdf({spec}, pages / "p3.pdf");
    test::write_text(root / "s" / "job.toml",
                     "version = 1\nid = \"dj\"\ntitle = \"数据帧\"\nreduction = 24\n"
                     "data_frames = true\n"
                     "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
                     "recorder = \"sim-test\"\nprofiles = \"" +
                         (root / "profiles").string() +
                         "\"\n[[documents]]\nid = \"D001\"\ntitle = \"Masters\"\n"
                         "pages = { dir = \"D001\" }\n");
    const auto convert =
        test::run_cli({"convert", (root / "s" / "job.toml").string(), "--profiles",
                       (root / "profiles").string(), "--out", (root / "out").string()});
    ASSERT_EQ(convert.exit_code, 0) << convert.out << convert.err;
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }
  static fs::path root() { return base_->path(); }
  static fs::path reel() { return root() / "out" / "dj" / "R0001"; }

  static test::TempDir* base_;
  test::TempDir dir_;
};
test::TempDir* DataJob::base_ = nullptr;

TEST_F(DataJob, TheMastersComeBackByteIdenticalFromTheDevelopedFilmAndTheCatalogListsThem) {
  const auto rows = test::read_csv(reel() / "index.csv");
  std::size_t data_rows = 0;
  for (const auto& row : rows) {
    if (row.size() > 1 && row[1] == "data") {
      ++data_rows;
      EXPECT_THAT(row[6], HasSubstr("/D001/p"));  // the master file
      const std::string content = bytes_of(row[6]);
      EXPECT_EQ(row[8], sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(content.data()),
                                             content.size())));
    }
  }
  EXPECT_GE(data_rows, 9u);  // three files, each at least a data frame and 2 parity frames
  const auto restored =
      test::run_cli({"restore", (reel() / "film").string(), "--out", (dir_ / "r").string(),
                     "--catalog", (root() / "out" / "catalog.sqlite").string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_THAT(restored.out, HasSubstr("files: 3 recovered, 0 not"));
  EXPECT_THAT(restored.out, HasSubstr("catalog: D001/D001/p3.pdf catalogued"));
  for (const char* name : {"p1.jpg", "p2.tif", "p3.pdf"}) {
    EXPECT_EQ(bytes_of(dir_ / "r" / "D001" / "D001" / name), bytes_of(root() / "s" / "D001" / name))
        << name;
  }
  const Json report = Json::parse(read_file(dir_ / "r" / "restore.json"));
  EXPECT_EQ(report["files"][0]["catalog"], "catalogued");
}

TEST_F(DataJob, ALostDataFrameIsRebuiltAndTheReelsDataTargetSaysHowToDecode) {
  fs::copy(reel() / "film", dir_ / "film");
  // The first data frame of the reel, gone (a splice): the outer code rebuilds it.
  const Json plan = Json::parse(read_file(root() / "out" / "dj" / "plan.json"));
  std::uint32_t first_data = 0, data_target = 0;
  for (const Json& f : plan["frames"]) {
    if (f["kind"] == "data" && first_data == 0) first_data = f["number"];
    if (f["kind"] == "data-target") data_target = f["number"];
  }
  ASSERT_GT(first_data, 0u);
  EXPECT_EQ(data_target + 2, first_data);  // the data target, its format page, the data
  fs::remove(dir_ / "film" / fmt::format("F{:06}.tif", first_data));
  const auto restored =
      test::run_cli({"restore", (dir_ / "film").string(), "--out", (dir_ / "r").string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(bytes_of(dir_ / "r" / "D001" / "D001" / "p1.jpg"),
            bytes_of(root() / "s" / "D001" / "p1.jpg"));
  const Json report = Json::parse(read_file(dir_ / "r" / "restore.json"));
  EXPECT_GT(report["files"][0]["outer_code_bytes"].get<std::uint64_t>(), 0u);
}

std::size_t frame_images(const fs::path& film) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(film)) n += entry.path().extension() == ".tif";
  return n;
}

TEST_F(DataJob, RestoreCountsOnlyTheFilmsImagesAndReadsSeveralFoldersOrAJobsFolder) {
  // The sim's film folder holds reel.json beside the frames: not an image, not counted.
  ASSERT_TRUE(fs::exists(reel() / "film" / "reel.json"));
  const std::size_t frames = frame_images(reel() / "film");
  const auto whole =
      test::run_cli({"restore", (reel() / "film").string(), "--out", (dir_ / "r1").string()});
  ASSERT_EQ(whole.exit_code, 0) << whole.out << whole.err;
  EXPECT_THAT(whole.out, HasSubstr(fmt::format("restore: {} image(s), ", frames)));

  // The frames spread over two folders (as over two reels): one alone restores some files at
  // most, both together every file.
  const Json plan = Json::parse(read_file(root() / "out" / "dj" / "plan.json"));
  std::vector<std::uint32_t> data_frames;
  for (const Json& f : plan["frames"]) {
    if (f["kind"] == "data") data_frames.push_back(f["number"]);
  }
  ASSERT_GE(data_frames.size(), 9u);
  fs::create_directories(dir_ / "A" / "film");
  fs::create_directories(dir_ / "B" / "film");
  for (std::size_t i = 0; i < data_frames.size(); ++i) {
    const std::string name = fmt::format("F{:06}.tif", data_frames[i]);
    fs::copy(reel() / "film" / name,
             dir_ / (i < data_frames.size() / 2 ? "A" : "B") / "film" / name);
  }
  const auto half =
      test::run_cli({"restore", (dir_ / "A").string(), "--out", (dir_ / "r2").string()});
  EXPECT_THAT(half.out, ::testing::Not(HasSubstr("files: 3 recovered"))) << half.err;
  const auto both = test::run_cli({"restore", (dir_ / "A").string(), (dir_ / "B" / "film").string(),
                                   "--out", (dir_ / "r3").string()});
  ASSERT_EQ(both.exit_code, 0) << both.out << both.err;
  EXPECT_THAT(both.out, HasSubstr(fmt::format("restore: {} image(s), {} data frame(s), 0 other",
                                              data_frames.size(), data_frames.size())));
  EXPECT_THAT(both.out, HasSubstr("files: 3 recovered, 0 not"));
  for (const char* name : {"p1.jpg", "p2.tif", "p3.pdf"}) {
    EXPECT_EQ(bytes_of(dir_ / "r3" / "D001" / "D001" / name),
              bytes_of(root() / "s" / "D001" / name))
        << name;
  }

  // The job's folder: searched recursively, each reel's developed film read (not the contact
  // sheets or other pictures beside it).
  fs::copy(root() / "out" / "dj", dir_ / "job", fs::copy_options::recursive);
  samples::PageSpec spec;
  spec.width_mm = 20;
  spec.height_mm = 20;
  spec.dpi = 60;
  samples::save_page(samples::make_page(spec), dir_ / "job" / "R0001" / "contact.jpg",
                     samples::Encoding::jpeg, 60);
  const auto job =
      test::run_cli({"restore", (dir_ / "job").string(), "--out", (dir_ / "r4").string()});
  ASSERT_EQ(job.exit_code, 0) << job.out << job.err;
  EXPECT_THAT(job.out, HasSubstr(fmt::format("restore: {} image(s), ", frames)));
  EXPECT_THAT(job.out, HasSubstr("files: 3 recovered, 0 not"));
  const Json report = Json::parse(read_file(dir_ / "r4" / "restore.json"));
  EXPECT_EQ(report["frames"][0]["source"], "R0001/film/F000001.tif");
}

TEST_F(DataJob, OnFilmWithTheSimsScratchesAndDustTheMastersStillComeBackByteIdentical) {
  // The same job on a reel that the recorder scratched along its length (two scratches of a
  // module's width, 20 um, through every frame) and with dust on every frame (the sim's fault
  // options, docs/drivers.md): the inner code corrects what they hide.
  std::string job = read_file(root() / "s" / "job.toml");
  const std::string options = "[recorder.options]\n";
  ASSERT_NE(job.find(options), std::string::npos);
  job.replace(job.find(options), options.size(),
              options + "scratches = 2\nscratch_width_um = 20\ndust_per_cm2 = 20\n");
  test::write_text(root() / "s" / "damaged.toml", job);
  const auto convert =
      test::run_cli({"convert", (root() / "s" / "damaged.toml").string(), "--profiles",
                     (root() / "profiles").string(), "--out", (dir_ / "out").string()});
  ASSERT_EQ(convert.exit_code, 0) << convert.out << convert.err;
  const fs::path film = dir_ / "out" / "dj" / "R0001" / "film";
  const Json record = Json::parse(read_file(film / "reel.json"));
  ASSERT_EQ(record["damage"]["scratches"].size(), 2u) << record.dump(2);
  std::uint32_t specks = 0;
  for (const Json& f : record["frames"]) specks += f["dust"].get<std::uint32_t>();
  EXPECT_GT(specks, 100u);  // 20 per cm2 on frames of 12 x 12 mm and more
  const auto restored = test::run_cli({"restore", film.string(), "--out", (dir_ / "r").string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_THAT(restored.out, HasSubstr("files: 3 recovered, 0 not"));
  for (const char* name : {"p1.jpg", "p2.tif", "p3.pdf"}) {
    EXPECT_EQ(bytes_of(dir_ / "r" / "D001" / "D001" / name), bytes_of(root() / "s" / "D001" / name))
        << name;
  }
  const Json report = Json::parse(read_file(dir_ / "r" / "restore.json"));
  std::uint64_t corrected = 0;
  for (const Json& f : report["files"])
    corrected += f["symbol_errors_corrected"].get<std::uint64_t>();
  EXPECT_GT(corrected, 0u) << report.dump(2);
}

TEST_F(DataJob, VerifyDecodesEveryDataFrameAndReportsItsMargin) {
  fs::copy(root() / "out", dir_ / "out", fs::copy_options::recursive);
  const auto verify =
      test::run_cli({"verify", (root() / "s" / "job.toml").string(), "--profiles",
                     (root() / "profiles").string(), "--out", (dir_ / "out").string()});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const Json qc = Json::parse(read_file(dir_ / "out" / "dj" / "qc.json"));
  const Json& data = qc["reels"][0]["data"];
  EXPECT_GE(data["frames"].get<int>(), 9);
  EXPECT_GE(data["least_margin"].get<int>(), 10);  // of 16: RS(255, 223) corrects 16
  EXPECT_EQ(data["frames_checked"], data["frames"]);
  for (const Json& f : qc["reels"][0]["frames"]) {
    if (f["kind"] != "data") continue;
    EXPECT_TRUE(f["data"]["decoded"].get<bool>()) << f.dump();
    EXPECT_EQ(f["verdict"], "pass") << f.dump();
  }
  // The operator sees the same, beside the reel's verdict and in the report.
  const std::string frames = data["frames"].dump();
  EXPECT_THAT(verify.out, HasSubstr(fmt::format("R0001 data: {0} of {0} data frames decoded, {1} "
                                                "symbol error(s)",
                                                frames, data["symbol_errors"].dump())));
  EXPECT_THAT(verify.out, HasSubstr(fmt::format("least margin {}", data["least_margin"].dump())));
  const std::string html = read_file(dir_ / "out" / "dj" / "report.html");
  EXPECT_THAT(html, HasSubstr("<h3 id=\"R0001-data\">Data frames"));
  EXPECT_THAT(html, HasSubstr(fmt::format("<p class=\"data-summary\">{0} of {0} data frames "
                                          "decoded",
                                          frames)));
  std::size_t rows = 0;
  const std::size_t table = html.find("<table class=\"data-frames\">");
  ASSERT_NE(table, std::string::npos);
  const std::string section = html.substr(table, html.find("</table>", table) - table);
  for (std::size_t at = 0; (at = section.find("<tr><td>", at)) != std::string::npos; ++at) ++rows;
  EXPECT_EQ(rows, data["frames"].get<std::size_t>());  // a row per data frame
  EXPECT_THAT(section, HasSubstr("p1.jpg"));
}

// The whole path with a group longer than a reel: convert films it over the reel change,
// the continued targets carry the note, one reel's film alone cannot rebuild the file, both
// reels together give it back byte for byte, and verify passes every reel.
TEST(DataSplit, AGroupFilmedOverTwoReelsComesBackFromBothReelsTogether) {
  test::TempDir dir;
  const fs::path& root = dir.path();
  test::copy_profiles_with_test_recorder(root / "profiles");
  std::string format = read_file(root / "profiles" / "formats" / "16mm-comic-30m.toml");
  for (const auto& [pattern, replacement] :
       {std::pair{"leader_m = [0-9.]+", "leader_m = 0.001"},
        std::pair{"trailer_m = [0-9.]+", "trailer_m = 0.001"},
        std::pair{"reel_length_m = [0-9.]+", "reel_length_m = 0.11"},
        std::pair{"reel_lengths_m = \\[[0-9., ]+\\]", "reel_lengths_m = [0.11]"}}) {
    format = std::regex_replace(format, std::regex(pattern), replacement);
  }
  test::write_text(root / "profiles" / "formats" / "reel-16cm.toml", format);
  // One page whose file is about four data frames: one group of 4 data + 1 parity frames,
  // longer than the reel holds behind its targets.
  fs::create_directories(root / "s" / "D001");
  samples::PageSpec spec;
  spec.width_mm = 100;
  spec.height_mm = 140;
  spec.dpi = 80;
  spec.label = "split group";
  samples::save_page(samples::make_page(spec), root / "s" / "D001" / "p1.tif",
                     samples::Encoding::tiff_none, 80);
  test::write_text(root / "s" / "job.toml",
                   "version = 1\nid = \"sg\"\ntitle = \"Split group\"\nreduction = 24\n"
                   "format = \"reel-16cm\"\ndata_frames = true\n[data]\ngroup_data = 4\n"
                   "group_parity = 1\n[recorder]\ndriver = \"sim\"\n[recorder.options]\n"
                   "rate = 0\nrecorder = \"sim-test\"\nprofiles = \"" +
                       (root / "profiles").string() +
                       "\"\n[[documents]]\nid = \"D001\"\ntitle = \"Masters\"\n"
                       "pages = { dir = \"D001\" }\n");
  const std::vector<std::string> where = {"--profiles", (root / "profiles").string(), "--out",
                                          (root / "out").string()};
  std::vector<std::string> convert_args = {"convert", (root / "s" / "job.toml").string()};
  convert_args.insert(convert_args.end(), where.begin(), where.end());
  const auto convert = test::run_cli(convert_args);
  ASSERT_EQ(convert.exit_code, 0) << convert.out << convert.err;

  const Json plan = Json::parse(read_file(root / "out" / "sg" / "plan.json"));
  std::map<int, int> data_on_reel;
  std::string note;
  for (const Json& f : plan["frames"]) {
    if (f["kind"] == "data") ++data_on_reel[f["reel"].get<int>()];
    if (f["kind"] == "continued-to" && note.empty()) note = f.value("note", std::string());
  }
  ASSERT_GE(data_on_reel.size(), 2u) << plan.dump(1);
  EXPECT_THAT(note, HasSubstr("Outer-code group 1 of "));
  EXPECT_THAT(note, HasSubstr("restore it from both reels"));

  // The reels that hold the group: the first alone cannot rebuild the file, all together do.
  const fs::path job = root / "out" / "sg";
  const auto film_of = [&](int reel) {
    return (job / fmt::format("R{:04}", reel) / "film").string();
  };
  const auto one = test::run_cli(
      {"restore", film_of(data_on_reel.begin()->first), "--out", (root / "r1").string()});
  EXPECT_NE(one.exit_code, 0) << one.out;
  EXPECT_THAT(one.out, HasSubstr("0 recovered"));
  std::vector<std::string> restore_args = {"restore"};
  for (const auto& [reel, frames] : data_on_reel) restore_args.push_back(film_of(reel));
  restore_args.insert(restore_args.end(), {"--out", (root / "r2").string()});
  const auto all = test::run_cli(restore_args);
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_THAT(all.out, HasSubstr("files: 1 recovered, 0 not"));
  EXPECT_EQ(bytes_of(root / "r2" / "D001" / "D001" / "p1.tif"),
            bytes_of(root / "s" / "D001" / "p1.tif"));

  std::vector<std::string> verify_args = {"verify", (root / "s" / "job.toml").string()};
  verify_args.insert(verify_args.end(), where.begin(), where.end());
  const auto verify = test::run_cli(verify_args);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace fw
