// Mistakes in a job file (engine/job), each named with its file, line and key: unsafe ids,
// wrong types, values out of range, unknown and missing keys, enum words, page kinds and
// ranges, duplicate documents, syntax errors and keys defined twice.
#include "job/job.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "support/job_text.hpp"
#include "support/test_support.hpp"

namespace fw::job_file_errors_test {
namespace {

namespace fs = std::filesystem;

using test::job_error;
using test::kFirstDocument;
using test::kHeader;

// Document ids become folder names (restore) and frame addresses; titles and metadata are
// drawn on film. What cannot be either is refused with the line and what was found (issue 25).
TEST(JobFile, UnsafeIdsBlankTitlesAndControlCharactersAreRefused) {
  const auto document = [](const std::string& id, const std::string& title) {
    return "version = 1\nid = \"j\"\ntitle = \"t\"\n[[documents]]\nid = " + id +
           "\ntitle = " + title + "\npages = { dir = \"s\" }\n";
  };
  const std::string rule =
      "expected a document id of 1 to 64 characters without '/', '\\', control characters or "
      "a leading '.' or space, got ";
  EXPECT_EQ(job_error(document("\"../evil\"", "\"d\"")),
            "job.toml:5: documents[1].id: " + rule + "\"../evil\"");
  EXPECT_EQ(job_error(document("\"a/b\"", "\"d\"")),
            "job.toml:5: documents[1].id: " + rule + "\"a/b\"");
  EXPECT_EQ(job_error(document("\"a\\nb\"", "\"d\"")),
            "job.toml:5: documents[1].id: " + rule + "\"a\\nb\"");
  EXPECT_THAT(job_error(document("\"" + std::string(10000, 'x') + "\"", "\"d\"")),
              ::testing::HasSubstr(rule + "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" ... "
                                          "(10000 characters)"));
  EXPECT_EQ(job_error(document("\"D1\"", "\"   \"")),
            "job.toml:6: documents[1].title: expected a title with a visible character, got "
            "\"   \"");
  EXPECT_EQ(job_error("version = 1\nid = \"j\"\ntitle = \"a\\u0000b\"\n" + kFirstDocument),
            "job.toml:3: title: expected a title without control characters, got "
            "\"a\\u0000b\"");
  EXPECT_EQ(job_error("version = 1\nid = \"" + std::string(65, 'j') + "\"\ntitle = \"t\"\n" +
                      kFirstDocument),
            "job.toml:2: id: expected a job id of at most 64 characters, got \"" +
                std::string(40, 'j') + "\" ... (65 characters)");
  // Chinese ids of up to 64 characters are ids like any other.
  const Job job = parse_job(document("\"论语卷一\"", "\"论语\""), "job.toml", "/jobs");
  EXPECT_EQ(job.documents[0].id, "论语卷一");
}

// A job file saved by Notepad on Chinese Windows is GBK ("ANSI") or UTF-16 ("Unicode"): each
// is named with its line and what to do, not toml++'s "invalid utf-8 sequence".
TEST(JobFile, AJobFileInGbkOrUtf16IsNamedAndAskedForAsUtf8) {
  // title = "卷一" in GBK on line 7: 卷 = BE ED, 一 = D2 BB.
  EXPECT_EQ(job_error(kHeader + "[[documents]]\nid = \"D001\"\ntitle = \"\xBE\xED\xD2\xBB\"\n" +
                      "pages = { dir = \"s\" }\n"),
            "job.toml:7: the file is not UTF-8 (byte 0xBE); it looks like GBK/GB18030; save it as "
            "UTF-8");
  // "ve" of "version" in UTF-16LE after its byte order mark.
  EXPECT_EQ(job_error(std::string("\xFF\xFEv\0e\0", 6)),
            "job.toml:1: the file is UTF-16 (it begins with the byte order mark FF FE); save it "
            "as UTF-8");
  // Bytes that are neither UTF-8 nor GB18030 are not called GBK.
  EXPECT_EQ(job_error(kHeader + "# \xFF\n" + kFirstDocument),
            "job.toml:5: the file is not UTF-8 (byte 0xFF); save it as UTF-8");
  // A UTF-8 byte order mark is UTF-8.
  EXPECT_EQ(parse_job("\xEF\xBB\xBF" + kHeader + kFirstDocument, "job.toml", "/jobs").title, "T");
}

// A title of ideographic (U+3000), no-break or zero-width spaces films as nothing, like one
// of ASCII spaces: each is refused, its code points saying what the quotes cannot show.
TEST(JobFile, ATitleOfSpacesThatDrawNothingIsBlank) {
  const auto titled = [](const std::string& title) {
    return kHeader + "[[documents]]\nid = \"D001\"\ntitle = \"" + title +
           "\"\npages = { dir = \"s\" }\n";
  };
  EXPECT_EQ(job_error(titled("\u3000\u3000")),
            "job.toml:7: documents[1].title: expected a title with a visible character, got "
            "\"\u3000\u3000\" (U+3000 U+3000)");
  EXPECT_EQ(job_error(titled("\\u200B\\uFEFF \\u00A0")),
            "job.toml:7: documents[1].title: expected a title with a visible character, got "
            "\"\u200b\ufeff \u00a0\" (U+200B U+FEFF U+0020 U+00A0)");
  EXPECT_EQ(job_error("version = 1\nid = \"j\"\ntitle = \"\u3000\"\n" + kFirstDocument),
            "job.toml:3: title: expected a title with a visible character, got \"\u3000\" "
            "(U+3000)");
  // Words with an ideographic space between them are a title.
  EXPECT_EQ(parse_job(titled("论语\u3000卷一"), "job.toml", "/jobs").documents[0].title,
            "论语\u3000卷一");
}

// No font draws a tab: a title or metadata value with one planned on to the glyph check and
// stopped there as "no font ... can draw U+0009" (exit 3), while this reader's rule said tabs
// were allowed. Metadata keys are drawn too ("作者: 朱熹") and name the value in mets.xml and
// the catalog: an empty key, or one with a control character, was filmed as ": 朱熹".
TEST(JobFile, TabsInDrawnTextAndBlankOrControlMetadataKeysAreRefused) {
  const std::string document = kHeader + kFirstDocument;
  EXPECT_EQ(job_error(kHeader + "[[documents]]\nid = \"D001\"\ntitle = \"论\\t语\"\n" +
                      "pages = { dir = \"s\" }\n"),
            "job.toml:7: documents[1].title: expected a title without control characters, got "
            "\"论\\t语\"");
  EXPECT_EQ(job_error(document + "[documents.metadata]\n作者 = \"朱\\t熹\"\n"),
            "job.toml:10: documents[1].metadata.作者: expected a value without control "
            "characters, got \"朱\\t熹\"");
  EXPECT_EQ(job_error(document + "[documents.metadata]\n\"\" = \"朱熹\"\n"),
            "job.toml:10: documents[1].metadata.: expected a metadata key with a visible "
            "character, got \"\"");
  EXPECT_EQ(job_error(document + "[documents.metadata]\n\"\u3000\" = \"朱熹\"\n"),
            "job.toml:10: documents[1].metadata.\u3000: expected a metadata key with a visible "
            "character, got \"\u3000\" (U+3000)");
  EXPECT_EQ(job_error(document + "[documents.metadata]\n\"作\\u0001者\" = \"朱熹\"\n"),
            "job.toml:10: documents[1].metadata.作\u0001者: expected a key without control "
            "characters, got \"作\\u0001者\"");
  // A line break is text: the title target sets the value on two lines.
  const Job job = parse_job(document + "[documents.metadata]\n附注 = \"\"\"宋刻本\n元修\"\"\"\n",
                            "job.toml", "/jobs");
  EXPECT_EQ(job.documents[0].metadata.at(0).second, "宋刻本\n元修");
}

// A value is filmed after its key on the title target: `作者 = ""`, a field of a template left
// unfilled, filmed "作者:", and a value of ideographic spaces looked the same on film.
TEST(JobFile, AnEmptyOrBlankMetadataValueIsRefusedNamingItsKey) {
  const std::string document = kHeader + kFirstDocument + "[documents.metadata]\n";
  EXPECT_EQ(job_error(document + "作者 = \"\"\n"),
            "job.toml:10: documents[1].metadata.作者: expected a value with a visible character "
            "(leave the key out when there is nothing to say), got \"\"");
  EXPECT_EQ(job_error(document + "题名 = \"论语\"\n版本 = \"\u3000 \"\n"),
            "job.toml:11: documents[1].metadata.版本: expected a value with a visible character "
            "(leave the key out when there is nothing to say), got \"\u3000 \" (U+3000 U+0020)");
  const Job job = parse_job(document + "版本 = 0\n", "job.toml", "/jobs");
  EXPECT_EQ(job.documents[0].metadata.at(0).second, "0");
}

// U+FFFD is what a broken conversion (GBK read as Latin-1 or as UTF-8) leaves where a
// character was lost. Every font draws it, as a box with a question mark: a title or a value
// holding one was filmed with that box standing for a character that is gone.
TEST(JobFile, TheReplacementCharacterOfALostCharacterIsRefusedInTitlesAndMetadata) {
  const std::string lost =
      "without U+FFFD, the replacement character a conversion from another encoding leaves "
      "where it lost a character (take the text from its source again), got ";
  EXPECT_EQ(job_error(kHeader + "[[documents]]\nid = \"D001\"\ntitle = \"论语\\uFFFD集注\"\n" +
                      "pages = { dir = \"s\" }\n"),
            "job.toml:7: documents[1].title: expected a title " + lost + "\"论语\uFFFD集注\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "[documents.metadata]\n作者 = \"朱\uFFFD\"\n"),
            "job.toml:10: documents[1].metadata.作者: expected a value " + lost + "\"朱\uFFFD\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "[documents.metadata]\n\"作\uFFFD\" = \"朱熹\"\n"),
            "job.toml:10: documents[1].metadata.作\uFFFD: expected a key " + lost + "\"作\uFFFD\"");
  // The institution and a substitution note are drawn on targets too; both may be empty.
  EXPECT_EQ(job_error("version = 1\nid = \"j\"\ntitle = \"t\"\ninstitution = \"国家\uFFFD馆\"\n" +
                      kFirstDocument),
            "job.toml:4: institution: expected an institution " + lost + "\"国家\uFFFD馆\"");
  EXPECT_EQ(job_error("version = 1\nid = \"j\"\ntitle = \"t\"\ninstitution = \"国家\\t馆\"\n" +
                      kFirstDocument),
            "job.toml:4: institution: expected an institution without control characters, got "
            "\"国家\\t馆\"");
  EXPECT_EQ(
      job_error(kHeader + kFirstDocument +
                "[[documents.substitute]]\npage = 1\ntarget = \"page-missing\"\n"
                "note = \"缺\uFFFD\"\n"),
      "job.toml:12: documents[1].substitute[1].note: expected a note " + lost + "\"缺\uFFFD\"");
  EXPECT_EQ(
      parse_job("version = 1\nid = \"j\"\ntitle = \"t\"\ninstitution = \"\"\n" + kFirstDocument,
                "job.toml", "/jobs")
          .institution,
      "");
}

