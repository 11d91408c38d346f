// What the command line adds to a job (engine/job): flags that override the job's keys,
// validated like the file's, the site name, the word parsers, and the one-line mode's documents
// from a folder of scans.
#include "job/job.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "support/job_text.hpp"
#include "support/test_support.hpp"

namespace fw::job_overrides_test {
namespace {

namespace fs = std::filesystem;

using test::job_error;
using test::kFirstDocument;
using test::kHeader;

std::string usage_error(Job job, const JobOverrides& overrides) {
  try {
    apply_overrides(job, overrides);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::usage) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no error for the overrides";
  return {};
}

TEST(Overrides, FlagsReplaceJobKeysAndDocumentsKeepTheirOwn) {
  Job job = parse_job(kHeader + kFirstDocument + "reduction = 30\n\n[[documents]]\nid = \"D2\"\n" +
                          "title = \"t\"\npages = { dir = \"b\" }\n",
                      "job.toml", "/jobs");
  JobOverrides overrides;
  overrides.output = "/film";
  overrides.driver = "sim";
  overrides.threads = 4;
  overrides.format = "35mm-comic-30m";
  overrides.reduction = 42;
  overrides.mode = ImageMode::colour;
  overrides.polarity = Polarity::positive;
  overrides.dpi = 600;
  overrides.id = "other-id";
  overrides.title = "新题";
  overrides.driver_options = {{"pitch_um", "3"}};
  apply_overrides(job, overrides);
  EXPECT_EQ(job.output, fs::path("/film"));
  EXPECT_EQ(job.driver, "sim");
  EXPECT_EQ(job.threads, 4u);
  EXPECT_EQ(job.format, "35mm-comic-30m");
  EXPECT_EQ(job.polarity, Polarity::positive);
  EXPECT_EQ(job.id, "other-id");
  EXPECT_EQ(job.title, "新题");
  EXPECT_EQ(job.driver_options.at("pitch_um"), "3");
  EXPECT_EQ(settings_for(job, job.documents[0]).reduction, 30);  // the document's own key wins
  EXPECT_EQ(settings_for(job, job.documents[1]).reduction, 42);
  EXPECT_EQ(settings_for(job, job.documents[1]).mode, ImageMode::colour);
  EXPECT_EQ(settings_for(job, job.documents[1]).dpi, 600.0);

  JobOverrides relative;
  relative.output = "rel/out";
  apply_overrides(job, relative);
  EXPECT_EQ(job.output, fs::current_path() / "rel/out");
}

TEST(Overrides, FlagValuesAreValidatedLikeFileKeys) {
  const Job job = parse_job(kHeader + kFirstDocument, "job.toml", "/jobs");
  JobOverrides reduction;
  reduction.reduction = 70;
  EXPECT_EQ(usage_error(job, reduction), "--reduction: expected a number 7–50, got 70");
  JobOverrides dpi;
  dpi.dpi = 12.5;
  EXPECT_EQ(usage_error(job, dpi), "--dpi: expected a number 50–4800, got 12.5");
  JobOverrides threads;
  threads.threads = 257;
  EXPECT_EQ(usage_error(job, threads), "--threads: expected an integer 0–256, got 257");
  JobOverrides id;
  id.id = "a b";
  EXPECT_EQ(usage_error(job, id),
            "--id: expected a job id of at most 64 letters, digits, '.', '_' or '-', got "
            "\"a b\"");
  JobOverrides title;
  title.title = "";
  EXPECT_EQ(usage_error(job, title),
            "--title: expected a title with a visible character, got \"\"");
  title.title = " \t";
  EXPECT_EQ(usage_error(job, title),
            "--title: expected a title with a visible character, got \" \\t\"");
  // The job file's title rules hold for the flag's, which a terminal in a GBK locale passes in
  // GBK: each was found only by the text check, named as the job file's title.
  title.title = "\u3000";
  EXPECT_EQ(usage_error(job, title),
            "--title: expected a title with a visible character, got \"\u3000\" (U+3000)");
  title.title = "论\t语";
  EXPECT_EQ(usage_error(job, title),
            "--title: expected a title without control characters, got \"论\\t语\"");
  title.title = "\xD6\xD0\xCE\xC4";  // 中文 in GBK
  EXPECT_EQ(usage_error(job, title),
            "--title: expected a title in UTF-8, got \"\\xD6\\xD0\\xCE\\xC4\", not UTF-8 (byte "
            "0xD6); it looks like GBK/GB18030");
  JobOverrides output;
  output.output = fs::path();
  EXPECT_EQ(usage_error(job, output), "--out: expected a folder path, got an empty path");
  JobOverrides option;
  option.driver_options = {{"", "3"}};
  EXPECT_EQ(usage_error(job, option),
            "--driver-option: expected KEY=VALUE with a non-empty KEY, got \"=3\"");
  JobOverrides driver;
  driver.driver = "../x";
  EXPECT_EQ(usage_error(job, driver),
            "--driver: expected a driver name of letters, digits, '.', '_' or '-', got \"../x\"");
}

// The site prefix of reel ids (issue 22): the key and the flag take a short, path-safe ASCII
// name; anything else is refused with the rule.
TEST(Overrides, TheSiteIsAShortPathSafeNameFromTheKeyOrTheFlag) {
  const std::string rule =
      "expected a site of 1 to 16 ASCII letters, digits and '-', beginning and ending with a "
      "letter or digit (e.g. \"NLC-B2\"), got ";
  Job job = parse_job(kHeader + "site = \"NLC-B2\"\n" + kFirstDocument, "job.toml", "/jobs");
  EXPECT_EQ(job.site, "NLC-B2");
  EXPECT_EQ(parse_job(kHeader + kFirstDocument, "job.toml", "/jobs").site, "");
  EXPECT_EQ(job_error(kHeader + "site = \"../b2\"\n" + kFirstDocument),
            "job.toml:5: site: " + rule + "\"../b2\"");
  EXPECT_EQ(job_error(kHeader + "site = \"-B2\"\n" + kFirstDocument),
            "job.toml:5: site: " + rule + "\"-B2\"");
  EXPECT_EQ(job_error(kHeader + "site = \"国图\"\n" + kFirstDocument),
            "job.toml:5: site: " + rule + "\"国图\"");
  EXPECT_THAT(job_error(kHeader + "site = 2\n" + kFirstDocument),
              ::testing::HasSubstr("job.toml:5: site: " + rule));
  JobOverrides site;
  site.site = "NLC-B3";
  apply_overrides(job, site);
  EXPECT_EQ(job.site, "NLC-B3");
  site.site = "NLC_B3";
  EXPECT_EQ(usage_error(job, site), "--site: " + rule + "\"NLC_B3\"");
  site.site = std::string(17, 'S');
  EXPECT_EQ(usage_error(job, site), "--site: " + rule + "\"" + std::string(17, 'S') + "\"");
  EXPECT_TRUE(is_site("B"));
  EXPECT_TRUE(is_site(std::string(16, 'S')));
  EXPECT_FALSE(is_site(""));
  EXPECT_FALSE(is_site("B2-"));
  EXPECT_FALSE(is_site("B 2"));
}

TEST(WordParsers, AcceptTheWordsAndListThemOnError) {
  EXPECT_EQ(parse_image_mode("gray"), ImageMode::grey);
  EXPECT_EQ(parse_image_mode("color"), ImageMode::colour);
  EXPECT_EQ(parse_image_mode("bitonal"), ImageMode::bitonal);
  EXPECT_EQ(parse_polarity("positive"), Polarity::positive);
  EXPECT_EQ(parse_failure_policy("skip-document"), FailurePolicy::skip_document);
  EXPECT_STREQ(to_string(ImageMode::colour), "colour");
  EXPECT_STREQ(to_string(ImageMode::grey), "grey");
  EXPECT_STREQ(to_string(Polarity::negative), "negative");
  EXPECT_STREQ(to_string(FailurePolicy::skip_document), "skip-document");
  EXPECT_STREQ(to_string(FailurePolicy::substitute), "substitute");
  try {
    parse_failure_policy("skip");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::usage);
    EXPECT_STREQ(error.what(), "expected one of fail, skip-document, substitute, got \"skip\"");
  }
  try {
    parse_polarity("Neg\"");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "expected one of negative, positive, got \"Neg\\\"\"");
  }
}

