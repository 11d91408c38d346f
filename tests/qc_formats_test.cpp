// `filmwriter verify` beyond the 16 mm test reel of qc_test.cpp: fiche filmed on the sim (no
// blip track: the frame mark sits in the cell's margin), colour film judged per dye layer (a
// defect in one layer fails), and the seeded defects on a realistic format at the default
// recorder's 2.5 um pitch.
//
// The fiche and colour jobs use a 10 um recorder like qc_test.cpp; the realistic job films two
// 170 x 60 mm pages without targets, so that its 2.5 um frames stay about 16 megapixels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vips/vips8>

#include "base/files.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::qc_formats_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

// Profiles with the 10 um recorder `sim-test`, and calibrations made on the sim.
class Lab {
 public:
  Lab() { test::copy_profiles_with_test_recorder(profiles()); }
  fs::path root() const { return dir_.path(); }
  fs::path profiles() const { return dir_.path() / "profiles"; }

  // `calibrate auto` on the 10 um recorder and `stock`; returns the profile's file. The tone
  // curve does not depend on the pitch, so the profile serves the 2.5 um recorder too.
  fs::path calibrate(const std::string& stock) const {
    fs::path file = root() / ("cal-" + stock + ".toml");
    const auto r = test::run_cli({"calibrate", "auto", "--profile", file.string(), "--out",
                                  (root() / ("cal-" + stock)).string(), "-O", "rate=0", "-O",
                                  "recorder=sim-test", "-O", "stock=" + stock, "-O",
                                  "profiles=" + profiles().string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return file;
  }

  // A sim job file: `head` holds the top-level keys, `options` extra recorder options.
  fs::path job(const std::string& id, const std::string& head, const std::string& options,
               const fs::path& calibration, const std::string& documents) const {
    fs::path file = root() / (id + ".toml");
    test::write_text(file, fmt::format("version = 1\nid = \"{}\"\ntitle = \"{} 质检\"\n"
                                       "institution = \"国家图书馆\"\n{}\n"
                                       "[recorder]\ndriver = \"sim\"\n[recorder.options]\n"
                                       "rate = 0\nprofiles = \"{}\"\ncalibration = \"{}\"\n{}\n{}",
                                       id, id, head, profiles().string(), calibration.string(),
                                       options, documents));
    return file;
  }

  api::ConvertResult convert(const fs::path& job, const fs::path& out) const {
    return test::convert_job(job, {}, test::job_flags(out, profiles()));
  }
  test::CliResult verify(const fs::path& job, const fs::path& out,
                         const std::string& qc = "standard", bool report = false) const {
    std::vector<std::string> args{"verify", job.string(), "--profiles", profiles().string(),
                                  "--out",  out.string(), "--qc",       qc};
    if (!report) args.emplace_back("--no-report");
    return test::run_cli(args);
  }

 private:
  test::TempDir dir_;
};

const std::string kDemoDocument =
    "[[documents]]\nid = \"D001\"\ntitle = \"论语集注 卷一\"\npages = { dir = \"s/D001\" }\n"
    "dpi = 200\n";

Json read_json(const fs::path& file) {
  return Json::parse(read_file(file));
}

const Json& frame_of(const Json& qc, int n) {
  return qc["reels"][0]["frames"][n - 1];
}

// Edits a developed frame in place, every channel: `edit(x, y, channel, density)`.
template <typename F>
void edit_film(const fs::path& file, F&& edit) {
  vips::VImage image = vips::VImage::new_from_file(file.c_str());
  std::size_t size = 0;
  auto* data = static_cast<std::uint16_t*>(image.write_to_memory(&size));
  std::vector<std::uint16_t> pixels(data, data + size / 2);
  g_free(data);
  const int w = image.width(), h = image.height(), bands = image.bands();
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < bands; ++c) {
        auto& v = pixels[(std::size_t(y) * w + x) * bands + c];
        v = static_cast<std::uint16_t>(std::lround(edit(x, y, c, v / 10000.0) * 10000));
      }
    }
  }
  vips::VImage out = vips::VImage::new_from_memory(pixels.data(), pixels.size() * 2, w, h, bands,
                                                   VIPS_FORMAT_USHORT);
  if (bands == 3) out = out.copy(vips::VImage::option()->set("interpretation", "rgb16"));
  out.tiffsave(file.c_str());
}

