// The box and chunk heads ingest reads from JP2 and PNG files (ingest/file_boxes.hpp) for what
// libvips does not read: lengths of 32 and 64 bits, where the walk stops, and the stream left
// at the body. The files' own tests (orientation, colour, resolution) read whole files.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "ingest/file_boxes.hpp"

namespace fw::file_boxes_test {
namespace {

using ingest_detail::big_endian;
using ingest_detail::read_jp2_box_head;
using ingest_detail::read_png_chunk_head;

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

TEST(FileBoxes, BigEndianReadsTwoFourAndEightBytes) {
  const unsigned char bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  EXPECT_EQ(big_endian(bytes, 2), 0x0102u);
  EXPECT_EQ(big_endian(bytes, 4), 0x01020304u);
  EXPECT_EQ(big_endian(bytes, 8), 0x0102030405060708u);
}

TEST(FileBoxes, Jp2BoxesOfBothLengthFormsAreWalkedUpToTheBoxThatRunsToTheEnd) {
  // A 12-byte signature box; an XML box whose length is in the 64-bit field (length 1);
  // then the codestream box, length 0: it runs to the end of the file and ends the walk.
  std::string file = be32(12) + "jP  " + "\r\n\x87\n";
  file += be32(1) + "xml " + be32(0) + be32(16 + 5) + "<a/>\n";
  file += be32(0) + "jp2c" + "codestream";
  std::istringstream in(file);

  const auto signature = read_jp2_box_head(in);
  ASSERT_TRUE(signature);
  EXPECT_EQ(signature->type, "jP  ");
  EXPECT_EQ(signature->body_size, 4u);
  in.seekg(static_cast<std::streamoff>(signature->body_size), std::ios::cur);

  const auto xml = read_jp2_box_head(in);
  ASSERT_TRUE(xml);
  EXPECT_EQ(xml->type, "xml ");
  EXPECT_EQ(xml->body_size, 5u);
  std::string body(5, '\0');
  in.read(body.data(), 5);
  EXPECT_EQ(body, "<a/>\n");  // the stream was left at the body

  EXPECT_FALSE(read_jp2_box_head(in));
}

TEST(FileBoxes, AJp2BoxShorterThanItsHeadOrCutInItsHeadEndsTheWalk) {
  std::istringstream short_box(be32(7) + "free");
  EXPECT_FALSE(read_jp2_box_head(short_box));
  std::istringstream short_wide(be32(1) + "free" + be32(0) + be32(15));  // under 16
  EXPECT_FALSE(read_jp2_box_head(short_wide));
  std::istringstream cut(be32(1) + "free" + be32(0));  // the 64-bit length cut short
  EXPECT_FALSE(read_jp2_box_head(cut));
  std::istringstream empty("");
  EXPECT_FALSE(read_jp2_box_head(empty));
}

TEST(FileBoxes, PngChunkHeadsGiveTypeAndLengthAndRefuseALengthPngDoesNotAllow) {
  std::istringstream in(be32(13) + "IHDR" + std::string(13, 'x') + "CRC!" + be32(0x80000000u) +
                        "IDAT");
  const auto header = read_png_chunk_head(in);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->type, "IHDR");
  EXPECT_EQ(header->body_size, 13u);
  in.seekg(static_cast<std::streamoff>(header->body_size) + 4, std::ios::cur);
  EXPECT_FALSE(read_png_chunk_head(in));  // 2^31: over PNG's 2^31 - 1

  std::istringstream cut(be32(13) + "IH");
  EXPECT_FALSE(read_png_chunk_head(cut));
}

}  // namespace
}  // namespace fw::file_boxes_test
