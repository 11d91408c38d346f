// JPEGs that libjpeg decodes without a warning and that would still film a wrong page: a
// progressive JPEG (or a sequential one of a scan per component) cut after a complete scan with
// an end-of-image marker appended, and a JFIF whose density, without a unit, says the pixels
// are not square. A baseline JPEG cut anywhere, with the marker appended, is refused by the
// full decode, also in its last rows (libvips only logs libjpeg's warning there), and by the
// render stage without preflight, each time in libjpeg's words for that file. Pages are
// generated here (libvips, and libjpeg for a scan script libvips cannot write), cut at every scan
// boundary and checked through probe, open and a whole job.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <jpeglib.h>
#include <tiffio.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "film/plan.hpp"
#include "ingest/ingest.hpp"
#include "raster/raster.hpp"
#include "support/engine_api.hpp"
#include "support/ingest_fixture.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::jpeg_files_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using vips::VImage;

using test::expect_input_error;
using test::list_of;
using test::read_bytes;
using test::write_bytes;

// `image` with the rectangle at (`left`, `top`) of `width` x `height` px dark (code 20).
VImage with_dark_rect(const VImage& image, int left, int top, int width, int height) {
  const VImage x = VImage::xyz(image.width(), image.height())[0];
  const VImage y = VImage::xyz(image.width(), image.height())[1];
  const VImage inside = (x >= left) & (x < left + width) & (y >= top) & (y < top + height);
  return inside.ifthenelse(std::vector<double>{20}, image).cast(VIPS_FORMAT_UCHAR);
}

// 160 x 120 px of detail at every frequency (the coarse scans of a progressive JPEG cannot
// carry it), with a dark square: grey (1 band) or colour (3, each band different).
VImage detailed_page(int bands) {
  const VImage x = VImage::xyz(160, 120)[0];
  const VImage y = VImage::xyz(160, 120)[1];
  const VImage grey =
      with_dark_rect(((x * 37 + y * 91) % 256).cast(VIPS_FORMAT_UCHAR), 30, 20, 40, 40);
  if (bands == 1)
    return grey.copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
  const VImage green = ((x * 13 + y * 7) % 256).cast(VIPS_FORMAT_UCHAR);
  const VImage blue = ((x * y) % 256).cast(VIPS_FORMAT_UCHAR);
  // VImage::bandjoin(vector) is static: grey.bandjoin({green, blue}) would join only those two.
  return VImage::bandjoin({grey, green, blue})
      .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

std::string jpeg_bytes(const VImage& page, vips::VOption* options) {
  VipsBlob* blob = page.jpegsave_buffer(options);
  std::string bytes(static_cast<const char*>(VIPS_AREA(blob)->data), VIPS_AREA(blob)->length);
  vips_area_unref(VIPS_AREA(blob));
  return bytes;
}

std::string progressive(const VImage& page, int restart_interval = 0) {
  return jpeg_bytes(page, VImage::option()
                              ->set("Q", 90)
                              ->set("strip", true)
                              ->set("interlace", true)
                              ->set("restart_interval", restart_interval));
}

std::string baseline(const VImage& page, int restart_interval = 0) {
  return jpeg_bytes(page, VImage::option()
                              ->set("Q", 90)
                              ->set("strip", true)
                              ->set("restart_interval", restart_interval));
}

// A colour page in three sequential scans, one component each: what libjpeg's scan scripts
// (cjpeg -scans) allow and libvips cannot write.
std::string one_scan_per_component(const VImage& rgb) {
  const VImage memory = rgb.copy_memory();
  EXPECT_EQ(memory.bands(), 3);
  EXPECT_EQ(memory.format(), VIPS_FORMAT_UCHAR);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &out, &size);
  cinfo.image_width = static_cast<JDIMENSION>(memory.width());
  cinfo.image_height = static_cast<JDIMENSION>(memory.height());
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  static const jpeg_scan_info scans[] = {{1, {0, 0, 0, 0}, 0, 63, 0, 0},
                                         {1, {1, 0, 0, 0}, 0, 63, 0, 0},
                                         {1, {2, 0, 0, 0}, 0, 63, 0, 0}};
  cinfo.scan_info = scans;
  cinfo.num_scans = 3;
  jpeg_start_compress(&cinfo, TRUE);
  std::size_t length = 0;
  auto* pixels = static_cast<unsigned char*>(memory.write_to_memory(&length));
  const std::size_t row = static_cast<std::size_t>(memory.width()) * 3;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW line = pixels + row * cinfo.next_scanline;
    jpeg_write_scanlines(&cinfo, &line, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  g_free(pixels);
  std::string bytes(reinterpret_cast<const char*>(out), size);
  std::free(out);
  return bytes;
}

// Where the file can be cut after a complete scan: every table (DHT) or scan header (SOS) after
// the first scan's. The entropy-coded data cannot hold these two bytes (an 0xFF in it is
// followed by 0x00 or a restart marker). With the number of scans before each.
struct Cut {
  std::size_t at = 0;
  int scans = 0;
};
std::vector<Cut> scan_boundaries(const std::string& bytes) {
  std::vector<Cut> cuts;
  int scans = 0;
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    if (bytes[i] != '\xFF') continue;
    const char code = bytes[i + 1];
    if ((code == '\xDA' || code == '\xC4') && scans > 0) cuts.push_back({i, scans});
    if (code == '\xDA') ++scans;
  }
  return cuts;
}

