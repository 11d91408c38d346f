// The METS and MODS documents against their schemas: broken packages are rejected, tables of
// contents nest pages by level, fiche and separation frames are described as they are, and a
// value XML cannot hold is an error naming it.
#include "mets/mets.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <algorithm>
#include <map>
#include <regex>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/catalog.hpp"
#include "catalog/index.hpp"
#include "catalog/inspection.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/mets_xml.hpp"
#include "support/test_support.hpp"

namespace fw::mets_schema_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::kTitle;
using test::schema_errors;
using test::write_pages;
using test::Xml;

// A hand-made package: the validator must reject what breaks the standards, or a passing
// validation proves nothing.
MetsPackage small_package() {
  MetsPackage p;
  p.job_id = "t";
  p.reel_id = "R0001";
  p.reel_status = "complete";
  p.created = "2026-12-05T01:00:00Z";
  p.documents = {{"D001", "目录 test", {{"作者", "某"}}, {}}};
  for (std::uint32_t page = 1; page <= 6; ++page) {
    IndexRow r;
    r.frame = page;
    r.kind = "page";
    r.document_id = "D001";
    r.page = page;
    r.address = fmt::format("R0001-D001-{:04}", page);
    r.source_file = fmt::format("/scans/第{}页.png", page);
    r.source_sha256 = std::string(64, 'a');
    r.frame_sha256 = std::string(64, 'b');
    p.frames.push_back(r);
  }
  p.agents = {{"filmwriter", "filmwriter", "software", "0.1.0"}};
  p.events = {{"filming", "2026-12-05", "test", "complete", {}, {"filmwriter"}}};
  return p;
}

TEST(MetsSchema, TheValidatorRejectsBrokenPackages) {
  const std::string good = mets_xml(small_package());
  ASSERT_EQ(schema_errors(good), std::vector<std::string>{});
  // A required attribute missing (METS: FLocat's LOCTYPE).
  const std::string no_loctype = std::regex_replace(good, std::regex(R"( LOCTYPE="URL")"), "");
  ASSERT_NE(no_loctype, good);
  EXPECT_THAT(fmt::format("{}", fmt::join(schema_errors(no_loctype), "\n")),
              HasSubstr("The attribute 'LOCTYPE' is required but missing"));
  // A value outside an enumeration (METS: CHECKSUMTYPE).
  EXPECT_FALSE(schema_errors(std::regex_replace(good, std::regex("SHA-256"), "SHA256")).empty());
  // Inside xmlData: MODS and PREMIS are validated too, not skipped.
  EXPECT_FALSE(
      schema_errors(std::regex_replace(good, std::regex("mods:namePart"), "mods:nameBit")).empty());
  EXPECT_FALSE(
      schema_errors(
          std::regex_replace(good, std::regex("<premis:eventType>filming</premis:eventType>"), ""))
          .empty());
  // A structMap is required.
  EXPECT_FALSE(schema_errors(std::regex_replace(good, std::regex(R"(<mets:structMap[\s\S]*)"),
                                                "</mets:mets>"))
                   .empty());
}

TEST(MetsSchema, TableOfContentsDivisionsNestPagesByLevel) {
  MetsPackage p = small_package();
  // 序 (page 1), 卷上 (2-4) with 第一章 (3) and its 第一节 (4), 卷下 (5-6).
  p.documents[0].toc = {
      {"序", 1, 1}, {"卷上", 1, 2}, {"第一章", 2, 3}, {"第一节", 3, 4}, {"卷下", 1, 5}};
  const std::string text = mets_xml(p);
  EXPECT_EQ(schema_errors(text), std::vector<std::string>{});
  const Xml xml(text);
  const std::string doc = "//mets:div[@TYPE='document']";
  EXPECT_EQ(xml.all(doc + "/mets:div/@LABEL"), (std::vector<std::string>{"序", "卷上", "卷下"}));
  EXPECT_EQ(xml.all(doc + "/mets:div[@LABEL='卷上']/mets:div/@LABEL"),
            (std::vector<std::string>{"page 2", "第一章"}));
  EXPECT_EQ(xml.all(doc + "/mets:div[@LABEL='卷上']/mets:div[@LABEL='第一章']/mets:div/@LABEL"),
            (std::vector<std::string>{"page 3", "第一节"}));
  EXPECT_EQ(xml.all(doc + "//mets:div[@LABEL='第一节']/mets:div/@ORDER"),
            std::vector<std::string>{"4"});
  EXPECT_EQ(xml.all(doc + "/mets:div[@LABEL='卷下']/mets:div/@ORDER"),
            (std::vector<std::string>{"5", "6"}));

  // A reel that starts inside a division: only the divisions with a page on it are written.
  p.frames.erase(p.frames.begin(), p.frames.begin() + 3);  // pages 4-6
  const Xml later(mets_xml(p));
  EXPECT_EQ(later.all(doc + "/mets:div/@LABEL"), (std::vector<std::string>{"卷上", "卷下"}));
  EXPECT_EQ(later.all(doc + "//mets:div[@LABEL='第一节']/mets:div/@ORDER"),
            std::vector<std::string>{"4"});
  // Without a table of contents: documents -> pages.
  p.documents[0].toc.clear();
  const Xml flat(mets_xml(p));
  EXPECT_EQ(flat.all(doc + "/mets:div/@TYPE"), (std::vector<std::string>{"page", "page", "page"}));
}

