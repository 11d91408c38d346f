// Vault inspections through the engine API: dates checked against today and the reel's
// filming, records corrected or withdrawn with a reason and kept, `due` on current records.
#include "catalog/inspection.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/inspect.hpp"
#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "support/pg_server.hpp"
#include "support/test_support.hpp"

namespace fw::inspection_test {
namespace {

// One job "qc" with reel R0001 (complete), filmed on 2026-03-10 (local time: noon UTC is that
// day in every time zone from UTC-11 to UTC+11).
// On SQLite and on PostgreSQL (tests/support/pg_server.hpp).
class Inspections : public test::CatalogBackend {
 protected:
  void SetUp() override {
    CatalogBackend::SetUp();
    if (IsSkipped()) return;
    owned_ = std::make_unique<Catalog>(catalog_at(dir_ / "catalog.sqlite"));
    CatalogJob job;
    job.id = "qc";
    job.title = "善本";
    job.dir = dir_.path();
    job.plan_sha256 = "p";
    job.format = "16mm-comic-30m";
    job.documents = {{"D001", "论语", {}, {}, {}}};
    catalog().start_job(job);
    catalog().reel_loaded("qc", "R0001", 1, 30.5);
    catalog().reel_closed("qc", {"qc", "R0001", 1, "complete", 0, 0, "", "", {}, 1, ""});
    sql("UPDATE jobs SET started_at = '2026-03-10T12:00:00Z'; "
        "UPDATE reels SET loaded_at = '2026-03-10T12:00:00Z'");
  }
  void sql(const std::string& text) { exec(catalog_at(dir_ / "catalog.sqlite"), text); }
  Catalog& catalog() { return *owned_; }
  Inspection reading(const std::string& date, double ad_strip) {
    Inspection in;
    in.reel = "R0001";
    in.date = date;
    in.ad_strip = ad_strip;
    return in;
  }
  // The message of the Error(usage) `f` throws.
  template <typename F>
  std::string refusal(F f) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
      return e.what();
    }
    return "(accepted)";
  }

  test::TempDir dir_;
  std::unique_ptr<Catalog> owned_;
};

FW_INSTANTIATE_BACKENDS(Inspection, Inspections);

TEST_P(Inspections, DatesAreNeitherInTheFutureNorBeforeTheReelWasFilmed) {
  EXPECT_EQ(refusal([&] { add_inspection(catalog(), reading("2030-12-05", 1), "2026-12-04"); }),
            "--date: reel R0001 of job qc: 2030-12-05 is after today (2026-12-04)");
  EXPECT_EQ(refusal([&] { add_inspection(catalog(), reading("1999-01-01", 1), "2026-12-04"); }),
            "--date: reel R0001 of job qc: 1999-01-01 is before the reel was filmed (2026-03-10)");
  // The day of filming and today are both fine.
  EXPECT_EQ(add_inspection(catalog(), reading("2026-03-10", 0), "2026-12-04").id, 1);
  const Inspection today = add_inspection(catalog(), reading("2026-12-04", 0.5), "2026-12-04");
  EXPECT_EQ(today.id, 2);
  EXPECT_EQ(today.job_id, "qc");
  EXPECT_EQ(today.status, "current");
  EXPECT_EQ(list_inspections(catalog(), "qc").size(), 2u);
  // The default is the local calendar's today.
  EXPECT_EQ(refusal([&] { add_inspection(catalog(), reading("2999-01-01", 1)); }),
            "--date: reel R0001 of job qc: 2999-01-01 is after today (" + local_today() + ")");
}

// A record dated after the day `due` judges (one stored before dates were checked) does not
// hide the reel: the records up to that day count.
TEST_P(Inspections, ARecordInTheFutureDoesNotHideADueReel) {
  add_inspection(catalog(), reading("2026-03-20", 1), "2026-12-04");
  sql("INSERT INTO inspections(job_id, reel_id, date, ad_strip) VALUES ('qc', 'R0001', "
      "'2030-12-05', 0)");
  const auto due = inspections_due(catalog(), 24, "2028-03-20");
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(describe_due(due[0]), "qc R0001: last inspected 2026-03-20 (A-D strip 1)");
}

