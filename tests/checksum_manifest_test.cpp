// The delivery's checksum manifests (engine/ingest/checksum_manifest.hpp): the line forms, BagIt
// bags, paths in another Unicode spelling; and through the real CLI, scans checked against them
// before any frame is exposed: an uncompressed TIFF garbled in its middle (bit rot in the
// commonest master format) still decodes, and only its checksum tells it was damaged after
// delivery.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "ingest/checksum_manifest.hpp"
#include "pipeline/pipeline.hpp"
#include "render/render.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw::checksum_manifest_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kMd5 = "900150983cd24fb0d6963f7d28e17f72";  // md5("abc")
const std::string kSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string md5_file(const fs::path& file) {
  const std::array algorithms = {HashAlgorithm::md5};
  return file_digests(file, algorithms).front();
}

// The message of what `f` throws; "" when it throws nothing.
template <typename F>
std::string thrown(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

TEST(Digests, OneReadGivesEveryAlgorithmsKnownDigest) {
  test::TempDir dir;
  test::write_text(dir / "abc", "abc");
  const std::array algorithms = {HashAlgorithm::md5, HashAlgorithm::sha1, HashAlgorithm::sha256,
                                 HashAlgorithm::sha512};
  const auto digests = file_digests(dir / "abc", algorithms);
  ASSERT_EQ(digests.size(), 4u);
  EXPECT_EQ(digests[0], kMd5);
  EXPECT_EQ(digests[1], "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(digests[2], kSha256);
  EXPECT_EQ(
      digests[3],
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c2"
      "3a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(hex_length(HashAlgorithm::sha512), 128u);
}

TEST(ChecksumManifest, AlgorithmsFromTheFilesName) {
  EXPECT_EQ(algorithm_from_name("manifest-md5.txt"), HashAlgorithm::md5);
  EXPECT_EQ(algorithm_from_name("manifest-sha512.txt"), HashAlgorithm::sha512);
  EXPECT_EQ(algorithm_from_name("MD5SUMS"), HashAlgorithm::md5);
  EXPECT_EQ(algorithm_from_name("SHA256SUMS"), HashAlgorithm::sha256);
  EXPECT_EQ(algorithm_from_name("delivery.sha1"), HashAlgorithm::sha1);
  EXPECT_EQ(algorithm_from_name("scans.SHA256"), HashAlgorithm::sha256);
  EXPECT_EQ(algorithm_from_name("checksums.md5.txt"), HashAlgorithm::md5);
  EXPECT_EQ(algorithm_from_name("p0001.tif"), std::nullopt);
  EXPECT_EQ(algorithm_from_name("checksums.txt"), std::nullopt);
  EXPECT_EQ(algorithm_from_name("manifest-sha3.txt"), std::nullopt);
  EXPECT_TRUE(is_checksum_manifest_name("md5sums.txt"));
  EXPECT_FALSE(is_checksum_manifest_name("bagit.txt"));
}

TEST(ChecksumManifest, GnuTextAndBinaryLinesRelativeToTheManifestsFolder) {
  const auto entries = parse_checksum_manifest(
      kMd5 + "  p1.tif\n" + kSha256 + " *sub/p 2.tif\n\\" + kMd5 + "  a\\\\b\\nc.tif\n",
      "/d/x.sums", "/d", std::nullopt, false);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].path, "/d/p1.tif");
  EXPECT_EQ(entries[0].algorithm, HashAlgorithm::md5);
  EXPECT_EQ(entries[0].line, 1u);
  EXPECT_EQ(entries[1].path, "/d/sub/p 2.tif");
  EXPECT_EQ(entries[1].algorithm, HashAlgorithm::sha256);  // by the digest's length
  EXPECT_EQ(entries[1].digest, kSha256);
  EXPECT_EQ(entries[2].path, "/d/a\\b\nc.tif");  // md5sum's escaped form
  EXPECT_EQ(entries[2].manifest, "/d/x.sums");
}

TEST(ChecksumManifest, BsdTagLinesNameTheirAlgorithm) {
  const auto entries =
      parse_checksum_manifest("SHA256 (scans/p1.tif) = " + kSha256 +
                                  "\nMD5 (p (2).tif) = " + "900150983CD24FB0D6963F7D28E17F72\n",
                              "/d/CHECKSUM", "/d", std::nullopt, false);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].algorithm, HashAlgorithm::sha256);
  EXPECT_EQ(entries[0].path, "/d/scans/p1.tif");
  EXPECT_EQ(entries[1].algorithm, HashAlgorithm::md5);
  EXPECT_EQ(entries[1].path, "/d/p (2).tif");
  EXPECT_EQ(entries[1].digest, kMd5);  // lower case
}