TEST(MetsSchema, AFicheSheetIsDescribedAsMicrofiche) {
  MetsPackage p = small_package();
  p.reel_id = "F0001";
  p.fiche = true;
  const std::string text = mets_xml(p);
  EXPECT_EQ(schema_errors(text), std::vector<std::string>{});
  const Xml xml(text);
  EXPECT_EQ(xml.one("/mets:mets/@TYPE"), "microfiche");
  EXPECT_EQ(xml.one("//mods:physicalDescription/mods:form"), "microfiche");
  EXPECT_EQ(xml.all("//mets:structMap/mets:div/@TYPE"),
            (std::vector<std::string>{"fiche", "fiche"}));
}

// A colour page filmed as three separation frames is one page of the document: one div with
// its three frames, then its source file.
TEST(MetsSchema, ThreeSeparationFramesAreOnePage) {
  MetsPackage p = small_package();
  p.frames.resize(1);
  for (const char* separation : {"G", "B"}) {
    IndexRow r = p.frames[0];
    r.frame = static_cast<std::uint32_t>(p.frames.size() + 1);
    r.address = "R0001-D001-0001-" + std::string(separation);
    p.frames.push_back(r);
  }
  p.frames[0].address += "-R";
  const std::string text = mets_xml(p);
  EXPECT_EQ(schema_errors(text), std::vector<std::string>{});
  const Xml xml(text);
  EXPECT_EQ(xml.count("//mets:div[@TYPE='page']"), 1u);
  EXPECT_EQ(xml.all("//mets:div[@TYPE='page']/mets:fptr/@FILEID"),
            (std::vector<std::string>{"FRAME000001", "FRAME000002", "FRAME000003", "SOURCE00001"}));
  EXPECT_EQ(xml.count("//mets:structMap[@TYPE='physical']/mets:div/mets:div"), 3u);
}

// A page filmed in sections (oversize = "split") is one page: its overview and sections in one
// div, the target before the sections inside it, after the page's files.
TEST(MetsSchema, AnOversizePageInSectionsIsOnePage) {
  MetsPackage p = small_package();
  p.frames.resize(2);
  IndexRow notice = p.frames[1];
  notice.kind = "reduction-change";
  notice.address = "R0001-D001-SECT0002";
  notice.source_file.clear();
  p.frames.push_back(notice);
  for (const char* section : {"S1", "S2"}) {
    IndexRow r = p.frames[1];
    r.address += std::string("-") + section;
    p.frames.push_back(r);
  }
  p.frames.push_back(p.frames[0]);
  p.frames.back().page = 3;
  p.frames.back().address = "R0001-D001-0003";
  for (std::size_t i = 0; i < p.frames.size(); ++i) {
    p.frames[i].frame = static_cast<std::uint32_t>(i + 1);
  }
  const std::string text = mets_xml(p);
  EXPECT_EQ(schema_errors(text), std::vector<std::string>{});
  const Xml xml(text);
  EXPECT_EQ(xml.count("//mets:div[@TYPE='page']"), 3u);
  EXPECT_EQ(xml.all("//mets:div[@TYPE='page'][@ORDER='2']/mets:fptr/@FILEID"),
            (std::vector<std::string>{"FRAME000002", "FRAME000004", "FRAME000005", "SOURCE00002"}));
  EXPECT_EQ(xml.all("//mets:div[@TYPE='page'][@ORDER='2']/mets:div/@ORDERLABEL"),
            (std::vector<std::string>{"R0001-D001-SECT0002"}));
}