// A band of clear film (base + fog) across the middle of a frame's mark, as a scratch would
// leave it.
void scratch_mark(const fs::path& file, const Json& frame) {
  const auto& at = frame["mark_at"];
  const int x0 = at[0].get<int>(), y0 = at[1].get<int>(), size = at[2].get<int>();
  edit_film(file, [&](int x, int y, int, double d) {
    return x >= x0 && x < x0 + size && y >= y0 + size / 3 && y < y0 + 2 * size / 3 ? 0.06 : d;
  });
}

// A fiche filmed on the sim (a step-and-repeat camera): 14 header tiles, then the 4 pages in
// row 1; verify reads the sheet's developed film like a reel's.
TEST(VerifyFiche, FrameMarksSitInTheCellMarginAndAreCheckedLikeOnRollFilm) {
  Lab lab;
  samples::make_demo_set(lab.root() / "s");
  const fs::path cal = lab.calibrate("sim-negative");
  const fs::path job = lab.job("fiche", "format = \"fiche-a6-98-24x\"\nreduction = 24\n",
                               "recorder = \"sim-test\"\n", cal, kDemoDocument);
  const fs::path clean = lab.root() / "clean";
  ASSERT_NO_THROW(lab.convert(job, clean));
  EXPECT_EQ(read_json(clean / "fiche" / "F0001" / "film" / "reel.json")["layout"], "fiche");

  const fs::path out = lab.root() / "out";
  fs::copy(clean, out, fs::copy_options::recursive);
  const auto r = lab.verify(job, out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json q = read_json(out / "fiche" / "qc.json");
  ASSERT_EQ(q["reels"][0]["reel"], "F0001");
  // 14 header tiles (no margin: they carry no mark), then the 4 pages in row 1.
  ASSERT_EQ(q["reels"][0]["frames"].size(), 18u);
  const Json plan = read_json(out / "fiche" / "plan.json");
  for (int n = 1; n <= 14; ++n) {
    EXPECT_FALSE(frame_of(q, n).contains("mark")) << n;
    EXPECT_EQ(frame_of(q, n)["verdict"], "pass") << frame_of(q, n).dump();
  }
  for (int n = 15; n <= 18; ++n) {
    const Json& f = frame_of(q, n);
    EXPECT_EQ(f["kind"], "page");
    EXPECT_EQ(f["verdict"], "pass") << f.dump();
    EXPECT_NEAR(f["density"]["background"].get<double>(), 1.10, 0.04);
    EXPECT_LE(f["density"]["base_fog"].get<double>(), 0.07);
    EXPECT_GT(f["ssim"].get<double>(), 0.95);
    ASSERT_TRUE(f.contains("mark")) << n;
    EXPECT_EQ(f["mark"], f["mark_expected"]);
    EXPECT_EQ(f["mark"].get<std::string>().substr(0, 10), fmt::format("0001{:06}", n));
    // No blip track: the mark is in the cell's left margin, clear of the page by 0.05 mm (5 px;
    // an A4 page at 24x leaves 87 px), at the cell's foot, 20 modules of 3 px.
    const Json& placement = plan["frames"][n - 1]["placement"];
    const auto at = f["mark_at"];
    EXPECT_EQ(at[2].get<int>(), 60);
    EXPECT_LE(at[0].get<int>() + at[2].get<int>() + 5, placement["page_x_px"].get<int>()) << n;
    EXPECT_EQ(at[1].get<int>() + at[2].get<int>() + 5, f["height"].get<int>()) << n;
    EXPECT_FALSE(f.contains("blip"));
  }

  // A scratch through the mark of frame 16, frames 17 and 18 swapped on the sheet.
  scratch_mark(out / "fiche" / "F0001" / "film" / "F000016.tif", frame_of(q, 16));
  const fs::path film = out / "fiche" / "F0001" / "film";
  fs::rename(film / "F000017.tif", lab.root() / "f17");
  fs::rename(film / "F000018.tif", film / "F000017.tif");
  fs::rename(lab.root() / "f17", film / "F000018.tif");
  const auto bad = lab.verify(job, out);
  EXPECT_EQ(bad.exit_code, 5) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("F0001: frame 16 (F0001-D001-0002): frame mark unreadable"));
  EXPECT_THAT(bad.out, HasSubstr("F0001: frame 17 (F0001-D001-0003): frame mark says 0001000018"));
  EXPECT_THAT(bad.out, HasSubstr("F0001: frame 18 (F0001-D001-0004): frame mark says 0001000017"));
  const Json q2 = read_json(out / "fiche" / "qc.json");
  EXPECT_EQ(frame_of(q2, 15)["verdict"], "pass");
}

