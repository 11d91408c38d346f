// Each page decode's libvips errors and warnings are its own (core/vips_error.hpp): libvips's
// error buffer is one for the whole process, and pages decode in parallel.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/vips_error.hpp"
#include "support/ingest_fixture.hpp"

namespace fw::vips_messages_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

void put16(std::string& out, std::uint32_t value) {
  out += static_cast<char>(value & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
}

void put32(std::string& out, std::uint32_t value) {
  put16(out, value & 0xFFFF);
  put16(out, value >> 16);
}

// An uncompressed 8-bit grey TIFF at 300 dpi, little-endian, its directory right behind the
// header and its strips (one row each) behind that, so that cutting the file keeps the
// directory whole and loses strips. With `private_tag`, the directory also holds a tag no
// reader knows, which libtiff warns of ("Unknown field with tag ...") and reads past.
std::string grey_tiff(std::uint32_t width, std::uint32_t height, bool private_tag = false) {
  struct Entry {
    std::uint16_t tag;
    std::uint16_t type;  // 3 SHORT, 4 LONG, 5 RATIONAL
    std::uint32_t count;
    std::uint32_t value;
  };
  const std::uint32_t entries = private_tag ? 13 : 12;
  const std::uint32_t ifd_size = 2 + entries * 12 + 4;
  const std::uint32_t offsets_at = 8 + ifd_size;
  const std::uint32_t counts_at = offsets_at + 4 * height;
  const std::uint32_t x_res_at = counts_at + 4 * height;
  const std::uint32_t y_res_at = x_res_at + 8;
  const std::uint32_t data_at = y_res_at + 8;
  std::vector<Entry> directory = {
      Entry{.tag = 256, .type = 4, .count = 1, .value = width},
      Entry{.tag = 257, .type = 4, .count = 1, .value = height},
      Entry{.tag = 258, .type = 3, .count = 1, .value = 8},
      Entry{.tag = 259, .type = 3, .count = 1, .value = 1},
      Entry{.tag = 262, .type = 3, .count = 1, .value = 1},
      Entry{.tag = 273, .type = 4, .count = height, .value = offsets_at},
      Entry{.tag = 277, .type = 3, .count = 1, .value = 1},
      Entry{.tag = 278, .type = 4, .count = 1, .value = 1},
      Entry{.tag = 279, .type = 4, .count = height, .value = counts_at},
      Entry{.tag = 282, .type = 5, .count = 1, .value = x_res_at},
      Entry{.tag = 283, .type = 5, .count = 1, .value = y_res_at},
      Entry{.tag = 296, .type = 3, .count = 1, .value = 2}};
  if (private_tag) directory.push_back(Entry{.tag = 65000, .type = 3, .count = 1, .value = 7});
  std::string out = "II";
  put16(out, 42);
  put32(out, 8);
  put16(out, entries);
  for (const Entry& entry : directory) {
    put16(out, entry.tag);
    put16(out, entry.type);
    put32(out, entry.count);
    if (entry.type == 3 && entry.count == 1) {
      put16(out, entry.value);
      put16(out, 0);
    } else {
      put32(out, entry.value);
    }
  }
  put32(out, 0);
  for (std::uint32_t row = 0; row < height; ++row) put32(out, data_at + row * width);
  for (std::uint32_t row = 0; row < height; ++row) put32(out, width);
  for (int axis = 0; axis < 2; ++axis) {
    put32(out, 300);
    put32(out, 1);
  }
  for (std::uint32_t row = 0; row < height; ++row) {
    for (std::uint32_t x = 0; x < width; ++x) out += static_cast<char>((x + row) & 0xFF);
  }
  return out;
}

// `png` with the CRC of its first IDAT chunk wrong: its data inflate, and libpng stops at the
// chunk's end.
std::string with_bad_idat_crc(std::string png) {
  const std::size_t type = png.find("IDAT");
  const std::size_t length_at = type - 4;
  const std::uint32_t length =
      (static_cast<std::uint32_t>(static_cast<unsigned char>(png[length_at])) << 24) |
      (static_cast<unsigned char>(png[length_at + 1]) << 16) |
      (static_cast<unsigned char>(png[length_at + 2]) << 8) |
      static_cast<unsigned char>(png[length_at + 3]);
  png[type + 4 + length] = static_cast<char>(png[type + 4 + length] ^ 0x5A);
  return png;
}

PageRef ref_of(const fs::path& file) {
  return expand_pages(test::list_of({file}), {}).at(0);
}

std::string decode_failure(const fs::path& file) {
  try {
    verify_decodes(SourcePage{ref_of(file), {}}, {});
  } catch (const Error& error) {
    return error.what();
  }
  return "decodes";
}

struct Damaged {
  fs::path file;
  std::string reason;  // decoded alone
};

// A cut TIFF, a PNG with a bad CRC and a cut JPEG 2000 file: each fails in its own decoder, on
// libvips's worker threads.
std::vector<Damaged> damaged_pages(const test::TempDir& dir) {
  std::vector<Damaged> pages;
  const std::string tiff = grey_tiff(600, 800);
  pages.push_back({.file = dir / "cut.tif", .reason = {}});
  test::write_bytes(pages.back().file, tiff.substr(0, tiff.size() / 2));
  const fs::path png = test::write_page(dir, "whole", samples::Encoding::png);
  pages.push_back({.file = dir / "bad-crc.png", .reason = {}});
  test::write_bytes(pages.back().file, with_bad_idat_crc(test::read_bytes(png)));
  const fs::path jp2 = test::write_page(dir, "whole", samples::Encoding::jp2);
  const std::string jp2_bytes = test::read_bytes(jp2);
  pages.push_back({.file = dir / "cut.jp2", .reason = {}});
  test::write_bytes(pages.back().file, jp2_bytes.substr(0, jp2_bytes.size() * 2 / 3));
  for (Damaged& page : pages) page.reason = decode_failure(page.file);
  return pages;
}

// The interposition itself: an error libvips raises inside the library reaches this thread's
// record. If libvips ever binds its calls to its own error functions (-Bsymbolic), this fails,
// rather than reasons going back to the shared buffer unnoticed.
TEST(VipsMessages, LibvipsErrorsReachThisThreadsRecord) {
  EXPECT_TRUE(vips_errors_are_per_thread());
}

TEST(VipsMessages, AReasonSurvivesAnotherThreadClearingTheBuffer) {
  const VipsMessageScope scope("test");
  ASSERT_LT(vips_enum_from_nick("fw-test", VIPS_TYPE_INTERPRETATION, "no-such-thing"), 0);
  // What every other decoding thread does when its own page fails.
  std::thread([] { vips_error_clear(); }).join();
  const vips::VError error;  // what the C++ binding copies of the (now empty) buffer
  EXPECT_THAT(vips_error_message(error),
              HasSubstr("fw-test: enum 'VipsInterpretation' has no member 'no-such-thing'"));
}

TEST(VipsMessages, AnotherThreadsErrorIsNotThisOnesReason) {
  const VipsMessageScope scope("test");
  std::thread([] { vips_error("other-thread", "not this thread's"); }).join();
  const vips::VError error;  // the buffer holds the other thread's line only
  EXPECT_EQ(vips_error_message(error), "libvips reported an error without a message");
}

TEST(VipsMessages, EachDamageIsNamedInItsDecodersWords) {
  test::TempDir dir;
  const std::vector<Damaged> pages = damaged_pages(dir);
  EXPECT_THAT(pages[0].reason, HasSubstr("cut.tif (page 1): cannot decode: "));
  EXPECT_THAT(pages[0].reason, HasSubstr("TIFFFillStrip: Read error at scanline"));
  // libvips's own error is only "libpng read error"; libpng's words came as a warning.
  EXPECT_THAT(pages[1].reason,
              HasSubstr("bad-crc.png (page 1): cannot decode: vipspng: libpng read error: "
                        "IDAT: CRC error"));
  EXPECT_THAT(pages[2].reason, HasSubstr("cut.jp2 (page 1): cannot decode: "));
  for (const Damaged& page : pages) {
    EXPECT_THAT(page.reason, Not(HasSubstr("without a message")));
    EXPECT_THAT(page.reason, Not(HasSubstr("error in tile")));
  }
}

// Pages of three formats fail at about the same time on four threads, many times over: each
// failure keeps the words it has alone, never another page's nor none.
TEST(VipsMessages, PagesOfDifferentFormatsFailingAtOnceEachGetTheirOwnReason) {
  test::TempDir dir;
  const std::vector<Damaged> pages = damaged_pages(dir);
  constexpr int kRounds = 60;
  std::vector<std::vector<std::string>> said(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < said.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        said[t].push_back(decode_failure(pages[(t + round) % pages.size()].file));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t t = 0; t < said.size(); ++t) {
    for (int round = 0; round < kRounds; ++round) {
      EXPECT_EQ(said[t][round], pages[(t + round) % pages.size()].reason)
          << "thread " << t << " round " << round;
    }
  }
}

// One file decoded on several threads at once (a colour page's separations, a file a job lists
// twice): each decode is its own. libvips's operation cache used to hand two threads one
// jp2kload now and then, and then a cut file passed as whole (43 in 48,000 decodes) and a whole
// one failed ("Need to decode the main header ...", 6 in 12,000).
TEST(VipsMessages, OneFileDecodedOnSeveralThreadsAtOnceGivesEachItsOwnVerdict) {
  test::TempDir dir;
  const fs::path cut = damaged_pages(dir)[2].file;
  const fs::path whole = test::write_page(dir, "whole", samples::Encoding::jp2);
  constexpr int kRounds = 1500;
  std::atomic<int> cut_passed{0};
  std::atomic<int> whole_failed{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        if ((t + round) % 2 == 0) {
          cut_passed += decode_failure(cut) == "decodes";
        } else {
          whole_failed += decode_failure(whole) != "decodes";
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(cut_passed, 0);
  EXPECT_EQ(whole_failed, 0);
}

// A decoder's warning on a page that decodes is printed naming the page.
TEST(VipsMessages, AWarningOfADecodeThatSucceedsNamesItsPage) {
  test::TempDir dir;
  const fs::path file = dir / "private-tag.tif";
  test::write_bytes(file, grey_tiff(600, 800, true));
  struct Told {
    std::string message;
    std::string where;
  };
  const PageRef ref = ref_of(file);  // libtiff warns as the pages are counted too
  std::mutex mutex;
  std::vector<Told> told;
  set_glib_message_sink(
      [&](const std::string&, const std::string& message, const std::string& where) {
        const std::scoped_lock lock(mutex);
        told.push_back({.message = message, .where = where});
      });
  EXPECT_NO_THROW(verify_decodes(SourcePage{ref, {}}, {}));
  set_glib_message_sink({});
  // Once, though libvips opens the file more than once for the page.
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].where, file.string() + " (page 1)");
  EXPECT_EQ(told[0].message, "Unknown field with tag 65000 (0xfde8) encountered");
}

// The same through the real program, with pages decoding on two threads: stderr names the file.
TEST(VipsMessages, TheProgramNamesTheFileOfADecoderWarning) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  test::write_bytes(dir / "scans" / "p1.tif", grey_tiff(600, 800, true));
  test::write_bytes(dir / "scans" / "p2.tif", grey_tiff(600, 800));
  const test::CliResult r =
      test::run_cli({"plan", (dir / "scans").string(), "--out", (dir / "out").string(),
                     "--decode-all", "--threads", "2", "--dpi", "300"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("filmwriter: warning: " + (dir / "scans" / "p1.tif").string() +
                               " (page 1): libvips: "));
  EXPECT_THAT(r.err, Not(HasSubstr("filmwriter: warning: libvips: ")));
}

}  // namespace
}  // namespace fw::vips_messages_test