TEST(ChecksumManifest, BagItPathsArePercentDecodedAndSeparatedByAnyBlanks) {
  const auto entries =
      parse_checksum_manifest(kMd5 + " \tdata/a%0Ab%0dc%25d%20e.tif\n", "/bag/manifest-md5.txt",
                              "/bag", HashAlgorithm::md5, true);
  ASSERT_EQ(entries.size(), 1u);
  // %20 is no BagIt encoding: a literal name.
  EXPECT_EQ(entries[0].path, "/bag/data/a\nb\rc%d%20e.tif");
}

TEST(ChecksumManifest, ByteOrderMarkCrlfAndBlankLinesAreTolerated) {
  const auto entries = parse_checksum_manifest("\xEF\xBB\xBF" + kMd5 +
                                                   "  p1.tif\r\n\r\n   \r\n# made by md5deep\r\n" +
                                                   kMd5 + "  p2.tif\r\n",
                                               "/d/MD5SUMS", "/d", HashAlgorithm::md5, false);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].path, "/d/p1.tif");
  EXPECT_EQ(entries[1].path, "/d/p2.tif");
  EXPECT_EQ(entries[1].line, 5u);
}

TEST(ChecksumManifest, BadLinesAreNamedWithTheirManifestAndLine) {
  const auto parse = [](const std::string& text, std::optional<HashAlgorithm> named) {
    return thrown([&] { (void)parse_checksum_manifest(text, "/d/MD5SUMS", "/d", named, false); });
  };
  EXPECT_THAT(parse(kMd5 + "  p1.tif\nnot a checksum line\n", HashAlgorithm::md5),
              HasSubstr("/d/MD5SUMS:2: expected \"<hex digest>  <path>\""));
  EXPECT_THAT(parse("\n" + kSha256 + "  p1.tif\n", HashAlgorithm::md5),
              HasSubstr("/d/MD5SUMS:2: the manifest's name says MD5, but the digest has 64 hex "
                        "digits (MD5 has 32)"));
  EXPECT_THAT(parse("MD5 (p1.tif) = " + kSha256 + "\n", std::nullopt),
              HasSubstr(":1: the line says MD5"));
  EXPECT_THAT(parse("abcdef  p1.tif\n", std::nullopt), HasSubstr(":1: a digest of 6 hex digits"));
  EXPECT_THAT(parse(kMd5 + "  ../elsewhere/p1.tif\n", std::nullopt),
              HasSubstr("/d/MD5SUMS:1: \"../elsewhere/p1.tif\" is not a path inside the "
                        "manifest's folder /d"));
  EXPECT_THAT(parse(kMd5 + "  /etc/passwd\n", std::nullopt), HasSubstr(":1: \"/etc/passwd\""));
}

TEST(ChecksumManifest, ANameInAnotherUnicodeSpellingMatches) {
  test::TempDir dir;
  // On disk in NFC (U+AC00), as ext4 keeps a name given precomposed; listed in NFD (the jamo
  // U+1100 U+1161), as macOS writes it.
  test::write_text(dir / "scans" / "\xEA\xB0\x80.tif", "abc");
  test::write_text(dir / "scans" / "MD5SUMS", kMd5 + "  \xE1\x84\x80\xE1\x85\xA1.tif\n");
  const auto delivery = DeliveryChecksums::for_job({}, {(dir / "scans").string()});
  EXPECT_EQ(delivery.check((dir / "scans" / "\xEA\xB0\x80.tif").string()), "");
  EXPECT_TRUE(delivery.missing_in((dir / "scans").string()).empty());
}

TEST(ChecksumManifest, AMismatchSaysBothDigestsTheLineAndWhatToDo) {
  test::TempDir dir;
  test::write_text(dir / "scans" / "p1.tif", "abd");
  test::write_text(dir / "delivery.md5", kMd5 + " *scans/p1.tif\n" + kMd5 + "  scans/p2.tif\n");
  const auto delivery = DeliveryChecksums::for_job({(dir / "delivery.md5").string()}, {});
  const std::string file = (dir / "scans" / "p1.tif").string();
  EXPECT_EQ(delivery.check(file),
            fmt::format("{}: MD5 is {}, the delivery's {} line 1 says {}: the file was damaged or "
                        "changed after delivery; ask the supplier for it again",
                        file, md5_file(file), (dir / "delivery.md5").string(), kMd5));
  const auto missing = delivery.missing_in((dir / "scans").string());
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_THAT(missing[0].second, HasSubstr("p2.tif: listed in the delivery's"));
  EXPECT_THAT(missing[0].second, HasSubstr("delivery.md5 line 2 but not in the folder"));
  test::write_text(dir / "scans" / "p3.tif", "abc");
  EXPECT_THAT(delivery.check((dir / "scans" / "p3.tif").string()),
              HasSubstr("p3.tif: not in the delivery's manifest"));
}