TEST(JobFile, WrongTypeNamesTheTypeFound) {
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "reduction = \"24x\"\n"),
            "job.toml:9: documents[1].reduction: expected a number 7–50, got \"24x\"");
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\ntitle = [\"T\"]\n\n" + kFirstDocument),
            "job.toml:3: title: expected a non-empty string, got an array");
  EXPECT_EQ(job_error(kHeader + "[[documents]]\nid = \"D1\"\ntitle = \"t\"\npages = \"scans\"\n"),
            "job.toml:8: documents[1].pages: expected a table such as { dir = \"scans\" }, got "
            "\"scans\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "force_dpi = 1\n"),
            "job.toml:9: documents[1].force_dpi: expected true or false, got an integer 1");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "rotate = 90.0\n"),
            "job.toml:9: documents[1].rotate: expected one of 0, 90, 180, 270, got a number 90.0");
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\ntitle = \"T\"\nlimits = 5\n" + kFirstDocument),
            "job.toml:4: limits: expected a table, got an integer 5");
  EXPECT_EQ(job_error(kHeader + "documents = \"all\"\n"),
            "job.toml:5: documents: expected an array of tables ([[documents]]), got \"all\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "[documents.metadata]\nyear = true\n"),
            "job.toml:10: documents[1].metadata.year: expected a string or number, got a "
            "boolean true");
  EXPECT_EQ(
      job_error(kHeader + "[recorder.options]\nsizes = [1, 2]\n\n" + kFirstDocument),
      "job.toml:6: recorder.options.sizes: expected a string, number or boolean, got an array");
}

