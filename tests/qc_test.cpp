// `filmwriter verify` (engine/qc) on the simulated recorder's developed film: a clean reel
// passes; each seeded defect (missing frame, swapped pair, density drift, blurred spot, blank
// frame, damaged mark) is caught with exit code 5 and named in qc.json. Then the report in
// headless Chromium, and vault inspections in the catalog.
//
// Small and fast: a 10 um recorder (an A4 frame is 885 x 1400 px) and one four-page document.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <algorithm>
#include <optional>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include <sqlite3.h>

#include "api/settings.hpp"
#include "api/verify.hpp"
#include "base/buffer_pool.hpp"
#include "base/error.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "builtin.hpp"
#include "catalog/inspection.hpp"
#include "film/drawn_with.hpp"
#include "film/format.hpp"
#include "qc/qc.hpp"
#include "render/frame_mark.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/test_support.hpp"

namespace fw::qc_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

// One filmed job shared by the tests; each test verifies its own copy.
class Verify : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new test::TempDir();
    const fs::path root = base_->path();
    test::copy_profiles_with_test_recorder(root / "profiles");
    const std::vector<std::string> sim{"-O", "rate=0",
                                       "-O", "recorder=sim-test",
                                       "-O", "profiles=" + (root / "profiles").string()};
    std::vector<std::string> args{"calibrate", "auto",
                                  "--profile", (root / "cal.toml").string(),
                                  "--out",     (root / "cal").string()};
    args.insert(args.end(), sim.begin(), sim.end());
    const auto cal = test::run_cli(args);
    ASSERT_EQ(cal.exit_code, 0) << cal.out << cal.err;
    samples::make_demo_set(root / "s");
    test::write_text(root / "s" / "qc.toml",
                     "version = 1\nid = \"qc\"\ntitle = \"质检 测试卷\"\ninstitution = "
                     "\"国家图书馆\"\nreduction = 24\n"
                     "[recorder]\ndriver = \"sim\"\n[recorder.options]\nrate = 0\n"
                     "recorder = \"sim-test\"\nprofiles = \"" +
                         (root / "profiles").string() + "\"\ncalibration = \"" +
                         (root / "cal.toml").string() +
                         "\"\n[[documents]]\nid = \"D001\"\ntitle = \"论语集注 卷一\"\n"
                         "pages = { dir = \"D001\" }\ndpi = 200\n[documents.metadata]\n"
                         "作者 = \"朱熹\"\n");
    ASSERT_NO_THROW(test::convert_job(root / "s" / "qc.toml", {},
                                      test::job_flags(root / "clean", root / "profiles")));
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }

  // A copy of the filmed job to damage; verify reads it.
  fs::path copy_of_clean() {
    fs::path out = dir_ / "out";
    fs::copy(base_->path() / "clean", out, fs::copy_options::recursive);
    return out;
  }
  fs::path film(const fs::path& out, int frame) {
    return out / "qc" / "R0001" / "film" / fmt::format("F{:06}.tif", frame);
  }
  test::CliResult verify(const fs::path& out) {
    return test::run_cli({"verify", (base_->path() / "s" / "qc.toml").string(), "--profiles",
                          (base_->path() / "profiles").string(), "--out", out.string()});
  }
  // As if the job had been filmed on `day` (noon UTC: that day in most time zones).
  void filmed_on(const std::string& catalog, const std::string& day) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(catalog.c_str(), &db), SQLITE_OK);
    const std::string sql = fmt::format(
        "UPDATE jobs SET started_at = '{0}T12:00:00Z'; UPDATE reels SET loaded_at = "
        "'{0}T12:00:00Z'",
        day);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  Json qc(const fs::path& out) { return Json::parse(read_file(out / "qc" / "qc.json")); }
  Json frame(const Json& qc, int n) { return qc["reels"][0]["frames"][n - 1]; }

  // Edits a developed frame: density in D per pixel, written back as the sim writes it.
  template <typename F>
  void edit_film(const fs::path& file, F&& edit) {
    vips::VImage image = vips::VImage::new_from_file(file.c_str());
    std::size_t size = 0;
    auto* data = static_cast<std::uint16_t*>(image.write_to_memory(&size));
    std::vector<std::uint16_t> pixels(data, data + size / 2);
    g_free(data);
    const int w = image.width(), h = image.height();
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        auto& v = pixels[std::size_t(y) * w + x];
        v = static_cast<std::uint16_t>(std::lround(edit(x, y, v / 10000.0, pixels, w) * 10000));
      }
    }
    vips::VImage::new_from_memory(pixels.data(), pixels.size() * 2, w, h, 1, VIPS_FORMAT_USHORT)
        .tiffsave(file.c_str());
  }

  static test::TempDir* base_;
  test::TempDir dir_;
};
test::TempDir* Verify::base_ = nullptr;