// A file listed in two manifests is compared with both, and the message names every digest it
// contradicts; when one matches, the manifests disagree, and the file is not called damaged.
TEST(ChecksumManifest, EveryListedDigestIsComparedAndADisagreementIsSaidAsSuch) {
  test::TempDir dir;
  test::write_text(dir / "scans" / "p1.tif", "abc");
  test::write_text(dir / "scans" / "p2.tif", "abd");
  const std::string sha = sha256_hex("abc");
  // The SHA-256 manifest lists p1 with p2's digest: a supplier's slip, p1 is whole.
  test::write_text(dir / "scans" / "MD5SUMS", kMd5 + "  p1.tif\n" + kMd5 + "  p2.tif\n");
  test::write_text(dir / "scans" / "SHA256SUMS",
                   sha256_hex("abd") + "  p1.tif\n" + sha + "  p2.tif\n");
  const auto delivery = DeliveryChecksums::for_job({}, {(dir / "scans").string()});
  const std::string p1 = (dir / "scans" / "p1.tif").string();
  const std::string p2 = (dir / "scans" / "p2.tif").string();
  const std::string md5s = (dir / "scans" / "MD5SUMS").string();
  const std::string shas = (dir / "scans" / "SHA256SUMS").string();
  EXPECT_EQ(delivery.check(p1),
            fmt::format("{}: SHA-256 is {}, the delivery's {} line 1 says {}; yet its MD5 matches "
                        "{} line 1: the delivery's checksums disagree about the file; ask the "
                        "supplier which is right",
                        p1, sha, shas, sha256_hex("abd"), md5s));
  // p2 contradicts both: both are named, and the file is damaged.
  EXPECT_EQ(delivery.check(p2),
            fmt::format("{}: MD5 is {}, the delivery's {} line 2 says {}; SHA-256 is {}, the "
                        "delivery's {} line 2 says {}: the file was damaged or changed after "
                        "delivery; ask the supplier for it again",
                        p2, md5_file(p2), md5s, kMd5, sha256_hex("abd"), shas, sha));
}

// A page a document's file pattern would have found is missing when the manifest lists it; as
// glob(3) matches, a wildcard takes no '/' and no leading '.', and other names are not pages.
TEST(ChecksumManifest, ListedFilesAPatternMatchesAndTheDiskLacksAreMissing) {
  test::TempDir dir;
  test::write_text(dir / "scans" / "D001_0001.tif", "abc");
  std::string sums;
  for (const char* name : {"D001_0001.tif", "D001_0002.tif", "D002_0001.tif", ".D001_0003.tif",
                           "sub/D001_0004.tif", "D001_0005.tif"}) {
    sums += kMd5 + "  " + name + "\n";
  }
  test::write_text(dir / "scans" / "MD5SUMS", sums);
  const auto delivery = DeliveryChecksums::for_job({}, {(dir / "scans").string()});
  const auto missing = delivery.missing_matching((dir / "scans" / "D001_*.tif").string());
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].first, (dir / "scans" / "D001_0002.tif").string());
  EXPECT_EQ(missing[1].first, (dir / "scans" / "D001_0005.tif").string());
  EXPECT_THAT(missing[0].second, HasSubstr("MD5SUMS line 2 but not in the folder: a page missing"));
  // Across folders, as the pattern says.
  const auto deeper = delivery.missing_matching((dir / "scans" / "*" / "D001_*.tif").string());
  ASSERT_EQ(deeper.size(), 1u);
  EXPECT_EQ(deeper[0].first, (dir / "scans" / "sub" / "D001_0004.tif").string());
}

