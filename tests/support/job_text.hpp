// Job files as text for the job tests (tests/job_*_test.cpp): the header and first document
// every small job starts with, and the error a job text is refused with.
#pragma once

#include "job/job.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "support/test_support.hpp"

namespace fw::test {

// The message of the Error that parsing `text` throws, checking that it is a job error.
inline std::string job_error(const std::string& text) {
  try {
    parse_job(text, "job.toml", "/jobs");
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

// A valid job; tests append or replace lines to break it. Line numbers are fixed:
//   1 version, 2 id, 3 title, 4 blank, 5 [[documents]], 6 id, 7 title, 8 pages
inline const std::string kHeader = "version = 1\nid = \"j1\"\ntitle = \"T\"\n\n";
inline const std::string kFirstDocument =
    "[[documents]]\nid = \"D001\"\ntitle = \"卷一\"\npages = { dir = \"scans/d1\" }\n";

}  // namespace fw::test