TEST_P(Inspections, ARecordIsCorrectedOrWithdrawnWithAReasonAndKept) {
  add_inspection(catalog(), reading("2026-03-20", 2), "2026-12-04");  // #1: a typo, 2 for 0.5
  InspectionChange change;
  change.ad_strip = 0.5;
  EXPECT_EQ(refusal([&] { correct_inspection(catalog(), 1, change, " ", "2026-12-04"); }),
            "--reason: say why inspection #1 (reel R0001 of job qc, 2026-03-20) is corrected (the "
            "record stays in the history)");
  EXPECT_EQ(refusal([&] { correct_inspection(catalog(), 1, {}, "typo", "2026-12-04"); }),
            "inspection #1: the correction changes nothing (give --date, --ad-strip, --densities "
            "or --notes)");
  InspectionChange future;
  future.date = "2027-01-01";
  EXPECT_EQ(refusal([&] { correct_inspection(catalog(), 1, future, "typo", "2026-12-04"); }),
            "--date: reel R0001 of job qc: 2027-01-01 is after today (2026-12-04)");
  const Inspection fixed =
      correct_inspection(catalog(), 1, change, "typed 2 for 0.5", "2026-12-04");
  EXPECT_EQ(fixed.id, 2);
  EXPECT_EQ(fixed.corrects, 1);
  EXPECT_EQ(fixed.date, "2026-03-20");  // kept from the corrected record
  EXPECT_EQ(describe_inspection(fixed),
            "#2 qc R0001 2026-03-20: A-D strip 0.5, densities [] (corrects #1)");
  // The corrected record stays, marked; only the current one counts.
  ASSERT_EQ(list_inspections(catalog(), "qc").size(), 1u);
  const auto history = list_inspections(catalog(), "qc", "R0001", true);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].status, "corrected");
  EXPECT_EQ(history[0].corrected_by, 2);
  EXPECT_EQ(history[0].reason, "typed 2 for 0.5");
  EXPECT_EQ(describe_inspection(history[0])
                .rfind("#1 qc R0001 2026-03-20: A-D strip 2, "
                       "densities [] [corrected by #2 on ",
                       0),
            0u)
      << describe_inspection(history[0]);
  EXPECT_EQ(inspections_due(catalog(), 24, "2028-03-20").at(0).last_ad_strip, 0.5);
  // A corrected record cannot be corrected or withdrawn again: its correction can.
  EXPECT_NE(refusal([&] {
              withdraw_inspection(catalog(), 1, "again");
            }).find("inspection #1 (reel R0001 of job qc, 2026-03-20) was corrected by #2 on "),
            std::string::npos);
  EXPECT_NE(
      refusal([&] { withdraw_inspection(catalog(), 1, "again"); }).find(": withdraw #2 instead"),
      std::string::npos);
  EXPECT_EQ(refusal([&] { withdraw_inspection(catalog(), 7, "x"); }),
            "no inspection #7 in the catalog " + catalog_at(dir_ / "catalog.sqlite") +
                " (inspect list --history shows every record)");

  // Withdrawn: kept in the history with its reason, no longer counted.
  const Inspection withdrawn = withdraw_inspection(catalog(), 2, "wrong reel: was R0002");
  EXPECT_EQ(withdrawn.status, "withdrawn");
  const std::string text = describe_inspection(withdrawn);
  EXPECT_EQ(text.rfind("#2 qc R0001 2026-03-20: A-D strip 0.5, densities [] (corrects #1) "
                       "[withdrawn on ",
                       0),
            0u)
      << text;
  EXPECT_EQ(text.substr(text.size() - 25), "Z: wrong reel: was R0002]") << text;
  EXPECT_TRUE(list_inspections(catalog(), "qc").empty());
  EXPECT_EQ(list_inspections(catalog(), "qc", "", true).size(), 2u);
  EXPECT_EQ(describe_due(inspections_due(catalog(), 24, "2028-03-10").at(0)),
            "qc R0001: never inspected, filmed 2026-03-10");
  EXPECT_NE(refusal([&] {
              withdraw_inspection(catalog(), 2, "again");
            }).find("inspection #2 (reel R0001 of job qc, 2026-03-20) was withdrawn on "),
            std::string::npos);
}

// A run that rebuilds the job's rows (--overwrite, --resume) puts the records back with their
// status, reason and links.
TEST_P(Inspections, CorrectionsSurviveARebuildOfTheJob) {
  add_inspection(catalog(), reading("2026-03-20", 2), "2026-12-04");
  InspectionChange change;
  change.notes = "划痕";
  correct_inspection(catalog(), 1, change, "notes forgotten", "2026-12-04");
  const KeptInspections kept(catalog(), "qc");
  sql("DELETE FROM inspections");
  EXPECT_EQ(kept.restore(), 2u);
  const auto history = list_inspections(catalog(), "qc", "", true);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].status, "corrected");
  EXPECT_EQ(history[0].reason, "notes forgotten");
  EXPECT_EQ(history[1].corrects, 1);
  EXPECT_EQ(history[1].notes, "划痕");
}