// A bag's declaration must say UTF-8 tag files (its manifests' paths are read as UTF-8) and a
// version; either line missing or malformed is named with bagit.txt and its line.
TEST(ChecksumManifest, ABagsDeclarationMustSayAVersionAndUtf8) {
  test::TempDir dir;
  const fs::path bag = dir / "bag";
  test::write_text(bag / "data" / "p1.tif", "abc");
  test::write_text(bag / "manifest-md5.txt", kMd5 + "  data/p1.tif\n");
  const auto read = [&](const std::string& declaration) {
    test::write_text(bag / "bagit.txt", declaration);
    std::vector<std::string> manifests;
    return thrown([&] { (void)read_checksums(bag, manifests); });
  };
  const std::string file = (bag / "bagit.txt").string();
  EXPECT_EQ(read("\xEF\xBB\xBF"
                 "BagIt-Version: 0.97\r\nTag-File-Character-Encoding: utf-8\r\n"),
            "");
  EXPECT_EQ(read("BagIt-Version: 1.0\nTag-File-Character-Encoding: ISO-8859-1\n"),
            file +
                ": Tag-File-Character-Encoding is ISO-8859-1: filmwriter reads a bag's manifests "
                "as UTF-8 (as RFC 8493 asks); ask the supplier for the bag made with UTF-8 tag "
                "files");
  EXPECT_EQ(read("Tag-File-Character-Encoding: UTF-8\n"),
            file + ": the BagIt bag's declaration lacks its BagIt-Version line");
  EXPECT_EQ(read("BagIt-Version: one\nTag-File-Character-Encoding: UTF-8\n"),
            file + ":1: BagIt-Version \"one\" is not a version M.N");
  EXPECT_THAT(read("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nPayload-Oxum: 3.1\n"),
              HasSubstr(file + ":3: expected \"BagIt-Version: M.N\""));
  // The same when the bag's payload manifest is named on its own.
  test::write_text(bag / "bagit.txt", "BagIt-Version: 1.0\n");
  std::vector<std::string> manifests;
  EXPECT_THAT(thrown([&] { (void)read_checksums(bag / "manifest-md5.txt", manifests); }),
              HasSubstr("lacks its Tag-File-Character-Encoding line"));
}