PageRef ref_of(const fs::path& file) {
  return expand_pages(list_of({file}), {}).at(0);
}

PageSettings at_dpi(double dpi, bool force = false) {
  PageSettings settings;
  settings.dpi = dpi;
  settings.force_dpi = force;
  return settings;
}

// --- cut after a complete scan ------------------------------------------------------------------

// Every scan boundary of progressive files as libvips writes them (libjpeg's standard script):
// grey, colour 4:2:0, and colour with restart markers. The decoder takes each cut file without
// a word; planning refuses it, and so does opening it for the render (a file cut after it was
// planned).
TEST(JpegScans, AProgressiveJpegCutAfterAnyScanIsRefusedAtPlanning) {
  test::TempDir dir;
  struct Case {
    const char* name;
    int bands;
    int restart_interval;
  };
  for (const Case& c : {Case{"grey", 1, 0}, Case{"colour", 3, 0}, Case{"restarts", 3, 2}}) {
    const std::string whole = progressive(detailed_page(c.bands), c.restart_interval);
    const std::vector<Cut> cuts = scan_boundaries(whole);
    ASSERT_GE(cuts.size(), c.bands == 1 ? 5u : 9u) << c.name;
    for (const Cut& cut : cuts) {
      SCOPED_TRACE(fmt::format("{} cut at byte {} after scan {}", c.name, cut.at, cut.scans));
      const fs::path file = dir / fmt::format("{}-{}.jpg", c.name, cut.at);
      write_bytes(file, whole.substr(0, cut.at) + "\xFF\xD9");
      const PageRef ref = ref_of(file);
      // What made it a silent fault: the full decode passes.
      EXPECT_NO_THROW(verify_decodes({ref, {}}, {}));
      const Error error = expect_input_error([&] { probe_page(ref, at_dpi(200), {}); });
      EXPECT_THAT(error.what(),
                  StartsWith(fmt::format("{} (page 1): the progressive JPEG ends after scan {} "
                                         "with an end-of-image marker, before its scans are "
                                         "complete: component ",
                                         file.string(), cut.scans)));
      EXPECT_THAT(error.what(), HasSubstr("the file is cut: rescan the page or export it again"));
      const PageInfo info{160, 120, 20.32, 15.24, 200, true, c.bands, 8, 1};
      const Error at_render = expect_input_error([&] { (void)open_page({ref, info}, 1.0, {}); });
      EXPECT_EQ(std::string(at_render.what()), error.what());
    }
    // The whole file plans.
    const fs::path file = dir / fmt::format("{}.jpg", c.name);
    write_bytes(file, whole);
    EXPECT_NO_THROW(probe_page(ref_of(file), at_dpi(200), {}));
  }
}

