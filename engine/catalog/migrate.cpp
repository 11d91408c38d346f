#include "catalog/migrate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "base/sha256.hpp"
#include "catalog/catalog.hpp"
#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

// Every table of the catalog, in the order the schema creates them (kCatalogMigrations): parents
// before children, as PostgreSQL requires of a REFERENCES clause, so that the target's foreign
// keys hold as rows arrive. Each table is copied in the order it was written: a job's documents
// are read back in that order. refuse_tables_left_behind() holds this list to the source's
// database, so that a table the schema gains and this list lacks stops the migration instead
// of being left behind with its row count never compared.
constexpr const char* kTables[] = {"jobs",   "documents",   "reels", "frames",
                                   "events", "inspections", "toc"};

// Tables beside the catalog in its database that are not part of it, so not copied: the
// schema version (the target keeps its own) and the shared queue (engine/api/shared_queue.hpp:
// the hosts' jobs and leases on that server, not a record of film).
constexpr const char* kBesideTheCatalog[] = {"filmwriter_schema", "filmwriter_queue"};

bool listed(const auto& list, const std::string& table) {
  return std::find(std::begin(list), std::end(list), table) != std::end(list);
}

// The tables of `db`'s database as it lists them (SQLite's own sqlite_* left out).
std::set<std::string> tables_of(db::Connection& db) {
  auto select = db.prepare(db.dialect() == db::Dialect::sqlite
                               ? "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                 "substr(name, 1, 7) <> 'sqlite_'"
                               : "SELECT table_name FROM information_schema.tables WHERE "
                                 "table_schema = current_schema() AND table_type = 'BASE TABLE'");
  std::set<std::string> out;
  while (select->step()) out.insert(select->text(0));
  return out;
}

// Throws, naming it, when the source's database has a table migrate would not copy: its rows
// would be lost while every count compared agrees. The target, at the latest schema, tells
// which: a table it has too is the catalog's and kTables is behind (a defect), one only the
// source has is a site's own, for the operator to move or drop.
void refuse_tables_left_behind(db::Connection& source, db::Connection& target) {
  const std::set<std::string> schema = tables_of(target);
  for (const std::string& table : tables_of(source)) {
    if (listed(kTables, table) || listed(kBesideTheCatalog, table)) continue;
    if (schema.count(table) != 0) {
      throw Error(ErrorKind::internal,
                  fmt::format("catalog migrate: table {} of {} is not in migrate's copy list "
                              "(engine/catalog/migrate.cpp): its rows would be left behind, so "
                              "nothing was migrated",
                              table, source.name()));
    }
    throw Error(ErrorKind::usage,
                fmt::format("catalog migrate: table {} of {} is not a table of the filmwriter "
                            "catalog, and migrate copies only those: move it elsewhere or drop "
                            "it, then migrate again (nothing was migrated)",
                            table, source.name()));
  }
}

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
  refuse_tables_left_behind(*source, *target);
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
    // Rows copied with their ids: each numbered column's sequence (events.id, inspections.id,
    // documents.rowid, and any a later schema adds) continues after them.
    std::vector<std::pair<std::string, std::string>> numbered;
    auto columns = target->prepare(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND column_default LIKE 'nextval(%'");
    while (columns->step()) {
      if (listed(kTables, columns->text(0))) {
        numbered.emplace_back(columns->text(0), columns->text(1));
      }
    }
    for (const auto& [table, column] : numbered) {
      target->exec(fmt::format(
          "SELECT setval(pg_get_serial_sequence('{0}', '{1}'), COALESCE(max({1}), 0) + 1, "
          "false) FROM {0}",
          table, column));
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
