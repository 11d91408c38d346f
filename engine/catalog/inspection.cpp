#include "catalog/inspection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

// A connection of our own beside the Catalog's: the Catalog has migrated the schema already
// (SQLite's WAL lets both work on the file; a PostgreSQL server takes any number).
class Db {
 public:
  explicit Db(const std::filesystem::path& file) : db_(db::open(file.string(), false)) {}

  struct Stmt {
    std::unique_ptr<db::Statement> s;
  };
  std::unique_ptr<Stmt> prepare(const std::string& sql, const std::vector<std::string>& args) {
    auto st = std::make_unique<Stmt>();
    st->s = db_->prepare(sql);
    for (std::size_t i = 0; i < args.size(); ++i) st->s->bind(static_cast<int>(i + 1), args[i]);
    return st;
  }
  static bool step(Stmt& st) { return st.s->step(); }
  static std::string text(Stmt& st, int col) { return st.s->text(col); }
  void begin() { db_->begin(); }
  void commit() { db_->commit(); }
  void rollback() noexcept { db_->rollback(); }
  std::size_t changes() const { return static_cast<std::size_t>(db_->changes()); }
  // The day of `timestamp` (UTC text, "2026-11-25T10:00:00Z") where the operator is.
  std::string local_date(const std::string& timestamp) const {
    return db_->dialect() == db::Dialect::sqlite
               ? "date(" + timestamp + ", 'localtime')"
               : "to_char(CAST(" + timestamp + " AS timestamptz), 'YYYY-MM-DD')";
  }

 private:
  std::unique_ptr<db::Connection> db_;
};

// What list_inspections and KeptInspections read, aliases i (inspections) and j (jobs):
// a record entered before the job's current run started is of an earlier filming.
constexpr const char* kInspectionColumns =
    "i.job_id, i.reel_id, i.date, i.ad_strip, i.densities, i.notes, i.recorded_at, "
    "i.recorded_at < j.started_at, i.id, i.status, i.corrects, i.reason, i.changed_at, "
    "COALESCE((SELECT c.id FROM inspections c WHERE c.corrects = i.id AND c.id <> i.id), 0)";

Inspection read_inspection(Db::Stmt& st) {
  Inspection i;
  i.job_id = Db::text(st, 0);
  i.reel = Db::text(st, 1);
  i.date = Db::text(st, 2);
  i.ad_strip = st.s->real(3);
  i.densities = nlohmann::json::parse(Db::text(st, 4)).get<std::vector<double>>();
  i.notes = Db::text(st, 5);
  i.recorded_at = Db::text(st, 6);
  i.earlier_filming = st.s->integer(7) != 0;
  i.id = st.s->integer(8);
  i.status = Db::text(st, 9);
  i.corrects = st.s->integer(10);
  i.reason = Db::text(st, 11);
  i.changed_at = Db::text(st, 12);
  i.corrected_by = st.s->integer(13);
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
  const bool shape = date.size() == 10 && date[4] == '-' && date[7] == '-' &&
                     std::all_of(date.begin(), date.end(),
                                 [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  if (shape) {
    const int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)),
              d = std::stoi(date.substr(8, 2));
    if (y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m)) return;
  }
  throw Error(ErrorKind::usage,
              fmt::format("{}: expected a date YYYY-MM-DD, got \"{}\"", what, date));
}