// Pages that are not on film, though the film is right: a page that did not decode at
// preflight and an empty file, each filmed as a substitute under on_error = "substitute", and a
// document left out under "skip-document". verify names each one (a warning, as convert gave),
// qc.json says which frames are substitutes and for what; a substitute the job declares is
// listed there but is no warning; and once the page's source decodes again, the film no longer
// shows its page and verify says that too.
TEST(VerifySubstitutes, EveryPageNotOnFilmIsNamedAsConvertNamedIt) {
  Lab lab;
  samples::make_demo_set(lab.root() / "s");
  const fs::path d001 = lab.root() / "s" / "D001";
  const std::string whole_p2 = test::cut_in_half(d001 / "p2.jpg");  // decodes no more
  test::write_text(d001 / "p4.png", "");                            // plans as no page
  fs::create_directories(lab.root() / "s" / "D002");
  fs::copy_file(d001 / "p2.jpg", lab.root() / "s" / "D002" / "p1.jpg");
  const fs::path cal = lab.calibrate("sim-negative");
  const fs::path job = lab.job(
      "subs", "reduction = 24\non_error = \"substitute\"\n", "recorder = \"sim-test\"\n", cal,
      kDemoDocument +
          "[[documents]]\nid = \"D002\"\ntitle = \"缺页\"\npages = { dir = "
          "\"s/D002\" }\ndpi = 200\non_error = \"skip-document\"\n"
          "[[documents]]\nid = \"D003\"\ntitle = \"原缺\"\npages = { files = "
          "[\"s/D001/p3.png\"] }\ndpi = 200\n[[documents.substitute]]\npage = 1\n"
          "target = \"page-missing\"\ninsert = true\nnote = \"lost before scanning\"\n");
  const fs::path out = lab.root() / "out";
  ASSERT_NO_THROW(lab.convert(job, out));

  const auto r = lab.verify(job, out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("R0001: pass — 13 of 13 frames on film, 2 of them a substitute for "
                               "its page"));
  const std::string p2 = (d001 / "p2.jpg").string();
  EXPECT_THAT(r.out,
              HasSubstr("WARNING R0001: frame 5 (R0001-D001-0002): document D001 page 2 is on "
                        "film as a substitute, not as itself: " +
                        p2 + " (page 1): cannot decode: VipsJpeg: Premature end of input file"));
  EXPECT_THAT(r.out, HasSubstr("WARNING R0001: frame 7 (R0001-D001-0004): document D001 page 4 is "
                               "on film as a substitute, not as itself: " +
                               (d001 / "p4.png").string() + ": the file is empty"));
  EXPECT_THAT(r.out, HasSubstr("WARNING a document is not on the film (on_error = "
                               "\"skip-document\"): skipped document D002: "));
  const Json q = read_json(out / "subs" / "qc.json");
  EXPECT_EQ(q["reels"][0]["substitutes"], 2);
  // Not the one D003 declares (frame 10: a page lost before scanning, recorded on purpose).
  EXPECT_EQ(q["warnings"].size(), 4u) << q["warnings"].dump();  // and the QI of 10 um
  for (int n = 1; n <= 13; ++n) {
    const Json& f = frame_of(q, n);
    EXPECT_EQ(f["verdict"], "pass") << f.dump();
    EXPECT_EQ(f["kind"] == "substitute", n == 5 || n == 7 || n == 10) << f.dump();
    EXPECT_EQ(f.contains("substitute_for"), n == 5 || n == 7 || n == 10) << f.dump();
  }
  EXPECT_EQ(frame_of(q, 5)["substitute_for"],
            Json({{"document", "D001"},
                  {"page", 2},
                  {"file", p2},
                  {"file_page", 1},
                  {"reason", "cannot decode: VipsJpeg: Premature end of input file"},
                  {"declared", false}}));
  EXPECT_EQ(frame_of(q, 7)["substitute_for"]["page"], 4);
  EXPECT_EQ(frame_of(q, 10)["substitute_for"], Json({{"document", "D003"},
                                                     {"page", 1},
                                                     {"file", nullptr},
                                                     {"file_page", nullptr},
                                                     {"reason", "lost before scanning"},
                                                     {"declared", true}}));
  EXPECT_THAT(r.out, Not(HasSubstr("lost before scanning")));

  // The scan mended: the film shows a substitute where the page now renders.
  test::write_text(d001 / "p2.jpg", whole_p2);
  const auto mended = lab.verify(job, out);
  EXPECT_EQ(mended.exit_code, 5) << mended.out << mended.err;
  EXPECT_THAT(mended.out,
              HasSubstr("WARNING R0001: frame 5 (R0001-D001-0002): document D001 page 2 (" + p2 +
                        ") is on film as a substitute (index.csv), not as itself, though its "
                        "source renders as the page now: the page is not on this film"));
  EXPECT_THAT(mended.out, HasSubstr("FAILED R0001: frame 5 (R0001-D001-0002): the job now renders "
                                    "another frame than the one sent"));
}