TEST(JobFile, ValuesOutOfRangeAreRejected) {
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\nreduction = 70\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:3: reduction: expected a number 7–50, got 70");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "reduction = 6.5\n"),
            "job.toml:9: documents[1].reduction: expected a number 7–50, got 6.5");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "dpi = 49\n"),
            "job.toml:9: documents[1].dpi: expected a number 50–4800, got 49");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "threshold = 256\n"),
            "job.toml:9: documents[1].threshold: expected an integer 0–255, got 256");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "rotate = 45\n"),
            "job.toml:9: documents[1].rotate: expected one of 0, 90, 180, 270, got 45");
  EXPECT_EQ(job_error("threads = 300\n" + kHeader + kFirstDocument),
            "job.toml:1: threads: expected an integer 0–256, got 300");
  EXPECT_EQ(job_error(kHeader + "[limits]\nmax_page_pixels = 0\n" + kFirstDocument),
            "job.toml:6: limits.max_page_pixels: expected a positive integer, got 0");
  EXPECT_EQ(job_error(kHeader + "[limits]\nmax_file_mb = 0\n" + kFirstDocument),
            "job.toml:6: limits.max_file_mb: expected an integer 1–16777216, got 0");
  EXPECT_EQ(job_error(kHeader + "[limits]\nmin_page_mm = -1\n" + kFirstDocument),
            "job.toml:6: limits.min_page_mm: expected a number 0–100, got -1");
  EXPECT_EQ(
      job_error("version = 1\nid = \"2026/01\"\ntitle = \"T\"\n" + kFirstDocument),
      "job.toml:2: id: expected a job id of letters, digits, '.', '_' or '-', got \"2026/01\"");
  EXPECT_EQ(job_error("version = 1\nid = \"..\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:2: id: expected a job id of letters, digits, '.', '_' or '-', got \"..\"");
  EXPECT_EQ(job_error("version = 1\nid = \"j\"\ntitle = \"\"\n" + kFirstDocument),
            "job.toml:3: title: expected a non-empty string, got an empty string");
}