namespace {

// The reel's filming (the day its current attempt was loaded, local time) and the job it is
// in; `in.job_id` may be empty when one job has the reel id.
std::string check_reel(Db& db, const Catalog& catalog, Inspection& in) {
  std::vector<std::pair<std::string, std::string>> jobs;  // job, filmed on
  {
    // The reel on the shelf: the highest attempt of the current run that is not spoiled.
    auto st = db.prepare(
        "SELECT r.job_id, " + db.local_date("COALESCE(NULLIF(r.loaded_at, ''), j.started_at)") +
            " FROM reels r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?1 AND (?2 = '' OR "
            "r.job_id = ?2) AND r.status <> 'spoiled' AND r.superseded_at = '' AND r.attempt = "
            "(SELECT max(s.attempt) FROM reels s WHERE s.job_id = r.job_id AND s.id = r.id AND "
            "s.status <> 'spoiled' AND s.superseded_at = '') ORDER BY r.job_id",
        {in.reel, in.job_id});
    while (db.step(*st)) jobs.emplace_back(Db::text(*st, 0), Db::text(*st, 1));
  }
  if (jobs.empty()) {
    throw Error(ErrorKind::job,
                fmt::format("reel {}{} is not in the catalog {}", in.reel,
                            in.job_id.empty() ? "" : " of job " + in.job_id, catalog.location()));
  }
  if (jobs.size() > 1) {
    std::vector<std::string> names;
    for (const auto& j : jobs) names.push_back(j.first);
    throw Error(ErrorKind::usage, fmt::format("reel {} exists in {} jobs ({}): give --job", in.reel,
                                              jobs.size(), fmt::join(names, ", ")));
  }
  in.job_id = jobs.front().first;
  return jobs.front().second;
}

// Every reading, and the date against today and the reel's filming.
void check_inspection(Db& db, const Catalog& catalog, Inspection& in, const std::string& today) {
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

long long insert_inspection(Db& db, const Inspection& in, long long corrects) {
  auto st = db.prepare(
      "INSERT INTO inspections(job_id, reel_id, date, ad_strip, densities, notes, corrects) "
      "VALUES (?1, ?2, ?3, CAST(?4 AS REAL), ?5, ?6, CAST(?7 AS INTEGER)) RETURNING id",
      {in.job_id, in.reel, in.date, fmt::format("{:.17g}", in.ad_strip),
       nlohmann::json(in.densities).dump(), in.notes, std::to_string(corrects)});
  db.step(*st);
  const long long id = st->s->integer(0);
  db.step(*st);
  return id;
}

Inspection read_one(Db& db, long long id) {
  auto st = db.prepare(std::string("SELECT ") + kInspectionColumns +
                           " FROM inspections i JOIN jobs j ON j.id = i.job_id "
                           "WHERE i.id = CAST(?1 AS INTEGER)",
                       {std::to_string(id)});
  if (!db.step(*st)) throw Error(ErrorKind::usage, fmt::format("no inspection #{}", id));
  return read_inspection(*st);
}

// Current record `id`, to be corrected or withdrawn with `reason` (`what`: "correct",
// "withdraw").
Inspection changeable(Db& db, const Catalog& catalog, long long id, const std::string& reason,
                      const char* what) {
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

void mark(Db& db, long long id, const char* status, const std::string& reason) {
  auto st = db.prepare(
      "UPDATE inspections SET status = ?2, reason = ?3, "
      "changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = CAST(?1 AS INTEGER) AND "
      "status = 'current'",
      {std::to_string(id), status, reason});
  db.step(*st);
  if (db.changes() != 1) {
    throw Error(ErrorKind::usage, fmt::format("inspection #{} changed meanwhile: try again", id));
  }
}

// BEGIN IMMEDIATE ... COMMIT around `body`, rolled back when it throws.
template <typename Body>
auto in_transaction(Db& db, Body body) {
  db.begin();
  try {
    auto result = body();
    db.commit();
    return result;
  } catch (...) {
    db.rollback();
    throw;
  }
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
  Db db(catalog.file());
  check_inspection(db, catalog, in, today);
  return in_transaction(db, [&] { return read_one(db, insert_inspection(db, in, 0)); });
}

Inspection correct_inspection(const Catalog& catalog, long long id, const InspectionChange& change,
                              const std::string& reason, const std::string& today) {
  Db db(catalog.file());
  return in_transaction(db, [&] {
    const Inspection old = changeable(db, catalog, id, reason, "correct");
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
    check_inspection(db, catalog, in, today);
    mark(db, id, "corrected", reason);
    return read_one(db, insert_inspection(db, in, id));
  });
}

Inspection withdraw_inspection(const Catalog& catalog, long long id, const std::string& reason) {
  Db db(catalog.file());
  return in_transaction(db, [&] {
    changeable(db, catalog, id, reason, "withdraw");
    mark(db, id, "withdrawn", reason);
    return read_one(db, id);
  });
}

std::vector<Inspection> list_inspections(const Catalog& catalog, const std::string& job_id,
                                         const std::string& reel, bool history) {
  Db db(catalog.file());
  auto st = db.prepare(std::string("SELECT ") + kInspectionColumns +
                           " FROM inspections i JOIN jobs j ON j.id = i.job_id "
                           "WHERE i.job_id = ?1 AND (?2 = '' OR i.reel_id = ?2) "
                           "AND (?3 = '1' OR i.status = 'current') "
                           "ORDER BY i.reel_id, i.date, i.id",
                       {job_id, reel, history ? "1" : "0"});
  std::vector<Inspection> out;
  while (db.step(*st)) out.push_back(read_inspection(*st));
  return out;
}

KeptInspections::KeptInspections(const Catalog& catalog, const std::string& job_id)
    : file_(catalog.file()) {
  Db db(file_);
  auto st = db.prepare(std::string("SELECT ") + kInspectionColumns +
                           " FROM inspections i JOIN jobs j ON j.id = i.job_id "
                           "WHERE i.job_id = ?1 ORDER BY i.id",
                       {job_id});
  while (db.step(*st)) {
    Inspection in = read_inspection(*st);
    const long long id = in.id;
    kept_.emplace_back(id, std::move(in));
  }
}

std::size_t KeptInspections::restore() const {
  if (kept_.empty()) return 0;
  Db db(file_);
  db.begin();
  std::size_t restored = 0;
  try {
    for (const auto& [id, in] : kept_) {
      auto st = db.prepare(
          "INSERT INTO inspections(id, job_id, reel_id, date, ad_strip, densities, notes, "
          "recorded_at, status, corrects, reason, changed_at) VALUES (CAST(?1 AS INTEGER), ?2, "
          "?3, ?4, CAST(?5 AS REAL), ?6, ?7, ?8, ?9, CAST(?10 AS INTEGER), ?11, ?12) "
          "ON CONFLICT DO NOTHING",
          {std::to_string(id), in.job_id, in.reel, in.date, fmt::format("{:.17g}", in.ad_strip),
           nlohmann::json(in.densities).dump(), in.notes, in.recorded_at, in.status,
           std::to_string(in.corrects), in.reason, in.changed_at});
      db.step(*st);
      restored += db.changes();
    }
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
  return restored;
}

std::vector<DueReel> inspections_due(const Catalog& catalog, int months, const std::string& today) {
  check_date(today, "--as-of");
  if (months < 1 || months > 1200) {
    throw Error(ErrorKind::usage, fmt::format("--months: expected 1–1200, got {}", months));
  }
  const std::string cutoff = months_before(today, months);
  Db db(catalog.file());
  // Never inspected: the day the reel was filmed counts as its last look. Only the current
  // records of this filming count, and none dated after `today`.
  constexpr const char* kCounts =
      "i.job_id = r.job_id AND i.reel_id = r.id AND i.recorded_at >= j.started_at AND "
      "i.status = 'current' AND i.date <= ?2";
  // One row per reel on the shelf (its highest complete attempt of the current run).
  auto st = db.prepare(
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
                  kCounts, db.local_date("COALESCE(NULLIF(r.loaded_at, ''), j.started_at)")),
      {cutoff, today});
  std::vector<DueReel> out;
  while (db.step(*st)) {
    out.push_back({Db::text(*st, 0), Db::text(*st, 1), Db::text(*st, 2), st->s->integer(3) != 0,
                   st->s->real(4)});
  }
  return out;
}

}  // namespace fw