// verify draws every frame again from the job's sources. A page replaced by one of another size
// makes the plan differ: the first failure names the change, the frames' own follow. A scans
// folder gone (moved to the archive's storage) leaves no plan the film lines up with: verify
// refuses, naming why, instead of calling the pages on film substitutes.
TEST(VerifyPlan, SourcesChangedOrGoneAreNamedBeforeAnyFrame) {
  Lab lab;
  samples::make_demo_set(lab.root() / "s");
  const fs::path d001 = lab.root() / "s" / "D001";
  const fs::path job =
      lab.job("moved", "reduction = 24\non_error = \"substitute\"\n", "recorder = \"sim-test\"\n",
              lab.calibrate("sim-negative"), kDemoDocument);
  const fs::path out = lab.root() / "out";
  ASSERT_NO_THROW(lab.convert(job, out));

  const std::string p3 = read_file(d001 / "p3.png");
  vips::VImage::new_from_file((d001 / "p3.png").c_str())
      .resize(0.8)
      .write_to_file((lab.root() / "small.png").c_str());
  fs::rename(lab.root() / "small.png", d001 / "p3.png");
  const auto changed = lab.verify(job, out);
  EXPECT_EQ(changed.exit_code, 5) << changed.out << changed.err;
  EXPECT_EQ(changed.out.find("FAILED the job plans other frames now than it filmed (" +
                             (out / "moved" / "plan.json").string() + "): frame R0001-D001-0003"),
            changed.out.find("FAILED "))
      << changed.out;
  test::write_text(d001 / "p3.png", p3);

  fs::rename(d001, lab.root() / "archived");
  const auto gone = lab.verify(job, out);
  EXPECT_EQ(gone.exit_code, 2) << gone.out << gone.err;
  EXPECT_THAT(gone.err, HasSubstr("cannot verify the film against the plan made now: the job "
                                  "plans other frames than it filmed"));
  EXPECT_THAT(gone.err, HasSubstr("now a substitute: " + d001.string() + ": no such folder"));
  EXPECT_THAT(gone.out, Not(HasSubstr("on film as a substitute")));

  fs::rename(lab.root() / "archived", d001);
  const auto back = lab.verify(job, out);
  EXPECT_EQ(back.exit_code, 0) << back.out << back.err;
}

