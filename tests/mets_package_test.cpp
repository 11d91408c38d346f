// The METS package a job writes: convert writes it beside the index, verify adds its verdict,
// export writes the same package, SOURCE_DATE_EPOCH makes it reproducible, and every reel of a
// split or crashed job has its own valid package. Validated with libxml2 against the schemas.
#include "mets/mets.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/catalog.hpp"
#include "catalog/index.hpp"
#include "catalog/inspection.hpp"
#include "core/error.hpp"
#include "samples/samples.hpp"
#include "support/engine_api.hpp"
#include "support/mets_xml.hpp"
#include "support/small_job.hpp"
#include "support/test_support.hpp"

namespace fw::mets_package_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::kTitle;
using test::schema_errors;
using test::write_pages;
using test::Xml;

// Every FILEID, DMDID and ADMID names an ID of the document: libxml2's schema validation does
// not check IDREFs, so the tests do.
void expect_references_resolve(const Xml& xml) {
  const auto ids = xml.all("//@ID");
  const std::set<std::string> known(ids.begin(), ids.end());
  for (const std::string& ref : xml.all("//@FILEID | //@DMDID | //@ADMID")) {
    std::istringstream words(ref);
    for (std::string id; words >> id;) EXPECT_TRUE(known.count(id)) << id << " names no ID";
  }
}

// A job longer than a short reel on the 10 um simulated recorder: one document D001, "资治通鉴
// 卷一", whose other keys (its pages first) are `document`.
std::string short_reel_job(const std::string& id, const std::string& title,
                           const std::string& document) {
  return fmt::format(R"(version = 1
id = "{}"
title = "{}"
format = "short-reel"
targets = "none"
dpi = 100
[recorder]
driver = "sim"
[recorder.options]
rate = 0
recorder = "sim-test"
[[documents]]
id = "D001"
title = "资治通鉴 卷一"
{})",
                     id, title, document);
}

// The package minus its creation time (each write says when it was made).
std::string without_created(const std::string& xml) {
  return std::regex_replace(xml, std::regex(R"( CREATEDATE="[^"]*")"), "");
}

// One job on the 10 um simulated recorder (developed film, so verify runs), two documents with
// Chinese metadata.
class Mets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new test::TempDir();
    const fs::path root = base_->path();
    test::copy_profiles_with_test_recorder(root / "profiles");
    write_pages(root / "scans" / "d1", 3, "D001");
    write_pages(root / "scans" / "d2", 2, "D002");
    test::write_text(root / "job.toml", fmt::format(R"(version = 1
id = "mets"
title = "善本古籍 第一批"
institution = "国家图书馆"
dpi = 100
[recorder]
driver = "sim"
[recorder.options]
rate = 0
recorder = "sim-test"
[[documents]]
id = "D001"
title = '{}'
pages = {{ dir = "scans/d1" }}
[documents.metadata]
作者 = "朱熹"
年代 = "宋"
出版者 = "中华书局"
语种 = "chi"
索书号 = "善 01234"
装帧 = "线装 & <函>"
[[documents]]
id = "D002"
title = "孟子集注 卷二"
pages = {{ dir = "scans/d2" }}
[documents.metadata]
author = "Zhu Xi"
)",
                                                    kTitle));
    ASSERT_NO_THROW(
        test::convert_job(root / "job.toml", {}, test::job_flags({}, root / "profiles")));
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }
  static fs::path out() { return base_->path() / "out" / "mets"; }
  static fs::path catalog_file() { return base_->path() / "out" / "catalog.sqlite"; }

  static test::TempDir* base_;
};
test::TempDir* Mets::base_ = nullptr;

