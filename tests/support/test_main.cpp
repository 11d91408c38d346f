#include <gtest/gtest.h>

#include "ingest/ingest.hpp"

int main(int argc, char** argv) {
  fw::init_vips(argv[0]);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