// The COM fiche (270 cells at 48x, read down the columns) on the sim: every check passes on the
// clean sheet, and a cell filmed in another's place is caught.
TEST(VerifyFiche, AComFicheAtFortyEightTimesPassesCleanAndCatchesACellOutOfPlace) {
  Lab lab;
  samples::make_demo_set(lab.root() / "s");
  const fs::path cal = lab.calibrate("sim-negative");
  const fs::path job = lab.job("com", "format = \"fiche-a6-270-48x\"\nreduction = 48\n",
                               "recorder = \"sim-test\"\n", cal, kDemoDocument);
  const fs::path clean = lab.root() / "clean";
  ASSERT_NO_THROW(lab.convert(job, clean));
  const Json record = read_json(clean / "com" / "F0001" / "film" / "reel.json");
  ASSERT_EQ(record["frames"].size(), 22u);  // 18 header tiles, 4 pages down column 1
  EXPECT_EQ(record["frames"][19]["cell"], (Json{{"row", 2}, {"column", 1}}));

  const fs::path out = lab.root() / "out";
  fs::copy(clean, out, fs::copy_options::recursive);
  const auto r = lab.verify(job, out, "standard", true);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("F0001: pass — 22 of 22 frames on film"));
  const Json q = read_json(out / "com" / "qc.json");
  for (int n = 19; n <= 22; ++n) {
    const Json& f = frame_of(q, n);
    EXPECT_EQ(f["verdict"], "pass") << f.dump();
    EXPECT_NEAR(f["density"]["background"].get<double>(), 1.10, 0.04);
    EXPECT_EQ(f["mark"], f["mark_expected"]);
  }
  // The contact sheet is the fiche: 18 cells across, the header strip's row and 15 image rows;
  // the pages down column 1 (frame 19 in image row 1, frame 20 in row 2), clear film beside.
  const vips::VImage sheet =
      vips::VImage::new_from_file((out / "com" / "F0001" / "contact.jpg").c_str());
  ASSERT_EQ(sheet.width() % 18, 0);
  ASSERT_EQ(sheet.height() % 16, 0);
  const int cw = sheet.width() / 18, ch = sheet.height() / 16;
  const auto cell_mean = [&](int row, int column) {
    return sheet.extract_area(column * cw + 2, row * ch + 2, cw - 4, ch - 4).avg();
  };
  EXPECT_LT(cell_mean(0, 0), 230);   // header tile 1
  EXPECT_LT(cell_mean(0, 17), 230);  // header tile 18
  EXPECT_LT(cell_mean(1, 0), 230);   // frame 19
  EXPECT_LT(cell_mean(2, 0), 230);   // frame 20
  EXPECT_GT(cell_mean(1, 1), 250);   // no frame: by rows, frame 20 would be here
  const std::string html = read_file(out / "com" / "report.html");
  EXPECT_THAT(html, HasSubstr("<div class=\"sheet fiche\" style=\"grid-template-columns:repeat(18,"
                              "minmax(0,1fr))\">"));
  EXPECT_THAT(html, HasSubstr("<figure id=\"F0001-F20\" class=\"ok\" style=\"grid-row:3;"
                              "grid-column:1\">"));

  // The cells of frames 19 and 20 (both A4 pages) swapped on the sheet.
  const fs::path film = out / "com" / "F0001" / "film";
  fs::rename(film / "F000019.tif", lab.root() / "f19");
  fs::rename(film / "F000020.tif", film / "F000019.tif");
  fs::rename(lab.root() / "f19", film / "F000020.tif");
  const auto bad = lab.verify(job, out);
  EXPECT_EQ(bad.exit_code, 5) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("F0001: frame 19 (F0001-D001-0001): frame mark says 0001000020"));
  EXPECT_THAT(bad.out, HasSubstr("F0001: frame 20 (F0001-D001-0002): frame mark says 0001000019"));
  EXPECT_THAT(bad.out, Not(HasSubstr("frame 21 (")));
}