TEST(JobFile, UnknownKeysSuggestTheClosestKnownKey) {
  EXPECT_EQ(
      job_error("version = 1\nid = \"j1\"\ntitle = \"T\"\n\nreducton = 24\n" + kFirstDocument),
      "job.toml:5: reducton: unknown key (did you mean \"reduction\"?)");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "titel = \"x\"\n"),
            "job.toml:9: documents[1].titel: unknown key (did you mean \"title\"?)");
  EXPECT_EQ(job_error(kHeader + "[[documents]]\nid = \"D1\"\ntitle = \"t\"\npages = { "
                                "dirs = \"a\" }\n"),
            "job.toml:8: documents[1].pages.dirs: unknown key (did you mean \"dir\"?)");
  EXPECT_EQ(job_error(kHeader + "[limit]\nmax_file_mb = 3\n" + kFirstDocument),
            "job.toml:5: limit: unknown key (did you mean \"limits\"?)");
  EXPECT_EQ(job_error(kHeader + "[recorder]\ndriver = \"tiff\"\nspeed = 3\n" + kFirstDocument),
            "job.toml:7: recorder.speed: unknown key (known keys: driver, options)");
}

TEST(JobFile, MissingRequiredKeysPointAtTheirTable) {
  EXPECT_EQ(job_error(kHeader + "\n[[documents]]\nid = \"D1\"\npages = { dir = \"a\" }\n"),
            "job.toml:6: documents[1].title: expected a non-empty string (required), got "
            "nothing");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "\n[[documents]]\nid = \"D2\"\ntitle = \"t\"\n"),
            "job.toml:10: documents[2].pages: expected a table such as { dir = \"scans\" } "
            "(required), got nothing");
  EXPECT_EQ(job_error("version = 1\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:1: id: expected a job id of letters, digits, '.', '_' or '-' (required), got "
            "nothing");
  EXPECT_EQ(job_error(kHeader),
            "job.toml:1: documents: expected at least one [[documents]] table, got none");
  EXPECT_EQ(job_error(kHeader + "documents = []\n"),
            "job.toml:5: documents: expected at least one [[documents]] table, got an empty "
            "array");
}

