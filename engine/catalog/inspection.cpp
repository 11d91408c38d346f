#include "catalog/inspection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/utc.hpp"
#include "catalog/catalog_sql.hpp"
#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

using catalog_sql::Statement;

// A connection of our own beside the Catalog's: the Catalog has migrated the schema already
// (SQLite's WAL lets both work on the file; a PostgreSQL server takes any number).
std::unique_ptr<db::Connection> connect(const std::filesystem::path& file) {
  return db::open(file.string(), false);
}

// `sql` with `args` bound as text to ?1, ?2, ... (the SQL casts what is a number).
Statement prepare(db::Connection& db, const std::string& sql,
                  const std::vector<std::string>& args) {
  Statement st(db, sql);
  for (std::size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
  return st;
}

// The day of `timestamp` (UTC text, "2026-11-25T10:00:00Z") where the operator is.
std::string local_date(const db::Connection& db, const std::string& timestamp) {
  return db.dialect() == db::Dialect::sqlite
             ? "date(" + timestamp + ", 'localtime')"
             : "to_char(CAST(" + timestamp + " AS timestamptz), 'YYYY-MM-DD')";
}

// What list_inspections and KeptInspections read, aliases i (inspections) and j (jobs):
// a record entered before the job's current run started is of an earlier filming.
constexpr const char* kInspectionColumns =
    "i.job_id, i.reel_id, i.date, i.ad_strip, i.densities, i.notes, i.recorded_at, "
    "i.recorded_at < j.started_at, i.id, i.status, i.corrects, i.reason, i.changed_at, "
    "COALESCE((SELECT c.id FROM inspections c WHERE c.corrects = i.id AND c.id <> i.id), 0)";

Inspection read_inspection(const Statement& st) {
  Inspection i;
  i.job_id = st.text(0);
  i.reel = st.text(1);
  i.date = st.text(2);
  i.ad_strip = st.real(3);
  i.densities = nlohmann::json::parse(st.text(4)).get<std::vector<double>>();
  i.notes = st.text(5);
  i.recorded_at = st.text(6);
  i.earlier_filming = st.integer(7) != 0;
  i.id = st.integer(8);
  i.status = st.text(9);
  i.corrects = st.integer(10);
  i.reason = st.text(11);
  i.changed_at = st.text(12);
  i.corrected_by = st.integer(13);
  return i;
}

int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// YYYY-MM-DD minus `months`, the day clamped to the month's length.
std::string months_before(const std::string& date, int months) {
  int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)),
      d = std::stoi(date.substr(8, 2));
  int total = y * 12 + (m - 1) - months;
  y = total / 12;
  m = total % 12 + 1;
  d = std::min(d, days_in_month(y, m));
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

}  // namespace

void check_date(const std::string& date, const std::string& what) {
  if (is_calendar_date(date)) return;
  throw Error(ErrorKind::usage,
              fmt::format("{}: expected a date YYYY-MM-DD from 1900 on, got \"{}\"", what, date));
}