// The API `filmwriter inspect` calls: with a job named (--job here), its reels and records only;
// without, every job's.
TEST_P(Inspections, TheApiKeepsToTheNamedJob) {
  CatalogJob other;
  other.id = "ms";
  other.title = "手稿";
  other.dir = dir_.path();
  other.plan_sha256 = "q";
  other.format = "16mm-comic-30m";
  other.documents = {{"D001", "手稿", {}, {}, {}}};
  catalog().start_job(other);
  catalog().reel_loaded("ms", "R0001", 1, 30.5);
  catalog().reel_closed("ms", {"ms", "R0001", 1, "complete", 0, 0, "", "", {}, 1, ""});
  sql("UPDATE jobs SET started_at = '2026-03-10T12:00:00Z'; "
      "UPDATE reels SET loaded_at = '2026-03-10T12:00:00Z'");
  const auto job = [&](const std::string& id) {
    return api::CatalogNames{"", catalog().file(), id};
  };
  const auto jobs_of = [](const api::DueInspections& due) {
    std::vector<std::string> ids;
    for (const auto& reel : due.reels) ids.push_back(reel.job_id + " " + reel.reel);
    return ids;
  };

  const auto every = api::reels_due_for_inspection(job(""), 24, "2028-03-20");
  EXPECT_EQ(every.as_of, "2028-03-20");
  EXPECT_EQ(every.months, 24);
  EXPECT_EQ(jobs_of(every), (std::vector<std::string>{"ms R0001", "qc R0001"}));
  EXPECT_EQ(jobs_of(api::reels_due_for_inspection(job("qc"), 24, "2028-03-20")),
            (std::vector<std::string>{"qc R0001"}));
  EXPECT_EQ(jobs_of(api::reels_due_for_inspection(job("ms"), 24, "2028-03-20")),
            (std::vector<std::string>{"ms R0001"}));
  EXPECT_TRUE(api::reels_due_for_inspection(job("qc"), 24, "2027-03-20").reels.empty());
  EXPECT_EQ(api::reels_due_for_inspection(job("qc"), 24).as_of, local_today());

  // The reel id is both jobs': only the named job says whose reel was inspected.
  EXPECT_EQ(refusal([&] { api::record_inspection(job(""), reading("2026-09-01", 1)); }),
            "reel R0001 exists in 2 jobs (ms, qc): give --job");
  EXPECT_EQ(api::record_inspection(job("ms"), reading("2026-09-01", 1)).job_id, "ms");
  EXPECT_EQ(api::inspection_records(job("ms")).size(), 1u);
  EXPECT_TRUE(api::inspection_records(job("qc")).empty());
  EXPECT_EQ(api::inspection_records(job("")).size(), 1u);
  EXPECT_TRUE(api::inspection_records(job("ms"), "R0002").empty());
  EXPECT_EQ(jobs_of(api::reels_due_for_inspection(job(""), 24, "2028-03-20")),
            (std::vector<std::string>{"qc R0001"}));

  // Corrected and withdrawn through the named job's catalog, kept in its history.
  InspectionChange change;
  change.ad_strip = 0.5;
  const Inspection corrected = api::correct_inspection_record(job("ms"), 1, change, "typo");
  EXPECT_EQ(corrected.ad_strip, 0.5);
  EXPECT_EQ(api::withdraw_inspection_record(job("ms"), corrected.id, "wrong reel").status,
            "withdrawn");
  EXPECT_TRUE(api::inspection_records(job("ms")).empty());
  EXPECT_EQ(api::inspection_records(job("ms"), "", true).size(), 2u);
}

TEST(InspectionId, ParsesANumberWithOrWithoutItsHash) {
  EXPECT_EQ(parse_inspection_id("#12"), 12);
  EXPECT_EQ(parse_inspection_id("3"), 3);
  try {
    parse_inspection_id("R0001");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "ID: expected a record number like 3 (#3 in inspect list), got \"R0001\"");
  }
}

}  // namespace
}  // namespace fw::inspection_test