TEST(JobFile, VersionMustBeOne) {
  EXPECT_EQ(job_error("id = \"j1\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:1: version: expected 1 (required), got nothing");
  EXPECT_EQ(job_error("\nversion = 2\nid = \"j1\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:2: version: expected 1, got 2");
  EXPECT_EQ(job_error("version = \"1\"\nid = \"j1\"\ntitle = \"T\"\n" + kFirstDocument),
            "job.toml:1: version: expected 1, got \"1\"");
}

TEST(JobFile, EnumWordsListTheAcceptedWords) {
  EXPECT_EQ(job_error("mode = \"rgb\"\n" + kHeader + kFirstDocument),
            "job.toml:1: mode: expected one of bitonal, grey (or gray), colour (or color), got "
            "\"rgb\"");
  EXPECT_EQ(job_error("polarity = \"neg\"\n" + kHeader + kFirstDocument),
            "job.toml:1: polarity: expected one of negative, positive, got \"neg\"");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "on_error = \"skip\"\n"),
            "job.toml:9: documents[1].on_error: expected one of fail, skip-document, substitute, "
            "got \"skip\"");
}

TEST(JobFile, PagesNeedExactlyOneKind) {
  const std::string document = "[[documents]]\nid = \"D1\"\ntitle = \"t\"\n";
  EXPECT_EQ(job_error(kHeader + document + "pages = { dir = \"a\", glob = \"b/*.tif\" }\n"),
            "job.toml:8: documents[1].pages: expected exactly one of dir, glob, files, tiff, pdf, "
            "got dir and glob");
  EXPECT_EQ(job_error(kHeader + document +
                      "pages = { pdf = \"a.pdf\", files = [\"x\"], dir = "
                      "\"a\" }\n"),
            "job.toml:8: documents[1].pages: expected exactly one of dir, glob, files, tiff, pdf, "
            "got pdf, files and dir");
  EXPECT_EQ(
      job_error(kHeader + document + "pages = { range = \"1\" }\n"),
      "job.toml:8: documents[1].pages: expected one of dir, glob, files, tiff, pdf, got none");
  EXPECT_EQ(job_error(kHeader + document + "pages = { files = [] }\n"),
            "job.toml:8: documents[1].pages.files: expected an array of file paths, got an empty "
            "array");
  EXPECT_EQ(job_error(kHeader + document + "pages = { files = [\"a.tif\", 3] }\n"),
            "job.toml:8: documents[1].pages.files[2]: expected a file path, got an integer 3");
}