namespace {

// The reel's filming (the day its current attempt was loaded, local time) and the job it is
// in; `in.job_id` may be empty when one job has the reel id.
std::string check_reel(db::Connection& db, const Catalog& catalog, Inspection& in) {
  std::vector<std::pair<std::string, std::string>> jobs;  // job, filmed on
  {
    // The reel on the shelf: the highest attempt of the current run that is not spoiled.
    auto st = prepare(
        db,
        "SELECT r.job_id, " + local_date(db, "COALESCE(NULLIF(r.loaded_at, ''), j.started_at)") +
            " FROM reels r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?1 AND (?2 = '' OR "
            "r.job_id = ?2) AND r.status <> 'spoiled' AND r.superseded_at = '' AND r.attempt = "
            "(SELECT max(s.attempt) FROM reels s WHERE s.job_id = r.job_id AND s.id = r.id AND "
            "s.status <> 'spoiled' AND s.superseded_at = '') ORDER BY r.job_id",
        {in.reel, in.job_id});
    while (st.step()) jobs.emplace_back(st.text(0), st.text(1));
  }
  if (jobs.empty()) {
    throw Error(ErrorKind::job,
                fmt::format("reel {}{} is not in the catalog {}", in.reel,
                            in.job_id.empty() ? "" : " of job " + in.job_id, catalog.location()));
  }
  if (jobs.size() > 1) {
    std::vector<std::string> names;
    names.reserve(jobs.size());
    for (const auto& j : jobs) names.push_back(j.first);
    throw Error(ErrorKind::usage, fmt::format("reel {} exists in {} jobs ({}): give --job", in.reel,
                                              jobs.size(), fmt::join(names, ", ")));
  }
  in.job_id = jobs.front().first;
  return jobs.front().second;
}

// Every reading, and the date against today and the reel's filming.
void check_inspection(db::Connection& db, const Catalog& catalog, Inspection& in,
                      const std::string& today) {
  check_date(in.date, "--date");
  const double twice = in.ad_strip * 2;
  if (!(in.ad_strip >= 0 && in.ad_strip <= 3) || std::abs(twice - std::round(twice)) > 1e-9) {
    throw Error(ErrorKind::usage,
                fmt::format("--ad-strip: expected an A-D strip level 0–3 in steps of 0.5 (0 good, "
                            "1 onset, 1.5 autocatalytic, 2 degrading, 3 critical), got {:g}",
                            in.ad_strip));
  }
  for (std::size_t i = 0; i < in.densities.size(); ++i) {
    if (!(in.densities[i] >= 0 && in.densities[i] <= 5)) {
      throw Error(ErrorKind::usage,
                  fmt::format("--densities: reading {} is {:g}, expected a density 0–5", i + 1,
                              in.densities[i]));
    }
  }
  const std::string filmed = check_reel(db, catalog, in);
  // ISO dates compare as text.
  if (in.date > today) {
    throw Error(ErrorKind::usage, fmt::format("--date: reel {} of job {}: {} is after today ({})",
                                              in.reel, in.job_id, in.date, today));
  }
  if (in.date < filmed) {
    throw Error(ErrorKind::usage,
                fmt::format("--date: reel {} of job {}: {} is before the reel was filmed ({})",
                            in.reel, in.job_id, in.date, filmed));
  }
}

long long insert_inspection(db::Connection& db, const Inspection& in, long long corrects) {
  auto st = prepare(
      db,
      "INSERT INTO inspections(job_id, reel_id, date, ad_strip, densities, notes, corrects) "
      "VALUES (?1, ?2, ?3, CAST(?4 AS REAL), ?5, ?6, CAST(?7 AS INTEGER)) RETURNING id",
      {in.job_id, in.reel, in.date, fmt::format("{:.17g}", in.ad_strip),
       nlohmann::json(in.densities).dump(), in.notes, std::to_string(corrects)});
  st.step();
  const long long id = st.integer(0);
  st.step();
  return id;
}

Inspection read_one(db::Connection& db, long long id) {
  auto st = prepare(db,
                    std::string("SELECT ") + kInspectionColumns +
                        " FROM inspections i JOIN jobs j ON j.id = i.job_id "
                        "WHERE i.id = CAST(?1 AS INTEGER)",
                    {std::to_string(id)});
  if (!st.step()) throw Error(ErrorKind::usage, fmt::format("no inspection #{}", id));
  return read_inspection(st);
}

// Current record `id`, to be corrected or withdrawn with `reason` (`what`: "correct",
// "withdraw").
Inspection changeable(db::Connection& db, const Catalog& catalog, long long id,
                      const std::string& reason, const char* what) {
  Inspection old;
  try {
    old = read_one(db, id);
  } catch (const Error&) {
    throw Error(ErrorKind::usage,
                fmt::format("no inspection #{} in the catalog {} (inspect list --history shows "
                            "every record)",
                            id, catalog.location()));
  }
  const std::string which =
      fmt::format("inspection #{} (reel {} of job {}, {})", id, old.reel, old.job_id, old.date);
  if (old.status == "corrected") {
    throw Error(ErrorKind::usage,
                fmt::format("{} was corrected by #{} on {}: {} #{} instead", which,
                            old.corrected_by, old.changed_at, what, old.corrected_by));
  }
  if (old.status == "withdrawn") {
    throw Error(ErrorKind::usage,
                fmt::format("{} was withdrawn on {} ({})", which, old.changed_at, old.reason));
  }
  if (reason.find_first_not_of(" \t\n") == std::string::npos) {
    throw Error(ErrorKind::usage,
                fmt::format("--reason: say why {} is {} (the record stays in the history)", which,
                            std::string(what) == "correct" ? "corrected" : "withdrawn"));
  }
  return old;
}

void mark(db::Connection& db, long long id, const char* status, const std::string& reason) {
  auto st = prepare(
      db,
      "UPDATE inspections SET status = ?2, reason = ?3, "
      "changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = CAST(?1 AS INTEGER) AND "
      "status = 'current'",
      {std::to_string(id), status, reason});
  st.step();
  if (db.changes() != 1) {
    throw Error(ErrorKind::usage, fmt::format("inspection #{} changed meanwhile: try again", id));
  }
}

// BEGIN IMMEDIATE ... COMMIT around `body`, rolled back when it throws.
template <typename Body>
auto in_transaction(db::Connection& db, Body body) {
  db::Transaction transaction(db);
  auto result = body();
  transaction.commit();
  return result;
}

}  // namespace