TEST_F(Mets, ConvertWritesAValidPackageBesideTheIndex) {
  const fs::path file = out() / "R0001" / "mets.xml";
  ASSERT_TRUE(fs::exists(file));
  const std::string text = read_file(file);
  EXPECT_EQ(schema_errors(text), std::vector<std::string>{});
  const Xml xml(text);
  expect_references_resolve(xml);

  // The physical structMap: every index.csv row, in order, numbered and addressed.
  const auto rows = read_index(out() / "R0001" / "index.csv");
  const auto frames = xml.all("//mets:structMap[@TYPE='physical']/mets:div/mets:div/@ORDERLABEL");
  ASSERT_EQ(frames.size(), rows.size());
  const auto orders = xml.all("//mets:structMap[@TYPE='physical']/mets:div/mets:div/@ORDER");
  std::map<std::string, std::string> frame_checksums;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(frames[i], rows[i].address);
    EXPECT_EQ(orders[i], std::to_string(rows[i].frame));
    EXPECT_EQ(xml.one(fmt::format("//mets:fileGrp[@USE='frames']/mets:file[@SEQ='{}']/@CHECKSUM",
                                  rows[i].frame)),
              rows[i].frame_sha256);
  }
  EXPECT_EQ(xml.count("//mets:file[@CHECKSUMTYPE!='SHA-256']"), 0u);

  // Each source file once, with the real SHA-256 of its bytes.
  const auto hrefs = xml.all("//mets:fileGrp[@USE='sources']/mets:file/mets:FLocat/@xlink:href");
  const auto sums = xml.all("//mets:fileGrp[@USE='sources']/mets:file/@CHECKSUM");
  ASSERT_EQ(hrefs.size(), 5u);
  ASSERT_EQ(sums.size(), hrefs.size());
  for (std::size_t i = 0; i < hrefs.size(); ++i) {
    ASSERT_EQ(hrefs[i].rfind("file:///", 0), 0u) << hrefs[i];
    EXPECT_EQ(sums[i], sha256_file(hrefs[i].substr(7))) << hrefs[i];
  }
  EXPECT_EQ(xml.one("//mets:file[@ID='INDEX']/@CHECKSUM"),
            sha256_file(out() / "R0001" / "index.csv"));
  EXPECT_EQ(xml.one("//mets:file[@ID='MANIFEST']/@CHECKSUM"),
            sha256_file(out() / "R0001" / "manifest.sha256"));

  // The logical structMap: the two documents, each with its MODS record and its pages.
  const std::string logical = "//mets:structMap[@TYPE='logical']/mets:div";
  EXPECT_EQ(xml.count(logical + "/mets:div[@TYPE='document']"), 2u);
  EXPECT_EQ(xml.count(logical + "/mets:div[@ORDERLABEL='D001']/mets:div[@TYPE='page']"), 3u);
  EXPECT_EQ(xml.count(logical + "/mets:div[@ORDERLABEL='D002']/mets:div[@TYPE='page']"), 2u);
  EXPECT_EQ(xml.one(logical + "/mets:div[@ORDERLABEL='D001']/@LABEL"), kTitle);

  // MODS: the title byte for byte, the mapped keys in their elements, the rest in extension.
  const std::string d1 = "//mets:dmdSec[mets:mdWrap/@LABEL='D001']//mods:mods";
  EXPECT_EQ(xml.one(d1 + "/mods:titleInfo/mods:title"), kTitle);
  EXPECT_EQ(xml.one(d1 + "/mods:name[mods:role/mods:roleTerm='author']/mods:namePart"), "朱熹");
  EXPECT_EQ(xml.one(d1 + "/mods:originInfo/mods:dateIssued"), "宋");
  EXPECT_EQ(xml.one(d1 + "/mods:originInfo/mods:publisher"), "中华书局");
  EXPECT_EQ(xml.one(d1 + "/mods:language/mods:languageTerm[@type='code']"), "chi");
  EXPECT_EQ(xml.one(d1 + "/mods:location/mods:shelfLocator"), "善 01234");
  EXPECT_EQ(xml.one(d1 + "/mods:extension/fw:metadata[@key='装帧']"), "线装 & <函>");
  EXPECT_EQ(xml.one("//mets:dmdSec[mets:mdWrap/@LABEL='D002']//mods:name/mods:namePart"), "Zhu Xi");
  // The raw text holds the escapes and the Extension B character's own four bytes.
  EXPECT_THAT(text, HasSubstr("卷一 \xF0\xA0\x80\x80 &lt;注&gt; &amp;"));

  // PREMIS: the filming, with its date, recorder and calibration; no verification yet.
  const std::string filming = "//premis:event[premis:eventType='filming']";
  EXPECT_EQ(xml.count(filming), 1u);
  EXPECT_THAT(xml.one(filming + "/premis:eventDetailInformation/premis:eventDetail"),
              HasSubstr("recorder driver sim; density calibration "));
  EXPECT_EQ(xml.one(filming + "/premis:eventOutcomeInformation/premis:eventOutcome"), "complete");
  EXPECT_EQ(xml.one(filming + "/premis:eventDateTime"),
            nlohmann::json::parse(read_file(out() / "plan.json"))["filming_date"]);
  EXPECT_EQ(xml.one("//premis:agent[premis:agentType='organization']/premis:agentName"),
            "国家图书馆");
  EXPECT_EQ(xml.count("//premis:event[premis:eventType='verification']"), 0u);
  // No delivery manifest, so no fixity check of the sources.
  EXPECT_EQ(xml.count("//premis:event[premis:eventType='fixity check']"), 0u);
}