// The message says what is missing, in libjpeg's terms: for each component, which coefficients
// (zigzag order, 0 the DC) were never sent and which stop short of bit 0.
TEST(JpegScans, TheRefusalSaysWhatTheScansLeftOut) {
  test::TempDir dir;
  const std::string whole = progressive(detailed_page(1));
  const fs::path after_one = dir / "after-one.jpg";
  write_bytes(after_one, whole.substr(0, scan_boundaries(whole).at(0).at) + "\xFF\xD9");
  // libjpeg's grey script: DC to bit 1, then AC 1-5 and 6-63 to bit 2, ...
  EXPECT_EQ(std::string(
                expect_input_error([&] { probe_page(ref_of(after_one), at_dpi(200), {}); }).what()),
            after_one.string() +
                " (page 1): the progressive JPEG ends after scan 1 with an end-of-image marker, "
                "before its scans are complete: component 1: coefficient 0 refined only to bit "
                "1, coefficients 1-63 never sent; libjpeg decodes it without a warning, and the "
                "page would be filmed blurred and blocky: the file is cut: rescan the page or "
                "export it again");
  const std::vector<Cut> cuts = scan_boundaries(whole);
  const fs::path before_last = dir / "before-last.jpg";
  write_bytes(before_last, whole.substr(0, cuts.back().at) + "\xFF\xD9");
  EXPECT_THAT(expect_input_error([&] { probe_page(ref_of(before_last), at_dpi(200), {}); }).what(),
              HasSubstr("component 1: coefficients 1-63 refined only to bit 1;"));
}

// A sequential JPEG of one scan per component, cut after the first: the page without its
// colour (Cb and Cr never sent decode as neutral), again without a warning.
TEST(JpegScans, ASequentialJpegCutAfterItsFirstComponentIsRefused) {
  test::TempDir dir;
  const std::string whole = one_scan_per_component(detailed_page(3));
  const std::vector<Cut> cuts = scan_boundaries(whole);
  ASSERT_EQ(cuts.size(), 4u);  // the tables and the header of scans 2 and 3
  ASSERT_EQ(cuts[0].scans, 1);
  const fs::path file = dir / "p1.jpg";
  write_bytes(file, whole.substr(0, cuts[0].at) + "\xFF\xD9");
  const PageRef ref = ref_of(file);
  EXPECT_NO_THROW(verify_decodes({ref, {}}, {}));
  EXPECT_EQ(std::string(expect_input_error([&] { probe_page(ref, at_dpi(200), {}); }).what()),
            file.string() +
                " (page 1): the JPEG ends after scan 1 with an end-of-image marker, before its "
                "scans are complete: component 2 never sent; component 3 never sent; libjpeg "
                "decodes it without a warning, and the page would be filmed without them: the "
                "file is cut: rescan the page or export it again");
  write_bytes(file, whole);
  EXPECT_NO_THROW(probe_page(ref_of(file), at_dpi(200), {}));
  EXPECT_NO_THROW(verify_decodes({ref_of(file), {}}, {}));
}