TEST(OneLineMode, SubfoldersBecomeDocumentsInNaturalOrder) {
  test::TempDir dir;
  const fs::path scans = dir / "善本 batch#1";
  for (const char* name : {"p10", "p2", "p1", ".hidden"}) fs::create_directories(scans / name);
  test::write_text(scans / ".DS_Store", "hidden files are not pages");
  const Job job = job_from_directory(scans, {});
  EXPECT_EQ(job.id, "---batch-1");
  EXPECT_EQ(job.title, "善本 batch#1");
  EXPECT_EQ(job.output, fs::current_path() / "out");
  EXPECT_TRUE(job.file.empty());
  ASSERT_EQ(job.documents.size(), 3u);
  const char* expected[] = {"p1", "p2", "p10"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(job.documents[i].id, expected[i]);
    EXPECT_EQ(job.documents[i].title, expected[i]);
    EXPECT_EQ(job.documents[i].key, "documents[" + std::to_string(i + 1) + "]");
    EXPECT_EQ(job.documents[i].pages.kind, PageSource::Kind::directory);
    EXPECT_EQ(job.documents[i].pages.paths,
              std::vector<std::string>{(scans / expected[i]).string()});
  }
}

TEST(OneLineMode, AFileBesideDocumentFoldersIsAnError) {
  test::TempDir dir;
  fs::create_directories(dir / "scans/d1");
  test::write_text(dir / "scans/p9.tif", "a page that would belong to no document");
  try {
    job_from_directory(dir / "scans", {});
    FAIL() << "the loose page was left off silently";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    EXPECT_EQ(std::string(error.what()),
              (dir / "scans/p9.tif").string() +
                  ": a file beside document folders belongs to no document; move it into a "
                  "document folder or write a job file");
  }
}