TEST(JobFile, PageRangesAreChecked) {
  const std::string document = "[[documents]]\nid = \"D1\"\ntitle = \"t\"\n";
  for (const std::string range : {"5-2", "0", "x", "1-2-3", "-4", "", " 1", "99999999999"}) {
    EXPECT_EQ(
        job_error(kHeader + document + "pages = { tiff = \"m.tif\", range = \"" + range + "\" }\n"),
        "job.toml:8: documents[1].pages.range: expected a page range \"N\", \"N-M\" or "
        "\"N-\" (first page is 1), got \"" +
            range + "\"");
  }
  EXPECT_EQ(job_error(kHeader + document + "pages = { pdf = \"m.pdf\", range = 0 }\n"),
            "job.toml:8: documents[1].pages.range: expected a page range \"N\", \"N-M\" or \"N-\" "
            "(first page is 1), got 0");
  EXPECT_EQ(job_error(kHeader + document + "pages = { dir = \"d\", range = \"1-2\" }\n"),
            "job.toml:8: documents[1].pages.range: expected a range only with tiff or pdf, got it "
            "with dir");
}

TEST(JobFile, DuplicateDocumentIdsAreRejected) {
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "\n[[documents]]\nid = \"D001\"\ntitle = \"t\"\n" +
                      "pages = { dir = \"b\" }\n"),
            "job.toml:11: documents[2].id: expected a unique document id, got \"D001\" again "
            "(first used by documents[1])");
}

// The id is filmed on the title target and keys the catalog: two ids that read the same, in two
// Unicode spellings of one text (canonically equivalent, equal in NFC), are refused like a
// repeat, naming both, their lines, and the code points a terminal would show alike. Ids that
// merely look alike (fullwidth and ASCII letters, the spacing dakuten ゛) are other text and
// stay two documents.
std::string two_documents(const std::string& first, const std::string& second) {
  return kHeader + "[[documents]]\nid = \"" + first +
         "\"\ntitle = \"a\"\npages = { dir = \"a\" }\n\n[[documents]]\nid = \"" + second +
         "\"\ntitle = \"b\"\npages = { dir = \"b\" }\n";
}