// A baseline JPEG cut anywhere in its data, an end-of-image marker appended: at an MCU row's
// end, mid-row, at a restart marker. libjpeg warns of every one ("premature end of data
// segment", "found marker 0xd9 instead of RSTn"), so the full decode refuses it: every byte of
// small pages is tried.
TEST(JpegScans, ABaselineJpegCutAnywhereWithAnEndMarkerFailsTheDecode) {
  test::TempDir dir;
  const VImage grey = detailed_page(1).crop(0, 0, 48, 32);
  const VImage colour = detailed_page(3).crop(0, 0, 48, 32);
  // Restart markers after every MCU row (48 px: 6 grey MCUs, 3 colour ones).
  for (const std::string& whole :
       {baseline(grey), baseline(colour), baseline(grey, 6), baseline(colour, 3)}) {
    const std::size_t data = whole.rfind("\xFF\xDA") + 2;
    const std::size_t end = whole.size() - 2;
    ASSERT_LT(data, end);
    int refused = 0, tried = 0;
    for (std::size_t at = data; at < end; ++at) {
      const fs::path file = dir / "cut.jpg";
      write_bytes(file, whole.substr(0, at) + "\xFF\xD9");
      ++tried;
      try {
        verify_decodes({ref_of(file), {}}, {});
        ADD_FAILURE() << "cut at byte " << at << " of " << whole.size() << " decodes";
      } catch (const Error& error) {
        // libvips's own words for a warning before a strip it reads, libjpeg's for one met in
        // the last strip (read again alone: libvips only logs it as the load closes).
        EXPECT_THAT(
            error.what(),
            ::testing::AnyOf(HasSubstr(file.string() + " (page 1): cannot decode: VipsJpeg: "),
                             HasSubstr(file.string() + " (page 1): cannot decode: libjpeg: ")));
        ++refused;
      }
    }
    EXPECT_EQ(refused, tried);
  }
}

// Through a whole job: a complete progressive page plans, converts, and films exactly as the
// baseline file of the same pixels (the same quantised coefficients in another order); a cut
// one stops `plan`.
std::string scans_job(const std::string& id) {
  return "version = 1\nid = \"" + id + "\"\ntitle = \"" + id +
         "\"\ndpi = 100\ntargets = \"none\"\nreduction = 10\ncalibration = \"none\"\n"
         "[recorder]\ndriver = \"tiff\"\n[recorder.options]\npitch_um = 25\n[[documents]]\n"
         "id = \"D1\"\ntitle = \"p\"\npages = { dir = \"scans\" }\n";
}

VImage frame_of(const fs::path& dir, std::size_t n) {
  return VImage::new_from_file(
      (dir / "out" / "jpeg" / "R0001" / "frames" / fmt::format("F{:06}.tif", n)).c_str());
}

TEST(JpegScans, ACompleteProgressivePageFilmsAsItsBaselineTwin) {
  test::TempDir dir;
  for (const char* kind : {"baseline", "progressive"}) {
    fs::create_directories(dir / kind / "scans");
    const bool interlace = std::string(kind) == "progressive";
    write_bytes(dir / kind / "scans" / "p1.jpg",
                interlace ? progressive(detailed_page(1)) : baseline(detailed_page(1)));
    write_bytes(dir / kind / "scans" / "p2.jpg",
                interlace ? progressive(detailed_page(3), 2) : baseline(detailed_page(3), 2));
    test::write_text(dir / kind / "job.toml", scans_job("jpeg"));
    ASSERT_NO_THROW(
        test::convert_job(dir / kind / "job.toml", {}, test::job_flags(dir / kind / "out")));
  }
  for (std::size_t n : {1u, 2u}) {
    const VImage a = frame_of(dir / "baseline", n), b = frame_of(dir / "progressive", n);
    ASSERT_EQ(a.width(), b.width());
    ASSERT_EQ(a.height(), b.height());
    EXPECT_EQ((a - b).abs().max(), 0) << "frame " << n;
    EXPECT_LT(a.min(), 64) << "the frame holds the page";  // not an empty frame twice
  }

  // The same job with page 2 cut after its fourth scan.
  const std::string whole = read_bytes(dir / "progressive" / "scans" / "p2.jpg");
  const fs::path cut = dir / "progressive" / "scans" / "p2.jpg";
  write_bytes(cut, whole.substr(0, scan_boundaries(whole).at(6).at) + "\xFF\xD9");
  try {
    test::convert_job(dir / "progressive" / "job.toml", test::planning(),
                      test::job_flags(dir / "progressive" / "out2"));
    ADD_FAILURE() << "a cut page was planned";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_THAT(error.what(), HasSubstr(cut.string() + " (page 1): the progressive JPEG ends "
                                                       "after scan "));
  }
}