TEST_F(Verify, CleanReelPassesWithItsMeasurements) {
  const fs::path out = copy_of_clean();
  const auto r = verify(out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("R0001: pass — 9 of 9 frames on film"));
  EXPECT_THAT(r.out, HasSubstr("verdict: pass"));
  const Json q = qc(out);
  EXPECT_EQ(q["verdict"], "pass");
  const Json& reel = q["reels"][0];
  // The calibrated background hits its 1.10 D aim on every page; base + fog is the stock's.
  EXPECT_NEAR(reel["density"]["background_mean"].get<double>(), 1.10, 0.03);
  EXPECT_NEAR(reel["density"]["base_fog_max"].get<double>(), 0.06, 0.01);
  EXPECT_LT(reel["density"]["reel_uniformity"].get<double>(), 0.02);
  for (int n = 4; n <= 7; ++n) {
    const Json f = frame(q, n);
    EXPECT_EQ(f["kind"], "page");
    EXPECT_GT(f["ssim"].get<double>(), 0.95) << n;
    EXPECT_GT(f["ssim_worst_block"].get<double>(), 0.9) << n;
    EXPECT_EQ(f["blip"], "page");
    EXPECT_EQ(f["mark"], f["mark_expected"]);
  }
  EXPECT_EQ(frame(q, 1)["blip"], "batch");
  EXPECT_EQ(frame(q, 3)["blip"], "document");
  EXPECT_EQ(frame(q, 2)["blip"], "none");
  // At 10 um the chart holds 1.0, 1.25 and 1.6 lp/mm (80 % of Nyquist 50 lp/mm on film at 24x);
  // all resolve, the finest at 38.4 lp/mm on film.
  const Json& res = reel["resolution"];
  ASSERT_FALSE(res.is_null());
  EXPECT_EQ(res["groups"].size(), 3u);
  EXPECT_DOUBLE_EQ(res["finest_resolved_document_lp_per_mm"].get<double>(), 1.6);
  EXPECT_DOUBLE_EQ(res["finest_resolved_film_lp_per_mm"].get<double>(), 38.4);
  EXPECT_DOUBLE_EQ(res["quality_index"].get<double>(), 1.6);
  for (const auto& g : res["groups"]) EXPECT_GT(g["modulation_vertical_bars"].get<double>(), 0.5);
  EXPECT_TRUE(fs::exists(out / "qc" / "R0001" / "contact.jpg"));
  EXPECT_TRUE(fs::exists(out / "qc" / "report.html"));
  // Every template and font is as the job was filmed.
  EXPECT_EQ(q["drawn_with"], Json({{"recorded", true}, {"changed", Json::array()}}));
}

// A file of the shared set-up put back as it was when the test ends, however it ends.
struct PutBack {
  fs::path file;
  std::optional<std::string> bytes;
  explicit PutBack(fs::path f) : file(std::move(f)) {
    if (fs::exists(file)) bytes = read_file(file);
  }
  ~PutBack() {
    if (bytes) {
      test::write_text(file, *bytes);
    } else {
      fs::remove(file);
    }
  }
};

// The title template edited after filming: the title frames drawn again differ from the film,
// and verify says why, naming the template and its digests, before the frames' own failures.
TEST_F(Verify, ATemplateEditedSinceFilmingIsNamedAsWhyItsFramesDiffer) {
  const fs::path out = copy_of_clean();
  const fs::path title = base_->path() / "profiles" / "targets" / "standard" / "title-target.toml";
  const PutBack put_back(title);
  std::string edited = *put_back.bytes;
  edited.replace(edited.find("size_mm = 10"), 12, "size_mm = 14");
  test::write_text(title, edited);
  const auto r = verify(out);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  const Json q = qc(out);
  EXPECT_EQ(q["verdict"], "fail");
  ASSERT_EQ(q["drawn_with"]["changed"].size(), 1u) << q["drawn_with"].dump(1);
  const Json& changed = q["drawn_with"]["changed"][0];
  EXPECT_EQ(changed["role"], "template");
  EXPECT_EQ(changed["status"], "changed");
  EXPECT_EQ(changed["file"], drawn_file_name(title));
  EXPECT_EQ(changed["sha256_now"], sha256_file(title));
  EXPECT_EQ(changed["frames"], 1);
  EXPECT_EQ(changed["frames_failed"], 1);
  const std::string named = "template " + drawn_file_name(title) +
                            " changed since the job was filmed (sha256 " +
                            short_sha256(changed["sha256_planned"].get<std::string>()) + " → " +
                            short_sha256(sha256_file(title)) +
                            "): 1 of the 1 frame(s) drawn with it differ from the frames drawn now";
  EXPECT_THAT(q["failures"][0].get<std::string>(), HasSubstr(named)) << q["failures"].dump(1);
  EXPECT_THAT(r.out + r.err, HasSubstr(named));
}

