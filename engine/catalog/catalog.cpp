// The catalog's connection and schema: opening a SQLite file or a PostgreSQL URL, the
// migrations, and the helpers about where a catalog is. What it writes is in
// catalog_write.cpp, what it answers in catalog_find.cpp and catalog_toc.cpp.
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "catalog/catalog_sql.hpp"
#include "core/error.hpp"

namespace fw {

using catalog_sql::Statement;

const std::vector<const char*> kCatalogMigrations = {
    // 1: the first catalog.
    R"sql(
CREATE TABLE jobs(
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  institution TEXT NOT NULL DEFAULT '',
  dir TEXT NOT NULL,
  plan_sha256 TEXT NOT NULL,
  format TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
CREATE TABLE documents(
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  title TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  source_files TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY(job_id, id));
CREATE TABLE reels(
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL,
  format TEXT NOT NULL,
  film_length_m REAL NOT NULL DEFAULT 0,
  frames INTEGER NOT NULL DEFAULT 0,
  film_used_m REAL NOT NULL DEFAULT 0,
  index_sha256 TEXT NOT NULL DEFAULT '',
  manifest_sha256 TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(job_id, id, attempt));
CREATE TABLE frames(
  job_id TEXT NOT NULL,
  reel_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  frame INTEGER NOT NULL,
  address TEXT NOT NULL,
  blip TEXT NOT NULL,
  document_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  source_file TEXT NOT NULL,
  source_page INTEGER NOT NULL,
  source_sha256 TEXT NOT NULL,
  frame_sha256 TEXT NOT NULL,
  PRIMARY KEY(job_id, reel_id, attempt, frame),
  FOREIGN KEY(job_id, reel_id, attempt) REFERENCES reels(job_id, id, attempt) ON DELETE CASCADE,
  FOREIGN KEY(job_id, document_id) REFERENCES documents(job_id, id) ON DELETE CASCADE);
)sql",
    // 2: the frame's target type (page or substitute), an event log, lookup indexes.
    R"sql(
ALTER TABLE frames ADD COLUMN kind TEXT NOT NULL DEFAULT 'page';
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  time TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  kind TEXT NOT NULL,
  message TEXT NOT NULL);
CREATE INDEX frames_by_source ON frames(source_sha256);
CREATE INDEX frames_by_frame ON frames(frame_sha256);
CREATE INDEX frames_by_document ON frames(job_id, document_id);
)sql",
    // 3: vault inspections of master reels (catalog/inspection.hpp).
    R"sql(
CREATE TABLE inspections(
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  reel_id TEXT NOT NULL,
  date TEXT NOT NULL,
  ad_strip REAL NOT NULL,
  densities TEXT NOT NULL DEFAULT '[]',
  notes TEXT NOT NULL DEFAULT '',
  recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));
CREATE INDEX inspections_by_reel ON inspections(job_id, reel_id, date);
)sql",
    // 4: indexes for `catalog find`: by document id alone (then the frames by
    // frames_by_document), by title (a covering index: the scan for a title substring reads
    // titles, not the documents' metadata), by source file (the file name, i.e. the last path
    // component, the expression kSourceName repeats) and, from 2, by checksum.
    R"sql(
CREATE INDEX documents_by_id ON documents(id);
CREATE INDEX documents_by_title ON documents(title, job_id, id);
CREATE INDEX frames_by_source_name ON frames(
  substr(source_file, length(rtrim(source_file, replace(source_file, '/', ''))) + 1));
)sql",
    // 5: what index.csv records of each frame beyond its source: the EXIF/TIFF orientation
    // ingest applied and the density calibration its code values went through.
    R"sql(
ALTER TABLE frames ADD COLUMN orientation INTEGER NOT NULL DEFAULT 1;
ALTER TABLE frames ADD COLUMN calibration TEXT NOT NULL DEFAULT '';
)sql",
    // 6: when each reel attempt was loaded (an inspection cannot predate its filming; before
    // this version, the job's start stands in), and inspections that are corrected or
    // withdrawn with a reason instead of being changed or deleted (catalog/inspection.hpp).
    R"sql(
ALTER TABLE reels ADD COLUMN loaded_at TEXT NOT NULL DEFAULT '';
UPDATE reels SET loaded_at = (SELECT started_at FROM jobs WHERE jobs.id = reels.job_id);
ALTER TABLE inspections ADD COLUMN status TEXT NOT NULL DEFAULT 'current';
ALTER TABLE inspections ADD COLUMN corrects INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inspections ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE inspections ADD COLUMN changed_at TEXT NOT NULL DEFAULT '';
)sql",
    // 7: failed and superseded attempts stay. A job filmed again from the start (--overwrite)
    // is the job's next run: the earlier run's reels and frames are kept, marked superseded
    // with the time, instead of being deleted. Reel attempts count across runs: a run's reel
    // attempt N (as its journal numbers it) is stored as attempt_base + N, attempt_base being
    // the highest attempt of the earlier runs.
    R"sql(
ALTER TABLE jobs ADD COLUMN run INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reels ADD COLUMN run INTEGER NOT NULL DEFAULT 1;
ALTER TABLE reels ADD COLUMN superseded_at TEXT NOT NULL DEFAULT '';
)sql",
    // 8: documents' tables of contents (目次): one row per entry, in reading order. Where each
    // entry is on film is its page's frame (Catalog::toc), so a reel filmed again moves the
    // answer with it. Plain SQL only: the same schema serves a PostgreSQL catalog.
    R"sql(