// The TOC database's upload package (`catalog export --format toc-csv`) holds each document's
// MODS record, the record its reels' METS packages carry: valid against the MODS schema on
// its own, with the job's titles and metadata, and named by the document's toc.csv rows.
TEST(MetsToc, TheUploadPackageHoldsAValidModsRecordPerDocument) {
  test::TempDir dir;
  write_pages(dir / "scans" / "d1", 3, "D001");
  write_pages(dir / "scans" / "d2", 1, "D002");
  test::write_text(dir / "job.toml", fmt::format(R"(version = 1
id = "modsjob"
title = "目次 上传"
dpi = 100
calibration = "none"
output = "out"
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 12.5
compression = "none"
[[documents]]
id = "D001"
title = '{}'
pages = {{ dir = "scans/d1" }}
[documents.metadata]
作者 = "朱熹"
年代 = "宋"
装帧 = "线装"
[[documents.toc]]
title = "卷一 学而第一"
page = 1
[[documents.toc]]
title = "卷二 为政第二"
page = 3
[[documents]]
id = "D002"
title = "孟子集注"
pages = {{ dir = "scans/d2" }}
[documents.metadata]
author = "Zhu Xi"
)",
                                                 kTitle));
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml"));
  const auto exported = test::run_cli({"catalog", "export", (dir / "out" / "modsjob").string(),
                                       "--format", "toc-csv", "--out", (dir / "pkg").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("2 TOC entries, 2 page images, 2 MODS records"));

  const std::map<std::string, std::string> titles = {{"D001", kTitle}, {"D002", "孟子集注"}};
  for (const auto& [id, title] : titles) {
    const fs::path file = dir / "pkg" / "mods" / "modsjob" / (id + ".xml");
    ASSERT_TRUE(fs::is_regular_file(file)) << file;
    const std::string text = read_file(file);
    EXPECT_EQ(schema_errors(text, "mods.xsd"), std::vector<std::string>{}) << text;
    const Xml xml(text);
    EXPECT_EQ(xml.one("/mods:mods/@version"), "3.7");
    EXPECT_EQ(xml.one("/mods:mods/mods:titleInfo/mods:title"), title);
    EXPECT_EQ(xml.one("/mods:mods/mods:identifier[@type='local']"), id);
    EXPECT_EQ(xml.one("//mods:physicalDescription/mods:form"), "microfilm");
  }
  const Xml d1(read_file(dir / "pkg" / "mods" / "modsjob" / "D001.xml"));
  EXPECT_EQ(d1.one("//mods:name/mods:namePart"), "朱熹");
  EXPECT_EQ(d1.one("//mods:originInfo/mods:dateIssued"), "宋");
  EXPECT_EQ(d1.one("//fw:metadata[@key='装帧']"), "线装");
  const Xml d2(read_file(dir / "pkg" / "mods" / "modsjob" / "D002.xml"));
  EXPECT_EQ(d2.one("//mods:name/mods:namePart"), "Zhu Xi");
  // The same record as in the reel's METS package, not a second writer's.
  const Xml mets(read_file(dir / "out" / "modsjob" / "R0001" / "mets.xml"));
  EXPECT_EQ(mets.all("//mods:mods[mods:identifier='D001']//*[not(*)]"),
            d1.all("/mods:mods//*[not(*)]"));

  const auto rows = test::read_csv(dir / "pkg" / "toc.csv");
  ASSERT_EQ(rows.size(), 3u);
  const auto column = std::find(rows[0].begin(), rows[0].end(), "mods") - rows[0].begin();
  ASSERT_LT(column, static_cast<std::ptrdiff_t>(rows[0].size()));
  for (std::size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].at(1), "D001");
    EXPECT_EQ(rows[r].at(static_cast<std::size_t>(column)), "mods/modsjob/D001.xml");
    EXPECT_TRUE(fs::is_regular_file(dir / "pkg" / rows[r].at(static_cast<std::size_t>(column))));
  }
}

// A MODS record on its own is refused by the MODS schema when broken: validation means
// something.
TEST(MetsToc, TheModsSchemaRejectsABrokenRecord) {
  const MetsDocument d{"D001", "论语", {{"作者", "朱熹"}}, {}};
  const std::string good = mods_record_xml("j", d, false);
  EXPECT_EQ(schema_errors(good, "mods.xsd"), std::vector<std::string>{});
  EXPECT_FALSE(schema_errors(std::regex_replace(good, std::regex("mods:namePart"), "mods:nameBit"),
                             "mods.xsd")
                   .empty());
  EXPECT_FALSE(
      schema_errors(std::regex_replace(good, std::regex(R"(version="3.7")"), R"(version="9")"),
                    "mods.xsd")
          .empty());
}

TEST(MetsSchema, AValueXmlCannotHoldIsAnErrorNamingIt) {
  MetsPackage p = small_package();
  p.documents[0].metadata.emplace_back("备注", "bad\x01value");
  try {
    mets_xml(p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_THAT(e.what(), HasSubstr("document D001 metadata 备注"));
    EXPECT_THAT(e.what(), HasSubstr("U+0001"));
  }
  p = small_package();
  p.documents[0].title = "cut \xE4\xB8";  // a UTF-8 sequence cut short
  EXPECT_THROW(mets_xml(p), Error);
}

}  // namespace
}  // namespace fw::mets_schema_test
