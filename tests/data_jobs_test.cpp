// Data-frame jobs end to end (issue 23) on the simulated recorder: the masters come back
// byte-identical from the developed film (scratches and dust included), a lost data frame is
// rebuilt, restore reads several folders, verify reports each frame's margin, and a group split
// over two reels comes back whole. Small and fast: a 10 um recorder, pages of a few hundred pixels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <vips/vips8>

#include "api/plan_summary.hpp"
#include "api/restore.hpp"
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
#include "support/engine_api.hpp"
#include "support/test_support.hpp"
#include "text/text.hpp"

namespace fw::data_jobs_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------
// Planner

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A small page (100 x 140 mm at 60 dpi) that says what it is.
samples::PageSpec master_page(const std::string& label) {
  samples::PageSpec spec;
  spec.width_mm = 100;
  spec.height_mm = 140;
  spec.dpi = 60;
  spec.label = label;
  return spec;
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
    const vips::VImage page = samples::make_page(master_page("data frames"));
    samples::save_page(page, pages / "p1.jpg", samples::Encoding::jpeg, 60);
    samples::save_page(page, pages / "p2.tif", samples::Encoding::tiff_deflate, 60);
    samples::save_pdf({master_page("data frames")}, pages / "p3.pdf");
    test::write_text(root / "s" / "job.toml",
                     "version = 1\nid = \"dj\"\ntitle = \"数据帧\"\nreduction = 24\n"
                     "data_frames = true\n"
                     "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
                     "recorder = \"sim-test\"\nprofiles = \"" +
                         (root / "profiles").string() +
                         "\"\n[[documents]]\nid = \"D001\"\ntitle = \"Masters\"\n"
                         "pages = { dir = \"D001\" }\n");
    ASSERT_NO_THROW(test::convert_job(root / "s" / "job.toml", {},
                                      test::job_flags(root / "out", root / "profiles")));
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
  const api::RestoreResult restored =
      api::restore({{reel() / "film"}, dir_ / "r", root() / "out" / "catalog.sqlite"});
  ASSERT_TRUE(restored.ok()) << restored.text();
  EXPECT_THAT(restored.text(), HasSubstr("files: 3 recovered, 0 not"));
  EXPECT_THAT(restored.text(), HasSubstr("catalog: D001/D001/p3.pdf catalogued"));
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
  // And a parity frame of the same group scratched across its middle: beyond the inner code,
  // it is the second erasure the outer code takes.
  const Json& parity = plan["frames"][first_data];
  ASSERT_TRUE(parity["data"]["parity"].get<bool>()) << parity.dump();
  const fs::path scratched = dir_ / "film" / fmt::format("F{:06}.tif", first_data + 1);
  vips::VImage film = vips::VImage::new_from_file(scratched.c_str()).copy_memory();
  film.draw_rect({0}, 0, film.height() / 3, film.width(), film.height() / 3,
                 vips::VImage::option()->set("fill", true));
  film.write_to_file((scratched.string() + ".tif").c_str());
  fs::rename(scratched.string() + ".tif", scratched);
  const api::RestoreResult restored = api::restore({{dir_ / "film"}, dir_ / "r", {}});
  ASSERT_TRUE(restored.ok()) << restored.text();
  EXPECT_EQ(bytes_of(dir_ / "r" / "D001" / "D001" / "p1.jpg"),
            bytes_of(root() / "s" / "D001" / "p1.jpg"));
  EXPECT_THAT(restored.text(), HasSubstr("1 frame(s) beyond the inner code"));
  const Json report = Json::parse(read_file(dir_ / "r" / "restore.json"));
  const Json& file = report["files"][0];
  EXPECT_EQ(file["frames_beyond_inner_code"], 1);
  // The file's bytes the outer code rebuilt: the lost data frame's share of the file, never the
  // codewords' padding past its end.
  const auto rebuilt = file["outer_code_bytes"].get<std::uint64_t>();
  EXPECT_GT(rebuilt, 0u);
  EXPECT_LE(rebuilt, file["size"].get<std::uint64_t>());
  if (file["frames_expected"] == 3) {
    EXPECT_EQ(rebuilt, file["size"]);  // one data frame
  }
}