TEST_F(Mets, VerifyAddsItsVerdictAndExportWritesTheSamePackage) {
  const auto verify = test::run_cli({"verify", out().string(), "--no-report"});
  ASSERT_TRUE(verify.exit_code == 0 || verify.exit_code == 5) << verify.out << verify.err;
  const auto qc = nlohmann::json::parse(read_file(out() / "qc.json"));
  const std::string text = read_file(out() / "R0001" / "mets.xml");
  EXPECT_EQ(schema_errors(text), std::vector<std::string>{});
  const Xml xml(text);
  const std::string event = "//premis:event[premis:eventType='verification']";
  ASSERT_EQ(xml.count(event), 1u);
  EXPECT_EQ(xml.one(event + "/premis:eventOutcomeInformation/premis:eventOutcome"),
            qc["reels"][0]["verdict"].get<std::string>());
  EXPECT_EQ(xml.one(event + "/premis:eventDateTime"), qc["verified_at"].get<std::string>());

  // A vault inspection in the catalog becomes an event too, once the package is written again.
  {
    const Catalog catalog(catalog_file());
    Inspection in;
    in.job_id = "mets";
    in.reel = "R0001";
    in.date = local_today();
    in.ad_strip = 0.5;
    in.densities = {1.05, 1.1};
    in.notes = "醋酸 smell: none";
    add_inspection(catalog, in);
  }
  const fs::path exported = base_->path() / "exported";
  const auto cli = test::run_cli({"catalog", "export", out().string(), "--format", "mets", "--job",
                                  "mets", "--out", exported.string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_THAT(cli.out, HasSubstr((exported / "R0001" / "mets.xml").string()));
  const std::string again = read_file(exported / "R0001" / "mets.xml");
  EXPECT_EQ(schema_errors(again), std::vector<std::string>{});
  const Xml exported_xml(again);
  EXPECT_THAT(exported_xml.one("//premis:event[premis:eventType='inspection']"
                               "//premis:eventDetail"),
              HasSubstr("A-D strip 0.5; densities [1.05, 1.10]; notes: 醋酸 smell: none"));
  // The same package as verify left it, but for the inspection event and the creation time.
  const std::string inspection_event =
      R"(\s*<mets:digiprovMD ID="EVENT03">[\s\S]*?</mets:digiprovMD>)";
  const std::string without_inspection = std::regex_replace(
      std::regex_replace(again, std::regex(inspection_event), ""), std::regex(" EVENT03"), "");
  EXPECT_EQ(without_created(without_inspection), without_created(text));

  // Without --out, each reel's own mets.xml is written again (how a failed write is mended).
  fs::remove(out() / "R0001" / "mets.xml");
  const auto in_place = test::run_cli({"catalog", "export", out().string(), "--format", "mets"});
  ASSERT_EQ(in_place.exit_code, 0) << in_place.out << in_place.err;
  EXPECT_EQ(without_created(read_file(out() / "R0001" / "mets.xml")), without_created(again));

  const auto refused =
      test::run_cli({"catalog", "export", out().string(), "--format", "mets", "-o", "x.xml"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("not with --format mets"));
}

// With SOURCE_DATE_EPOCH (a fixed "now", as for the targets' date) a package written twice is
// the same bytes.
TEST_F(Mets, SourceDateEpochMakesThePackageReproducible) {
  ::setenv("SOURCE_DATE_EPOCH", "1764892800", 1);  // 2025-12-05T00:00:00Z
  const Catalog catalog(catalog_file());
  const auto first = export_mets(catalog, "mets", base_->path() / "first");
  const auto second = export_mets(catalog, "mets", base_->path() / "second");
  ::unsetenv("SOURCE_DATE_EPOCH");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  const std::string text = read_file(first[0]);
  EXPECT_EQ(text, read_file(second[0]));
  EXPECT_THAT(text, HasSubstr(R"(CREATEDATE="2025-12-05T00:00:00Z")"));
}

// The package is a record about the film, not the film: when it cannot be written at reel
// close (here mets.xml is a folder in the way), the reel stays exposed with its index and
// manifest, the run finishes with a warning naming the reel and the command that mends it, and
// that command writes the package from the catalog.
TEST(MetsReels, AFailedWriteKeepsTheReelAndExportMendsIt) {
  test::TempDir dir;
  test::copy_profiles_with_test_recorder(dir / "profiles");
  write_pages(dir / "scans", 2, "D001");
  test::write_text(dir / "job.toml", R"(version = 1
id = "mend"
title = "补写 test"
dpi = 100
[recorder]
driver = "sim"
[recorder.options]
rate = 0
recorder = "sim-test"
[[documents]]
id = "D001"
title = "论语"
pages = { dir = "scans" }
)");
  const fs::path reel = dir / "out" / "mend" / "R0001";
  fs::create_directories(reel / "mets.xml");
  const auto convert = test::run_cli(
      {"convert", (dir / "job.toml").string(), "--profiles", (dir / "profiles").string()});
  ASSERT_EQ(convert.exit_code, 0) << convert.out << convert.err;
  EXPECT_THAT(convert.err, HasSubstr("warning: reel R0001: mets.xml not written ("));
  EXPECT_THAT(convert.err, HasSubstr(fmt::format("`filmwriter catalog export --format mets {}`",
                                                 (dir / "out" / "mend").string())));
  EXPECT_TRUE(fs::exists(reel / "index.csv"));
  EXPECT_TRUE(fs::exists(reel / "manifest.sha256"));
  EXPECT_TRUE(fs::is_directory(reel / "mets.xml"));

  fs::remove_all(reel / "mets.xml");
  const auto mend =
      test::run_cli({"catalog", "export", "--format", "mets", (dir / "out" / "mend").string()});
  ASSERT_EQ(mend.exit_code, 0) << mend.out << mend.err;
  const std::string text = read_file(reel / "mets.xml");
  EXPECT_EQ(schema_errors(text), std::vector<std::string>{});
  EXPECT_EQ(Xml(text).count("//mets:structMap[@TYPE='physical']/mets:div/mets:div"),
            read_index(reel / "index.csv").size());
}

// A run that stops between a reel's close and its package (a crash) leaves that reel without
// mets.xml, and resume does not close the reel again: the run that finishes the job writes it.
// Here the first run fails on a damaged page on the third reel, and R0001's package is removed
// as a crash would have left it.
TEST(MetsReels, TheRunThatFinishesAJobWritesAPackageACrashLeftMissing) {
  test::TempDir dir;
  test::copy_profiles_with_short_reel(dir / "profiles");
  fs::create_directories(dir / "scans");
  for (int p = 1; p <= 8; ++p) {
    samples::PageSpec spec{105, 148, 100, 1, {{10, 10, 8}}, fmt::format("p{}", p)};
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{}.jpg", p),
                       samples::Encoding::jpeg, 100);
  }
  const std::string good = test::cut_in_half(dir / "scans" / "p7.jpg");
  test::write_text(dir / "job.toml",
                   test::small_tiff_job("gap", "断点 test",
                                        "format = \"short-reel\"\ntargets = \"none\"\n", "卷一"));
  const auto failed = test::run_cli({"convert", (dir / "job.toml").string(), "--profiles",
                                     (dir / "profiles").string(), "--no-preflight"});
  ASSERT_EQ(failed.exit_code, 3) << failed.err;
  const fs::path job = dir / "out" / "gap";
  ASSERT_TRUE(fs::exists(job / "R0001" / "mets.xml"));
  fs::remove(job / "R0001" / "mets.xml");
  test::write_text(dir / "scans" / "p7.jpg", good);
  ASSERT_NO_THROW(test::convert_job(job, test::resuming()));
  std::size_t pages = 0, reels = 0;
  for (const auto& entry : fs::directory_iterator(job)) {
    if (!fs::exists(entry.path() / "index.csv")) continue;
    ++reels;
    const std::string reel = entry.path().filename().string();
    ASSERT_TRUE(fs::exists(job / reel / "mets.xml")) << reel;
    const std::string text = read_file(job / reel / "mets.xml");
    EXPECT_EQ(schema_errors(text), std::vector<std::string>{}) << reel;
    EXPECT_EQ(Xml(text).one("//premis:event[premis:eventType='filming']//premis:eventOutcome"),
              "complete")
        << reel;
    pages += Xml(text).count("//mets:div[@TYPE='page']");
  }
  EXPECT_GE(reels, 2u);
  EXPECT_EQ(pages, 8u);
}

// The check of the sources against the delivery's checksum manifest is a PREMIS "fixity check"
// event in the package of every reel it vouched for, dated when it ran and before the filming;
// a file that failed it makes the outcome "fail", said in a note.
TEST(MetsReels, TheSourcesFixityCheckIsAnEventOfEveryReel) {
  test::TempDir dir;
  test::copy_profiles_with_short_reel(dir / "profiles");
  test::add_test_recorder(dir / "profiles");
  write_pages(dir / "scans", 8, "D001");
  const auto convert = [&](const std::string& id, const std::string& wrong_page) {
    std::string sums;
    for (int p = 1; p <= 8; ++p) {
      const std::string page = fmt::format("p{}.png", p);
      sums += fmt::format(
          "{}  {}\n",
          page == wrong_page ? sha256_hex("other bytes") : sha256_file(dir / "scans" / page), page);
    }
    test::write_text(dir / "scans" / "SHA256SUMS", sums);
    test::write_text(dir / (id + ".toml"),
                     short_reel_job(id, "校验 test",
                                    "on_error = \"substitute\"\npages = { dir = \"scans\" }\n"));
    test::convert_job(dir / (id + ".toml"), {}, test::job_flags({}, dir / "profiles"));
    const fs::path job = dir / "out" / id;
    const std::string journal = read_file(job / "journal.jsonl");
    const auto start = nlohmann::json::parse(journal.substr(0, journal.find('\n')));
    std::vector<Xml> packages;
    for (const auto& entry : fs::directory_iterator(job)) {
      if (!fs::exists(entry.path() / "index.csv")) continue;
      const std::string text = read_file(entry.path() / "mets.xml");
      EXPECT_EQ(schema_errors(text), std::vector<std::string>{}) << entry.path();
      packages.emplace_back(text);
    }
    EXPECT_GE(packages.size(), 2u);
    return std::make_pair(start.at("checksums"), std::move(packages));
  };
  const std::string fixity = "//premis:event[premis:eventType='fixity check']";

  const auto [checked, packages] = convert("fix", "");
  ASSERT_TRUE(checked.contains("checked_at"));
  for (const Xml& xml : packages) {
    ASSERT_EQ(xml.count(fixity), 1u);
    const std::string reel = xml.one("/mets:mets/@OBJID");  // fix/R0001
    EXPECT_EQ(xml.one(fixity + "/premis:eventIdentifier/premis:eventIdentifierValue"),
              reel + "/fixity-check-1");
    EXPECT_EQ(xml.one(fixity + "/premis:eventDateTime"), checked.at("checked_at"));
    EXPECT_EQ(xml.one(fixity + "/premis:eventOutcomeInformation/premis:eventOutcome"), "pass");
    EXPECT_THAT(xml.one(fixity + "/premis:eventDetailInformation/premis:eventDetail"),
                HasSubstr(fmt::format("manifest(s) {} (SHA-256): 8 file(s) match, 0 failed",
                                      (dir / "scans" / "SHA256SUMS").string())));
    EXPECT_EQ(xml.one(fixity + "/premis:linkingAgentIdentifier/premis:linkingAgentIdentifierValue"),
              "filmwriter");
    EXPECT_EQ(xml.one(fixity + "/premis:linkingObjectIdentifier/"
                               "premis:linkingObjectIdentifierValue"),
              reel);
    // The check came first: the filming is the next event.
    EXPECT_EQ(xml.one("(//premis:event)[2]/premis:eventType"), "filming");
  }

  const auto [failed_check, failed_packages] = convert("fix-bad", "p3.png");
  EXPECT_EQ(failed_check.at("files_failed"), 1);
  for (const Xml& xml : failed_packages) {
    EXPECT_EQ(xml.one(fixity + "//premis:eventOutcome"), "fail");
    EXPECT_THAT(xml.one(fixity + "//premis:eventOutcomeDetailNote"),
                HasSubstr("1 file(s) unlisted, missing or not matching"));
  }
}

// A resumed run checks the sources again before it films on: each reel's package has the checks
// of the runs that exposed its frames, the first run's and the resumed run's, each dated when it
// ran. Here the first run stops on a device fault at R0001's second frame.
TEST(MetsReels, AResumedRunsFixityCheckIsAnEventOfTheReelsItFilmed) {
  test::TempDir dir;
  test::copy_profiles_with_short_reel(dir / "profiles");
  test::add_test_recorder(dir / "profiles");
  write_pages(dir / "scans", 8, "D001");
  std::string sums;
  for (int p = 1; p <= 8; ++p) {
    const std::string page = fmt::format("p{}.png", p);
    sums += fmt::format("{}  {}\n", sha256_file(dir / "scans" / page), page);
  }
  test::write_text(dir / "scans" / "SHA256SUMS", sums);
  const fs::path toml = dir / "again.toml";
  test::write_text(toml, short_reel_job("again", "续拍 test", "pages = { dir = \"scans\" }\n"));
  const std::vector<std::string> args{"convert", toml.string(), "--profiles",
                                      (dir / "profiles").string()};
  auto first = args;
  first.insert(first.end(), {"-O", "fault_at=2"});
  const auto stopped = test::run_cli(first);
  ASSERT_EQ(stopped.exit_code, 4) << stopped.out << stopped.err;
  auto again = args;
  again.emplace_back("--resume");
  const auto resumed = test::run_cli(again);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;

  // The dates of the two checks, from the journal's "start" and "resume" records.
  const fs::path job = dir / "out" / "again";
  std::vector<std::string> checked_at;
  std::istringstream journal(read_file(job / "journal.jsonl"));
  for (std::string line; std::getline(journal, line);) {
    const auto record = nlohmann::json::parse(line);
    if (record.at("event") == "start" || record.at("event") == "resume") {
      checked_at.push_back(record.at("checksums").at("checked_at"));
    }
  }
  ASSERT_EQ(checked_at.size(), 2u);

  const std::string fixity = "//premis:event[premis:eventType='fixity check']";
  std::size_t reels = 0;
  for (const auto& entry : fs::directory_iterator(job)) {
    if (!fs::exists(entry.path() / "index.csv")) continue;
    ++reels;
    const std::string reel = entry.path().filename().string();
    const std::string text = read_file(entry.path() / "mets.xml");
    EXPECT_EQ(schema_errors(text), std::vector<std::string>{}) << reel;
    const Xml xml(text);
    const auto details = xml.all(fixity + "/premis:eventDetailInformation/premis:eventDetail");
    const auto dates = xml.all(fixity + "/premis:eventDateTime");
    const auto ids = xml.all(fixity + "/premis:eventIdentifier/premis:eventIdentifierValue");
    // R0001's first frame went on film in the first run, the rest of the job in the second.
    const std::size_t expected = reel == "R0001" ? 2 : 1;
    ASSERT_EQ(details.size(), expected) << reel << "\n" << text;
    const std::string& resumed_check = details.back();
    EXPECT_THAT(resumed_check, HasSubstr("before resumed run 1 filmed on, the job's source files "
                                         "were checked against"))
        << reel;
    EXPECT_THAT(resumed_check, HasSubstr("8 file(s) match, 0 failed")) << reel;
    EXPECT_EQ(dates.back(), checked_at[1]) << reel;
    EXPECT_EQ(ids.back(), fmt::format("again/{}/fixity-check-{}", reel, expected)) << reel;
    if (expected == 2) {
      EXPECT_THAT(details.front(), HasSubstr("before filming, the job's source files"));
      EXPECT_EQ(dates.front(), checked_at[0]);
    }
    // Every check came before the filming event.
    EXPECT_EQ(xml.one(fmt::format("(//premis:event)[{}]/premis:eventType", expected + 1)),
              "filming")
        << reel;
  }
  EXPECT_GE(reels, 2u);
}

// A job longer than a reel: one package per reel, each valid, each with its own frames, and
// the document that spans the reels in both.
TEST(MetsReels, EachReelOfASplitJobHasItsOwnValidPackage) {
  test::TempDir dir;
  test::copy_profiles_with_short_reel(dir / "profiles");
  test::add_test_recorder(dir / "profiles");
  write_pages(dir / "scans" / "d1", 8, "D001");
  test::write_text(dir / "job.toml",
                   short_reel_job("split", "分卷 test",
                                  "pages = { dir = \"scans/d1\" }\n[documents.metadata]\n"
                                  "作者 = \"司马光\"\n"));
  ASSERT_NO_THROW(test::convert_job(dir / "job.toml", {}, test::job_flags({}, dir / "profiles")));
  std::size_t reels = 0, pages = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out" / "split")) {
    if (!fs::exists(entry.path() / "index.csv")) continue;
    ++reels;
    const std::string text = read_file(entry.path() / "mets.xml");
    EXPECT_EQ(schema_errors(text), std::vector<std::string>{}) << entry.path();
    const Xml xml(text);
    expect_references_resolve(xml);
    const auto rows = read_index(entry.path() / "index.csv");
    EXPECT_EQ(xml.count("//mets:structMap[@TYPE='physical']/mets:div/mets:div"), rows.size());
    EXPECT_EQ(xml.one("/mets:mets/@OBJID"), "split/" + entry.path().filename().string());
    EXPECT_EQ(xml.one("//mods:mods/mods:titleInfo/mods:title"), "资治通鉴 卷一");
    pages += xml.count("//mets:div[@TYPE='page']");
  }
  EXPECT_GE(reels, 2u);
  EXPECT_EQ(pages, 8u);  // every page once, on one reel or the other
}

}  // namespace
}  // namespace fw::mets_package_test
