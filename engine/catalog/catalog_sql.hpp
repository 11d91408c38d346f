// What the catalog's files share (catalog.cpp, catalog_write.cpp, catalog_find.cpp,
// catalog_toc.cpp, and inspection.cpp beside them): statements on the catalog's connection
// (catalog/database.hpp) and the SQL fragments more than one of them reads. Private to
// engine/catalog.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catalog/database.hpp"

namespace fw::catalog_sql {

// A statement of the catalog's connection (db::Statement), chained as the code reads best.
class Statement {
 public:
  Statement(db::Connection& db, const std::string& sql) : statement_(db.prepare(sql)) {}
  Statement& bind(int i, const std::string& text) {
    statement_->bind(i, text);
    return *this;
  }
  Statement& bind(int i, std::int64_t value) {
    statement_->bind(i, value);
    return *this;
  }
  Statement& bind(int i, double value) {
    statement_->bind(i, value);
    return *this;
  }
  // True while a row is available.
  bool step() { return statement_->step(); }
  void run() { statement_->run(); }
  std::string text(int column) const { return statement_->text(column); }
  std::int64_t integer(int column) const { return statement_->integer(column); }
  double real(int column) const { return statement_->real(column); }
  bool is_null(int column) const { return statement_->is_null(column); }
  // Ready to bind and step again.
  void reset() { statement_->reset(); }

 private:
  std::unique_ptr<db::Statement> statement_;
};

// A reel's status as the operator should see it: one left `exposing` by a job that failed or
// was interrupted holds what it holds and no more, i.e. it is incomplete.
// (A subquery, not a join with jobs: that join leads SQLite to scan the frames in ORDER BY
// order instead of finding them by index.)
// A reel of an earlier run of the job (before --overwrite filmed it again) is superseded.
inline constexpr const char* kReelStatus =
    "CASE WHEN r.superseded_at <> '' THEN 'superseded' WHEN r.status = 'exposing' AND (SELECT "
    "status FROM jobs WHERE jobs.id = r.job_id) IN ('failed', 'interrupted') THEN 'incomplete' "
    "ELSE r.status END";

// The current attempt of each reel, for a query joining frames f with reels r.
inline constexpr const char* kCurrentAttempts =
    "WHERE r.status <> 'spoiled' AND r.superseded_at = '' ";

// `text` for a LIKE pattern that takes it literally ('\' escapes %, _ and itself; the
// statement says ESCAPE '\').
std::string like_literal(const std::string& text);
// LIKE pattern matching `text` literally anywhere.
inline std::string like_anywhere(const std::string& text) {
  return "%" + like_literal(text) + "%";
}

// A metadata column (a JSON object of strings, in job-file order) as key-value pairs.
std::vector<std::pair<std::string, std::string>> metadata_pairs(const std::string& json);

}  // namespace fw::catalog_sql