// A file system that keeps names as bytes (ext4) holds 가 as a syllable and as the jamo a copy
// from macOS gives side by side: two folders whose names, the documents' ids, read the same on
// film and in the catalog. Refused naming both folders and the code points.
TEST(OneLineMode, FoldersWhoseNamesReadTheSameInAnotherUnicodeSpellingAreRefused) {
  test::TempDir dir;
  const fs::path nfc = dir / "scans" / "\uAC00-01";
  const fs::path nfd = dir / "scans" / "\u1100\u1161-01";
  fs::create_directories(nfc);
  fs::create_directories(nfd);
  try {
    job_from_directory(dir / "scans", {});
    FAIL() << "two folders that read the same became two documents";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::input);
    // Natural order puts the jamo (U+1100) before the syllable (U+AC00).
    EXPECT_EQ(std::string(error.what()),
              nfc.string() + ": the folder's name \"\uAC00-01\" is the document id of " +
                  nfd.string() +
                  " in another Unicode spelling (U+1100 U+1161 vs U+AC00): the two read the "
                  "same on film and in the catalog; rename one folder or write a job file");
  }
  // A fullwidth look-alike is another name; the id is the folder's name as written.
  fs::remove(nfc);
  fs::create_directories(dir / "scans" / "\uFF21-01");
  fs::create_directories(dir / "scans" / "A-01");
  const Job job = job_from_directory(dir / "scans", {});
  ASSERT_EQ(job.documents.size(), 3u);
  EXPECT_EQ(job.documents[1].id, "\u1100\u1161-01");
}

TEST(OneLineMode, AFolderWithoutSubfoldersIsOneDocument) {
  test::TempDir dir;
  test::write_text(dir / "scans/0001.tif", "x");
  JobOverrides overrides;
  overrides.id = "batch-7";
  overrides.title = "第七批";
  overrides.reduction = 18;
  overrides.output = dir / "film";
  const Job job = job_from_directory(dir.path().string() + "/scans/", overrides);
  EXPECT_EQ(job.id, "batch-7");
  EXPECT_EQ(job.title, "第七批");
  EXPECT_EQ(job.output, dir / "film");
  EXPECT_EQ(job.defaults.reduction, 18);
  ASSERT_EQ(job.documents.size(), 1u);
  EXPECT_EQ(job.documents[0].id, "scans");
  EXPECT_EQ(job.documents[0].title, "scans");
  EXPECT_EQ(job.documents[0].pages.paths, std::vector<std::string>{(dir / "scans").string()});
}

TEST(OneLineMode, TheScansPathMustBeAFolder) {
  test::TempDir dir;
  test::write_text(dir / "file.tif", "x");
  for (const auto& [path, message] :
       {std::pair{dir / "absent", (dir / "absent").string() + ": no such folder"},
        std::pair{dir / "file.tif",
                  (dir / "file.tif").string() + ": expected a folder of scans, got a file"}}) {
    try {
      job_from_directory(path, {});
      FAIL() << "no error for " << path;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::input);
      EXPECT_EQ(std::string(error.what()), message);
    }
  }
  JobOverrides bad;
  bad.reduction = 3;
  fs::create_directories(dir / "ok");
  EXPECT_THROW(job_from_directory(dir / "ok", bad), Error);
}

}  // namespace
}  // namespace fw::job_overrides_test