TEST(VerifyColour, EachDyeLayerIsMeasuredAndADefectInOneLayerFails) {
  Lab lab;
  samples::make_demo_set(lab.root() / "s");
  const fs::path cal = lab.calibrate("sim-colour");
  EXPECT_THAT(read_file(cal), HasSubstr("\"blue\""));
  const fs::path job =
      lab.job("colour", "reduction = 24\nmode = \"colour\"\n",
              "recorder = \"sim-test\"\nstock = \"sim-colour\"\n", cal, kDemoDocument);
  const fs::path clean = lab.root() / "clean";
  ASSERT_NO_THROW(lab.convert(job, clean));

  const fs::path out = lab.root() / "out";
  fs::copy(clean, out, fs::copy_options::recursive);
  const auto r = lab.verify(job, out, "colour");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json q = read_json(out / "colour" / "qc.json");
  const Json& density = q["reels"][0]["density"];
  ASSERT_TRUE(density.contains("channels")) << density.dump();
  for (const char* layer : {"red", "green", "blue"}) {
    // Each layer's calibrated background hits the 1.10 D aim.
    EXPECT_NEAR(density["channels"][layer]["background_mean"].get<double>(), 1.10, 0.04) << layer;
  }
  // The wedge is read on each layer.
  EXPECT_THAT(q["reels"][0]["tone_curve"].dump(), HasSubstr("\"channel\":\"blue\""));
  // Frames 4-7 are the pages (start and technical target, title target first).
  const Json& page = frame_of(q, 5);
  EXPECT_EQ(page["kind"], "page");
  EXPECT_EQ(page["channels"], 3);
  EXPECT_GT(page["ssim_channels"]["blue"]["ssim"].get<double>(), 0.95);
  EXPECT_EQ(page["mark"], page["mark_expected"]);

  // Frame 5: the blue layer 25 % denser where exposed (a drift of that layer alone). Frame 6:
  // the green layer lost the page's marks in a 300 x 150 px spot (at paper density there).
  edit_film(out / "colour" / "R0001" / "film" / "F000005.tif",
            [](int, int, int c, double d) { return c == 2 && d > 0.3 ? d * 1.25 : d; });
  edit_film(out / "colour" / "R0001" / "film" / "F000006.tif", [](int x, int y, int c, double d) {
    return c == 1 && x >= 60 && x < 360 && y >= 1000 && y < 1150 ? 1.10 : d;
  });
  const auto bad = lab.verify(job, out, "colour");
  EXPECT_EQ(bad.exit_code, 5) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("frame 5 (R0001-D001-0002): blue background 1.3"));
  EXPECT_THAT(bad.out, Not(HasSubstr("frame 5 (R0001-D001-0002): red background")));
  EXPECT_THAT(bad.out, Not(HasSubstr("frame 5 (R0001-D001-0002): green background")));
  EXPECT_THAT(bad.out, HasSubstr("frame 6 (R0001-D001-0003): green layer: a defect at x"));
  const Json q2 = read_json(out / "colour" / "qc.json");
  const Json& drifted = frame_of(q2, 5)["density"]["channels"];
  EXPECT_NEAR(drifted["blue"]["background"].get<double>(), 1.375, 0.05);
  EXPECT_NEAR(drifted["red"]["background"].get<double>(), 1.10, 0.04);
  EXPECT_LT(frame_of(q2, 6)["ssim_channels"]["green"]["worst_block"].get<double>(), 0.9);
  EXPECT_GT(frame_of(q2, 6)["ssim_channels"]["red"]["worst_block"].get<double>(), 0.9);
  EXPECT_EQ(frame_of(q2, 7)["verdict"], "pass");
}