// A baseline page cut in its last rows, an end-of-image marker appended: libjpeg warns, but
// libvips checks for warnings before each strip it reads and only logs the last strip's as the
// load closes ("read gave 1 warnings"), so the page decoded with grey bottom rows. Preflight
// stops the job before anything is exposed.
std::string cut_in_last_rows(const std::string& whole) {
  return whole.substr(0, whole.size() - 12) + "\xFF\xD9";
}

// What the decode says of such a file: libjpeg's words for it.
std::string damaged_in_last_rows(const fs::path& file, const std::string& libjpeg_says) {
  return file.string() + " (page 1): cannot decode: libjpeg: " + libjpeg_says +
         ": the file is damaged or cut: rescan the page or export it again";
}
constexpr const char* kCutWithEndMarker = "Corrupt JPEG data: premature end of data segment";

TEST(JpegScans, ABaselinePageCutInItsLastRowsStopsPreflight) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  const fs::path file = dir / "scans" / "p1.jpg";
  write_bytes(file, cut_in_last_rows(baseline(detailed_page(3))));
  test::write_text(dir / "job.toml", scans_job("jpeg"));
  try {
    test::convert_job(dir / "job.toml", {}, test::job_flags(dir / "out"));
    ADD_FAILURE() << "a page cut in its last rows was filmed";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_THAT(error.what(), HasSubstr("preflight of reel R0001: document D1 (documents[1]) "
                                        "page 1: " +
                                        damaged_in_last_rows(file, kCutWithEndMarker)));
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "jpeg" / "R0001" / "frames" / "F000001.tif"));
}

// The render stage applies the same rule, on its own thread, as the page's load closes: with
// --no-preflight, or a file cut between its reel's preflight and its frame. Page 2 of three is
// cut in its last rows; under `substitute` a substitute frame takes its place, saying why.
void write_cut_second_page(const test::TempDir& dir, const std::string& policy) {
  fs::create_directories(dir / "scans");
  write_bytes(dir / "scans" / "p1.jpg", baseline(detailed_page(1)));
  write_bytes(dir / "scans" / "p2.jpg", cut_in_last_rows(baseline(detailed_page(3))));
  write_bytes(dir / "scans" / "p3.jpg", baseline(detailed_page(1)));
  std::string job = scans_job("jpeg");
  if (!policy.empty()) job += "on_error = \"" + policy + "\"\n";  // in [[documents]]
  test::write_text(dir / "job.toml", job);
}