// A font the job ships ({job}/fonts, searched first) added after filming: the addresses and the
// targets' Latin text are drawn again with it, not with the font they were filmed with, and
// verify names both, whether or not the frames still match.
TEST_F(Verify, AFontThatDrawsInsteadOfTheFilmedOneIsNamed) {
  const fs::path out = copy_of_clean();
  const fs::path font = base_->path() / "s" / "fonts" / "DejaVuSans.ttf";
  fs::create_directories(font.parent_path());
  const PutBack put_back(font);
  fs::copy_file("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", font);
  const auto r = verify(out);
  const Json q = qc(out);
  std::string files;
  for (const auto& c : q["drawn_with"]["changed"]) files += c["file"].get<std::string>() + "\n";
  EXPECT_THAT(files, HasSubstr(drawn_file_name(font)));
  EXPECT_THAT(files, HasSubstr("/DejaVuSans.ttf\n"));
  EXPECT_THAT(r.out + r.err, HasSubstr("font " + drawn_file_name(font) +
                                       " is drawn with now, not when the job was filmed"));
  EXPECT_THAT(r.out + r.err,
              HasSubstr("is no longer drawn with, as it was when the job was filmed"));
}

// A job planned before plan.json recorded its templates and fonts: verify says it cannot tell.
TEST_F(Verify, APlanWithoutDrawnWithIsSaidNotToRecordThem) {
  const fs::path out = copy_of_clean();
  nlohmann::ordered_json plan = nlohmann::ordered_json::parse(read_file(out / "qc" / "plan.json"));
  ASSERT_TRUE(plan.contains("drawn_with"));
  plan.erase("drawn_with");
  test::write_text(out / "qc" / "plan.json", plan.dump(2) + "\n");
  const auto r = verify(out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json q = qc(out);
  EXPECT_EQ(q["drawn_with"], Json({{"recorded", false}}));
  EXPECT_THAT(q["warnings"].dump(), HasSubstr("plan.json records no templates or fonts"));
}

TEST_F(Verify, MissingFrameIsCaught) {
  const fs::path out = copy_of_clean();
  fs::remove(film(out, 5));
  const auto r = verify(out);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAILED R0001: frame 5 (R0001-D001-0002): missing on the film"));
  EXPECT_EQ(qc(out)["reels"][0]["frames_on_film"], 8);

  // No film at all (a reel the tiff driver filmed: the frames sent, not film): one failure
  // says so, not one per frame; qc.json still has each frame missing.
  fs::remove_all(out / "qc" / "R0001" / "film");
  fs::create_directories(out / "qc" / "R0001" / "frames");
  const auto none = verify(out);
  EXPECT_EQ(none.exit_code, 5) << none.out << none.err;
  EXPECT_THAT(none.out, HasSubstr("FAILED R0001: no developed film in " +
                                  (out / "qc" / "R0001" / "film").string() +
                                  " (none of the reel's 9 frames): "));
  EXPECT_THAT(none.out, HasSubstr(" holds the frames sent to the recorder, not film\n"));
  EXPECT_THAT(none.out, Not(HasSubstr("missing on the film")));
  const Json q = qc(out);
  EXPECT_EQ(q["failures"].size(), 2u) << q["failures"].dump();  // and no technical target
  for (const Json& f : q["reels"][0]["frames"]) {
    EXPECT_EQ(f["failures"], Json::array({"missing on the film"})) << f.dump();
  }
}

TEST_F(Verify, SwappedPairIsCaughtByMarkAndContent) {
  const fs::path out = copy_of_clean();
  fs::rename(film(out, 4), dir_ / "f4");
  fs::rename(film(out, 5), film(out, 4));
  fs::rename(dir_ / "f4", film(out, 5));
  const auto r = verify(out);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  const Json q = qc(out);
  for (int n : {4, 5}) {
    const Json f = frame(q, n);
    EXPECT_EQ(f["verdict"], "fail") << n;
    EXPECT_NE(f["mark"], f["mark_expected"]) << n;
    EXPECT_EQ(f["mark"].get<std::string>().substr(4, 6), fmt::format("{:06}", 9 - n)) << n;
    // The sample pages differ only in their label; the track (address and mark) differs too.
    EXPECT_LT(f["ssim_worst_block"].get<double>(), 0.8) << n;
  }
  EXPECT_THAT(r.out, HasSubstr("frame 4 (R0001-D001-0001): frame mark says 0001000005"));
}

TEST_F(Verify, DensityDriftIsCaught) {
  const fs::path out = copy_of_clean();
  // The exposure drifts up on frame 6: exposed areas 25 % denser (1.10 -> 1.375 D).
  edit_film(film(out, 6), [](int, int, double d, auto&, int) { return d > 0.3 ? d * 1.25 : d; });
  const auto r = verify(out);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("frame 6 (R0001-D001-0003): background 1.37"));
  EXPECT_THAT(r.out, HasSubstr("outside 1.00–1.20 D"));
  EXPECT_NEAR(frame(qc(out), 6)["density"]["background"].get<double>(), 1.375, 0.01);
  EXPECT_EQ(frame(qc(out), 7)["verdict"], "pass");
}

