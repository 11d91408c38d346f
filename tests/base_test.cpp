// engine/base: SHA-256, durable files (and what a power cut leaves of them), UTC dates, the
// CSV reader, and the TOML reader every file type is read with.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "base/csv.hpp"
#include "base/error.hpp"
#include "base/files.hpp"
#include "base/sha256.hpp"
#include "base/strings.hpp"
#include "base/unicode.hpp"
#include "base/utc.hpp"
#include "support/page_cache.hpp"
#include "support/test_support.hpp"

namespace fw::base_test {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

// ---------------------------------------------------------------------------------------
// SHA-256

// FIPS 180-2, appendix B.
TEST(Sha256, GivesTheKnownDigestsOfTheStandardsVectors) {
  EXPECT_EQ(sha256_hex(std::string_view()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string_view("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      sha256_hex(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::vector<std::uint8_t> million(1'000'000, 'a');
  EXPECT_EQ(sha256_hex(million),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamedInPiecesOrReadFromAFileGivesTheSameDigest) {
  const std::string text(3 * 1024 * 1024 + 17, 'x');  // more than sha256_file's 1 MiB buffer
  Sha256 pieces;
  pieces.update(std::string_view(text).substr(0, 5));
  pieces.update(std::span(reinterpret_cast<const std::uint8_t*>(text.data()) + 5, text.size() - 5));
  test::TempDir dir;
  test::write_text(dir / "file", text);
  const std::string whole = sha256_hex(text);
  EXPECT_EQ(pieces.hex(), whole);
  EXPECT_EQ(sha256_file(dir / "file"), whole);
}

TEST(Sha256, AFileThatCannotBeReadIsAnInputErrorNamingIt) {
  test::TempDir dir;
  try {
    sha256_file(dir / "missing");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::input);
    EXPECT_EQ(std::string(e.what()),
              (dir / "missing").string() + ": cannot open: No such file or directory");
  }
}

// ---------------------------------------------------------------------------------------
// Durable files

// Every call base's write layer makes that decides durability, in order.
class WriteLog final : public DurabilityObserver {
 public:
  WriteLog() : replaced_(set_durability_observer(this)) {}
  ~WriteLog() override { set_durability_observer(replaced_); }
  void synced(const fs::path& file) override { events.push_back("fsync " + name(file)); }
  void renamed(const fs::path& from, const fs::path& to) override {
    events.push_back("rename " + name(from) + " " + name(to));
  }
  void synced_folder(const fs::path& folder) override {
    events.push_back("fsync folder " + name(folder));
  }
  std::vector<std::string> events;

 private:
  static std::string name(const fs::path& path) { return path.filename().string(); }
  DurabilityObserver* replaced_;
};

TEST(DurableWrite, SyncsTheFileThenRenamesItThenSyncsTheFolder) {
  test::TempDir dir;
  fs::create_directories(dir / "R0001");
  WriteLog log;
  write_file_atomic(dir / "R0001" / "index.csv", "frame\n");
  EXPECT_THAT(log.events, ElementsAre("fsync index.csv.tmp", "rename index.csv.tmp index.csv",
                                      "fsync folder R0001"));
  EXPECT_EQ(read_file(dir / "R0001" / "index.csv"), "frame\n");
  EXPECT_FALSE(fs::exists(dir / "R0001" / "index.csv.tmp"));
}

// Frame-sized files go past the page cache (O_DIRECT, in aligned blocks, the last one cut to
// length); where the filesystem refuses that (tmpfs), through it. Either way: the exact bytes,
// whatever their length, and the same durable order.
TEST(DurableWrite, AFrameSizedFileHasItsExactBytesAndTheSameOrder) {
  test::TempDir dir;
  std::vector<fs::path> folders{dir / "frames"};
  const fs::path shm = fs::path("/dev/shm") / ("fw-" + dir.path().filename().string());
  if (fs::is_directory("/dev/shm")) folders.push_back(shm);
  for (const fs::path& folder : folders) {
    fs::create_directories(folder);
    // One byte over a block, a whole number of blocks over the 4 MiB buffer, just over 1 MiB.
    for (const std::size_t size :
         {std::size_t{17'325'001}, std::size_t{8u << 20}, std::size_t{(1u << 20) + 1}}) {
      std::string bytes(size, '\0');
      for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 24);
      WriteLog log;
      write_file_atomic(folder / "F000001.tif", bytes);
      EXPECT_THAT(log.events,
                  ElementsAre("fsync F000001.tif.tmp", "rename F000001.tif.tmp F000001.tif",
                              "fsync folder " + folder.filename().string()));
      EXPECT_EQ(fs::file_size(folder / "F000001.tif"), size) << folder;
      EXPECT_TRUE(read_file(folder / "F000001.tif") == bytes) << folder << ", " << size << " bytes";
      EXPECT_FALSE(fs::exists(folder / "F000001.tif.tmp"));
    }
  }
  fs::remove_all(shm);
}

TEST(DurableWrite, AFileWrittenByAnotherLibraryIsPublishedInTheSameOrder) {
  test::TempDir dir;
  test::write_text(dir / "F000001.tif.tmp", "developed");
  WriteLog log;
  publish_file(dir / "F000001.tif.tmp", dir / "F000001.tif");
  EXPECT_THAT(log.events, ElementsAre("fsync F000001.tif.tmp", "rename F000001.tif.tmp F000001.tif",
                                      "fsync folder " + dir.path().filename().string()));
  EXPECT_EQ(read_file(dir / "F000001.tif"), "developed");
}

TEST(DurableWrite, ANewAppendFileIsInItsFolderBeforeItsFirstRecord) {
  test::TempDir dir;
  WriteLog log;
  AppendFile journal(dir / "journal.jsonl");
  journal.append("{\"event\":\"start\"}\n");
  journal.append("{\"event\":\"frame\"}\n");
  EXPECT_THAT(log.events,
              ElementsAre("fsync journal.jsonl", "fsync folder " + dir.path().filename().string(),
                          "fsync journal.jsonl", "fsync journal.jsonl"));
  EXPECT_EQ(read_file(dir / "journal.jsonl"), "{\"event\":\"start\"}\n{\"event\":\"frame\"}\n");
}

TEST(DurableWrite, AFileDroppedBeforeCommitLeavesTheOldVersionAndNoTemporary) {
  test::TempDir dir;
  write_file_atomic(dir / "plan.json", "old");
  {
    AtomicFile file(dir / "plan.json");
    file.write("new, half");
  }
  EXPECT_EQ(read_file(dir / "plan.json"), "old");
  EXPECT_FALSE(fs::exists(dir / "plan.json.tmp"));
}

TEST(DurableWrite, AFolderThatCannotBeWrittenIsAnErrorNamingTheFile) {
  test::TempDir dir;
  try {
    write_file_atomic(dir / "no-such-folder" / "index.csv", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::storage);
    EXPECT_EQ(std::string(e.what()), (dir / "no-such-folder" / "index.csv.tmp").string() +
                                         ": cannot create: No such file or directory");
  }
}

// The page-cache model the drivers' fault-injection tests rely on, on its own.
TEST(PowerCut, KeepsWhatWasWrittenDurablyWithItsBytes) {
  test::TempDir dir;
  test::PageCache cache;
  write_file_atomic(dir / "a", "first");
  write_file_atomic(dir / "a", "second");
  AppendFile log(dir / "log");
  log.append("one\n");
  log.append("two\n");
  const auto disk = cache.disk(dir.path());
  EXPECT_EQ(disk.size(), 2u);
  EXPECT_EQ(disk.at(dir / "a"), "second");
  EXPECT_EQ(disk.at(dir / "log"), "one\ntwo\n");
}

TEST(PowerCut, LosesAFileWrittenAroundBase) {
  test::TempDir dir;
  test::PageCache cache;
  test::write_text(dir / "frame.tif.tmp", "pixels");  // written, closed, never synced
  fs::rename(dir / "frame.tif.tmp", dir / "frame.tif");
  EXPECT_TRUE(cache.disk(dir.path()).empty());
}

// The order the drivers used to write in (rename, and nothing synced the data): even when the
// folder is synced later, for instance by the next file's atomic write, the name survives a
// power cut and the bytes do not.
TEST(PowerCut, EmptiesAFileRenamedBeforeItsBytesWereSynced) {
  test::TempDir dir;
  test::PageCache cache;
  test::write_text(dir / "F000001.tif.tmp", "pixels");
  fs::rename(dir / "F000001.tif.tmp", dir / "F000001.tif");
  cache.renamed(dir / "F000001.tif.tmp", dir / "F000001.tif");
  write_file_atomic(dir / "index.csv", "frame 1\n");  // syncs the folder
  const auto disk = cache.disk(dir.path());
  EXPECT_EQ(disk.at(dir / "F000001.tif"), "");
  EXPECT_EQ(disk.at(dir / "index.csv"), "frame 1\n");
}

TEST(PowerCut, LosesANameItsFolderWasNotSyncedFor) {
  test::TempDir dir;
  test::PageCache cache;
  test::write_text(dir / "reel.json.tmp", "new");
  cache.synced(dir / "reel.json.tmp");
  fs::rename(dir / "reel.json.tmp", dir / "reel.json");
  cache.renamed(dir / "reel.json.tmp", dir / "reel.json");
  EXPECT_TRUE(cache.disk(dir.path()).empty()) << "neither name was ever synced into the folder";
  cache.synced_folder(dir.path());
  EXPECT_EQ(cache.disk(dir.path()).at(dir / "reel.json"), "new");
}

// ---------------------------------------------------------------------------------------
// UTC dates and times

// Canonical equivalence (base/unicode.hpp), as the job reader and the catalog compare ids.
TEST(Unicode, NfcComposesCanonicalEquivalentsAndKeepsCompatibilityOnes) {
  EXPECT_EQ(nfc("\u1100\u1161"), "\uAC00");  // Hangul jamo: the syllable
  EXPECT_EQ(nfc("\u30AB\u3099"), "\u30AC");  // kana and the combining dakuten
  EXPECT_EQ(nfc("\uF900"), "\u8C48");        // a compatibility ideograph: its unified one
  EXPECT_EQ(nfc("e\u0301"), "\u00E9");
  EXPECT_EQ(nfc("\uFF24"), "\uFF24");              // fullwidth Ｄ stays (NFKC would make it D)
  EXPECT_EQ(nfc("\u30AB\u309B"), "\u30AB\u309B");  // the spacing dakuten stays
  EXPECT_EQ(nfc(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(nfc("\xC3"), "\xC3");  // not UTF-8: unchanged
  EXPECT_TRUE(canonically_equal("\u1112\u1161\u11AB", "\uD55C"));
  EXPECT_FALSE(canonically_equal("\uFF24", "D"));
  EXPECT_EQ(spelling_difference("D-\uAC00-1", "D-\u1100\u1161-1"), "U+AC00 vs U+1100 U+1161");
  EXPECT_EQ(spelling_difference("\u8C48\u5C71", "\uF900\u5C71"), "U+8C48 vs U+F900");
}

// The catalog's LIKE on SQLite (base/unicode.hpp): SQL's wildcards and escape, every
// character's case.
TEST(Unicode, LikeIgnoringCaseMatchesAsSqlLikeWithTheCaseOfEveryScript) {
  EXPECT_TRUE(like_ignoring_case("Über die Natur", "%über%"));
  EXPECT_TRUE(like_ignoring_case("ΑΘΗΝΑ", "αθηνα"));
  EXPECT_TRUE(like_ignoring_case("ΑΡΙΣΤΟΤΕΛΗΣ", "αριστοτελης"));  // Σ: σ, and ς at a word's end
  EXPECT_TRUE(like_ignoring_case("Ἀριστοτέλης", "%ΤΈΛΗΣ"));
  EXPECT_TRUE(like_ignoring_case("Война и мир", "%ВОЙНА%"));
  EXPECT_TRUE(like_ignoring_case("论语集注 卷一", "%集注%"));
  EXPECT_FALSE(like_ignoring_case("论语集注 卷一", "%卷二%"));
  EXPECT_FALSE(like_ignoring_case("Über", "uber"));            // Ü is not U
  EXPECT_TRUE(like_ignoring_case("D001", "d_01"));             // _ is one character
  EXPECT_TRUE(like_ignoring_case("\u8AD6\u8A9E", "_\u8A9E"));  // one character, three bytes
  EXPECT_FALSE(like_ignoring_case("D001", "d_1"));
  EXPECT_TRUE(like_ignoring_case("abcabd", "%ab%d"));  // back to the last % on a mismatch
  EXPECT_FALSE(like_ignoring_case("abcabc", "%ab%d"));
  EXPECT_TRUE(like_ignoring_case("", "%"));
  EXPECT_FALSE(like_ignoring_case("a", ""));
  // An escaped wildcard is itself; the escape escapes itself too.
  EXPECT_TRUE(like_ignoring_case("50%", "%50\\%", U'\\'));
  EXPECT_FALSE(like_ignoring_case("500", "%50\\%", U'\\'));
  EXPECT_TRUE(like_ignoring_case("a_b", "a\\_b", U'\\'));
  EXPECT_FALSE(like_ignoring_case("axb", "a\\_b", U'\\'));
  EXPECT_TRUE(like_ignoring_case("C:\\scans", "%:\\\\s%", U'\\'));
  // Not UTF-8: byte by byte, ASCII letters in either case.
  EXPECT_TRUE(
      like_ignoring_case("\xC3"
                         "ABC",
                         "%abc"));
  EXPECT_FALSE(
      like_ignoring_case("\xC3"
                         "ABC",
                         "%abd"));
}

// The catalog skips looking for other spellings of an id has_one_spelling() says has none: no
// character beyond ASCII may be canonically equivalent to ASCII text it accepts, in the Unicode
// version of the utf8proc this build links (a new version's singleton would fail this).
TEST(Unicode, NoCharacterBeyondAsciiIsEquivalentToTextOfOneSpelling) {
  std::vector<std::string> equivalent_to_ascii;
  for (char32_t c = 0x80; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    std::string utf8;
    if (c < 0x800) {
      utf8 = {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
    } else if (c < 0x10000) {
      utf8 = {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
              static_cast<char>(0x80 | (c & 0x3F))};
    } else {
      utf8 = {static_cast<char>(0xF0 | (c >> 18)), static_cast<char>(0x80 | ((c >> 12) & 0x3F)),
              static_cast<char>(0x80 | ((c >> 6) & 0x3F)), static_cast<char>(0x80 | (c & 0x3F))};
    }
    const std::string normal = nfc(utf8);
    const bool ascii = std::all_of(normal.begin(), normal.end(),
                                   [](char b) { return static_cast<unsigned char>(b) < 0x80; });
    if (ascii) {
      equivalent_to_ascii.push_back(normal);
      EXPECT_FALSE(has_one_spelling(normal)) << "U+" << std::hex << static_cast<unsigned>(c);
    }
  }
  EXPECT_THAT(equivalent_to_ascii, ::testing::ElementsAre(";", "`", "K"));
  EXPECT_TRUE(has_one_spelling("D001-a_b.c"));
  EXPECT_FALSE(has_one_spelling("KR-01"));
  EXPECT_FALSE(has_one_spelling("\uAC00"));
}

TEST(Utc, WritesDatesAndTimestampsInIso8601) {
  EXPECT_EQ(utc_date(0), "1970-01-01");
  EXPECT_EQ(utc_date(1700000000), "2023-11-14");
  const auto moment =
      std::chrono::system_clock::from_time_t(1700000000) + std::chrono::milliseconds(123);
  EXPECT_EQ(utc_timestamp(moment), "2023-11-14T22:13:20Z");
  EXPECT_EQ(utc_timestamp(moment, true), "2023-11-14T22:13:20.123Z");
}

TEST(Utc, TodayIsTheDayOfSourceDateEpochWhenItIsSet) {
  const char* saved = std::getenv("SOURCE_DATE_EPOCH");
  const std::string before = saved ? saved : "";
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  EXPECT_EQ(today_utc_date(), "2023-11-14");
  setenv("SOURCE_DATE_EPOCH", "not a number", 1);
  EXPECT_EQ(today_utc_date(), utc_date(std::time(nullptr)));
  if (saved) {
    setenv("SOURCE_DATE_EPOCH", before.c_str(), 1);
  } else {
    unsetenv("SOURCE_DATE_EPOCH");
  }
}

// ---------------------------------------------------------------------------------------
// CSV (RFC 4180)

std::vector<std::vector<std::string>> fields_of(const std::vector<CsvRecord>& records) {
  std::vector<std::vector<std::string>> out;
  out.reserve(records.size());
  for (const CsvRecord& r : records) out.push_back(r.fields);
  return out;
}

TEST(Csv, QuotedFieldsHoldSeparatorsQuotesAndLineBreaks) {
  const auto records =
      read_csv("a,\"b, c\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\"y\",\"\"\nlast", "t.csv");
  EXPECT_EQ(fields_of(records),
            (std::vector<std::vector<std::string>>{
                {"a", "b, c", "say \"hi\""}, {"two\nlines", "x\"y\"", ""}, {"last"}}));
  // Each record names the line it starts on: the second starts on line 2, the third on 4.
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[2].line, 4u);
}

TEST(Csv, CrLfEndsALineAByteOrderMarkAndBlankLinesAreSkipped) {
  const auto records = read_csv("\xEF\xBB\xBFtitle,page\r\n\r\n\"a\r\nb\",1\r\n\n", "t.csv");
  EXPECT_EQ(fields_of(records),
            (std::vector<std::vector<std::string>>{{"title", "page"}, {"a\r\nb", "1"}}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].line, 3u);
  // Another separator (TSV), and a record read one at a time.
  CsvReader reader("x\ty,z\n", "t.tsv", '\t');
  const auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(first->fields, ElementsAre("x", "y,z"));
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_TRUE(read_csv("", "empty.csv").empty());
}

TEST(Csv, ATornQuoteIsRefusedWithFileAndTheLineItsRecordStartsOn) {
  try {
    read_csv("a,b\nc,\"open\nstill open\n", "toc.csv", ',', ErrorKind::job);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::job);
    EXPECT_EQ(std::string(e.what()), "toc.csv:2: a quoted field is not closed (a \" is missing)");
  }
}

TEST(Csv, AFieldIsQuotedOnlyWhenItMustBeAndReadsBackAsWritten) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  const std::vector<std::string> values = {"plain", "a,b", "say \"hi\"", "two\r\nlines", ""};
  std::string line;
  for (const auto& v : values) line += (line.empty() ? "" : ",") + csv_field(v);
  const auto records = read_csv(line + "\n", "t.csv");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, values);
}

// ---------------------------------------------------------------------------------------
// Messages

TEST(Quote, EscapesWhatWouldMakeAMessageAmbiguous) {
  EXPECT_EQ(quote("plain 文字"), "\"plain 文字\"");
  EXPECT_EQ(quote("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
}

TEST(ClosestWord, SuggestsASwappedOrMistypedWordButNotAFarOne) {
  const std::vector<std::string_view> known = {"reduction", "id", "title", "limits"};
  EXPECT_EQ(closest_word("reducton", known), "reduction");
  EXPECT_EQ(closest_word("titel", known), "title");
  EXPECT_EQ(closest_word("limit", known), "limits");
  EXPECT_EQ(closest_word("speed", known), "");
  EXPECT_EQ(unknown_key_message("speed", known),
            "unknown key (known keys: reduction, id, title, limits)");
}

}  // namespace
}  // namespace fw::base_test
