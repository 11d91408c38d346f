// The reel's METS/MODS/PREMIS package (engine/mets): written by convert beside index.csv,
// rewritten by verify with its verdict and by `catalog export --format mets`, and validated
// with libxml2 against the schemas in profiles/schemas/ (a subset of METS 1.12, MODS 3.7 and
// PREMIS 3.0). The validator is shown to reject broken documents, so that a passing
// validation means something.
#include "mets/mets.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
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
#include "support/test_support.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

// The schema errors of `xml` against profiles/schemas/`schema_name` (package.xsd: METS with
// its MODS and PREMIS; mods.xsd: a MODS record on its own); empty when it validates. Each
// schema is parsed once and never fetched (no network).
std::vector<std::string> schema_errors(const std::string& xml,
                                       const std::string& schema_name = "package.xsd") {
  // Parsed for each call and freed: a schema cached for the process's life is reported by
  // LeakSanitizer (clang's) as libxml2 memory lost at exit.
  const std::string file = (test::source_dir() / "profiles" / "schemas" / schema_name).string();
  xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(file.c_str());
  const std::unique_ptr<xmlSchema, void (*)(xmlSchemaPtr)> parsed(xmlSchemaParse(parser),
                                                                  xmlSchemaFree);
  xmlSchemaFreeParserCtxt(parser);
  xmlSchemaPtr schema = parsed.get();
  if (!schema) return {"the schema did not parse"};
  std::vector<std::string> errors;
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "mets.xml", nullptr, XML_PARSE_NONET),
      xmlFreeDoc);
  if (!doc) return {"not well-formed XML"};
  xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
  xmlSchemaSetValidStructuredErrors(
      valid,
      [](void* out, auto* error) {  // xmlError*, const from libxml2 2.12 on
        static_cast<std::vector<std::string>*>(out)->push_back(
            fmt::format("line {}: {}", error->line, error->message ? error->message : ""));
      },
      &errors);
  const int result = xmlSchemaValidateDoc(valid, doc.get());
  xmlSchemaFreeValidCtxt(valid);
  if (result != 0 && errors.empty()) errors.push_back(fmt::format("invalid ({})", result));
  return errors;
}

// XPath questions to a package, with the standards' prefixes.
class Xml {
 public:
  explicit Xml(const std::string& xml)
      : doc_(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "mets.xml", nullptr,
                           XML_PARSE_NONET),
             xmlFreeDoc) {
    if (!doc_) throw std::runtime_error("not well-formed XML");
  }
  // The string value of every node the expression selects (attributes and elements), in order.
  std::vector<std::string> all(const std::string& path) const {
    std::unique_ptr<xmlXPathContext, void (*)(xmlXPathContextPtr)> ctx(
        xmlXPathNewContext(doc_.get()), xmlXPathFreeContext);
    xmlXPathRegisterNs(ctx.get(), x("mets"), x("http://www.loc.gov/METS/"));
    xmlXPathRegisterNs(ctx.get(), x("mods"), x("http://www.loc.gov/mods/v3"));
    xmlXPathRegisterNs(ctx.get(), x("premis"), x("http://www.loc.gov/premis/v3"));
    xmlXPathRegisterNs(ctx.get(), x("xlink"), x("http://www.w3.org/1999/xlink"));
    xmlXPathRegisterNs(ctx.get(), x("fw"), x("urn:x-filmwriter:mods-extension:1"));
    std::unique_ptr<xmlXPathObject, void (*)(xmlXPathObjectPtr)> result(
        xmlXPathEvalExpression(x(path.c_str()), ctx.get()), xmlXPathFreeObject);
    if (!result) throw std::runtime_error("bad XPath " + path);
    std::vector<std::string> out;
    if (!result->nodesetval) return out;
    for (int i = 0; i < result->nodesetval->nodeNr; ++i) {
      xmlChar* text = xmlNodeGetContent(result->nodesetval->nodeTab[i]);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      xmlFree(text);
    }
    return out;
  }
  std::size_t count(const std::string& path) const { return all(path).size(); }
  std::string one(const std::string& path) const {
    const auto values = all(path);
    return values.size() == 1 ? values[0] : fmt::format("<{} nodes>", values.size());
  }

 private:
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc_;
};

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

// The package minus its creation time (each write says when it was made).
std::string without_created(const std::string& xml) {
  return std::regex_replace(xml, std::regex(R"( CREATEDATE="[^"]*")"), "");
}

void write_pages(const fs::path& dir, int pages, const std::string& label) {
  fs::create_directories(dir);
  for (int p = 1; p <= pages; ++p) {
    samples::PageSpec spec{
        105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, fmt::format("{} p{}", label, p)};
    samples::save_page(samples::make_page(spec), dir / fmt::format("p{}.png", p),
                       samples::Encoding::png, 100);
  }
}

// The first document's title holds an Extension B character (U+20000) and characters XML
// escapes; its metadata has keys MODS maps and one it does not.
constexpr const char* kTitle = "论语集注 卷一 \xF0\xA0\x80\x80 <注> & \"疏\"";

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
    const auto convert = test::run_cli(
        {"convert", (root / "job.toml").string(), "--profiles", (root / "profiles").string()});
    ASSERT_EQ(convert.exit_code, 0) << convert.out << convert.err;
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
  const std::string good = read_file(dir / "scans" / "p7.jpg");
  test::write_text(dir / "scans" / "p7.jpg", good.substr(0, good.size() / 2));
  test::write_text(dir / "job.toml", R"(version = 1
id = "gap"
title = "断点 test"
format = "short-reel"
targets = "none"
[recorder]
driver = "tiff"
[recorder.options]
pitch_um = 50
[[documents]]
id = "D001"
title = "卷一"
pages = { dir = "scans" }
)");
  const auto failed = test::run_cli({"convert", (dir / "job.toml").string(), "--profiles",
                                     (dir / "profiles").string(), "--no-preflight"});
  ASSERT_EQ(failed.exit_code, 3) << failed.err;
  const fs::path job = dir / "out" / "gap";
  ASSERT_TRUE(fs::exists(job / "R0001" / "mets.xml"));
  fs::remove(job / "R0001" / "mets.xml");
  test::write_text(dir / "scans" / "p7.jpg", good);
  const auto resumed = test::run_cli({"convert", "--resume", job.string()});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
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

// A job longer than a reel: one package per reel, each valid, each with its own frames, and
// the document that spans the reels in both.
TEST(MetsReels, EachReelOfASplitJobHasItsOwnValidPackage) {
  test::TempDir dir;
  test::copy_profiles_with_short_reel(dir / "profiles");
  test::add_test_recorder(dir / "profiles");
  write_pages(dir / "scans" / "d1", 8, "D001");
  test::write_text(dir / "job.toml", R"(version = 1
id = "split"
title = "分卷 test"
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
pages = { dir = "scans/d1" }
[documents.metadata]
作者 = "司马光"
)");
  const auto convert = test::run_cli(
      {"convert", (dir / "job.toml").string(), "--profiles", (dir / "profiles").string()});
  ASSERT_EQ(convert.exit_code, 0) << convert.out << convert.err;
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
  const auto convert = test::run_cli({"convert", (dir / "job.toml").string()});
  ASSERT_EQ(convert.exit_code, 0) << convert.out << convert.err;
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
}  // namespace fw