std::size_t frame_images(const fs::path& film) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(film)) n += entry.path().extension() == ".tif";
  return n;
}

// Every job's first document is D001, and scans are often p1.jpg: restoring a box of reels of
// two jobs gives each job's files a folder, and never writes a file over another file.
TEST_F(DataJob, TwoJobsFilesOfTheSameNameAreRestoredBothAndNeitherOverwritten) {
  const fs::path other = dir_ / "s2";
  fs::create_directories(other / "D001");
  samples::save_page(samples::make_page(master_page("another job")), other / "D001" / "p1.jpg",
                     samples::Encoding::jpeg, 60);
  ASSERT_NE(bytes_of(other / "D001" / "p1.jpg"), bytes_of(root() / "s" / "D001" / "p1.jpg"));
  std::string text = read_file(root() / "s" / "job.toml");
  text.replace(text.find("id = \"dj\""), 9, "id = \"dj2\"");
  test::write_text(other / "job.toml", text);
  ASSERT_NO_THROW(test::convert_job(other / "job.toml", {},
                                    test::job_flags(dir_ / "out", root() / "profiles")));
  const fs::path reel2 = dir_ / "out" / "dj2" / "R0001";

  const api::RestoreResult both = api::restore({{reel() / "film", reel2 / "film"}, dir_ / "r", {}});
  ASSERT_TRUE(both.ok()) << both.text();
  EXPECT_THAT(both.text(), HasSubstr("recovered dj/D001/D001/p1.jpg "));
  EXPECT_THAT(both.text(), HasSubstr("recovered dj2/D001/D001/p1.jpg "));
  EXPECT_EQ(bytes_of(dir_ / "r" / "dj" / "D001" / "D001" / "p1.jpg"),
            bytes_of(root() / "s" / "D001" / "p1.jpg"));
  EXPECT_EQ(bytes_of(dir_ / "r" / "dj2" / "D001" / "D001" / "p1.jpg"),
            bytes_of(other / "D001" / "p1.jpg"));

  // One job at a time into the same folder: the second p1.jpg is written beside the first.
  const api::RestoreResult first = api::restore({{reel() / "film"}, dir_ / "one", {}});
  ASSERT_TRUE(first.ok()) << first.text();
  const api::RestoreResult second = api::restore({{reel2 / "film"}, dir_ / "one", {}});
  ASSERT_TRUE(second.ok()) << second.text();
  const fs::path kept = dir_ / "one" / "D001" / "D001" / "p1.jpg";
  EXPECT_EQ(bytes_of(kept), bytes_of(root() / "s" / "D001" / "p1.jpg"));
  const Json report = Json::parse(read_file(dir_ / "one" / "restore.json"));
  const std::string sha = report["files"][0]["sha256"];
  const fs::path beside = kept.parent_path() / ("p1." + sha.substr(0, 8) + ".jpg");
  EXPECT_EQ(report["files"][0]["written"], beside.string());
  EXPECT_EQ(bytes_of(beside), bytes_of(other / "D001" / "p1.jpg"));
  EXPECT_THAT(second.text(),
              HasSubstr("written beside " + kept.string() + ", which holds another file"));
  // The first restore's report is kept beside the second's: it says where its files went.
  EXPECT_EQ(second.earlier_report, dir_ / "one" / "restore.1.json");
  const Json earlier = Json::parse(read_file(dir_ / "one" / "restore.1.json"));
  EXPECT_EQ(earlier["files"][0]["written"], kept.string());
  EXPECT_TRUE(first.earlier_report.empty());
  // The same restore again writes the same files, renaming nothing.
  const api::RestoreResult again = api::restore({{reel() / "film"}, dir_ / "one", {}});
  EXPECT_THAT(again.text(), ::testing::Not(HasSubstr("written beside")));
  EXPECT_EQ(again.earlier_report, dir_ / "one" / "restore.2.json");
  EXPECT_EQ(Json::parse(read_file(again.earlier_report))["files"][0]["written"], beside.string());
}

