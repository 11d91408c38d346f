// The sample generator: exact page geometry, what each encoding really writes (checked in the
// file bytes), a structurally valid PDF, and a demo set that the job parser and ingest accept.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "ingest/checksum_manifest.hpp"
#include "ingest/ingest.hpp"
#include "job/job.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/test_support.hpp"

namespace fw::samples_test {
namespace {

namespace fs = std::filesystem;
using samples::Encoding;
using samples::PageSpec;
using ::testing::HasSubstr;
using ::testing::Not;
using vips::VImage;

std::uint32_t read_le(const std::string& bytes, std::size_t at, int size) {
  std::uint32_t value = 0;
  for (int i = size - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<std::uint8_t>(bytes.at(at + static_cast<std::size_t>(i)));
  }
  return value;
}

// Tag -> first value of every entry of the first IFD of a little-endian TIFF (what libvips
// writes on x86), for SHORT and LONG tags; other types give a 32-bit read of their first value,
// which is enough to see whether a tag is present.
std::map<std::uint32_t, std::uint32_t> first_ifd(const std::string& bytes) {
  EXPECT_EQ(bytes.substr(0, 4), std::string("II*\0", 4));
  const std::size_t ifd = read_le(bytes, 4, 4);
  std::map<std::uint32_t, std::uint32_t> tags;
  const std::uint32_t count = read_le(bytes, ifd, 2);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t entry = ifd + 2 + 12 * static_cast<std::size_t>(i);
    const std::uint32_t type = read_le(bytes, entry + 2, 2);
    const int size = type == 3 ? 2 : 4;  // SHORT or LONG (others: their offset)
    const std::uint32_t values = read_le(bytes, entry + 4, 4);
    const std::size_t at =
        values * static_cast<std::uint32_t>(size) <= 4 ? entry + 8 : read_le(bytes, entry + 8, 4);
    tags[read_le(bytes, entry, 2)] = read_le(bytes, at, size);
  }
  return tags;
}

constexpr std::uint32_t kCompression = 259, kBitsPerSample = 258, kXResolution = 282,
                        kYResolution = 283, kResolutionUnit = 296;

PageSpec spec_with_mark() {
  PageSpec spec;
  spec.width_mm = 30;
  spec.height_mm = 20;
  spec.dpi = 100;
  spec.bands = 3;
  spec.marks = {{10, 5, 4}};
  return spec;
}

TEST(Samples, MakePageDrawsMarksAtExactPixels) {
  const VImage page = samples::make_page(spec_with_mark());
  EXPECT_EQ(page.width(), 118);  // 30 mm at 100 dpi = 118.1
  EXPECT_EQ(page.height(), 79);  // 78.7
  EXPECT_EQ(page.bands(), 3);
  EXPECT_EQ(page.format(), VIPS_FORMAT_UCHAR);
  EXPECT_EQ(page.interpretation(), VIPS_INTERPRETATION_sRGB);
  EXPECT_NEAR(page.xres(), 100 / 25.4, 1e-9);
  // The mark: x 10 mm = 39 px, y 5 mm = 20 px, 4 mm = 16 px.
  EXPECT_EQ(page.getpoint(39, 20), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(page.getpoint(54, 35), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(page.getpoint(38, 20), (std::vector<double>{255, 255, 255}));
  EXPECT_EQ(page.getpoint(55, 35), (std::vector<double>{255, 255, 255}));
  EXPECT_EQ(page.getpoint(39, 36), (std::vector<double>{255, 255, 255}));
  EXPECT_EQ(page.getpoint(0, 0), (std::vector<double>{255, 255, 255}));
  // Nothing else is dark.
  EXPECT_NEAR(page.extract_band(0).avg(), 255.0 * (1 - 16.0 * 16 / (118 * 79)), 1e-9);

  PageSpec labelled = spec_with_mark();
  labelled.width_mm = 100;
  labelled.height_mm = 60;  // 3 mm text: a few solid pixels per stroke at 100 dpi
  labelled.marks.clear();
  labelled.label = "D001 p1";
  EXPECT_LT(samples::make_page(labelled).min(), 64);  // the text is there, and dark
}

TEST(Samples, WithoutResolutionTheFilesCarryNone) {
  test::TempDir dir;
  const VImage page = samples::make_page(spec_with_mark());

  samples::save_page(page, dir / "with.tif", Encoding::tiff_lzw, 100);
  samples::save_page(page, dir / "without.tif", Encoding::tiff_lzw, 100, false);
  const auto with_tags = first_ifd(read_file(dir / "with.tif"));
  EXPECT_EQ(with_tags.count(kXResolution), 1u);
  EXPECT_EQ(with_tags.count(kYResolution), 1u);
  EXPECT_EQ(with_tags.at(kResolutionUnit), 2u);  // inch
  const auto without_tags = first_ifd(read_file(dir / "without.tif"));
  EXPECT_EQ(without_tags.count(kXResolution), 0u);
  EXPECT_EQ(without_tags.count(kYResolution), 0u);
  EXPECT_EQ(without_tags.count(kResolutionUnit), 0u);
  EXPECT_EQ(without_tags.at(kCompression), 5u);  // LZW: the rest of the IFD is intact
  EXPECT_DOUBLE_EQ(VImage::new_from_file((dir / "without.tif").c_str()).avg(), page.avg());

  samples::save_page(page, dir / "with.jpg", Encoding::jpeg, 100);
  samples::save_page(page, dir / "without.jpg", Encoding::jpeg, 100, false);
  // libvips records the resolution in EXIF; without it, the file has a JFIF segment with
  // "no units" and no EXIF.
  EXPECT_THAT(read_file(dir / "with.jpg"), HasSubstr("Exif"));
  const std::string without_jpeg = read_file(dir / "without.jpg");
  EXPECT_EQ(without_jpeg.substr(6, 5), std::string("JFIF\0", 5));
  EXPECT_EQ(without_jpeg[13], 0);  // units: none
  EXPECT_THAT(without_jpeg, Not(HasSubstr("Exif")));
  EXPECT_NEAR(VImage::new_from_file((dir / "without.jpg").c_str()).avg(), page.avg(), 1.0);

  samples::save_page(page, dir / "with.png", Encoding::png, 100);
  samples::save_page(page, dir / "without.png", Encoding::png, 100, false);
  EXPECT_THAT(read_file(dir / "with.png"), HasSubstr("pHYs"));
  EXPECT_THAT(read_file(dir / "without.png"), Not(HasSubstr("pHYs")));
  EXPECT_DOUBLE_EQ(VImage::new_from_file((dir / "without.png").c_str()).avg(), page.avg());
}

TEST(Samples, BitonalAndSixteenBitTiffs) {
  test::TempDir dir;
  const VImage page = samples::make_page(spec_with_mark());

  samples::save_page(page, dir / "g4.tif", Encoding::tiff_g4, 100);
  const auto g4 = first_ifd(read_file(dir / "g4.tif"));
  EXPECT_EQ(g4.at(kCompression), 4u);  // CCITT T.6
  EXPECT_EQ(g4.at(kBitsPerSample), 1u);
  const VImage bitonal = VImage::new_from_file((dir / "g4.tif").c_str());
  EXPECT_EQ(bitonal.bands(), 1);
  EXPECT_EQ(bitonal.getpoint(39, 20), std::vector<double>{0});
  EXPECT_EQ(bitonal.getpoint(38, 20), std::vector<double>{255});

  samples::save_page(page, dir / "wide.tif", Encoding::tiff_16bit, 100);
  EXPECT_EQ(first_ifd(read_file(dir / "wide.tif")).at(kBitsPerSample), 16u);
  const VImage wide = VImage::new_from_file((dir / "wide.tif").c_str());
  EXPECT_EQ(wide.format(), VIPS_FORMAT_USHORT);
  EXPECT_EQ(wide.interpretation(), VIPS_INTERPRETATION_RGB16);
  EXPECT_EQ(wide.max(), 65535);
  EXPECT_EQ(wide.min(), 0);

  EXPECT_THROW(
      samples::save_multipage_tiff({page, samples::make_page(PageSpec{})}, dir / "mixed.tif", 100),
      std::invalid_argument);
}

TEST(Samples, PdfHasOnePagePerSpecAndACorrectCrossReferenceTable) {
  test::TempDir dir;
  PageSpec a5;
  a5.width_mm = 148;
  a5.height_mm = 210;
  a5.dpi = 50;
  const fs::path file = dir / "two.pdf";
  samples::save_pdf({spec_with_mark(), a5}, file);
  const std::string pdf = read_file(file);
  EXPECT_EQ(pdf.substr(0, 9), "%PDF-1.4\n");
  EXPECT_EQ(pdf.substr(pdf.size() - 6), "%%EOF\n");
  EXPECT_THAT(pdf, HasSubstr("/MediaBox [0 0 85.0394 56.6929]"));  // 30 x 20 mm in points
  EXPECT_THAT(pdf, HasSubstr("/MediaBox [0 0 419.5276 595.2756]"));
  EXPECT_THAT(pdf, HasSubstr("/Count 2"));

  // Every in-use xref entry points at "N 0 obj" for its own N; startxref points at "xref".
  const std::size_t startxref = pdf.rfind("startxref\n");
  const std::size_t xref = std::stoul(pdf.substr(startxref + 10));
  ASSERT_EQ(pdf.substr(xref, 5), "xref\n");
  const std::regex header(R"(xref\n0 (\d+)\n)");
  std::smatch match;
  const std::string from_xref = pdf.substr(xref);
  ASSERT_TRUE(std::regex_search(from_xref, match, header));
  const std::size_t objects = std::stoul(match[1]);
  EXPECT_EQ(objects, 9u);  // free entry, catalog, pages, 3 per page
  const std::size_t entries = xref + static_cast<std::size_t>(match.length(0));
  EXPECT_EQ(pdf.substr(entries, 20), "0000000000 65535 f \n");
  for (std::size_t number = 1; number < objects; ++number) {
    const std::string entry = pdf.substr(entries + 20 * number, 20);
    ASSERT_EQ(entry.substr(10), " 00000 n \n");
    const std::size_t offset = std::stoul(entry.substr(0, 10));
    EXPECT_EQ(pdf.substr(offset, fmt::format("{} 0 obj\n", number).size()),
              fmt::format("{} 0 obj\n", number));
  }

  const VImage second = VImage::new_from_file(file.c_str(), VImage::option()->set("page", 1));
  EXPECT_EQ(second.get_int("n-pages"), 2);
  EXPECT_EQ(second.width(), 420);  // 148 mm at 72 dpi
  EXPECT_EQ(second.height(), 595);
}

TEST(Samples, DemoSetIsAJobThatIngestAccepts) {
  test::TempDir dir;
  samples::make_demo_set(dir.path());
  const Job job = load_job(dir / "job.toml");
  ASSERT_EQ(job.documents.size(), 3u);
  EXPECT_EQ(job.documents[0].title, "论语集注 卷一");
  EXPECT_THAT(job.documents[0].metadata,
              ::testing::Contains(std::pair<std::string, std::string>{"作者", "朱熹"}));
  EXPECT_EQ(settings_for(job, job.documents[1]).mode, ImageMode::bitonal);
  // D001's two-level table of contents (卷 / 篇) from toc/D001.csv.
  ASSERT_EQ(job.documents[0].toc.size(), 4u);
  EXPECT_EQ(job.documents[0].toc[1].title, "篇一 学而时习之");
  EXPECT_EQ(job.documents[0].toc[1].level, 2);
  EXPECT_EQ(job.documents[0].toc[3].origin, "toc/D001.csv:5");

  ChecksumSummary checked;
  const auto scanned = scan_documents(job, &checked);
  ASSERT_EQ(scanned.size(), 3u);
  // Every page file is checked against the delivery's SHA256SUMS (the job's `checksums`).
  EXPECT_EQ(checked.manifests, std::vector<std::string>{(dir / "SHA256SUMS").string()});
  EXPECT_EQ(checked.files_matched, 6u);
  EXPECT_EQ(checked.files_failed, 0u);
  std::vector<std::string> d001;
  for (const auto& page : scanned[0].pages)
    d001.push_back(fs::path(page.ref.file).filename().string());
  EXPECT_EQ(d001, (std::vector<std::string>{"p1.tif", "p2.jpg", "p3.png", "p10.jp2"}));
  EXPECT_TRUE(scanned[0].pages[3].info.dpi_from_job);  // JPEG 2000: the document's dpi
  EXPECT_DOUBLE_EQ(scanned[0].pages[3].info.dpi, 200);
  EXPECT_NEAR(scanned[0].pages[0].info.width_mm, 210, 0.5);
  EXPECT_NEAR(scanned[0].pages[2].info.width_mm, 148, 0.5);
  EXPECT_EQ(scanned[1].pages.size(), 3u);
  EXPECT_EQ(scanned[1].pages[0].ref.format, SourceFormat::tiff);
  EXPECT_EQ(scanned[2].pages.size(), 2u);
  EXPECT_EQ(scanned[2].pages[0].ref.format, SourceFormat::pdf);
  for (const auto& document : scanned) {
    EXPECT_FALSE(document.skipped);
    EXPECT_TRUE(document.substitutes.empty());
  }
}

// The demo's second and third jobs plan as docs/formats.md shows: a document split across reels
// with continued targets, substitution targets where the job asks, and fiche with headers.
TEST(Samples, DemoReelsAndFicheJobsPlanSplitsSubstitutesAndHeaders) {
  test::TempDir dir;
  samples::make_demo_set(dir.path());
  const auto reels = test::run_cli({"plan", (dir / "reels.toml").string()});
  ASSERT_EQ(reels.exit_code, 0) << reels.err;
  EXPECT_THAT(reels.out, HasSubstr("split: document D001 continues on R0002"));
  const auto plan = nlohmann::json::parse(read_file(dir / "out" / "demo-reels" / "plan.json"));
  EXPECT_GE(plan["reels"].size(), 3u);
  EXPECT_EQ(plan["filming_date"], "2026-01-15");
  std::vector<std::string> r1, r2;
  std::vector<std::string> substitutes;
  for (const auto& frame : plan["frames"]) {
    const std::string kind = frame["kind"];
    if (frame["reel"] == 1) r1.push_back(kind);
    if (frame["reel"] == 2) r2.push_back(kind);
    if (kind == "substitute") {
      substitutes.push_back(frame["address"].get<std::string>() + " " +
                            frame["target"].get<std::string>());
    }
  }
  ASSERT_GE(r1.size(), 4u);
  EXPECT_EQ(r1.front(), "start-target");
  EXPECT_EQ(r1[r1.size() - 3], "continued-to");
  EXPECT_EQ(r1.back(), "end-target");
  ASSERT_GE(r2.size(), 4u);
  EXPECT_EQ(r2[2], "continued-from");
  EXPECT_THAT(substitutes, ::testing::Contains(HasSubstr("-D002-0002 filmed-as-found")));
  EXPECT_THAT(substitutes, ::testing::Contains(HasSubstr("-D003-0003 page-missing")));

  ASSERT_NO_THROW(test::convert_job(dir / "fiche.toml", test::planning()));
  const auto sheets = nlohmann::json::parse(read_file(dir / "out" / "demo-fiche" / "plan.json"));
  EXPECT_EQ(sheets["format"]["layout"], "fiche");
  std::size_t headers = 0;
  for (const auto& frame : sheets["frames"]) headers += frame["kind"] == "fiche-header";
  EXPECT_EQ(headers, 14u);  // one header row of 14 tiles on the one sheet
}

}  // namespace
}  // namespace fw::samples_test
