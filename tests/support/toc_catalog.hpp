// `catalog find --title` with the other filters (Catalog::find_toc), asked of a catalog on
// either backend: the same small job is written, the same questions get the same answers on
// SQLite (tests/toc_test.cpp) and PostgreSQL (tests/pg_catalog_test.cpp).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/sha256.hpp"
#include "catalog/catalog.hpp"

namespace fw::test {

// Job "tq": D001 论语集注 (作者 朱熹) with TOC 学而第一 (page 1), 为政第二 (page 2); D002 孟子集注
// (作者 赵岐) with TOC 梁惠王 (page 1), 学而篇 (page 2). R0001 frames 1-2: D001 pages 1-2 from
// scans/a/p1.tif and p2.tif; frames 3-4: D002 pages 1-2 from scans/b/p1.tif and p2.tif.
inline void write_toc_job(Catalog& catalog) {
  CatalogJob job;
  job.id = "tq";
  job.title = "目次 查询";
  job.dir = "/out/tq";
  job.plan_sha256 = std::string(64, 'a');
  job.format = "16mm-comic-30m";
  job.documents = {
      {"D001",
       "论语集注",
       {{"作者", "朱熹"}},
       {},
       {{"学而第一", 1, 1, {}}, {"为政第二", 2, 1, {}}}},
      {"D002", "孟子集注", {{"作者", "赵岐"}}, {}, {{"梁惠王", 1, 1, {}}, {"学而篇", 2, 1, {}}}}};
  catalog.start_job(job);
  catalog.reel_loaded("tq", "R0001", 1, 30.5);
  std::vector<CatalogFrame> frames;
  for (std::uint32_t frame = 1; frame <= 4; ++frame) {
    const std::string document = frame <= 2 ? "D001" : "D002";
    const std::uint32_t page = frame <= 2 ? frame : frame - 2;
    const std::string source = fmt::format("scans/{}/p{}.tif", frame <= 2 ? "a" : "b", page);
    IndexRow row{frame,
                 "page",
                 document,
                 page,
                 fmt::format("R0001-{}-{:04}", document, page),
                 "page",
                 source,
                 1,
                 sha256_hex(source),
                 sha256_hex(fmt::format("frame {}", frame)),
                 1,
                 "none"};
    frames.push_back({"tq", "R0001", row, {}, {}});
  }
  catalog.add_frames("tq", frames);
  catalog.reel_closed("tq", {"tq", "R0001", 1, "complete", 4, 0.5, "i", "m", {}, 1, ""});
}

// "D002 学而篇" for each entry find_toc answers.
inline std::vector<std::string> toc_answers(const Catalog& catalog, const FrameQuery& query) {
  std::vector<std::string> out;
  for (const CatalogTocPlace& place : catalog.find_toc(query)) {
    out.push_back(place.document_id + " " + place.toc.title);
  }
  return out;
}

// --title alone answers every entry that holds it; with --document, --meta, --text, --source
// or --sha256 only the entries those narrow it to, as find() narrows the documents' frames.
inline void expect_title_combines_with_filters(const Catalog& catalog) {
  using Answers = std::vector<std::string>;
  FrameQuery q;
  q.title = "学而";
  EXPECT_EQ(toc_answers(catalog, q), (Answers{"D001 学而第一", "D002 学而篇"}));
  q.job_id = "tq";
  EXPECT_EQ(toc_answers(catalog, q), (Answers{"D001 学而第一", "D002 学而篇"}));
  q.job_id = "other";
  EXPECT_EQ(toc_answers(catalog, q), Answers{});
  q.job_id.clear();

  FrameQuery document = q;
  document.document_id = "D002";
  EXPECT_EQ(toc_answers(catalog, document), Answers{"D002 学而篇"});
  document.document_id = "D003";
  EXPECT_EQ(toc_answers(catalog, document), Answers{});

  FrameQuery meta = q;
  meta.metadata = {{"作者", "朱熹"}};
  EXPECT_EQ(toc_answers(catalog, meta), Answers{"D001 学而第一"});
  meta.metadata = {{"作者", "孔子"}};
  EXPECT_EQ(toc_answers(catalog, meta), Answers{});

  FrameQuery text = q;
  text.text = "孟子 赵岐";
  EXPECT_EQ(toc_answers(catalog, text), Answers{"D002 学而篇"});

  // Frame filters: the entry's own frames must hold the match (学而篇 is D002's page 2).
  FrameQuery source = q;
  source.source_file = "b/p2.tif";
  EXPECT_EQ(toc_answers(catalog, source), Answers{"D002 学而篇"});
  source.source_file = "b/p1.tif";  // 梁惠王's page, not 学而篇's
  EXPECT_EQ(toc_answers(catalog, source), Answers{});
  FrameQuery sha = q;
  sha.sha256 = sha256_hex("frame 1");
  EXPECT_EQ(toc_answers(catalog, sha), Answers{"D001 学而第一"});

  // Every filter at once, as the CLI passes them.
  FrameQuery all = q;
  all.job_id = "tq";
  all.document_id = "D001";
  all.metadata = {{"作者", "朱熹"}};
  all.text = "论语";
  all.source_file = "a/p1.tif";
  EXPECT_EQ(toc_answers(catalog, all), Answers{"D001 学而第一"});
}

}  // namespace fw::test