TEST(JobFile, DocumentIdsThatReadTheSameInAnotherUnicodeSpellingAreRejected) {
  const std::string reads_the_same = ": the two read the same on film and in the catalog";
  // Hangul: the syllable 가 (NFC, typed) and its jamo ᄀ + ᅡ (NFD, a folder name from macOS).
  EXPECT_EQ(job_error(two_documents("문집-\uAC00-01", "문집-\u1100\u1161-01")),
            "job.toml:11: documents[2].id: expected a unique document id, got \"문집-\u1100\u1161-"
            "01\", which is \"문집-\uAC00-01\" of documents[1] (job.toml:6) in another Unicode "
            "spelling (U+AC00 vs U+1100 U+1161)" +
                reads_the_same);
  // Kana: ガ and カ with the combining dakuten U+3099.
  EXPECT_EQ(
      job_error(two_documents("\u30AB\u3099\u30A4\u30C9", "\u30AC\u30A4\u30C9")),
      "job.toml:11: documents[2].id: expected a unique document id, got \"\u30AC\u30A4\u30C9\", "
      "which is \"\u30AB\u3099\u30A4\u30C9\" of documents[1] (job.toml:6) in another Unicode "
      "spelling (U+30AB U+3099 vs U+30AC)" +
          reads_the_same);
  // A CJK compatibility ideograph of a KS X 1001 conversion (豈 U+F900) and its unified
  // ideograph U+8C48: NFC maps the one to the other, and film shows one ideograph.
  EXPECT_EQ(
      job_error(two_documents("\u8C48\u5C71\u96C6", "\uF900\u5C71\u96C6")),
      "job.toml:11: documents[2].id: expected a unique document id, got \"\uF900\u5C71\u96C6\", "
      "which is \"\u8C48\u5C71\u96C6\" of documents[1] (job.toml:6) in another Unicode "
      "spelling (U+8C48 vs U+F900)" +
          reads_the_same);
  // A Latin accent, precomposed and combining.
  EXPECT_THAT(job_error(two_documents("Caf\u00E9", "Cafe\u0301")),
              ::testing::HasSubstr("(U+00E9 vs U+0065 U+0301)"));
  // Look-alikes that are other text are two documents, as written.
  for (const auto& [first, second] :
       {std::pair{"DOC-1", "\uFF24\uFF2F\uFF23-1"},  // ＤＯＣ: fullwidth letters (NFKC only)
        std::pair{"\u30AC", "\u30AB\u309B"},         // カ゛: the spacing dakuten U+309B
        std::pair{"\u8C48", "\u5C82"}}) {            // 豈 and 岂, two ideographs
    const Job job = parse_job(two_documents(first, second), "job.toml", "/jobs");
    ASSERT_EQ(job.documents.size(), 2u);
    EXPECT_EQ(job.documents[0].id, first);
    EXPECT_EQ(job.documents[1].id, second);
  }
  // An id is kept as written: the jamo of a macOS folder name stay jamo.
  const Job job = parse_job(two_documents("\u1100\u1161", "D2"), "job.toml", "/jobs");
  EXPECT_EQ(job.documents[0].id, "\u1100\u1161");
}

// Metadata keys are drawn beside their values on the title target: TOML refuses a key given
// twice byte for byte, and the reader two spellings of one key.
TEST(JobFile, MetadataKeysThatReadTheSameInAnotherUnicodeSpellingAreRejected) {
  const std::string metadata = "\n[documents.metadata]\n\"\uC800\uC790\" = \"a\"\n";
  EXPECT_EQ(
      job_error(kHeader + kFirstDocument + metadata + "\"\u110C\u1165\u110C\u1161\" = \"b\"\n"),
      "job.toml:12: documents[1].metadata.\u110C\u1165\u110C\u1161: expected a metadata key "
      "of its own, got \"\u110C\u1165\u110C\u1161\", which is \"\uC800\uC790\" (job.toml:11) "
      "in another Unicode spelling (U+C800 U+C790 vs U+110C U+1165 U+110C U+1161)");
  const Job job = parse_job(kHeader + kFirstDocument + metadata + "\"\uFF21\" = \"b\"\nA = 1\n",
                            "job.toml", "/jobs");
  EXPECT_EQ(job.documents[0].metadata.size(), 3u);
}

TEST(JobFile, ForceDpiNeedsADpi) {
  EXPECT_EQ(job_error("force_dpi = true\n" + kHeader + kFirstDocument),
            "job.toml:1: force_dpi: expected dpi to be set when force_dpi = true, got no dpi");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "force_dpi = true\n"),
            "job.toml:9: documents[1].force_dpi: expected dpi to be set when force_dpi = true, "
            "got no dpi");
  // The document's own dpi satisfies the job-level force_dpi.
  const Job job = parse_job("force_dpi = true\n" + kHeader + kFirstDocument + "dpi = 600\n",
                            "job.toml", "/jobs");
  EXPECT_EQ(settings_for(job, job.documents[0]).dpi, 600.0);
}

TEST(JobFile, SyntaxErrorsGiveTheLine) {
  EXPECT_EQ(job_error("version = 1\nid = \"j1\"\ntitle = = \"T\"\n"),
            "job.toml:3: syntax error: Error while parsing value: could not determine value type");
  EXPECT_EQ(job_error("version = 1\nversion = 1\n"), "job.toml:2: version is defined twice");
}

