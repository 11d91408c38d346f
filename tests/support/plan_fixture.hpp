// Formats, pages and jobs the film tests plan with (tests/film_*_test.cpp): the 16 mm comic
// format and a short reel of it, A4 pages, a recorder at a given pitch, and the plan's addresses.
#pragma once

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "film/format.hpp"
#include "film/frame_spool.hpp"
#include "film/plan.hpp"
#include "support/test_support.hpp"

namespace fw::test {

inline std::filesystem::path profiles() {
  return test::source_dir() / "profiles";
}

// Runs `action`, expecting an fw::Error of `kind`; returns its message.
template <typename Action>
inline std::string error_of(ErrorKind kind, Action action) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no fw::Error thrown";
  return {};
}

inline FilmFormat comic_16mm() {
  FilmFormat format;
  format.name = "16mm-comic-30m";
  return format;  // the struct's defaults are the default format's values
}

inline PageInfo a4_at_300dpi() {
  PageInfo info;
  info.width_px = 2480;
  info.height_px = 3508;
  info.width_mm = 210;
  info.height_mm = 297;
  info.dpi = 300;
  return info;
}

// A page of `width_mm` x `height_mm` at 300 dpi.
inline PageInfo sheet_mm(double width_mm, double height_mm) {
  PageInfo info = a4_at_300dpi();
  info.width_mm = width_mm;
  info.height_mm = height_mm;
  info.width_px = static_cast<std::uint32_t>(width_mm / 25.4 * 300);
  info.height_px = static_cast<std::uint32_t>(height_mm / 25.4 * 300);
  return info;
}

// "kind address" of every frame of the plan: "page R0001-D001-0003".
inline std::vector<std::string> kinds_and_addresses(const Plan& plan) {
  std::vector<std::string> out;
  for (const PlannedFrame& frame : plan.frames) {
    out.push_back(std::string(to_string(frame.kind)) + " " + frame.address);
  }
  return out;
}

inline PageSettings at(double reduction, int rotate = 0) {
  PageSettings settings;
  settings.reduction = reduction;
  settings.rotate = rotate;
  return settings;
}

inline Job job_with(const std::vector<std::string>& document_ids) {
  Job job;
  job.id = "job-1";
  job.title = "Test job";
  job.targets = "none";  // the planner tests below look at pages; targets have their own
  for (std::size_t i = 0; i < document_ids.size(); ++i) {
    Document document;
    document.id = document_ids[i];
    document.title = "Document " + document.id;
    document.key = "documents[" + std::to_string(i) + "]";
    job.documents.push_back(document);
  }
  return job;
}

inline SourcePage a4_page(const std::string& file) {
  SourcePage page;
  page.ref.file = file;
  page.ref.format = SourceFormat::tiff;
  page.info = a4_at_300dpi();
  return page;
}

inline DocumentPages pages_of(std::size_t document, std::size_t count) {
  DocumentPages pages;
  pages.document = document;
  for (std::size_t i = 0; i < count; ++i) {
    pages.pages.push_back(
        a4_page("/scans/doc" + std::to_string(document) + "/p" + std::to_string(i + 1) + ".tif"));
  }
  return pages;
}

inline hal::Capabilities recorder_at(double pitch_um) {
  hal::Capabilities capabilities;
  capabilities.pixel_pitch_um = pitch_um;
  return capabilities;
}

// An A4 frame at 24x is 8.85 mm long; with its 1 mm gap it takes 9.85 mm of film.
inline constexpr double kA4StepMm = 9.85;

// A reel with 50 mm of usable film: five A4 frames at 24x.
inline FilmFormat short_reel_format() {
  FilmFormat format = comic_16mm();
  format.name = "16mm-short";
  format.leader_m = 0.01;
  format.trailer_m = 0.01;
  format.reel_length_m = 0.07;
  format.reel_lengths_m = {0.07};
  return format;
}

// 16 mm comic film on reels of `metres`: a few metres hold tens of A4 pages at 24x.
inline FilmFormat comic_16mm_reels_of(double metres) {
  FilmFormat format = comic_16mm();
  format.reel_length_m = metres;
  format.reel_lengths_m = {metres};
  return format;
}

// A job file of one document (pages in "s") with `line` among the job's keys ("" for none).
inline void write_job_with(const std::filesystem::path& file, const std::string& line) {
  test::write_text(file, "version = 1\nid = \"o\"\ntitle = \"t\"\n" + line +
                             "\n[[documents]]\nid = \"D001\"\ntitle = \"a\"\n"
                             "pages = { dir = \"s\" }\n");
}

inline std::vector<std::string> addresses(const Plan& plan) {
  std::vector<std::string> out;
  for (const PlannedFrame& frame : plan.frames) out.push_back(frame.address);
  return out;
}

inline void expect_reels_within_their_length(const Plan& plan) {
  for (const PlannedReel& reel : plan.reels) {
    EXPECT_LE(reel.film_used_m, reel.film_length_m + 1e-12) << reel.id;
    double used_mm = 0;
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      const PlannedFrame& frame = plan.frames[i];
      EXPECT_EQ(frame.reel, reel.number);
      EXPECT_EQ(frame.number, i - reel.first_frame + 1);
      EXPECT_NEAR(frame.film_position_mm, plan.format.leader_m * 1000 + used_mm, 1e-9);
      used_mm += frame.placement.length_mm + plan.format.frame_gap_mm;
    }
    EXPECT_NEAR(reel.film_used_m, plan.format.leader_m + used_mm / 1000 + plan.format.trailer_m,
                1e-9);
  }
}

inline Job job_with_targets(const std::vector<std::string>& ids) {
  Job job = job_with(ids);
  job.targets = "standard";
  return job;
}

}  // namespace fw::test
