// Catalog contents the catalog tests share (tests/catalog_*_test.cpp): a sample job, an index
// row, and a catalog filled with a few documents to find.
#pragma once

#include "catalog/catalog.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/catalog_query.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/export.hpp"
#include "catalog/index.hpp"
#include "catalog/inspection.hpp"
#include "catalog/journal.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace fw::test {

inline CatalogJob sample_job(const std::filesystem::path& dir) {
  CatalogJob job;
  job.id = "nlc-1";
  job.title = "善本古籍 第一批";
  job.dir = dir;
  job.plan_sha256 = std::string(64, 'a');
  job.format = "16mm-comic-30m";
  job.documents = {{"D001", "论语集注 卷一", {{"作者", "朱熹"}}, {"scans/d1/p1.png"}, {}},
                   {"D002", "孟子集注 卷二", {}, {"scans/d2.tif"}, {}}};
  return job;
}

inline IndexRow row(std::uint32_t frame, const std::string& document, std::uint32_t page) {
  return {frame,
          "page",
          document,
          page,
          fmt::format("R0001-{}-{:04}", document, page),
          "page",
          "scans/" + document + ".tif",
          page,
          std::string(64, 'b'),
          fmt::format("{:064}", frame),
          1,
          "none"};
}

// A job of two documents with Chinese metadata on one reel: start and technical targets, two
// pages of D001, one of D002, the end target.
inline Catalog& filled(Catalog& catalog, const std::filesystem::path& dir) {
  CatalogJob job = sample_job(dir);
  job.documents[0].metadata = {{"作者", "朱熹"}, {"索书号", "善 01234"}, {"title", "Lunyu"}};
  job.documents[1].metadata = {{"作者", "朱熹 撰"}, {"版本", "明刻本"}};
  catalog.start_job(job);
  catalog.reel_loaded("nlc-1", "R0001", 1, 30.5);
  auto target = [](std::uint32_t frame, const char* kind) {
    IndexRow r = row(frame, "D001", 0);
    r.kind = kind;
    r.address = fmt::format("R0001-{:04}", frame);
    r.source_file.clear();
    r.source_sha256.clear();
    return r;
  };
  catalog.add_frames("nlc-1", {{"nlc-1", "R0001", target(1, "start-target"), {}, {}},
                               {"nlc-1", "R0001", target(2, "technical-target"), {}, {}},
                               {"nlc-1", "R0001", row(3, "D001", 1), {}, {}},
                               {"nlc-1", "R0001", row(4, "D001", 2), {}, {}},
                               {"nlc-1", "R0001", row(5, "D002", 1), {}, {}},
                               {"nlc-1", "R0001", target(6, "end-target"), {}, {}}});
  return catalog;
}

}  // namespace fw::test