std::vector<double> parse_densities(const std::string& text) {
  std::vector<double> out;
  std::string item;
  std::istringstream in(text);
  while (in >> item) {
    std::istringstream parts(item);
    for (std::string value; std::getline(parts, value, ',');) {
      if (value.empty()) continue;
      std::size_t used = 0;
      double d = 0;
      try {
        d = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != value.size()) {
        throw Error(ErrorKind::usage,
                    fmt::format("--densities: expected numbers like 1.05,1.10, got \"{}\"", value));
      }
      out.push_back(d);
    }
  }
  return out;
}

std::string describe_inspection(const Inspection& i) {
  std::string status;
  if (i.status == "corrected") {
    status = fmt::format(" [corrected by #{} on {}: {}]", i.corrected_by, i.changed_at, i.reason);
  } else if (i.status == "withdrawn") {
    status = fmt::format(" [withdrawn on {}: {}]", i.changed_at, i.reason);
  }
  return fmt::format(
      "#{} {} {} {}: A-D strip {:g}, densities [{}]{}{}{}{}", i.id, i.job_id, i.reel, i.date,
      i.ad_strip, fmt::join(i.densities, ", "), i.notes.empty() ? "" : ", notes: " + i.notes,
      i.corrects ? fmt::format(" (corrects #{})", i.corrects) : "",
      i.earlier_filming ? " (earlier filming: the job was run again since)" : "", status);
}

std::string describe_due(const DueReel& d) {
  return fmt::format(
      "{} {}: {}", d.job_id, d.reel,
      d.inspected ? fmt::format("last inspected {} (A-D strip {:g})", d.last, d.last_ad_strip)
                  : fmt::format("never inspected, filmed {}", d.last));
}

long long parse_inspection_id(const std::string& text) {
  const std::string digits = !text.empty() && text[0] == '#' ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 15 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(
        ErrorKind::usage,
        fmt::format("ID: expected a record number like 3 (#3 in inspect list), got \"{}\"", text));
  }
  return std::stoll(digits);
}

std::string local_today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
  return buffer;
}

Inspection add_inspection(const Catalog& catalog, Inspection in, const std::string& today) {
  const auto db = connect(catalog.file());
  check_inspection(*db, catalog, in, today);
  return in_transaction(*db, [&] { return read_one(*db, insert_inspection(*db, in, 0)); });
}

Inspection correct_inspection(const Catalog& catalog, long long id, const InspectionChange& change,
                              const std::string& reason, const std::string& today) {
  const auto db = connect(catalog.file());
  return in_transaction(*db, [&] {
    const Inspection old = changeable(*db, catalog, id, reason, "correct");
    if (old.earlier_filming) {
      throw Error(ErrorKind::usage,
                  fmt::format("inspection #{} (reel {} of job {}, {}) is of an earlier filming "
                              "(the job was run again since): withdraw it instead",
                              id, old.reel, old.job_id, old.date));
    }
    Inspection in = old;
    if (change.date) in.date = *change.date;
    if (change.ad_strip) in.ad_strip = *change.ad_strip;
    if (change.densities) in.densities = *change.densities;
    if (change.notes) in.notes = *change.notes;
    if (in.date == old.date && in.ad_strip == old.ad_strip && in.densities == old.densities &&
        in.notes == old.notes) {
      throw Error(ErrorKind::usage,
                  fmt::format("inspection #{}: the correction changes nothing (give --date, "
                              "--ad-strip, --densities or --notes)",
                              id));
    }
    check_inspection(*db, catalog, in, today);
    mark(*db, id, "corrected", reason);
    return read_one(*db, insert_inspection(*db, in, id));
  });
}

Inspection withdraw_inspection(const Catalog& catalog, long long id, const std::string& reason) {
  const auto db = connect(catalog.file());
  return in_transaction(*db, [&] {
    changeable(*db, catalog, id, reason, "withdraw");
    mark(*db, id, "withdrawn", reason);
    return read_one(*db, id);
  });
}