// toml++ names a doubled key from its own record of it, which for a Unicode bare key (quoted
// before parsing, job/bare_keys.hpp) reads '"版本版本" '; the message names the key as written.
TEST(JobFile, AKeyDefinedTwiceIsNamedAsWritten) {
  const std::string metadata = "\n[documents.metadata]\n版本 = \"a\"\n";
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "版本 = \"b\"\n"),
            "job.toml:12: 版本 is defined twice");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "  \"版本\" = 'b' # again\n"),
            "job.toml:12: \"版本\" is defined twice");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "索书号 = 1\n卷.册 = 2\n索书号 = 3\n"),
            "job.toml:14: 索书号 is defined twice");
  EXPECT_EQ(job_error(kHeader + kFirstDocument + metadata + "[documents.metadata]\n"),
            "job.toml:12: [documents.metadata] is defined twice");
  // Through load_job too: the file's name and line.
  test::TempDir dir;
  test::write_text(dir / "job.toml", kHeader + kFirstDocument + metadata + "版本 = \"b\"\n");
  try {
    load_job(dir / "job.toml");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    EXPECT_EQ(std::string(error.what()),
              (dir / "job.toml").string() + ":12: 版本 is defined twice");
  }
}

TEST(JobFile, UnicodeBareKeysAreAcceptedAndStringsAreLeftAlone) {
  const std::string text =
      "\xEF\xBB\xBF" + kHeader + kFirstDocument +
      "metadata = { 版本 = \"宋刻本\", \"quoted 键\" = 'x, 年代 = y', 年代 = 1127 }\n"
      "\n[[documents]]\nid = \"D002\"\npages = { dir = \"b\" }\n"
      "title = \"\"\"\n作者 = \"不是键\"\n# 不是注释\"\"\"\"\n"
      "[documents.metadata] # 作者 = \"注释\"\n"
      "  作者 =  '朱熹'\n"
      "bare-ascii = \"a\" \n"
      "\"引号\" = \"\"\"多行\n 值 = 1\"\"\"\n";
  const Job job = parse_job(text, "job.toml", "/jobs");
  ASSERT_EQ(job.documents.size(), 2u);
  const std::vector<std::pair<std::string, std::string>> inline_metadata = {
      {"版本", "宋刻本"}, {"quoted 键", "x, 年代 = y"}, {"年代", "1127"}};
  EXPECT_EQ(job.documents[0].metadata, inline_metadata);
  // 卷.数 is a dotted key: a table, which metadata does not take.
  EXPECT_EQ(job_error(kHeader + kFirstDocument + "metadata = { 卷.数 = 3 }\n"),
            "job.toml:9: documents[1].metadata.卷: expected a string or number, got a table");
  EXPECT_EQ(job.documents[1].title, "作者 = \"不是键\"\n# 不是注释\"");
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"作者", "朱熹"}, {"bare-ascii", "a"}, {"引号", "多行\n 值 = 1"}};
  EXPECT_EQ(job.documents[1].metadata, metadata);
}

TEST(JobFile, LoadJobReportsAnUnreadableFile) {
  test::TempDir dir;
  try {
    load_job(dir / "missing.toml");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    // The reason after the path is fw::read_file's.
    EXPECT_TRUE(std::string(error.what()).starts_with((dir / "missing.toml").string() + ": "))
        << error.what();
  }
  try {
    load_job(dir.path());
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    EXPECT_EQ(std::string(error.what()),
              dir.path().string() + ": expected a job file, got a folder");
  }
}

TEST(JobFile, ErrorsNameTheFileAsGiven) {
  test::TempDir dir;
  test::write_text(dir / "a/job.toml", "version = 1\nid = \"j1\"\ntitle = \"T\"\n");
  try {
    load_job(dir / "a/job.toml");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              (dir / "a/job.toml").string() +
                  ":1: documents: expected at least one [[documents]] table, got none");
  }
}

}  // namespace
}  // namespace fw::job_file_errors_test
