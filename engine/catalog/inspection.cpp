#include "catalog/inspection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace fw {
namespace {

// A connection of our own beside the Catalog's: the Catalog has migrated the schema already
// and SQLite's WAL lets both work on the file.
class Db {
 public:
  explicit Db(const std::filesystem::path& file) : file_(file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Error(ErrorKind::internal, "catalog " + file.string() + ": " + message);
    }
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  struct Stmt {
    sqlite3_stmt* s = nullptr;
    ~Stmt() { sqlite3_finalize(s); }
  };
  std::unique_ptr<Stmt> prepare(const std::string& sql, const std::vector<std::string>& args) {
    auto st = std::make_unique<Stmt>();
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st->s, nullptr) != SQLITE_OK) fail();
    for (std::size_t i = 0; i < args.size(); ++i) {
      sqlite3_bind_text(st->s, static_cast<int>(i + 1), args[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    return st;
  }
  bool step(Stmt& st) {
    const int rc = sqlite3_step(st.s);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  static std::string text(Stmt& st, int col) {
    const auto* t = sqlite3_column_text(st.s, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail();
  }
  void exec_noexcept(const char* sql) noexcept {
    sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  }
  std::size_t changes() const { return static_cast<std::size_t>(sqlite3_changes(db_)); }
  [[noreturn]] void fail() const {
    throw Error(ErrorKind::internal, "catalog " + file_.string() + ": " + sqlite3_errmsg(db_));
  }

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

// What list_inspections and KeptInspections read, aliases i (inspections) and j (jobs):
// a record entered before the job's current run started is of an earlier filming.
constexpr const char* kInspectionColumns =
    "i.job_id, i.reel_id, i.date, i.ad_strip, i.densities, i.notes, i.recorded_at, "
    "i.recorded_at < j.started_at";

Inspection read_inspection(Db::Stmt& st) {
  Inspection i;
  i.job_id = Db::text(st, 0);
  i.reel = Db::text(st, 1);
  i.date = Db::text(st, 2);
  i.ad_strip = sqlite3_column_double(st.s, 3);
  i.densities = nlohmann::json::parse(Db::text(st, 4)).get<std::vector<double>>();
  i.notes = Db::text(st, 5);
  i.recorded_at = Db::text(st, 6);
  i.earlier_filming = sqlite3_column_int(st.s, 7) != 0;
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

Inspection add_inspection(const Catalog& catalog, Inspection in) {
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
  Db db(catalog.file());
  // The reel must be in the catalog; without a job id, it must be one job's reel.
  std::vector<std::string> jobs;
  {
    auto st = db.prepare(
        "SELECT DISTINCT job_id FROM reels WHERE id = ?1 AND (?2 = '' OR job_id = ?2) "
        "AND status != 'spoiled' ORDER BY job_id",
        {in.reel, in.job_id});
    while (db.step(*st)) jobs.push_back(Db::text(*st, 0));
  }
  if (jobs.empty()) {
    throw Error(ErrorKind::job, fmt::format("reel {}{} is not in the catalog {}", in.reel,
                                            in.job_id.empty() ? "" : " of job " + in.job_id,
                                            catalog.file().string()));
  }
  if (jobs.size() > 1) {
    throw Error(ErrorKind::usage, fmt::format("reel {} exists in {} jobs ({}): give --job", in.reel,
                                              jobs.size(), fmt::join(jobs, ", ")));
  }
  in.job_id = jobs.front();
  auto st = db.prepare(
      "INSERT INTO inspections(job_id, reel_id, date, ad_strip, densities, notes) "
      "VALUES (?1, ?2, ?3, CAST(?4 AS REAL), ?5, ?6)",
      {in.job_id, in.reel, in.date, fmt::format("{}", in.ad_strip),
       nlohmann::json(in.densities).dump(), in.notes});
  db.step(*st);
  return in;
}

std::vector<Inspection> list_inspections(const Catalog& catalog, const std::string& job_id,
                                         const std::string& reel) {
  Db db(catalog.file());
  auto st = db.prepare(std::string("SELECT ") + kInspectionColumns +
                           " FROM inspections i JOIN jobs j ON j.id = i.job_id "
                           "WHERE i.job_id = ?1 AND (?2 = '' OR i.reel_id = ?2) "
                           "ORDER BY i.reel_id, i.date, i.id",
                       {job_id, reel});
  std::vector<Inspection> out;
  while (db.step(*st)) out.push_back(read_inspection(*st));
  return out;
}

KeptInspections::KeptInspections(const Catalog& catalog, const std::string& job_id)
    : file_(catalog.file()) {
  Db db(file_);
  auto st = db.prepare(std::string("SELECT ") + kInspectionColumns +
                           ", i.id FROM inspections i JOIN jobs j ON j.id = i.job_id "
                           "WHERE i.job_id = ?1 ORDER BY i.id",
                       {job_id});
  while (db.step(*st)) {
    const long long id = sqlite3_column_int64(st->s, 8);
    kept_.emplace_back(id, read_inspection(*st));
  }
}

std::size_t KeptInspections::restore() const {
  if (kept_.empty()) return 0;
  Db db(file_);
  db.exec("BEGIN IMMEDIATE");
  std::size_t restored = 0;
  try {
    for (const auto& [id, in] : kept_) {
      auto st = db.prepare(
          "INSERT OR IGNORE INTO inspections(id, job_id, reel_id, date, ad_strip, densities, "
          "notes, recorded_at) VALUES (CAST(?1 AS INTEGER), ?2, ?3, ?4, CAST(?5 AS REAL), ?6, "
          "?7, ?8)",
          {std::to_string(id), in.job_id, in.reel, in.date, fmt::format("{:.17g}", in.ad_strip),
           nlohmann::json(in.densities).dump(), in.notes, in.recorded_at});
      db.step(*st);
      restored += db.changes();
    }
    db.exec("COMMIT");
  } catch (...) {
    db.exec_noexcept("ROLLBACK");
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
  // Never inspected: the day the job was filmed counts as the reel's last look.
  auto st = db.prepare(
      "SELECT r.job_id, r.id, "
      "  COALESCE((SELECT MAX(date) FROM inspections i WHERE i.job_id = r.job_id AND "
      "            i.reel_id = r.id AND i.recorded_at >= j.started_at), "
      "           substr(j.started_at, 1, 10)) AS last, "
      "  EXISTS(SELECT 1 FROM inspections i WHERE i.job_id = r.job_id AND i.reel_id = r.id "
      "         AND i.recorded_at >= j.started_at), "
      "  COALESCE((SELECT ad_strip FROM inspections i WHERE i.job_id = r.job_id AND "
      "            i.reel_id = r.id AND i.recorded_at >= j.started_at "
      "            ORDER BY date DESC, id DESC LIMIT 1), 0) "
      "FROM reels r JOIN jobs j ON j.id = r.job_id "
      "WHERE r.status = 'complete' "
      "GROUP BY r.job_id, r.id HAVING last <= ?1 ORDER BY last, r.job_id, r.id",
      {cutoff});
  std::vector<DueReel> out;
  while (db.step(*st)) {
    out.push_back({Db::text(*st, 0), Db::text(*st, 1), Db::text(*st, 2),
                   sqlite3_column_int(st->s, 3) != 0, sqlite3_column_double(st->s, 4)});
  }
  return out;
}

}  // namespace fw
