// BufferPool: buffers handed back are reused by requests of about their size, whatever
// the thread; the pool stays bounded by what the job keeps wanting.
#include "base/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace fw::buffer_pool_test {
namespace {

// The sizes of the 16 mm comic-30m job's buffers at 48x (bench/README.md, "Memory").
constexpr std::size_t kPage = 8'699'840, kFrame = 10'024'000;

TEST(BufferPool, ReusesAGivenBufferWithoutAllocating) {
  BufferPool pool(4);
  auto first = pool.take(1000);
  EXPECT_TRUE(first.empty());
  EXPECT_GE(first.capacity(), 1000u);
  first.assign(1000, 7);
  const std::uint8_t* memory = first.data();
  pool.give(std::move(first));
  EXPECT_EQ(pool.stats().spares, 1u);
  auto again = pool.take(1000);
  EXPECT_EQ(again.data(), memory);
  EXPECT_TRUE(again.empty());  // handed out empty, whatever it held
  const auto stats = pool.stats();
  EXPECT_EQ(stats.spares, 0u);
  EXPECT_EQ(stats.taken, 2u);
  EXPECT_EQ(stats.fresh, 1u);
}

// What the pool's buffers cost the process: those lent out and the spares, and their most at
// once; release_spares() frees the spares (verify before its report).
TEST(BufferPool, CountsWhatIsLentAndHeldAndReleasesItsSpares) {
  BufferPool pool(8);
  auto page = pool.take(kPage);
  auto frame = pool.take(kFrame);
  const std::size_t both = page.capacity() + frame.capacity();
  EXPECT_EQ(pool.stats().lent_bytes, both);
  pool.give(std::move(page));
  EXPECT_EQ(pool.stats().lent_bytes, both - (9u << 20));
  pool.give(std::move(frame));
  auto stats = pool.stats();
  EXPECT_EQ(stats.lent_bytes, 0u);
  EXPECT_EQ(stats.spare_bytes, both);
  EXPECT_EQ(stats.most_held_bytes, both);
  pool.release_spares();
  stats = pool.stats();
  EXPECT_EQ(stats.spares, 0u);
  EXPECT_EQ(stats.spare_bytes, 0u);
  EXPECT_EQ(stats.most_held_bytes, both);  // the most ever, not now
  auto again = pool.take(kFrame);
  EXPECT_EQ(pool.stats().fresh, 3u);  // nothing left to reuse
  EXPECT_EQ(pool.stats().lent_bytes, again.capacity());
}

TEST(BufferPool, AnUnsetBufferHasItsLengthAndKeepsWhatItHeld) {
  BufferPool pool(4);
  auto fresh = pool.take_unset(1000);
  ASSERT_EQ(fresh.size(), 1000u);
  EXPECT_EQ(std::count(fresh.begin(), fresh.end(), 0), 1000);  // new memory reads as zeros
  std::fill(fresh.begin(), fresh.end(), std::uint8_t{7});
  const std::uint8_t* memory = fresh.data();
  pool.give(std::move(fresh));
  // Shorter: the same memory, its bytes as they were (nothing spent zeroing them).
  auto shorter = pool.take_unset(900);
  EXPECT_EQ(shorter.data(), memory);
  ASSERT_EQ(shorter.size(), 900u);
  EXPECT_EQ(std::count(shorter.begin(), shorter.end(), 7), 900);
  pool.give(std::move(shorter));
  // Longer than it was given back: the bytes it never held are zeros.
  auto longer = pool.take_unset(1000);
  EXPECT_EQ(longer.data(), memory);
  EXPECT_EQ(std::count(longer.begin(), longer.begin() + 900, 7), 900);
  EXPECT_EQ(std::count(longer.begin() + 900, longer.end(), 0), 100);
  pool.give(std::move(longer));
  // take() still hands the same buffer out empty.
  EXPECT_TRUE(pool.take(1000).empty());
}

TEST(BufferPool, ASpareServesOnlyARequestOfAboutItsSize) {
  BufferPool pool(4);
  auto frame = pool.take(kFrame);
  const std::uint8_t* frame_memory = frame.data();
  pool.give(std::move(frame));
  // Lent to a page, the frame buffer would leave the page's buffer idle and make the next
  // frame allocate: the pool would grow by one idle buffer at a time.
  auto page = pool.take(kPage);
  EXPECT_NE(page.data(), frame_memory);
  EXPECT_EQ(pool.take(kFrame).data(), frame_memory);
  EXPECT_EQ(pool.stats().fresh, 2u);
}

TEST(BufferPool, AFrameAndItsEncodedFileShareBuffers) {
  BufferPool pool(4);
  auto frame = pool.take(kFrame);
  const std::uint8_t* memory = frame.data();
  pool.give(std::move(frame));
  // The tiff driver's file is the frame plus its header and description.
  EXPECT_EQ(pool.take(kFrame + 4096 + 300).data(), memory);
  EXPECT_EQ(pool.stats().fresh, 1u);
}

TEST(BufferPool, KeepsAtMostItsLimitAndDropsTheOldest) {
  BufferPool pool(2);
  auto a = pool.take(1000), b = pool.take(1000), c = pool.take(1000);
  const std::uint8_t *b_memory = b.data(), *c_memory = c.data();
  pool.give(std::move(a));
  pool.give(std::move(b));
  pool.give(std::move(c));
  EXPECT_EQ(pool.stats().spares, 2u);
  // Both held while compared (a pointer into a temporary's buffer dangles: clang's
  // -Wdangling-gsl).
  const auto first = pool.take(1000), second = pool.take(1000);
  EXPECT_TRUE((first.data() == b_memory && second.data() == c_memory) ||
              (first.data() == c_memory && second.data() == b_memory));
  EXPECT_EQ(pool.stats().fresh, 3u);
  pool.give({});  // an empty vector owns nothing to keep
  EXPECT_EQ(pool.stats().spares, 0u);
}

TEST(BufferPool, FreesASpareNoRequestWantsAnyMore) {
  BufferPool pool(4);
  pool.give(pool.take(kFrame));  // the last frame of another format
  for (int i = 0; i < 300; ++i) pool.give(pool.take(kPage));
  const auto stats = pool.stats();
  EXPECT_EQ(stats.spares, 1u);  // the page buffer, reused all along
  EXPECT_LT(stats.spare_bytes, kFrame);
  EXPECT_EQ(stats.fresh, 2u);
}

TEST(BufferPool, ABufferGivenBackByAnotherThreadIsReused) {
  BufferPool pool(4);
  auto buffer = pool.take(1 << 20);
  const std::uint8_t* memory = buffer.data();
  std::thread([&] { pool.give(std::move(buffer)); }).join();
  EXPECT_EQ(pool.take(1 << 20).data(), memory);
}

TEST(BufferPool, ReservedBuffersAreReadyAndKeptHoweverLongTheyIdle) {
  BufferPool pool(8);
  pool.reserve(3, kFrame);
  EXPECT_EQ(pool.stats().spares, 3u);
  EXPECT_EQ(pool.stats().fresh, 3u);
  // Three frames in flight at once take the reserved buffers: nothing new is allocated.
  auto a = pool.take(kFrame), b = pool.take(kFrame), c = pool.take(kFrame);
  EXPECT_EQ(pool.stats().fresh, 3u);
  EXPECT_GE(a.capacity(), kFrame);
  pool.give(std::move(a));
  pool.give(std::move(b));
  pool.give(std::move(c));
  // Long stretches with one frame in flight: the other two idle, and stay.
  for (int i = 0; i < 600; ++i) pool.give(pool.take(kFrame));
  EXPECT_EQ(pool.stats().spares, 3u);
  EXPECT_EQ(pool.stats().fresh, 3u);
  // Reserving again counts what the pool already holds.
  pool.reserve(3, kFrame);
  EXPECT_EQ(pool.stats().fresh, 3u);
  // Without the reservation, idle spares go as before.
  pool.reserve(0, 0);
  for (int i = 0; i < 300; ++i) pool.give(pool.take(kPage));
  EXPECT_EQ(pool.stats().spares, 1u);
  EXPECT_LT(pool.stats().spare_bytes, kFrame);
}

}  // namespace
}  // namespace fw::buffer_pool_test