// A bag's tag manifests vouch for its tag files, its payload manifests among them: a manifest
// changed after the bag was made is named as the bag's damage, before any scan is blamed.
TEST(ChecksumManifest, ABagsTagManifestsAreCheckedBeforeItsManifestsAreBelieved) {
  test::TempDir dir;
  const fs::path bag = dir / "bag";
  test::write_text(bag / "data" / "p1.tif", "abc");
  test::write_text(bag / "bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
  test::write_text(bag / "bag-info.txt", "Source-Organization: 国家图书馆\n");
  test::write_text(bag / "manifest-md5.txt", kMd5 + "  data/p1.tif\n");
  const auto tag_line = [&](const std::string& name) {
    return fmt::format("{}  {}\n", sha256_file(bag / name), name);
  };
  test::write_text(bag / "tagmanifest-sha256.txt",
                   tag_line("bagit.txt") + tag_line("bag-info.txt") + tag_line("manifest-md5.txt"));
  std::vector<std::string> manifests;
  const auto read = [&] { return thrown([&] { (void)read_checksums(bag, manifests); }); };
  ASSERT_EQ(read(), "");
  // The tag manifest is no payload manifest: the scans are checked by manifest-md5.txt alone.
  EXPECT_EQ(manifests, std::vector<std::string>{(bag / "manifest-md5.txt").string()});

  // One digit of the payload manifest changed: the tag manifest names it, not the scan.
  const std::string listed = sha256_file(bag / "manifest-md5.txt");
  test::write_text(bag / "manifest-md5.txt", "1" + kMd5.substr(1) + "  data/p1.tif\n");
  EXPECT_EQ(read(), fmt::format("{}:3: the bag's tag file {} has SHA-256 {}, the tag manifest says "
                                "{}: it was damaged or changed after the bag was made, so its "
                                "checksums cannot vouch for the scans; ask the supplier for the "
                                "bag again",
                                (bag / "tagmanifest-sha256.txt").string(),
                                (bag / "manifest-md5.txt").string(),
                                sha256_file(bag / "manifest-md5.txt"), listed));
  test::write_text(bag / "manifest-md5.txt", kMd5 + "  data/p1.tif\n");
  ASSERT_EQ(read(), "");
  // A listed tag file that is gone.
  fs::remove(bag / "bag-info.txt");
  EXPECT_THAT(read(), HasSubstr(fmt::format("{}:2: the bag's tag file {} cannot be read",
                                            (bag / "tagmanifest-sha256.txt").string(),
                                            (bag / "bag-info.txt").string())));
  // A tag manifest of an algorithm filmwriter cannot compute.
  test::write_text(bag / "bag-info.txt", "Source-Organization: 国家图书馆\n");
  test::write_text(bag / "tagmanifest-sha3.txt", "");
  EXPECT_THAT(read(), HasSubstr("tagmanifest-sha3.txt: a tag manifest of an algorithm"));
}

// A delivery of three small uncompressed TIFF pages (105 x 148 mm at 100 dpi), filmed on the
// tiff driver at 50 um without targets.
class DeliveryTest : public ::testing::Test {
 protected:
  static constexpr int kPages = 3;

  void write_pages(const fs::path& folder) {
    fs::create_directories(folder);
    for (int p = 1; p <= kPages; ++p) {
      samples::PageSpec spec{105, 148, 100, 1, {{10.0 + 5 * p, 20, 8}}, fmt::format("p{}", p)};
      // Uncompressed: the file's middle is pixels, and any bytes there decode. (A deflate strip
      // garbled alike decodes too as a rule, libtiff never checking zlib's adler32, but not
      // always: the garbage may end the stream early.)
      samples::save_page(samples::make_page(spec), folder / fmt::format("p{}.tif", p),
                         samples::Encoding::tiff_none, 100);
    }
  }

  // bag/: bagit.txt, data/p1..3.tif and manifest-md5.txt listing them.
  void write_bag() {
    write_pages(bag() / "data");
    test::write_text(bag() / "bagit.txt",
                     "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
    std::string manifest;
    for (int p = 1; p <= kPages; ++p) {
      manifest += fmt::format("{}  data/p{}.tif\n", md5_file(bag() / "data" / page(p)), p);
    }
    test::write_text(bag() / "manifest-md5.txt", manifest);
  }

  static std::string page(int p) { return fmt::format("p{}.tif", p); }
  fs::path bag() const { return dir / "bag"; }
  fs::path out() const { return dir / "out"; }

  // 4000 bytes in the middle of the file overwritten with others, as bit rot or a bad copy
  // leaves it: they are pixels, so the page still decodes.
  static void garble_middle(const fs::path& file) {
    std::string bytes = read_file(file);
    ASSERT_GT(bytes.size(), 12000u) << file;
    const std::size_t middle = bytes.size() / 2;
    for (std::size_t i = middle; i < middle + 4000; ++i) bytes[i] = static_cast<char>(i * 7);
    test::write_text(file, bytes);
  }

  test::CliResult run(const std::string& command, const fs::path& source,
                      std::vector<std::string> flags = {}) const {
    std::vector<std::string> args{
        command, source.string(), "--out", out().string(), "--id",      "ck", "--driver", "tiff",
        "-O",    "pitch_um=50",   "--dpi", "100",          "--threads", "2"};
    args.insert(args.end(), flags.begin(), flags.end());
    return test::run_cli(args);
  }

  // A job file filming `pages` (a folder, relative to the job) with `keys` added.
  void write_job(const std::string& pages, const std::string& keys,
                 const std::string& on_error = "fail") {
    test::write_text(dir / "job.toml",
                     fmt::format("version = 1\nid = \"ck\"\ntitle = \"校验 delivery\"\n"
                                 "targets = \"none\"\nthreads = 2\n{}[recorder]\n"
                                 "driver = \"tiff\"\n[recorder.options]\npitch_um = 50\n"
                                 "[[documents]]\nid = \"D001\"\ntitle = \"一\"\n"
                                 "on_error = \"{}\"\npages = {{ dir = \"{}\" }}\n",
                                 keys, on_error, pages));
  }

  bool anything_exposed() const { return fs::exists(out() / "ck" / "R0001" / "index.csv"); }

  test::TempDir dir;
};

TEST_F(DeliveryTest, AMatchingBagConvertsAndSaysWhatWasChecked) {
  write_bag();
  const auto cli = run("convert", bag());
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("checksums: 3 file(s) match manifest-md5.txt (MD5)"));
  // The manifest and bagit.txt are no pages, and data/ is no document of its own: the bag's
  // one document of three pages, and the reel's five targets.
  EXPECT_THAT(cli.out, HasSubstr("job ck \"bag\": 1 documents, 8 frames (3 pages, 0 substitutes, "
                                 "5 targets)"));
  EXPECT_EQ(test::read_csv(out() / "ck" / "R0001" / "index.csv").size(), 1u + 8);
  // The journal's start record says what the sources were checked against.
  const std::string journal = read_file(out() / "ck" / "journal.jsonl");
  const auto start = nlohmann::json::parse(journal.substr(0, journal.find('\n')));
  ASSERT_EQ(start.value("event", ""), "start");
  EXPECT_EQ(start["checksums"]["files_matched"], 3);
  EXPECT_EQ(start["checksums"]["algorithms"], nlohmann::json::array({"MD5"}));
  EXPECT_EQ(start["checksums"]["manifests"],
            nlohmann::json::array({(bag() / "manifest-md5.txt").string()}));
}

TEST_F(DeliveryTest, ABagWithAGarbledPageThatDecodesIsRefusedBeforeAnyExposure) {
  write_bag();
  garble_middle(bag() / "data" / page(2));
  // The damage does not show in decoding: the same pages without the bag decode in full.
  fs::copy(bag() / "data", dir / "plain", fs::copy_options::recursive);
  const auto decoded = run("plan", dir / "plain", {"--decode-all"});
  ASSERT_EQ(decoded.exit_code, 0) << decoded.err;

  const auto cli = run("convert", bag());
  EXPECT_EQ(cli.exit_code, 3) << cli.err;  // an input error
  EXPECT_THAT(cli.err, HasSubstr((bag() / "data" / page(2)).string() + ": MD5 is "));
  EXPECT_THAT(cli.err, HasSubstr(fmt::format("the delivery's {} line 2 says",
                                             (bag() / "manifest-md5.txt").string())));
  EXPECT_THAT(cli.err, HasSubstr("damaged or changed after delivery; ask the supplier"));
  EXPECT_FALSE(anything_exposed());
  // plan refuses it too.
  EXPECT_EQ(run("plan", bag()).exit_code, 3);
}

// Through the CLI: a bag whose payload manifest changed after it was made (its tag manifest
// says so) is refused as a whole before anything is exposed, whatever the pages' policy.
TEST_F(DeliveryTest, ABagWhoseManifestItsTagManifestContradictsIsRefused) {
  write_bag();
  test::write_text(
      bag() / "tagmanifest-md5.txt",
      fmt::format("{}  bagit.txt\n{}  manifest-md5.txt\n", md5_file(bag() / "bagit.txt"),
                  md5_file(bag() / "manifest-md5.txt")));
  // Whole, the bag converts, and the console, the journal and the package say what vouched.
  const auto good = test::run_cli({"convert", bag().string(), "--out", (dir / "good").string(),
                                   "--driver", "tiff", "-O", "pitch_um=50", "--dpi", "100"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("checksums: 3 file(s) match manifest-md5.txt (MD5); the bag's "
                                  "tagmanifest-md5.txt vouches for its manifests"));
  const std::string journal = read_file(dir / "good" / "bag" / "journal.jsonl");
  const auto start = nlohmann::json::parse(journal.substr(0, journal.find('\n')));
  EXPECT_EQ(start["checksums"]["tag_manifests"],
            nlohmann::json::array({(bag() / "tagmanifest-md5.txt").string()}));
  EXPECT_THAT(read_file(dir / "good" / "bag" / "R0001" / "mets.xml"),
              HasSubstr(fmt::format("the manifests matched the bag's tag manifest(s) {}",
                                    (bag() / "tagmanifest-md5.txt").string())));
  // A line of the manifest lost, as a careless edit would: p3 would be "not in the manifest".
  std::string manifest = read_file(bag() / "manifest-md5.txt");
  manifest.resize(manifest.rfind('\n', manifest.size() - 2) + 1);
  test::write_text(bag() / "manifest-md5.txt", manifest);
  write_job("bag/data", "checksums = [\"bag\"]\n", "substitute");
  const auto cli = test::run_cli({"convert", (dir / "job.toml").string()});
  EXPECT_EQ(cli.exit_code, 3) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr(fmt::format("{}:2: the bag's tag file {} has MD5 ",
                                             (bag() / "tagmanifest-md5.txt").string(),
                                             (bag() / "manifest-md5.txt").string())));
  EXPECT_THAT(cli.err, HasSubstr("damaged or changed after the bag was made"));
  EXPECT_THAT(cli.err, Not(HasSubstr("p3.tif")));
  EXPECT_FALSE(anything_exposed());
}

TEST_F(DeliveryTest, WithOnErrorSubstituteTheDamagedPageIsFilmedAsASubstitute) {
  write_bag();
  garble_middle(bag() / "data" / page(2));
  write_job("bag/data", "checksums = [\"bag\"]\n", "substitute");
  const auto cli = test::run_cli({"convert", (dir / "job.toml").string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("2 file(s) match manifest-md5.txt (MD5); 1 file(s) do not"));
  // The run's warning names the file, the manifest and its line.
  EXPECT_THAT(cli.err, HasSubstr("p2.tif: MD5 is"));
  EXPECT_THAT(cli.err, HasSubstr("manifest-md5.txt line 2 says"));
  const auto rows = test::read_csv(out() / "ck" / "R0001" / "index.csv");
  ASSERT_EQ(rows.size(), 1u + kPages);
  EXPECT_EQ(rows[2][1], "substitute");
  EXPECT_EQ(rows[2][6], (bag() / "data" / page(2)).string());
  EXPECT_EQ(rows[1][1], "page");
  EXPECT_EQ(rows[3][1], "page");
}

TEST_F(DeliveryTest, APageTheManifestDoesNotListIsRefused) {
  write_bag();
  fs::copy_file(bag() / "data" / page(1), bag() / "data" / "p4.tif");
  const auto cli = run("plan", bag());
  EXPECT_EQ(cli.exit_code, 3) << cli.err;
  EXPECT_THAT(cli.err,
              HasSubstr((bag() / "data" / "p4.tif").string() + ": not in the delivery's manifest"));
}

TEST_F(DeliveryTest, APageTheManifestListsButTheFolderLacksIsRefused) {
  write_bag();
  fs::remove(bag() / "data" / page(2));
  const auto cli = run("plan", bag());
  EXPECT_EQ(cli.exit_code, 3) << cli.err;
  EXPECT_THAT(cli.err,
              HasSubstr((bag() / "data" / page(2)).string() + ": listed in the delivery's " +
                        (bag() / "manifest-md5.txt").string() + " line 2 but not in the folder"));
}

// A document whose pages are a file pattern in a folder of several documents' pages: a page of
// it the manifest lists and the folder lacks is missing where its name puts it, and another
// document's missing page is no page of this one.
TEST_F(DeliveryTest, APageAGlobWouldHaveFoundIsMissingWhereItsNameStands) {
  write_bag();
  fs::remove(bag() / "data" / page(2));
  std::string manifest = read_file(bag() / "manifest-md5.txt");
  manifest += std::string(32, '0') + "  data/q1.tif\n";  // another document's, also missing
  test::write_text(bag() / "manifest-md5.txt", manifest);
  test::write_text(dir / "job.toml",
                   "version = 1\nid = \"ck\"\ntitle = \"校验 glob\"\ntargets = \"none\"\n"
                   "checksums = [\"bag\"]\n[recorder]\ndriver = \"tiff\"\n"
                   "[recorder.options]\npitch_um = 50\n[[documents]]\nid = \"D001\"\n"
                   "title = \"一\"\non_error = \"substitute\"\n"
                   "pages = { glob = \"bag/data/p*.tif\" }\n");
  const auto cli = test::run_cli({"convert", (dir / "job.toml").string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("checksums: 2 file(s) match manifest-md5.txt (MD5); 1 file(s) "
                                 "do not"));
  EXPECT_THAT(cli.err,
              HasSubstr((bag() / "data" / page(2)).string() + ": listed in the delivery's " +
                        (bag() / "manifest-md5.txt").string() + " line 2 but not in the folder"));
  EXPECT_THAT(cli.err, Not(HasSubstr("q1.tif")));
  const auto rows = test::read_csv(out() / "ck" / "R0001" / "index.csv");
  ASSERT_EQ(rows.size(), 1u + kPages);
  EXPECT_EQ(rows[1][1], "page");
  EXPECT_EQ(rows[2][1], "substitute");
  EXPECT_EQ(rows[2][6], (bag() / "data" / page(2)).string());
  EXPECT_EQ(rows[3][1], "page");
}

TEST_F(DeliveryTest, AJobFilesChecksumsKeyNamesAnMd5sumFile) {
  write_pages(dir / "scans");
  std::string sums;
  for (int p = 1; p <= kPages; ++p) {
    sums += fmt::format("{} *scans/{}\n", md5_file(dir / "scans" / page(p)), page(p));
  }
  test::write_text(dir / "scans.md5", sums);
  write_job("scans", "checksums = [\"scans.md5\"]\n");
  const auto good = test::run_cli({"plan", (dir / "job.toml").string()});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("checksums: 3 file(s) match scans.md5 (MD5)"));

  garble_middle(dir / "scans" / page(3));
  const auto bad = test::run_cli({"plan", (dir / "job.toml").string()});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_THAT(bad.err, HasSubstr(page(3) + ": MD5 is "));
  EXPECT_THAT(bad.err, HasSubstr("scans.md5 line 3 says"));

  // The same manifest given by the flag to a job without the key.
  write_job("scans", "");
  EXPECT_EQ(test::run_cli({"plan", (dir / "job.toml").string()}).exit_code, 0);
  const auto flag = test::run_cli(
      {"plan", (dir / "job.toml").string(), "--checksums", (dir / "scans.md5").string()});
  EXPECT_EQ(flag.exit_code, 3);
  EXPECT_THAT(flag.err, HasSubstr("scans.md5 line 3 says"));
}

TEST_F(DeliveryTest, ChecksumFilesAmongOneLineScansAreUsedNotFilmed) {
  // Documents in subfolders, the delivery's SHA256SUMS beside them.
  write_pages(dir / "scans" / "D001");
  std::string sums;
  for (int p = 1; p <= kPages; ++p) {
    const std::array algorithms = {HashAlgorithm::sha256};
    sums += fmt::format("SHA256 (D001/{}) = {}\n", page(p),
                        file_digests(dir / "scans" / "D001" / page(p), algorithms).front());
  }
  test::write_text(dir / "scans" / "SHA256SUMS", sums);
  const auto good = run("plan", dir / "scans");
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("checksums: 3 file(s) match SHA256SUMS (SHA-256)"));

  garble_middle(dir / "scans" / "D001" / page(1));
  const auto bad = run("plan", dir / "scans");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_THAT(bad.err, HasSubstr("p1.tif: SHA-256 is "));
  EXPECT_THAT(bad.err, HasSubstr("SHA256SUMS line 1 says"));
}

// The check is made when the job is planned; the render stage hashes each file again for the
// index and compares: a file changed in between (overwritten while its reel waited) is not the
// file the manifest vouched for, and the document's on_error takes it.
TEST_F(DeliveryTest, AFileChangedBetweenTheCheckAndItsRenderIsCaughtByTheRenderStage) {
  write_pages(dir / "scans");
  std::string sums;
  for (int p = 1; p <= kPages; ++p) {
    sums += fmt::format("{}  {}\n", md5_file(dir / "scans" / page(p)), page(p));
  }
  test::write_text(dir / "scans" / "MD5SUMS", sums);
  Job job;
  job.id = "ck";
  job.title = "checked";
  job.output = out();
  job.targets = "none";
  job.threads = 2;
  Document document;
  document.id = "D001";
  document.title = "一";
  document.key = "documents[1]";
  document.pages.kind = PageSource::Kind::directory;
  document.pages.paths = {(dir / "scans").string()};
  job.documents.push_back(document);
  hal::Capabilities caps;
  caps.pixel_pitch_um = 50;
  caps.calibration = "sim-default-negative";
  const PreparedJob prepared = prepare_job(job, caps, test::source_dir() / "profiles");
  EXPECT_EQ(prepared.checksums.files_matched, 3u);
  const Plan& plan = prepared.plan;
  ASSERT_EQ(plan.frames.size(), 3u);
  EXPECT_EQ(checked_sha256(plan.frames[1].source.ref), sha256_file(dir / "scans" / page(2)));

  SourceHashes hashes;
  EXPECT_TRUE(render_frame(job, plan, plan.frames[1], hashes).substitute_reason.empty());
  // Overwritten by another good page: it decodes, and only its hash tells.
  fs::copy_file(dir / "scans" / page(3), dir / "scans" / page(2),
                fs::copy_options::overwrite_existing);
  SourceHashes fresh;
  const std::string error = thrown([&] { (void)render_frame(job, plan, plan.frames[1], fresh); });
  EXPECT_THAT(error, HasSubstr((dir / "scans" / page(2)).string() +
                               ": changed since it was checked against the delivery's checksums"));
  // With on_error = "substitute" the page becomes a substitute frame saying so.
  job.defaults.on_error = FailurePolicy::substitute;
  SourceHashes again;
  EXPECT_THAT(render_frame(job, plan, plan.frames[1], again).substitute_reason,
              HasSubstr("changed since it was checked"));
  // The other pages are the files that were checked.
  EXPECT_TRUE(render_frame(job, plan, plan.frames[2], again).substitute_reason.empty());
}

}  // namespace
}  // namespace fw::checksum_manifest_test