TEST(JpegScans, TheRenderStageSubstitutesABaselinePageCutInItsLastRows) {
  test::TempDir dir;
  write_cut_second_page(dir, "substitute");
  const fs::path cut = dir / "scans" / "p2.jpg";
  const test::CliResult cli =
      test::run_cli({"convert", (dir / "job.toml").string(), "--out", (dir / "out").string(),
                     "--no-preflight", "--threads", "2"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr("document D1 page 2 (R0001-D1-0002) is filmed as a substitute: " +
                                 damaged_in_last_rows(cut, kCutWithEndMarker) + "\n"));
  const fs::path reel = dir / "out" / "jpeg" / "R0001";
  const auto rows = test::read_csv(reel / "index.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1][1], "page");
  EXPECT_EQ(rows[2][1], "substitute");
  EXPECT_EQ(rows[2][6], cut.string());
  EXPECT_EQ(rows[3][1], "page");
}

// Without a policy the job stops at that frame, naming it and the file, and the page is not
// filmed.
TEST(JpegScans, TheRenderStageStopsTheJobOnABaselinePageCutInItsLastRows) {
  test::TempDir dir;
  write_cut_second_page(dir, "");
  const fs::path cut = dir / "scans" / "p2.jpg";
  api::ConvertOptions options;
  options.preflight = false;
  try {
    test::convert_job(dir / "job.toml", options, test::job_flags(dir / "out"));
    ADD_FAILURE() << "a page cut in its last rows was filmed";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_THAT(error.what(),
                HasSubstr("reel R0001 frame 2 (document D1 page 2, " + cut.string() +
                          " page 1): " + damaged_in_last_rows(cut, kCutWithEndMarker)));
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "jpeg" / "R0001" / "frames" / "F000002.tif"));
}

// libvips's warning is its error buffer, which every thread shares: the reason given is
// libjpeg's for this file, read alone. Two pages damaged differently in their last rows, both
// met only as the load closes (cut inside the data, and cut at the last restart marker: libjpeg's
// first words differ), decode at once on two threads each, many times over, and each keeps its
// own words.
TEST(JpegScans, PagesDamagedInTheirLastRowsAtOnceEachGetTheirOwnReason) {
  test::TempDir dir;
  const fs::path in_data = dir / "in-data.jpg";
  write_bytes(in_data, cut_in_last_rows(baseline(detailed_page(3))));
  // Restart markers every 10 MCUs (half a row of this page): cut where the last one was.
  const std::string restarts = baseline(detailed_page(3), 10);
  std::size_t last_restart = 0;
  for (char n = '\xD0'; n <= '\xD7'; ++n) {
    const std::size_t at = restarts.rfind(std::string{'\xFF', n});
    if (at != std::string::npos) last_restart = std::max(last_restart, at);
  }
  ASSERT_GT(last_restart, restarts.size() * 19 / 20);  // in the last of its 30 intervals
  const fs::path at_restart = dir / "at-restart.jpg";
  write_bytes(at_restart, restarts.substr(0, last_restart) + "\xFF\xD9");
  const int restart = static_cast<unsigned char>(restarts[last_restart + 1]) - 0xD0;
  struct Page {
    SourcePage page;
    std::string expected;
  };
  const std::vector<Page> pages = {
      {{ref_of(in_data), {}}, damaged_in_last_rows(in_data, kCutWithEndMarker)},
      {{ref_of(at_restart), {}},
       damaged_in_last_rows(
           at_restart,
           fmt::format("Corrupt JPEG data: found marker 0xd9 instead of RST{}", restart))}};
  constexpr int kRounds = 150;
  std::vector<std::vector<std::string>> said(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < said.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        try {
          verify_decodes(pages[t % 2].page, {});
          said[t].push_back("decodes");
        } catch (const Error& error) {
          said[t].push_back(error.what());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t t = 0; t < said.size(); ++t) {
    EXPECT_THAT(said[t], ::testing::Each(pages[t % 2].expected)) << "thread " << t;
  }
}

// --- pixels that are not square ------------------------------------------------------------------

// `bytes` with its JFIF APP0 segment (if any) replaced by one of density units 0 (the aspect
// only) and `x` x `y`.
std::string with_unitless_density(std::string bytes, int x, int y) {
  if (bytes.compare(2, 2, "\xFF\xE0") == 0 && bytes.compare(6, 5, std::string("JFIF\0", 5)) == 0) {
    const std::size_t length =
        (static_cast<unsigned char>(bytes[4]) << 8) | static_cast<unsigned char>(bytes[5]);
    bytes.erase(2, length + 2);
  }
  std::string app0("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00", 12);
  app0 += {static_cast<char>(x >> 8),
           static_cast<char>(x & 0xFF),
           static_cast<char>(y >> 8),
           static_cast<char>(y & 0xFF),
           '\0',
           '\0'};
  bytes.insert(2, app0);
  return bytes;
}

// A JFIF of 1 x 2 density: a pixel twice as wide as it is high. The page is 120 x 120 px with
// a mark 20 px wide and 40 px high, a square on the original. With the job's 254 dpi (10 px/mm)
// for the finer, vertical axis, the page is 24 x 12 mm, and on film the mark is square.
TEST(JpegAspect, PixelsThatAreNotSquareKeepThePagesProportions) {
  test::TempDir dir;
  const VImage page =
      with_dark_rect((VImage::black(120, 120) + 255).cast(VIPS_FORMAT_UCHAR), 40, 30, 20, 40)
          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
  const fs::path file = dir / "p1.jpg";
  write_bytes(file, with_unitless_density(baseline(page), 1, 2));
  const PageRef ref = ref_of(file);

  // What libvips makes of it: no resolution unit, so nothing declared; filmwriter reads the
  // aspect itself.
  const VImage header = VImage::new_from_file(file.c_str());
  EXPECT_EQ(header.get_typeof("resolution-unit"), 0u);

  PageSettings settings = at_dpi(254);
  settings.reduction = 10;
  const PageInfo info = probe_page(ref, settings, {});
  EXPECT_TRUE(info.dpi_from_job);
  EXPECT_DOUBLE_EQ(info.dpi, 127);  // horizontal
  EXPECT_NEAR(info.width_mm, 24, 1e-9);
  EXPECT_NEAR(info.height_mm, 12, 1e-9);

  const Placement placement = place_page(info, settings, test::small_film_format(), 10);
  EXPECT_EQ(placement.page_width_px, 240u);
  EXPECT_EQ(placement.page_height_px, 120u);
  const FrameImage frame =
      render_page(open_page({ref, info}, placement.scale_x, {}), placement, {});
  // The mark's ink on the frame: 40 x 40 px.
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  for (std::uint32_t y = placement.page_y_px; y < placement.page_y_px + placement.page_height_px;
       ++y) {
    for (std::uint32_t x = placement.page_x_px; x < placement.page_x_px + placement.page_width_px;
         ++x) {
      if (frame.pixels[std::size_t{y} * frame.width + x] >= 128) continue;
      x0 = std::min(x0, static_cast<int>(x));
      y0 = std::min(y0, static_cast<int>(y));
      x1 = std::max(x1, static_cast<int>(x) + 1);
      y1 = std::max(y1, static_cast<int>(y) + 1);
    }
  }
  EXPECT_NEAR(x1 - x0, 40, 2);
  EXPECT_NEAR(y1 - y0, 40, 2);

  // force_dpi: the job's dpi for both axes, as it says.
  const PageInfo forced = probe_page(ref, at_dpi(254, true), {});
  EXPECT_NEAR(forced.width_mm, 12, 1e-9);
  EXPECT_NEAR(forced.height_mm, 12, 1e-9);

  // Without a dpi, the refusal names what the file says.
  EXPECT_EQ(std::string(expect_input_error([&] { probe_page(ref, {}, {}); }).what()),
            file.string() +
                " (page 1): no usable resolution in the file (found 1 x 2 with JFIF density units "
                "0, no unit); set dpi in the job");

  // 1:1 (every encoder's default) is square pixels, and says nothing worth naming.
  write_bytes(file, with_unitless_density(baseline(page), 1, 1));
  const PageInfo square = probe_page(ref_of(file), at_dpi(254), {});
  EXPECT_NEAR(square.width_mm, 12, 1e-9);
  EXPECT_NEAR(square.height_mm, 12, 1e-9);
  EXPECT_THAT(expect_input_error([&] { probe_page(ref_of(file), {}, {}); }).what(),
              HasSubstr("(found none)"));
}

// A TIFF's resolution without a unit (ResolutionUnit 1) is the same aspect, followed the same
// way: XResolution 100, YResolution 300 with the job's 300 dpi gives 100 x 300 dpi.
TEST(JpegAspect, ATiffResolutionWithoutAUnitGivesTheAspectToo) {
  test::TempDir dir;
  const fs::path file = test::write_page(dir, "unitless", samples::Encoding::tiff_lzw);
  {
    const std::unique_ptr<TIFF, void (*)(TIFF*)> tiff(TIFFOpen(file.c_str(), "r+"), TIFFClose);
    ASSERT_TRUE(tiff);
    ASSERT_EQ(TIFFSetField(tiff.get(), TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE), 1);
    ASSERT_EQ(TIFFSetField(tiff.get(), TIFFTAG_XRESOLUTION, 100.0f), 1);
    ASSERT_EQ(TIFFSetField(tiff.get(), TIFFTAG_YRESOLUTION, 300.0f), 1);
    ASSERT_EQ(TIFFRewriteDirectory(tiff.get()), 1);
  }
  const PageInfo info = probe_page(ref_of(file), at_dpi(300), {});
  EXPECT_DOUBLE_EQ(info.dpi, 100);
  EXPECT_NEAR(info.width_mm, 315 * 25.4 / 100, 1e-9);
  EXPECT_NEAR(info.height_mm, 236 * 25.4 / 300, 1e-9);
}

// Resolutions that differ past 4:1 are a wrong header, not a scanner's pixels (fax's 204 x 98
// dpi is the most there is): refused at planning with what the file says, before the page
// fails to fit its frame for no visible reason. force_dpi films square pixels instead.
TEST(JpegAspect, PixelsPastFourToOneAreAWrongHeaderAndRefused) {
  test::TempDir dir;
  const VImage page = (VImage::black(120, 120) + 255)
                          .cast(VIPS_FORMAT_UCHAR)
                          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_B_W));
  const fs::path jpeg = dir / "p1.jpg";
  write_bytes(jpeg, with_unitless_density(baseline(page), 1, 10));
  EXPECT_EQ(
      std::string(expect_input_error([&] { probe_page(ref_of(jpeg), at_dpi(300), {}); }).what()),
      jpeg.string() +
          " (page 1): its pixels are 10 times as wide as they are tall (1 x 10 with JFIF "
          "density units 0, no unit); no scanner makes pixels past 4:1, so the file's "
          "resolution is wrong: set dpi and force_dpi = true in the job to film square "
          "pixels");
  const PageInfo forced = probe_page(ref_of(jpeg), at_dpi(300, true), {});
  EXPECT_NEAR(forced.width_mm, forced.height_mm, 1e-9);

  const fs::path tiff = test::write_page(dir, "declared", samples::Encoding::tiff_lzw);
  const auto set_resolution = [&](std::uint16_t unit, float x, float y) {
    const std::unique_ptr<TIFF, void (*)(TIFF*)> file(TIFFOpen(tiff.c_str(), "r+"), TIFFClose);
    ASSERT_TRUE(file);
    ASSERT_EQ(TIFFSetField(file.get(), TIFFTAG_RESOLUTIONUNIT, unit), 1);
    ASSERT_EQ(TIFFSetField(file.get(), TIFFTAG_XRESOLUTION, x), 1);
    ASSERT_EQ(TIFFSetField(file.get(), TIFFTAG_YRESOLUTION, y), 1);
    ASSERT_EQ(TIFFRewriteDirectory(file.get()), 1);
  };
  set_resolution(RESUNIT_INCH, 1200, 200);
  EXPECT_THAT(expect_input_error([&] { probe_page(ref_of(tiff), {}, {}); }).what(),
              HasSubstr(": its pixels are 6 times as tall as they are wide (1200 x 200 dpi); "));
  set_resolution(RESUNIT_NONE, 100, 500);
  EXPECT_THAT(expect_input_error([&] { probe_page(ref_of(tiff), at_dpi(300), {}); }).what(),
              HasSubstr(": its pixels are 5 times as wide as they are tall (100 x 500 with "
                        "ResolutionUnit 1, no unit); "));
  // Fax's standard resolution is a scanner's, and films in proportion.
  set_resolution(RESUNIT_INCH, 204, 98);
  const PageInfo fax = probe_page(ref_of(tiff), {}, {});
  EXPECT_DOUBLE_EQ(fax.dpi, 204);
}

}  // namespace
}  // namespace fw::jpeg_files_test