TEST_F(Verify, BlurredSpotIsCaught) {
  const fs::path out = copy_of_clean();
  // A 5 x 5 px box blur over a 300 x 150 px spot of page 1 (frame 4) where its label and a
  // square are, as a focus fault or a smear on the film would.
  edit_film(film(out, 4), [](int x, int y, double d, auto& px, int w) {
    if (x < 60 || x >= 360 || y < 1000 || y >= 1150) return d;
    double sum = 0;
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) sum += px[std::size_t(y + dy) * w + x + dx] / 10000.0;
    return sum / 25;
  });
  const auto r = verify(out);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  const Json f = frame(qc(out), 4);
  EXPECT_EQ(f["verdict"], "fail");
  EXPECT_LT(f["ssim_worst_block"].get<double>(), 0.9);
  const auto& at = f["ssim_worst_at"];
  EXPECT_GE(at[0].get<int>(), 10);
  EXPECT_LT(at[0].get<int>(), 360);
  EXPECT_GE(at[1].get<int>(), 950);
  EXPECT_LT(at[1].get<int>(), 1150);
  EXPECT_THAT(r.out, HasSubstr("frame 4 (R0001-D001-0001): a defect at x"));
}

TEST_F(Verify, BlankFrameIsCaught) {
  const fs::path out = copy_of_clean();
  // Frame 7 exposed as an empty page: background everywhere the page was, film edge and
  // blip track left as they are.
  edit_film(film(out, 7), [](int, int y, double d, auto&, int) { return y < 1240 ? 1.10 : d; });
  const auto r = verify(out);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  const Json f = frame(qc(out), 7);
  EXPECT_LT(f["ssim"].get<double>(), 0.9);
  EXPECT_THAT(r.out, HasSubstr("frame 7 (R0001-D001-0004): does not show its source"));
}

TEST_F(Verify, DamagedMarkIsCaught) {
  const fs::path out = copy_of_clean();
  // A scratch across the frame mark of frame 5: a band of clear film through the symbol.
  edit_film(film(out, 5), [](int x, int y, double d, auto&, int) {
    return x >= 800 && y >= 1335 && y < 1375 ? 0.06 : d;
  });
  const auto r = verify(out);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("frame 5 (R0001-D001-0002): frame mark unreadable"));
}

// The report in a real browser: Chromium from Debian (tools/install-deps). No browser is a
// failure, not a skip.
std::string dump_dom(const fs::path& html, const fs::path& dir) {
  const fs::path out = dir / "dom.html", err = dir / "chromium.err";
  const std::string command = fmt::format(
      "chromium --headless --no-sandbox --disable-gpu --user-data-dir='{}' "
      "--virtual-time-budget=5000 --dump-dom 'file://{}' > '{}' 2> '{}'",
      (dir / "profile").string(), html.string(), out.string(), err.string());
  const int rc = std::system(command.c_str());
  EXPECT_EQ(rc, 0) << "chromium failed (is it installed? tools/install-deps installs it): "
                   << (fs::exists(err) ? read_file(err) : "");
  return fs::exists(out) ? read_file(out) : "";
}

TEST_F(Verify, ReportLoadsInChromiumWithSummaryFailureImagesAndInspections) {
  const fs::path out = copy_of_clean();
  const std::string catalog = (out / "catalog.sqlite").string();
  filmed_on(catalog, "2025-12-01");
  const auto add = test::run_cli({"inspect", "add", "R0001", "--date", "2026-01-10", "--ad-strip",
                                  "1", "--densities", "1.08,1.11", "--notes", "轻微划痕 第3帧",
                                  "--catalog", catalog});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  fs::remove(film(out, 5));
  const auto r = verify(out);
  ASSERT_EQ(r.exit_code, 5) << r.out << r.err;
  const std::string dom = dump_dom(out / "qc" / "report.html", dir_.path());
  EXPECT_THAT(dom, HasSubstr("id=\"verdict\">FAIL · 不合格</div>"));
  EXPECT_THAT(dom, HasSubstr("R0001 frame 5 (R0001-D001-0002)</a>: missing on the film"));
  EXPECT_THAT(dom, HasSubstr("论语集注 卷一"));
  EXPECT_THAT(dom, HasSubstr("作者: 朱熹"));
  EXPECT_THAT(dom, HasSubstr("国家图书馆"));
  EXPECT_THAT(dom, HasSubstr("轻微划痕 第3帧"));
  // Eight frames on film and an empty tile for the missing one, every image decoded.
  EXPECT_THAT(dom, HasSubstr("data-images-decoded=\"9\""));
  EXPECT_THAT(dom, HasSubstr("id=\"R0001-F5\" class=\"failed\""));
  EXPECT_THAT(dom, HasSubstr("data-images-broken=\"0\""));
  // Self-contained: nothing is fetched (the SVG namespace URI is a name, not a fetch).
  for (const char* fetch : {"src=\"http", "href=\"http", "url(http", "src=\"file", "href=\"file"}) {
    EXPECT_EQ(dom.find(fetch), std::string::npos) << fetch;
  }
  // contact.jpg: one thumbnail per frame on film, a real JPEG.
  const vips::VImage sheet =
      vips::VImage::new_from_file((out / "qc" / "R0001" / "contact.jpg").c_str());
  EXPECT_GT(sheet.width(), 8 * 100);  // 8 tiles across
  EXPECT_GT(sheet.height(), 100);
}

