// hal::BufferPool: frame buffers handed back are reused, whatever their size and thread.
#include "hal/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace fw::hal {
namespace {

TEST(BufferPool, ReusesAGivenBufferWithoutAllocating) {
  BufferPool pool(4);
  auto first = pool.take(1000);
  EXPECT_TRUE(first.empty());
  EXPECT_GE(first.capacity(), 1000u);
  first.assign(1000, 7);
  const std::uint8_t* memory = first.data();
  pool.give(std::move(first));
  EXPECT_EQ(pool.spares(), 1u);
  auto again = pool.take(800);
  EXPECT_EQ(again.data(), memory);
  EXPECT_TRUE(again.empty());  // handed out empty, whatever it held
  EXPECT_EQ(pool.spares(), 0u);
}

TEST(BufferPool, TakesTheSmallestSpareThatFits) {
  BufferPool pool(4);
  auto small = pool.take(100), medium = pool.take(5000), large = pool.take(90000);
  const std::uint8_t* medium_memory = medium.data();
  pool.give(std::move(large));
  pool.give(std::move(small));
  pool.give(std::move(medium));
  auto got = pool.take(4000);
  EXPECT_EQ(got.data(), medium_memory);
  auto fresh = pool.take(200000);  // larger than every spare: a new buffer
  EXPECT_GE(fresh.capacity(), 200000u);
  EXPECT_EQ(pool.spares(), 2u);
}

TEST(BufferPool, KeepsAtMostItsLimitAndDropsTheSmallest) {
  BufferPool pool(2);
  auto a = pool.take(10), b = pool.take(20000), c = pool.take(30000);
  pool.give(std::move(a));
  pool.give(std::move(b));
  pool.give(std::move(c));
  EXPECT_EQ(pool.spares(), 2u);
  auto got = pool.take(15000);
  auto other = pool.take(15000);
  EXPECT_GE(got.capacity(), 15000u);
  EXPECT_GE(other.capacity(), 15000u);  // both large ones were kept, the small one dropped
  EXPECT_EQ(pool.spares(), 0u);
  pool.give({});  // an empty vector owns nothing to keep
  EXPECT_EQ(pool.spares(), 0u);
}

TEST(BufferPool, ABufferGivenBackByAnotherThreadIsReused) {
  BufferPool pool(4);
  auto buffer = pool.take(1 << 20);
  const std::uint8_t* memory = buffer.data();
  std::thread([&] { pool.give(std::move(buffer)); }).join();
  EXPECT_EQ(pool.take(1 << 20).data(), memory);
}

}  // namespace
}  // namespace fw::hal