CREATE TABLE toc(
  job_id TEXT NOT NULL,
  document_id TEXT NOT NULL,
  entry INTEGER NOT NULL,
  title TEXT NOT NULL,
  page INTEGER NOT NULL,
  level INTEGER NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY(job_id, document_id, entry),
  FOREIGN KEY(job_id, document_id) REFERENCES documents(job_id, id) ON DELETE CASCADE);
CREATE INDEX toc_by_title ON toc(title, job_id, document_id, entry);
)sql",
    // 9: the operator who declared the filming (the declaration target at each reel's end), in
    // NFC, so that a supervisor can list every frame an operator filmed; '' for jobs that named
    // nobody, and for every job filmed before this version.
    R"sql(
ALTER TABLE jobs ADD COLUMN operator_name TEXT NOT NULL DEFAULT '';
)sql",
};

bool is_catalog_url(const std::filesystem::path& location) {
  return db::is_url(location.string());
}

std::string redacted_location(const std::filesystem::path& location) {
  return db::redact(location.string());
}

std::filesystem::path default_catalog(const std::filesystem::path& fallback) {
  const char* env = std::getenv("FILMWRITER_CATALOG");
  return env != nullptr && *env != '\0' ? std::filesystem::path(env) : fallback;
}

namespace {

// PostgreSQL keeps the schema version in this one-row table (SQLite in PRAGMA user_version, as
// catalogs made before PostgreSQL did).
constexpr const char* kPgVersionTable = "filmwriter_schema";
// The key of the advisory lock that serialises migrations when several processes open a new
// PostgreSQL catalog at once (an arbitrary constant: filmwriter's, nobody else's).
constexpr std::int64_t kPgMigrationLock = 0x66696c6d77726974;  // "filmwrit"

// Migration `sql` for `dialect`. On PostgreSQL, db::translate does the types and ids, and the
// documents table gets the row number SQLite gives every table (rowid): documents() reads a
// job's documents in the order they were written.
std::string migration_sql(const std::string& sql, db::Dialect dialect) {
  if (dialect == db::Dialect::sqlite) return sql;
  std::string out = sql;
  const std::string documents = "CREATE TABLE documents(";
  if (const auto at = out.find(documents); at != std::string::npos) {
    out.insert(at + documents.size(), "\n  rowid BIGSERIAL NOT NULL,");
  }
  return out;
}

}  // namespace

void set_catalog_wait_notice(std::function<void(const std::string& message)> notice) {
  db::set_wait_notice(std::move(notice));
}

std::string catalog_damage(const std::filesystem::path& location) {
  std::error_code ec;
  if (db::is_url(location.string()) || !std::filesystem::is_regular_file(location, ec)) return {};
  return db::sqlite_damage(location.string());
}

Catalog::Catalog(const std::filesystem::path& file, int max_version)
    : file_(file), db_(db::open(file.string(), true)) {
  const bool sqlite = db_->dialect() == db::Dialect::sqlite;
  if (sqlite) {
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA foreign_keys = ON");
    // WAL with synchronous=NORMAL is durable up to the last checkpoint-safe commit; the journal
    // is what resume trusts, so a lost last batch is rebuilt from it.
    exec("PRAGMA synchronous = NORMAL");
    // SQLite's page cache (2 MB by default) fills with the catalog and stays: a long job's
    // memory would grow until it is full. A writer touches the ends of its indexes, a query a
    // few pages per level, and the kernel caches the file anyway (bench/README.md, "Memory").
    exec("PRAGMA cache_size = -256");
  }
  const int target = std::min(max_version < 0 ? latest_version() : max_version, latest_version());
  auto migrate = [&] {
    const int found = schema_version();
    if (found > latest_version()) {
      throw Error(ErrorKind::job,
                  fmt::format("catalog {}: schema version {} is newer than this filmwriter's ({}): "
                              "use a filmwriter at least as new as the one that wrote it",
                              db_->name(), found, latest_version()));
    }
    for (int version = found; version < target; ++version) {
      exec(migration_sql(kCatalogMigrations[static_cast<std::size_t>(version)], db_->dialect()));
      exec(sqlite ? fmt::format("PRAGMA user_version = {}", version + 1)
                  : fmt::format("UPDATE {} SET version = {}", kPgVersionTable, version + 1));
    }
  };
  if (sqlite) {
    // Only a catalog that needs it takes the write lock: a reader opening the catalog while a
    // job writes must not wait for the job's batch.
    if (schema_version() < target || schema_version() > latest_version()) {
      db::Transaction transaction(*db_);
      migrate();
      transaction.commit();
    }
  } else {
    // One transaction under a lock: the first hosts to open a new shared catalog at the same
    // moment migrate it once; the others wait, then find it done.
    db::Transaction transaction(*db_);
    Statement(*db_, "SELECT pg_advisory_xact_lock(?1)").bind(1, kPgMigrationLock).run();
    exec(fmt::format("CREATE TABLE IF NOT EXISTS {}(version INTEGER NOT NULL)", kPgVersionTable));
    if (!Statement(*db_, fmt::format("SELECT 1 FROM {}", kPgVersionTable)).step()) {
      exec(fmt::format("INSERT INTO {}(version) VALUES (0)", kPgVersionTable));
    }
    migrate();
    transaction.commit();
  }
}

Catalog::~Catalog() = default;

int Catalog::latest_version() {
  return static_cast<int>(kCatalogMigrations.size());
}

int Catalog::schema_version() const {
  Statement select(*db_, db_->dialect() == db::Dialect::sqlite
                             ? std::string("PRAGMA user_version")
                             : fmt::format("SELECT version FROM {}", kPgVersionTable));
  return select.step() ? static_cast<int>(select.integer(0)) : 0;
}

std::string Catalog::location() const {
  return db_->name();
}

void Catalog::exec(const std::string& sql) const {
  db_->exec(sql);
}

}  // namespace fw