// Every frame's thumbnail is in the report (a data: URI per frame, in order) and in its place on
// the contact sheet: both are made after the frames, from the thumbnails verify kept in a file.
TEST_F(Verify, ReportAndContactSheetShowEveryFramesThumbnail) {
  const fs::path out = copy_of_clean();
  const auto r = verify(out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string html = read_file(out / "qc" / "report.html");
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(html.ends_with("</body></html>\n"));
  std::vector<vips::VImage> thumbs;
  std::size_t at = 0;
  for (int n = 1; n <= 9; ++n) {
    at = html.find(fmt::format("<figure id=\"R0001-F{}\"", n), at);
    ASSERT_NE(at, std::string::npos) << "frame " << n;
    const std::string src = "src=\"data:image/jpeg;base64,";
    const std::size_t begin = html.find(src, at) + src.size();
    const std::size_t end = html.find('"', begin);
    gsize size = 0;
    guchar* bytes = g_base64_decode(html.substr(begin, end - begin).c_str(), &size);
    const std::string jpeg(reinterpret_cast<const char*>(bytes), size);
    g_free(bytes);
    thumbs.push_back(vips::VImage::new_from_buffer(jpeg, "")
                         .colourspace(VIPS_INTERPRETATION_sRGB)
                         .copy_memory());
    EXPECT_EQ(std::max(thumbs.back().width(), thumbs.back().height()), 160) << "frame " << n;
  }
  EXPECT_EQ(html.find("<figure id=\"R0001-F10\""), std::string::npos);

  const vips::VImage sheet =
      vips::VImage::new_from_file((out / "qc" / "R0001" / "contact.jpg").c_str());
  int cell_w = 0, cell_h = 0;
  for (const auto& t : thumbs) {
    cell_w = std::max(cell_w, t.width() + 14);
    cell_h = std::max(cell_h, t.height() + 14);
  }
  ASSERT_EQ(sheet.width(), 8 * cell_w);
  ASSERT_EQ(sheet.height(), 2 * cell_h);
  for (std::size_t i = 0; i < thumbs.size(); ++i) {
    const vips::VImage& t = thumbs[i];
    const int left = int(i % 8) * cell_w + (cell_w - t.width() - 6) / 2 + 3;
    const int top = int(i / 8) * cell_h + (cell_h - t.height() - 6) / 2 + 3;
    EXPECT_LT((sheet.extract_area(left, top, t.width(), t.height()) - t).abs().avg(), 4.0)
        << "frame " << i + 1;
  }
}

TEST_F(Verify, InspectionsAreValidatedStoredAndDue) {
  const fs::path out = copy_of_clean();
  const std::string catalog = (out / "catalog.sqlite").string();
  filmed_on(catalog, "2025-01-10");
  auto inspect = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "inspect");
    args.insert(args.end(), {"--catalog", catalog});
    return test::run_cli(args);
  };
  // Never inspected: due once 24 months have passed since filming; exit 7 when any reel is due.
  const auto never = inspect({"due", "--months", "24", "--as-of", "2099-01-01"});
  EXPECT_EQ(never.exit_code, 7) << never.err;
  EXPECT_EQ(
      never.out,
      "qc R0001: never inspected, filmed 2025-01-10\n1 reel(s) due for inspection (exit 7)\n");
  const auto ok = inspect({"add", "R0001", "--date", "2026-03-31", "--ad-strip", "1.5",
                           "--densities", "1.05 1.10,1.12", "--notes", "醋酸味"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out,
            "recorded #1 qc R0001 2026-03-31: A-D strip 1.5, densities [1.05, 1.1, 1.12], "
            "notes: 醋酸味\n");
  EXPECT_THAT(inspect({"list"}).out, HasSubstr("#1 qc R0001 2026-03-31: A-D strip 1.5"));
  // 24 months after 2026-03-31 is 2028-03-31: due from that day on.
  const auto not_yet = inspect({"due", "--months", "24", "--as-of", "2028-03-30"});
  EXPECT_EQ(not_yet.exit_code, 0);
  EXPECT_THAT(not_yet.out, HasSubstr("no reel is due"));
  const auto due = inspect({"due", "--months", "24", "--as-of", "2028-03-31"});
  EXPECT_EQ(due.exit_code, 7);
  EXPECT_THAT(due.out, HasSubstr("qc R0001: last inspected 2026-03-31 (A-D strip 1.5)"));

  const auto level = inspect({"add", "R0001", "--date", "2026-04-01", "--ad-strip", "3.5"});
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_THAT(level.err, HasSubstr("--ad-strip: expected an A-D strip level 0–3"));
  const auto date = inspect({"add", "R0001", "--date", "2026-02-30", "--ad-strip", "1"});
  EXPECT_EQ(date.exit_code, 2);
  EXPECT_THAT(date.err,
              HasSubstr("--date: expected a date YYYY-MM-DD from 1900 on, got \"2026-02-30\""));
  const auto density =
      inspect({"add", "R0001", "--date", "2026-04-01", "--ad-strip", "1", "--densities", "1.1,9"});
  EXPECT_EQ(density.exit_code, 2);
  EXPECT_THAT(density.err, HasSubstr("--densities: reading 2 is 9, expected a density 0–5"));
  const auto reel = inspect({"add", "R0009", "--date", "2026-04-01", "--ad-strip", "0"});
  EXPECT_EQ(reel.exit_code, 2);
  EXPECT_THAT(reel.err, HasSubstr("reel R0009 is not in the catalog"));
  const auto future = inspect({"add", "R0001", "--date", "2999-12-05", "--ad-strip", "0"});
  EXPECT_EQ(future.exit_code, 2);
  EXPECT_THAT(future.err, HasSubstr("--date: reel R0001 of job qc: 2999-12-05 is after today (" +
                                    local_today() + ")"));
  const auto before = inspect({"add", "R0001", "--date", "1999-01-01", "--ad-strip", "0"});
  EXPECT_EQ(before.exit_code, 2);
  EXPECT_THAT(before.err, HasSubstr("--date: reel R0001 of job qc: 1999-01-01 is before the reel "
                                    "was filmed (2025-01-10)"));
  // Nothing invalid was stored.
  const auto list = inspect({"list"}).out;
  EXPECT_EQ(std::count(list.begin(), list.end(), '\n'), 1) << list;
}