TEST_F(DataJob, RestoreCountsOnlyTheFilmsImagesAndReadsSeveralFoldersOrAJobsFolder) {
  // The sim's film folder holds reel.json beside the frames: not an image, not counted.
  ASSERT_TRUE(fs::exists(reel() / "film" / "reel.json"));
  const std::size_t frames = frame_images(reel() / "film");
  const api::RestoreResult whole = api::restore({{reel() / "film"}, dir_ / "r1", {}});
  ASSERT_TRUE(whole.ok()) << whole.text();
  EXPECT_THAT(whole.text(), HasSubstr(fmt::format("restore: {} image(s), ", frames)));

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
  const api::RestoreResult half = api::restore({{dir_ / "A"}, dir_ / "r2", {}});
  EXPECT_THAT(half.text(), ::testing::Not(HasSubstr("files: 3 recovered")));
  const api::RestoreResult both =
      api::restore({{dir_ / "A", dir_ / "B" / "film"}, dir_ / "r3", {}});
  ASSERT_TRUE(both.ok()) << both.text();
  EXPECT_THAT(both.text(), HasSubstr(fmt::format("restore: {} image(s), {} data frame(s), 0 other",
                                                 data_frames.size(), data_frames.size())));
  EXPECT_THAT(both.text(), HasSubstr("files: 3 recovered, 0 not"));
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
  const api::RestoreResult job = api::restore({{dir_ / "job"}, dir_ / "r4", {}});
  ASSERT_TRUE(job.ok()) << job.text();
  EXPECT_THAT(job.text(), HasSubstr(fmt::format("restore: {} image(s), ", frames)));
  EXPECT_THAT(job.text(), HasSubstr("files: 3 recovered, 0 not"));
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
  ASSERT_NO_THROW(test::convert_job(root() / "s" / "damaged.toml", {},
                                    test::job_flags(dir_ / "out", root() / "profiles")));
  const fs::path film = dir_ / "out" / "dj" / "R0001" / "film";
  const Json record = Json::parse(read_file(film / "reel.json"));
  ASSERT_EQ(record["damage"]["scratches"].size(), 2u) << record.dump(2);
  std::uint32_t specks = 0;
  for (const Json& f : record["frames"]) specks += f["dust"].get<std::uint32_t>();
  EXPECT_GT(specks, 100u);  // 20 per cm2 on frames of 12 x 12 mm and more
  const api::RestoreResult restored = api::restore({{film}, dir_ / "r", {}});
  ASSERT_TRUE(restored.ok()) << restored.text();
  EXPECT_THAT(restored.text(), HasSubstr("files: 3 recovered, 0 not"));
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
  const api::JobRequest where = test::job_flags(root / "out", root / "profiles");
  ASSERT_NO_THROW(test::convert_job(root / "s" / "job.toml", {}, where));

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
  const api::RestoreResult one =
      api::restore({{film_of(data_on_reel.begin()->first)}, root / "r1", {}});
  EXPECT_FALSE(one.ok()) << one.text();
  EXPECT_THAT(one.text(), HasSubstr("0 recovered"));
  api::RestoreRequest every_reel{{}, root / "r2", {}};
  for (const auto& [reel, frames] : data_on_reel) every_reel.film.emplace_back(film_of(reel));
  const api::RestoreResult all = api::restore(every_reel);
  ASSERT_TRUE(all.ok()) << all.text();
  EXPECT_THAT(all.text(), HasSubstr("files: 1 recovered, 0 not"));
  EXPECT_EQ(bytes_of(root / "r2" / "D001" / "D001" / "p1.tif"),
            bytes_of(root / "s" / "D001" / "p1.tif"));

  const QcResult verified = test::verify_job(root / "s" / "job.toml", {}, where);
  EXPECT_TRUE(verified.passed) << test::describe(verified);
}

}  // namespace
}  // namespace fw::data_jobs_test