std::vector<Inspection> list_inspections(const Catalog& catalog, const std::string& job_id,
                                         const std::string& reel, bool history) {
  const auto db = connect(catalog.file());
  auto st = prepare(*db,
                    std::string("SELECT ") + kInspectionColumns +
                        " FROM inspections i JOIN jobs j ON j.id = i.job_id "
                        "WHERE i.job_id = ?1 AND (?2 = '' OR i.reel_id = ?2) "
                        "AND (?3 = '1' OR i.status = 'current') "
                        "ORDER BY i.reel_id, i.date, i.id",
                    {job_id, reel, history ? "1" : "0"});
  std::vector<Inspection> out;
  while (st.step()) out.push_back(read_inspection(st));
  return out;
}

KeptInspections::KeptInspections(const Catalog& catalog, const std::string& job_id)
    : file_(catalog.file()) {
  const auto db = connect(file_);
  auto st = prepare(*db,
                    std::string("SELECT ") + kInspectionColumns +
                        " FROM inspections i JOIN jobs j ON j.id = i.job_id "
                        "WHERE i.job_id = ?1 ORDER BY i.id",
                    {job_id});
  while (st.step()) {
    Inspection in = read_inspection(st);
    const long long id = in.id;
    kept_.emplace_back(id, std::move(in));
  }
}

std::size_t KeptInspections::restore() const {
  if (kept_.empty()) return 0;
  const auto db = connect(file_);
  db::Transaction transaction(*db);
  std::size_t restored = 0;
  for (const auto& [id, in] : kept_) {
    auto st = prepare(
        *db,
        "INSERT INTO inspections(id, job_id, reel_id, date, ad_strip, densities, notes, "
        "recorded_at, status, corrects, reason, changed_at) VALUES (CAST(?1 AS INTEGER), ?2, "
        "?3, ?4, CAST(?5 AS REAL), ?6, ?7, ?8, ?9, CAST(?10 AS INTEGER), ?11, ?12) "
        "ON CONFLICT DO NOTHING",
        {std::to_string(id), in.job_id, in.reel, in.date, fmt::format("{:.17g}", in.ad_strip),
         nlohmann::json(in.densities).dump(), in.notes, in.recorded_at, in.status,
         std::to_string(in.corrects), in.reason, in.changed_at});
    st.step();
    restored += static_cast<std::size_t>(db->changes());
  }
  transaction.commit();
  return restored;
}

std::vector<DueReel> inspections_due(const Catalog& catalog, int months, const std::string& today) {
  check_date(today, "--as-of");
  if (months < 1 || months > 1200) {
    throw Error(ErrorKind::usage, fmt::format("--months: expected 1–1200, got {}", months));
  }
  const std::string cutoff = months_before(today, months);
  const auto db = connect(catalog.file());
  // Never inspected: the day the reel was filmed counts as its last look. Only the current
  // records of this filming count, and none dated after `today`.
  constexpr const char* kCounts =
      "i.job_id = r.job_id AND i.reel_id = r.id AND i.recorded_at >= j.started_at AND "
      "i.status = 'current' AND i.date <= ?2";
  // One row per reel on the shelf (its highest complete attempt of the current run).
  auto st = prepare(
      *db,
      fmt::format("SELECT job_id, id, last, inspected, ad_strip FROM ("
                  "SELECT r.job_id, r.id, "
                  "  COALESCE((SELECT MAX(date) FROM inspections i WHERE {0}), {1}) AS last, "
                  "  EXISTS(SELECT 1 FROM inspections i WHERE {0}) AS inspected, "
                  "  COALESCE((SELECT ad_strip FROM inspections i WHERE {0} "
                  "            ORDER BY date DESC, id DESC LIMIT 1), 0) AS ad_strip "
                  "FROM reels r JOIN jobs j ON j.id = r.job_id "
                  "WHERE r.status = 'complete' AND r.superseded_at = '' AND r.attempt = "
                  "(SELECT max(s.attempt) FROM reels s WHERE s.job_id = r.job_id AND s.id = r.id "
                  "AND s.status = 'complete' AND s.superseded_at = '')) due "
                  "WHERE last <= ?1 ORDER BY last, job_id, id",
                  kCounts, local_date(*db, "COALESCE(NULLIF(r.loaded_at, ''), j.started_at)")),
      {cutoff, today});
  std::vector<DueReel> out;
  while (st.step()) {
    out.push_back({st.text(0), st.text(1), st.text(2), st.integer(3) != 0, st.real(4)});
  }
  return out;
}

}  // namespace fw