TEST(VerifyRealisticFormat, SixteenMillimetreAtTheDefaultPitchPassesCleanAndCatchesDefects) {
  Lab lab;
  const fs::path cal = lab.calibrate("sim-negative");
  // Two 170 x 60 mm pages at 200 dpi: 7.1 x 2.5 mm on film at 24x, 2833 x 1000 px at 2.5 um (the
  // frame is 5600 px across the film). Shorter frames have no room for the mark after the
  // address in the blip track (the address wins, verify reports the mark unreadable).
  fs::create_directories(lab.root() / "cards");
  for (int page = 1; page <= 2; ++page) {
    samples::PageSpec spec;
    spec.width_mm = 170;
    spec.height_mm = 60;
    spec.dpi = 200;
    spec.label = fmt::format("card {}", page);
    spec.marks = {{8, 8, 6}, {150, 8, 6}, {8, 40, 6}, {60, 25, 12}};
    samples::save_page(samples::make_page(spec),
                       lab.root() / "cards" / fmt::format("c{}.png", page), samples::Encoding::png,
                       200);
  }
  const fs::path job =
      lab.job("cards", "format = \"16mm-comic-30m\"\nreduction = 24\ntargets = \"none\"\n", "", cal,
              "[[documents]]\nid = \"C001\"\ntitle = \"卡片\"\npages = { dir = \"" +
                  (lab.root() / "cards").string() + "\" }\n");
  const fs::path clean = lab.root() / "clean";
  ASSERT_NO_THROW(lab.convert(job, clean));

  const fs::path out = lab.root() / "out";
  fs::copy(clean, out, fs::copy_options::recursive);
  const auto r = lab.verify(job, out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json q = read_json(out / "cards" / "qc.json");
  ASSERT_EQ(q["reels"][0]["frames"].size(), 2u);
  for (int n = 1; n <= 2; ++n) {
    const Json& f = frame_of(q, n);
    EXPECT_EQ(f["verdict"], "pass") << f.dump();
    EXPECT_NEAR(f["density"]["background"].get<double>(), 1.10, 0.04);
    EXPECT_GT(f["ssim"].get<double>(), 0.95);
    EXPECT_EQ(f["mark"], f["mark_expected"]);
    // 12.5 mm of image area across at 2.5 um.
    EXPECT_GT(f["width"].get<int>() + f["height"].get<int>(), 5000);
  }
  EXPECT_EQ(frame_of(q, 1)["blip"], "document");
  EXPECT_EQ(frame_of(q, 2)["blip"], "page");

  // Frame 1 exposed 25 % denser; frame 2's mark scratched.
  edit_film(out / "cards" / "R0001" / "film" / "F000001.tif",
            [](int, int, int, double d) { return d > 0.3 ? d * 1.25 : d; });
  scratch_mark(out / "cards" / "R0001" / "film" / "F000002.tif", frame_of(q, 2));
  const auto bad = lab.verify(job, out);
  EXPECT_EQ(bad.exit_code, 5) << bad.out << bad.err;
  EXPECT_THAT(bad.out, HasSubstr("frame 1 (R0001-C001-0001): background 1.3"));
  EXPECT_THAT(bad.out, HasSubstr("frame 2 (R0001-C001-0002): frame mark unreadable"));
  const Json q2 = read_json(out / "cards" / "qc.json");
  EXPECT_NEAR(frame_of(q2, 1)["density"]["background"].get<double>(), 1.375, 0.05);
  EXPECT_NEAR(frame_of(q2, 2)["density"]["background"].get<double>(), 1.10, 0.04);
}

}  // namespace
}  // namespace fw::qc_formats_test