// Inspection records are about the physical reel in the vault: running the job again with
// --overwrite (which rebuilds the job's catalog rows) keeps them; those entered before the new
// run are marked as of an earlier filming (another piece of film now has the reel id), shown
// so in `inspect list` and the report, and no longer count for `inspect due`.
TEST_F(Verify, InspectionsSurviveARunWithOverwrite) {
  const fs::path out = copy_of_clean();
  const std::string catalog = (out / "catalog.sqlite").string();
  filmed_on(catalog, "2025-12-01");
  const auto add =
      test::run_cli({"inspect", "add", "R0001", "--date", "2026-01-10", "--ad-strip", "1",
                     "--densities", "1.08,1.11", "--notes", "旧卷 划痕", "--catalog", catalog});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  {
    // As if entered a while ago, before the re-run below (timestamps are whole seconds).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(catalog.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE inspections SET recorded_at = '2026-01-10T09:00:00Z'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const auto again =
      test::run_cli({"convert", (base_->path() / "s" / "qc.toml").string(), "--profiles",
                     (base_->path() / "profiles").string(), "--out", out.string(), "--overwrite"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("kept 1 vault inspection record(s) of earlier filmings of qc"));
  const auto list = test::run_cli({"inspect", "list", "--catalog", catalog});
  EXPECT_THAT(list.out,
              HasSubstr("#1 qc R0001 2026-01-10: A-D strip 1, densities [1.08, 1.11], "
                        "notes: 旧卷 划痕 (earlier filming: the job was run again since)"));
  // The reel filmed again today can be inspected from today on.
  const std::string today = local_today();
  const auto now = test::run_cli({"inspect", "add", "R0001", "--date", today, "--ad-strip", "0",
                                  "--notes", "新卷", "--catalog", catalog});
  ASSERT_EQ(now.exit_code, 0) << now.err;
  // The new reel's clock starts at its own inspection; the old reel's does not count.
  const std::string later = fmt::format("{}-12-31", std::stoi(today.substr(0, 4)) + 2);
  EXPECT_THAT(
      test::run_cli({"inspect", "due", "--months", "24", "--as-of", later, "--catalog", catalog})
          .out,
      HasSubstr("qc R0001: last inspected " + today + " (A-D strip 0)"));

  const auto r = verify(out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string html = read_file(out / "qc" / "report.html");
  EXPECT_THAT(html, HasSubstr("<tr class=\"earlier-filming\"><td>2026-01-10</td><td>1</td>"
                              "<td>[1.08,1.11]</td><td>旧卷 划痕</td><td>earlier filming"));
  EXPECT_THAT(html, HasSubstr("<tr><td>" + today +
                              "</td><td>0</td><td>[]</td><td>新卷</td><td>this filming"));
  // A second --overwrite keeps both, once each.
  ASSERT_NO_THROW(test::convert_job(base_->path() / "s" / "qc.toml", test::overwriting(),
                                    test::job_flags(out, base_->path() / "profiles")));
  const auto listed = test::run_cli({"inspect", "list", "--catalog", catalog}).out;
  EXPECT_EQ(std::count(listed.begin(), listed.end(), '\n'), 2) << listed;
}

// The quality index: below the profile's requirement, a warning (the shipped profile: the
// recorder's pitch cannot reach it) that is printed, recorded and reported, or a failure.
TEST_F(Verify, QiBelowTheRequirementIsAWarningOrAFailureAsTheProfileSays) {
  const fs::path out = copy_of_clean();
  const auto warned = verify(out);
  ASSERT_EQ(warned.exit_code, 0) << warned.out << warned.err;
  EXPECT_THAT(warned.out, HasSubstr("QI 1.6 (required 8: below it, a warning)"));
  EXPECT_THAT(warned.out, HasSubstr("WARNING R0001: QI 1.6 below the required 8"));
  EXPECT_THAT(warned.out, HasSubstr("verdict: pass (1 warning(s))"));
  EXPECT_THAT(warned.out, HasSubstr("summary: verify qc: pass, 1 reel(s), 9 frames checked, "
                                    "0 failure(s), 1 warning(s)"));
  const Json q = qc(out);
  ASSERT_EQ(q["warnings"].size(), 1u);
  EXPECT_THAT(q["warnings"][0].get<std::string>(), HasSubstr("R0001: QI 1.6 below the required 8"));
  EXPECT_FALSE(q["reels"][0]["resolution"]["meets_required"].get<bool>());
  EXPECT_THAT(read_file(out / "qc" / "report.html"),
              HasSubstr("<li class=\"warning\">R0001: QI 1.6 below the required 8"));

  // A lab whose recorder reaches QI 8 makes it a failure.
  std::string strict = read_file(base_->path() / "profiles" / "qc" / "standard.toml");
  strict.replace(strict.find("qi_below_required = \"warn\""), 26, "qi_below_required = \"fail\"");
  test::write_text(dir_ / "strict.toml", strict);
  const auto failed = test::run_cli({"verify", (base_->path() / "s" / "qc.toml").string(),
                                     "--profiles", (base_->path() / "profiles").string(), "--out",
                                     out.string(), "--qc", (dir_ / "strict.toml").string()});
  EXPECT_EQ(failed.exit_code, 5) << failed.out << failed.err;
  EXPECT_THAT(failed.out, HasSubstr("QI 1.6 (required 8: below it, failed)"));
  EXPECT_THAT(failed.out, HasSubstr("FAILED R0001: QI 1.6 below the required 8"));
  EXPECT_THAT(failed.out, HasSubstr("verdict: FAIL"));
  std::string bad_profile = strict;
  bad_profile.replace(bad_profile.find("qi_below_required = \"fail\""), 26,
                      "qi_below_required = \"soon\"");
  test::write_text(dir_ / "bad.toml", bad_profile);
  const auto bad = test::run_cli({"verify", (base_->path() / "s" / "qc.toml").string(),
                                  "--profiles", (base_->path() / "profiles").string(), "--out",
                                  out.string(), "--qc", (dir_ / "bad.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  const auto at = bad_profile.find("qi_below_required = \"soon\"");
  const auto line = 1 + std::count(bad_profile.begin(), bad_profile.begin() + at, '\n');
  EXPECT_THAT(bad.err,
              HasSubstr(fmt::format(
                  "bad.toml:{}: resolution.qi_below_required: expected fail or warn", line)));
}

// verify reports its progress (JSON events here; a bar on a terminal) and records the
// calibration the frames went through.
TEST_F(Verify, ProgressAndTheCalibrationAreReported) {
  const fs::path out = copy_of_clean();
  const auto r =
      test::run_cli({"--log-format", "json", "verify", (base_->path() / "s" / "qc.toml").string(),
                     "--profiles", (base_->path() / "profiles").string(), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::istringstream lines(r.err);
  int events = 0;
  Json last, summary;
  for (std::string line; std::getline(lines, line);) {
    const Json event = Json::parse(line);
    if (event["event"] == "verify_summary") summary = event;
    if (event["event"] != "verify_progress") continue;
    ++events;
    last = event;
  }
  EXPECT_GE(events, 1);
  EXPECT_EQ(last["done"], 9);
  EXPECT_EQ(last["total"], 9);
  EXPECT_EQ(last["reel"], "R0001");
  // The verdict, for a log collector, as qc.json has it.
  const Json warnings = qc(out)["warnings"];
  ASSERT_FALSE(warnings.empty());  // the 10 um recorder's QI
  EXPECT_EQ(summary["level"], "warning");
  EXPECT_EQ(summary["job"], "qc");
  EXPECT_EQ(summary["verdict"], "pass");
  EXPECT_EQ(summary["frames"], 9);
  EXPECT_EQ(summary["failures"], 0);
  EXPECT_EQ(summary["warnings"], warnings.size());
  EXPECT_EQ(summary["warning_messages"], warnings);
  EXPECT_EQ(summary["qc"], (out / "qc" / "qc.json").string());
  EXPECT_EQ(qc(out)["calibration"]["profile"], "cal");
  EXPECT_EQ(qc(out)["calibration"]["chosen_by"], "recorder options");
}

// The report's density plot spans every measured value: a frame far off the aim is drawn where
// it is, not on the plot's edge.
TEST_F(Verify, TheDensityPlotSpansEveryMeasuredValue) {
  const fs::path out = copy_of_clean();
  edit_film(film(out, 6), [](int, int, double d, auto&, int) { return d > 0.3 ? d * 2 : d; });
  ASSERT_EQ(verify(out).exit_code, 5);
  const double background = frame(qc(out), 6)["density"]["background"].get<double>();
  ASSERT_GT(background, 2.0);
  const std::string html = read_file(out / "qc" / "report.html");
  const auto at = html.find("data-d-max=\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stod(html.substr(at + 12)), background);
  EXPECT_THAT(html, HasSubstr(fmt::format("frame 6: {:.3f} D", background)));
  EXPECT_THAT(html, HasSubstr("<title>aim 1.00–1.20 D</title>"));
}

// Memory does not grow with the reel: a frame's big buffers (film, render, areas, SSIM planes)
// come from the process's frame pool, lent while its checks run and given back after them (none
// kept per frame), and none of them is kept for the JSON, contact sheet and report, whose size
// does grow with the reel (bench/README.md, "verify": 558 MB on a 1,005-frame reel when the
// pool's spares sat under them). Verified in this process, so that the pool can be looked at.
TEST_F(Verify, HoldsTheBuffersOfTheFramesBeingCheckedOnlyAndNoneForTheReport) {
  const fs::path out = copy_of_clean();
  api::JobRequest request;
  request.source = base_->path() / "s" / "qc.toml";
  request.profiles = base_->path() / "profiles";
  request.overrides.output = out;
  const api::JobSettings settings =
      api::resolve(api::locate_job_as_run(request.source, request).request);
  hal::Registry drivers;
  drivers::register_builtin_drivers(drivers);
  frame_buffers().release_spares();
  const std::size_t held_before = frame_buffers().stats().most_held_bytes;
  const QcResult result = api::verify(settings, drivers, api::VerifyRequest{});
  EXPECT_TRUE(result.passed) << ::testing::PrintToString(result.failures);

  const auto stats = frame_buffers().stats();
  EXPECT_GT(stats.most_held_bytes, held_before);  // the frames did come from the pool
  // Given back, and freed before the report was made.
  EXPECT_EQ(stats.spares, 0u);
  EXPECT_EQ(stats.spare_bytes, 0u);
  EXPECT_EQ(stats.lent_bytes, 0u);
}

// The QC profile is read by base's TOML reader: a typo is named with the key meant, a value
// out of range with its range, each at its file and line; what is absent takes its default.
TEST(QcProfileFile, NamesTheFileLineAndKeyOfEveryMistake) {
  test::TempDir dir;
  const auto load = [&](const std::string& text) {
    test::write_text(dir / "p.toml", text);
    return load_qc_profile(dir.path(), (dir / "p.toml").string());
  };
  const auto message = [&](const std::string& text) -> std::string {
    try {
      load(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::job);
      return e.what();
    }
    return "no error";
  };
  const std::string file = (dir / "p.toml").string();
  const std::string background = "[density]\nbackground = { b = [1.0, 1.2], a = [0.8, 1.0] }\n";

  const QcProfile p = load(background + "base_fog_max = 0.15\n");
  ASSERT_EQ(p.background.size(), 2u);
  EXPECT_EQ(p.background[0].first, "a");  // by class name
  EXPECT_EQ(p.background[0].second, std::make_pair(0.8, 1.0));
  EXPECT_EQ(p.base_fog_max, 0.15);
  EXPECT_EQ(p.ssim_min, 0.90);
  EXPECT_TRUE(p.qi_below_required_fails);

  EXPECT_EQ(message(background + "reel_uniformty = 0.2\n"),
            file + ":3: density.reel_uniformty: unknown key (did you mean \"reel_uniformity\"?)");
  EXPECT_EQ(message(background + "base_fog_max = 5\n"),
            file + ":3: density.base_fog_max: expected a number 0–4, got 5");
  EXPECT_EQ(message(background + "[content]\nblock_mm = \"wide\"\n"),
            file + ":4: content.block_mm: expected a number 0.05–10, got \"wide\"");
  EXPECT_EQ(message("[density]\nbackground = { a = [1.2, 1.0] }\n"),
            file +
                ":2: density.background.a: expected [low, high] densities, low < high <= 4, "
                "got [ 1.2, 1.0 ]");
  EXPECT_EQ(message("description = \"no ranges\"\n"),
            file + ":1: density.background: expected one range per class (required), got nothing");
  EXPECT_EQ(message(background + "[resolutoin]\n"),
            file + ":3: resolutoin: unknown key (did you mean \"resolution\"?)");
}

}  // namespace
}  // namespace fw::qc_test
