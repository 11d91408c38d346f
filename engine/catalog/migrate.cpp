#include "catalog/migrate.hpp"

#include <fmt/format.h>

#include "base/sha256.hpp"
#include "catalog/catalog.hpp"
#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

// Parents before children (the foreign keys), each in the order it was written: a job's
// documents are read back in that order.
constexpr const char* kTables[] = {"jobs", "documents", "reels", "frames", "events", "inspections"};

std::int64_t count(db::Connection& db, const std::string& table) {
  auto select = db.prepare("SELECT count(*) FROM " + table);
  select->step();
  return select->integer(0);
}

// Every frame in a fixed order, as one checksum.
std::string frames_checksum(db::Connection& db) {
  auto select = db.prepare(
      "SELECT job_id, reel_id, attempt, frame, frame_sha256 FROM frames ORDER BY job_id, "
      "reel_id, attempt, frame");
  std::string text;
  while (select->step()) {
    text += fmt::format("{} {} {} {} {}\n", select->text(0), select->text(1), select->integer(2),
                        select->integer(3), select->text(4));
  }
  return sha256_hex(text);
}

}  // namespace

std::vector<TableCount> migrate_catalog(const std::filesystem::path& from,
                                        const std::filesystem::path& to) {
  std::error_code ec;
  if (!is_catalog_url(from) && !std::filesystem::is_regular_file(from, ec)) {
    throw Error(ErrorKind::usage, fmt::format("--from: {} does not exist", from.string()));
  }
  // Both at the latest schema, so that their tables have the same columns.
  { const Catalog source(from); }
  { const Catalog target(to); }
  auto source = db::open(from.string(), false);
  auto target = db::open(to.string(), false);
  if (const auto jobs = count(*target, "jobs"); jobs > 0) {
    throw Error(ErrorKind::usage, fmt::format("--to: the catalog {} already holds {} job(s): "
                                              "migrate into a new, empty catalog",
                                              target->name(), jobs));
  }
  db::Transaction transaction(*target);
  for (const char* table : kTables) {
    // On PostgreSQL documents has the row number SQLite keeps for itself (rowid): the target
    // numbers its rows anew, in the source's order.
    auto select = source->prepare(fmt::format(
        "SELECT * FROM {} ORDER BY {}", table,
        source->dialect() == db::Dialect::sqlite || std::string(table) == "documents" ? "rowid"
                                                                                      : "1"));
    if (!select->step()) continue;
    std::vector<int> copied;
    std::string names, params;
    for (int c = 0; c < select->columns(); ++c) {
      const std::string name = select->column_name(c);
      if (name == "rowid") continue;
      copied.push_back(c);
      names += (names.empty() ? "" : ", ") + name;
      params += fmt::format("{}?{}", params.empty() ? "" : ", ", copied.size());
    }
    auto insert =
        target->prepare(fmt::format("INSERT INTO {}({}) VALUES ({})", table, names, params));
    do {
      for (std::size_t i = 0; i < copied.size(); ++i) {
        insert->bind(static_cast<int>(i + 1), select->text(copied[i]));
      }
      insert->run();
    } while (select->step());
  }
  if (target->dialect() == db::Dialect::postgresql) {
    // Rows copied with their ids: the id sequences continue after them.
    for (const char* table : {"events", "inspections"}) {
      target->exec(fmt::format(
          "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE(max(id), 0) + 1, false) "
          "FROM {0}",
          table));
    }
  }
  std::vector<TableCount> counts;
  for (const char* table : kTables) {
    const std::int64_t in = count(*source, table), out = count(*target, table);
    if (in != out) {
      throw Error(ErrorKind::internal,
                  fmt::format("catalog migrate: {} has {} rows in {} but {} in {}: nothing was "
                              "migrated",
                              table, in, source->name(), out, target->name()));
    }
    counts.push_back({table, out});
  }
  if (frames_checksum(*source) != frames_checksum(*target)) {
    throw Error(ErrorKind::internal,
                fmt::format("catalog migrate: the frames of {} and {} differ: nothing was migrated",
                            source->name(), target->name()));
  }
  transaction.commit();
  return counts;
}

}  // namespace fw
