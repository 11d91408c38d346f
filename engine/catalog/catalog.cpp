#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw {

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
};

namespace {

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

// The parameters of one frame row: 15, from ?(first + 1).
constexpr int kFrameColumns = 15;
// Rows in one INSERT of add_frames (a batch of RecordKeeper's; 480 parameters, below SQLite's
// and PostgreSQL's limits).
constexpr std::size_t kFramesPerInsert = 32;

// Binds one frame's row as the parameters first + 1 .. first + 15 of `insert`.
void bind_frame(Statement& insert, int first, const std::string& job_id, const std::string& reel_id,
                std::uint32_t attempt, const IndexRow& row) {
  insert.bind(first + 1, job_id)
      .bind(first + 2, reel_id)
      .bind(first + 3, std::int64_t{attempt})
      .bind(first + 4, std::int64_t{row.frame})
      .bind(first + 5, row.address)
      .bind(first + 6, row.blip)
      .bind(first + 7, row.document_id)
      .bind(first + 8, std::int64_t{row.page})
      .bind(first + 9, row.source_file)
      .bind(first + 10, std::int64_t{row.source_page})
      .bind(first + 11, row.source_sha256)
      .bind(first + 12, row.frame_sha256)
      .bind(first + 13, row.kind)
      .bind(first + 14, std::int64_t{row.orientation})
      .bind(first + 15, row.calibration);
}

void insert_frame(Statement& insert, const std::string& job_id, const std::string& reel_id,
                  std::uint32_t attempt, const IndexRow& row) {
  bind_frame(insert, 0, job_id, reel_id, attempt, row);
  insert.run();
}

// INSERT of `rows` frame rows in one statement (one round trip to a server instead of one a
// frame), a row written again replacing the one it finds.
std::string insert_frames_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO frames(job_id, reel_id, attempt, frame, address, blip, document_id, page, "
      "source_file, source_page, source_sha256, frame_sha256, kind, orientation, calibration) "
      "VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (int c = 1; c <= kFrameColumns; ++c) {
      sql += fmt::format("{}?{}", c == 1 ? "" : ", ", static_cast<int>(r) * kFrameColumns + c);
    }
    sql += ")";
  }
  sql +=
      " ON CONFLICT(job_id, reel_id, attempt, frame) DO UPDATE SET address = excluded.address, "
      "blip = excluded.blip, document_id = excluded.document_id, page = excluded.page, "
      "source_file = excluded.source_file, source_page = excluded.source_page, "
      "source_sha256 = excluded.source_sha256, frame_sha256 = excluded.frame_sha256, "
      "kind = excluded.kind, orientation = excluded.orientation, calibration = "
      "excluded.calibration";
  return sql;
}

const std::string kInsertFrame = insert_frames_sql(1);

// A reel's status as the operator should see it: one left `exposing` by a job that failed or
// was interrupted holds what it holds and no more, i.e. it is incomplete.
// (A subquery, not a join with jobs: that join leads SQLite to scan the frames in ORDER BY
// order instead of finding them by index.)
// A reel of an earlier run of the job (before --overwrite filmed it again) is superseded.
constexpr const char* kReelStatus =
    "CASE WHEN r.superseded_at <> '' THEN 'superseded' WHEN r.status = 'exposing' AND (SELECT "
    "status FROM jobs WHERE jobs.id = r.job_id) IN ('failed', 'interrupted') THEN 'incomplete' "
    "ELSE r.status END";

// The current (highest) attempt of each reel: frames of spoiled attempts and of superseded runs
// are not answers, unless every attempt is asked for (FrameQuery::all_attempts).
const std::string kFrameSelect =
    "SELECT f.job_id, f.reel_id, f.frame, f.kind, f.document_id, f.page, f.address, f.blip, "
    "f.source_file, f.source_page, f.source_sha256, f.frame_sha256, d.title, f.orientation, "
    "f.calibration, " +
    std::string(kReelStatus) +
    ", f.attempt FROM frames f JOIN reels r ON r.job_id = f.job_id AND r.id = f.reel_id AND "
    "r.attempt = f.attempt JOIN documents d ON d.job_id = f.job_id AND d.id = f.document_id ";
constexpr const char* kCurrentAttempts = "WHERE r.status <> 'spoiled' AND r.superseded_at = '' ";
constexpr const char* kEveryAttempt = "WHERE 1 = 1 ";

// The SQL list of the frame kinds that belong to the reel, not to a document.
constexpr const char* kReelTargetKinds = "('start-target', 'technical-target', 'end-target')";

std::vector<CatalogFrame> read_frames(Statement& select) {
  std::vector<CatalogFrame> out;
  while (select.step()) {
    CatalogFrame f;
    f.job_id = select.text(0);
    f.reel_id = select.text(1);
    f.row.frame = static_cast<std::uint32_t>(select.integer(2));
    f.row.kind = select.text(3);
    f.row.document_id = select.text(4);
    f.row.page = static_cast<std::uint32_t>(select.integer(5));
    f.row.address = select.text(6);
    f.row.blip = select.text(7);
    f.row.source_file = select.text(8);
    f.row.source_page = static_cast<std::uint32_t>(select.integer(9));
    f.row.source_sha256 = select.text(10);
    f.row.frame_sha256 = select.text(11);
    f.title = select.text(12);
    f.row.orientation = static_cast<std::uint32_t>(select.integer(13));
    f.row.calibration = select.text(14);
    f.reel_status = select.text(15);
    f.attempt = static_cast<std::uint32_t>(select.integer(16));
    if (f.reel_target()) f.title.clear();  // the reel's, not the document's
    out.push_back(std::move(f));
  }
  return out;
}

// The last component of f.source_file, written exactly as in the index frames_by_source_name
// (SQLite uses an index on an expression only for the same expression): rtrim strips the
// trailing characters that are not '/', which leaves the folder part.
constexpr const char* kSourceName =
    "substr(f.source_file, length(rtrim(f.source_file, replace(f.source_file, '/', ''))) + 1)";

// LIKE pattern matching `text` literally anywhere ('\' escapes % and _).
std::string like_anywhere(const std::string& text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

// The words of a free-text search: split at white space, the ideographic space included.
std::vector<std::string> search_words(const std::string& text) {
  std::string spaced = text;
  for (std::size_t at; (at = spaced.find("\u3000")) != std::string::npos;) {
    spaced.replace(at, 3, " ");
  }
  std::vector<std::string> words;
  std::istringstream in(spaced);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

}  // namespace

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

bool is_reel_target(const std::string& kind) {
  return kind == "start-target" || kind == "technical-target" || kind == "end-target";
}

std::string normalize_sha256(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw Error(ErrorKind::usage,
                  fmt::format("--sha256: expected hexadecimal digits, got \"{}\"", text));
    }
    out += c;
  }
  if (out.size() != 64) {
    throw Error(ErrorKind::usage,
                fmt::format("--sha256: expected 64 hexadecimal digits, got {} in \"{}\"",
                            out.size(), text));
  }
  return out;
}

std::pair<std::string, std::string> parse_meta_query(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(ErrorKind::usage,
                fmt::format("--meta: expected KEY=VALUE (e.g. 作者=朱熹), got \"{}\"", text));
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
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

namespace {

// The site prefix of a reel id: "NLC-B2" of "NLC-B2-R0001", "" of "R0001" (and of "F0001").
std::string reel_site(const std::string& reel_id) {
  const auto dash = reel_id.rfind('-');
  return dash == std::string::npos ? std::string() : reel_id.substr(0, dash);
}

}  // namespace

void Catalog::refuse_another_sites_job(const CatalogJob& job) {
  // A job id is the catalog's key: a second site filming a job of the same id would make its
  // run supersede the first site's reels. Hosts that share a catalog give their jobs ids of
  // their own; the reels' site prefixes tell whose a job is.
  Statement reels(*db_, "SELECT id FROM reels WHERE job_id = ?1 ORDER BY id LIMIT 1");
  reels.bind(1, job.id);
  if (!reels.step()) return;
  const std::string reel = reels.text(0);
  const std::string site = reel_site(reel);
  if (site == job.site) return;
  throw Error(
      ErrorKind::job,
      fmt::format("catalog {}: job {} in this catalog was filmed {} (reel {}), and this run "
                  "films as {}: a job id is one job across the hosts that share a "
                  "catalog; give this job an id of its own (--id), or film it with "
                  "the site it was filmed with",
                  db_->name(), job.id,
                  site.empty() ? std::string("without a site") : "by site " + site, reel,
                  job.site.empty() ? std::string("no site") : "site " + job.site));
}

void Catalog::start_job(const CatalogJob& job) {
  db::Transaction transaction(*db_);
  Statement earlier(*db_,
                    "SELECT run, (SELECT COALESCE(max(attempt), 0) FROM reels WHERE job_id = ?1), "
                    "status FROM jobs WHERE id = ?1");
  earlier.bind(1, job.id);
  if (earlier.step()) {
    refuse_another_sites_job(job);
    // Filmed again from the start: the earlier run's reels and frames stay, superseded.
    const std::int64_t run = earlier.integer(0);
    const std::int64_t base = earlier.integer(1);
    const std::string status = earlier.text(2);
    std::string reels;
    {
      Statement current(*db_,
                        "SELECT id, attempt, status FROM reels WHERE job_id = ?1 AND "
                        "superseded_at = '' ORDER BY id, attempt");
      current.bind(1, job.id);
      while (current.step()) {
        reels += fmt::format("{}{} attempt {} ({})", reels.empty() ? "" : ", ", current.text(0),
                             current.integer(1),
                             current.text(2) == "exposing" ? "incomplete" : current.text(2));
      }
    }
    Statement(*db_,
              "UPDATE reels SET superseded_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), status = "
              "CASE WHEN status = 'exposing' THEN 'incomplete' ELSE status END "
              "WHERE job_id = ?1 AND superseded_at = ''")
        .bind(1, job.id)
        .run();
    Statement(*db_,
              "UPDATE jobs SET title = ?2, institution = ?3, dir = ?4, plan_sha256 = ?5, format = "
              "?6, status = 'running', run = ?7, attempt_base = ?8, started_at = "
              "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), updated_at = "
              "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1")
        .bind(1, job.id)
        .bind(2, job.title)
        .bind(3, job.institution)
        .bind(4, job.dir.string())
        .bind(5, job.plan_sha256)
        .bind(6, job.format)
        .bind(7, run + 1)
        .bind(8, base)
        .run();
    Statement(*db_, "INSERT INTO events(job_id, kind, message) VALUES (?1, 'superseded', ?2)")
        .bind(1, job.id)
        .bind(2, fmt::format("run {} filmed the job again from the start; run {} ({}) is kept "
                             "as superseded: {}",
                             run + 1, run, status, reels.empty() ? "no reel" : reels))
        .run();
  } else {
    Statement(*db_,
              "INSERT INTO jobs(id, title, institution, dir, plan_sha256, format, status) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running')")
        .bind(1, job.id)
        .bind(2, job.title)
        .bind(3, job.institution)
        .bind(4, job.dir.string())
        .bind(5, job.plan_sha256)
        .bind(6, job.format)
        .run();
  }
  write_documents(job);
  transaction.commit();
}

void Catalog::write_documents(const CatalogJob& job) {
  // Documents of an earlier run stay (its frames name them); the job's own are brought up to
  // date.
  Statement insert(*db_,
                   "INSERT INTO documents(job_id, id, title, metadata, source_files) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(job_id, id) DO UPDATE SET "
                   "title = excluded.title, metadata = excluded.metadata, "
                   "source_files = excluded.source_files");
  // A document's table of contents is the job's as it is now: an earlier run's is replaced.
  Statement clear_toc(*db_, "DELETE FROM toc WHERE job_id = ?1 AND document_id = ?2");
  Statement insert_toc(*db_,
                       "INSERT INTO toc(job_id, document_id, entry, title, page, level, metadata) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  const auto json_of = [](const std::vector<std::pair<std::string, std::string>>& pairs) {
    // Metadata keeps the job file's order: a JSON object written key by key.
    nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
    for (const auto& [key, value] : pairs) metadata[key] = value;
    return metadata.dump();
  };
  for (const auto& doc : job.documents) {
    insert.bind(1, job.id)
        .bind(2, doc.id)
        .bind(3, doc.title)
        .bind(4, json_of(doc.metadata))
        .bind(5, nlohmann::json(doc.source_files).dump())
        .run();
    clear_toc.bind(1, job.id).bind(2, doc.id).run();
    for (std::size_t i = 0; i < doc.toc.size(); ++i) {
      const CatalogTocEntry& entry = doc.toc[i];
      insert_toc.bind(1, job.id)
          .bind(2, doc.id)
          .bind(3, static_cast<std::int64_t>(i + 1))
          .bind(4, entry.title)
          .bind(5, std::int64_t{entry.page})
          .bind(6, std::int64_t{entry.level})
          .bind(7, json_of(entry.metadata))
          .run();
    }
  }
}

void Catalog::reel_loaded(const std::string& job_id, const std::string& reel_id,
                          std::uint32_t attempt, double film_length_m) {
  Statement(*db_,
            "INSERT INTO reels(job_id, id, attempt, status, format, film_length_m, loaded_at, "
            "run) SELECT id, ?2, attempt_base + ?3, 'exposing', format, ?4, "
            "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), run FROM jobs WHERE id = ?1 "
            "ON CONFLICT(job_id, id, attempt) DO UPDATE SET status = 'exposing'")
      .bind(1, job_id)
      .bind(2, reel_id)
      .bind(3, std::int64_t{attempt})
      .bind(4, film_length_m)
      .run();
}

void Catalog::add_frames(const std::string& job_id, const std::vector<CatalogFrame>& frames) {
  if (frames.empty()) return;
  db::Transaction transaction(*db_);
  Statement attempt(*db_,
                    "SELECT max(attempt) FROM reels WHERE job_id = ?1 AND id = ?2 AND "
                    "superseded_at = ''");
  // A batch is one reel's frames (two across a reel change): its attempt is asked once per
  // reel, and its rows go in one multi-row INSERT of at most 32 rows, one round trip to a
  // server rather than one a frame (bench/README.md). A frame given twice in a batch starts
  // another statement: one statement may not write a row twice.
  struct Pending {
    const CatalogFrame* frame;
    std::uint32_t attempt;
  };
  std::vector<Pending> rows;
  std::set<std::pair<std::string, std::uint32_t>> keys;
  std::map<std::size_t, Statement> inserts;  // by the number of rows
  const auto flush = [&] {
    if (rows.empty()) return;
    auto it = inserts.find(rows.size());
    if (it == inserts.end()) {
      it = inserts.try_emplace(rows.size(), *db_, insert_frames_sql(rows.size())).first;
    }
    Statement& insert = it->second;
    int first = 0;
    for (const Pending& p : rows) {
      bind_frame(insert, first, job_id, p.frame->reel_id, p.attempt, p.frame->row);
      first += kFrameColumns;
    }
    insert.run();
    rows.clear();
    keys.clear();
  };
  std::string reel;
  std::uint32_t current = 0;
  for (const auto& f : frames) {
    if (f.reel_id != reel || reel.empty()) {
      attempt.bind(1, job_id).bind(2, f.reel_id);
      if (!attempt.step())
        throw Error(ErrorKind::internal, "catalog: reel " + f.reel_id + " unknown");
      current = static_cast<std::uint32_t>(attempt.integer(0));
      attempt.run();
      reel = f.reel_id;
    }
    if (rows.size() == kFramesPerInsert || keys.contains({f.reel_id, f.row.frame})) flush();
    keys.insert({f.reel_id, f.row.frame});
    rows.push_back({&f, current});
  }
  flush();
  transaction.commit();
}

void Catalog::reel_closed(const std::string& job_id, const CatalogReel& reel) {
  Statement(*db_,
            "UPDATE reels SET status = ?4, frames = ?5, film_used_m = ?6, index_sha256 = ?7, "
            "manifest_sha256 = ?8 WHERE job_id = ?1 AND id = ?2 AND attempt = ?3 + (SELECT "
            "attempt_base FROM jobs WHERE id = ?1)")
      .bind(1, job_id)
      .bind(2, reel.reel_id)
      .bind(3, std::int64_t{reel.attempt})
      .bind(4, reel.status)
      .bind(5, std::int64_t{reel.frames})
      .bind(6, reel.film_used_m)
      .bind(7, reel.index_sha256)
      .bind(8, reel.manifest_sha256)
      .run();
}

void Catalog::add_event(const std::string& job_id, const std::string& kind,
                        const std::string& message) {
  Statement(*db_, "INSERT INTO events(job_id, kind, message) VALUES (?1, ?2, ?3)")
      .bind(1, job_id)
      .bind(2, kind)
      .bind(3, message)
      .run();
}

void Catalog::set_job_status(const std::string& job_id, const std::string& status) {
  Statement(*db_,
            "UPDATE jobs SET status = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
            "WHERE id = ?1")
      .bind(1, job_id)
      .bind(2, status)
      .run();
}

void Catalog::sync_job(const CatalogJob& job, const JournalState& journal) {
  // The job's row, its events and earlier runs stay; the current run's reels and frames are
  // rebuilt from the journal, keeping when each reel was loaded (the film is the same film).
  Statement exists(*db_, "SELECT 1 FROM jobs WHERE id = ?1");
  exists.bind(1, job.id);
  if (!exists.step()) start_job(job);  // a catalog that never saw the job's start
  db::Transaction transaction(*db_);
  Statement keep_loaded(*db_,
                        "SELECT r.id, r.attempt - j.attempt_base, r.loaded_at FROM reels r JOIN "
                        "jobs j ON j.id = r.job_id WHERE r.job_id = ?1 AND r.superseded_at = ''");
  keep_loaded.bind(1, job.id);
  std::map<std::pair<std::string, std::int64_t>, std::string> loaded_at;
  while (keep_loaded.step())
    loaded_at[{keep_loaded.text(0), keep_loaded.integer(1)}] = keep_loaded.text(2);
  Statement keep_started(*db_, "SELECT started_at FROM jobs WHERE id = ?1");
  keep_started.bind(1, job.id);
  const std::string started_at = keep_started.step() ? keep_started.text(0) : std::string();
  auto loaded = [&](const std::string& reel, std::uint32_t attempt) {
    const auto it = loaded_at.find({reel, std::int64_t{attempt}});
    return it != loaded_at.end() && !it->second.empty() ? it->second : started_at;
  };
  Statement(*db_, "DELETE FROM reels WHERE job_id = ?1 AND superseded_at = ''")
      .bind(1, job.id)
      .run();  // and their frames (ON DELETE CASCADE)
  Statement(*db_,
            "UPDATE jobs SET title = ?2, institution = ?3, dir = ?4, plan_sha256 = ?5, format = "
            "?6, status = 'running', updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
            "WHERE id = ?1")
      .bind(1, job.id)
      .bind(2, job.title)
      .bind(3, job.institution)
      .bind(4, job.dir.string())
      .bind(5, job.plan_sha256)
      .bind(6, job.format)
      .run();
  write_documents(job);
  Statement reel_insert(*db_,
                        "INSERT INTO reels(job_id, id, attempt, status, format, frames, "
                        "film_used_m, film_length_m, loaded_at, run) SELECT ?1, ?2, attempt_base "
                        "+ ?3, ?4, ?5, ?6, ?7, ?8, COALESCE(NULLIF(?9, ''), "
                        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), run FROM jobs WHERE id = ?1");
  for (const auto& spoiled : journal.spoiled) {
    reel_insert.bind(1, job.id)
        .bind(2, spoiled.id)
        .bind(3, std::int64_t{spoiled.attempt})
        .bind(4, std::string("spoiled"))
        .bind(5, job.format)
        .bind(6, std::int64_t{spoiled.frames})
        .bind(7, 0.0)
        .bind(8, job.film_length_m)
        .bind(9, loaded(spoiled.id, spoiled.attempt))
        .run();
  }
  Statement insert(*db_, kInsertFrame);
  Statement base(*db_, "SELECT attempt_base FROM jobs WHERE id = ?1");
  base.bind(1, job.id);
  const auto attempt_base = static_cast<std::uint32_t>(base.step() ? base.integer(0) : 0);
  for (const auto& reel : journal.reels) {
    if (reel.spoiled) continue;  // not loaded again yet
    const std::string status = !reel.closed    ? "exposing"
                               : reel.complete ? "complete"
                                               : "incomplete";
    reel_insert.bind(1, job.id)
        .bind(2, reel.id)
        .bind(3, std::int64_t{reel.attempt})
        .bind(4, status)
        .bind(5, job.format)
        .bind(6, static_cast<std::int64_t>(reel.rows.size()))
        .bind(7, reel.film_used_m)
        .bind(8, job.film_length_m)
        .bind(9, loaded(reel.id, reel.attempt))
        .run();
    for (const auto& row : reel.rows) {
      insert_frame(insert, job.id, reel.id, attempt_base + reel.attempt, row);
    }
  }
  transaction.commit();
}

namespace {

// The SELECT of Catalog::find and the values of its ?N parameters.
std::pair<std::string, std::vector<std::string>> find_query(const FrameQuery& q) {
  std::string sql = kFrameSelect + (q.all_attempts ? kEveryAttempt : kCurrentAttempts);
  std::vector<std::string> values;
  // `clause` with each {} replaced by the number of a new parameter holding `value`.
  auto param = [&](const std::string& value) {
    values.push_back(value);
    return fmt::format("?{}", values.size());
  };
  auto where = [&](const std::string& clause, const std::string& value) {
    sql += fmt::format("AND {} ", fmt::format(fmt::runtime(clause), param(value)));
  };
  if (!q.job_id.empty()) where("f.job_id = {}", q.job_id);
  if (!q.document_id.empty()) where("f.document_id = {}", q.document_id);
  // Title, metadata and free text are questions to the documents: documents first (title from
  // the covering index documents_by_title, metadata from its JSON), then their frames through
  // frames_by_document; a plain join condition on d would have SQLite scan every frame.
  std::vector<std::string> about_document;
  if (!q.title.empty()) {
    about_document.push_back("title LIKE " + param(like_anywhere(q.title)) + " ESCAPE '\\'");
  }
  for (const auto& [key, value] : q.metadata) {
    about_document.push_back(
        fmt::format("EXISTS (SELECT 1 FROM json_each(documents.metadata) m WHERE lower(m.key) = "
                    "lower({}) AND m.value LIKE {} ESCAPE '\\')",
                    param(key), param(like_anywhere(value))));
  }
  for (const auto& word : search_words(q.text)) {
    const std::string p = param(like_anywhere(word));
    about_document.push_back(
        fmt::format("(title LIKE {0} ESCAPE '\\' OR EXISTS (SELECT 1 FROM "
                    "json_each(documents.metadata) m WHERE m.value LIKE {0} ESCAPE '\\'))",
                    p));
  }
  if (!about_document.empty()) {
    std::string condition;
    for (const auto& c : about_document) condition += (condition.empty() ? "" : " AND ") + c;
    sql += "AND (f.job_id, f.document_id) IN (SELECT job_id, id FROM documents WHERE " + condition +
           ") ";
  }
  // A question about documents is not answered with the reel's own targets (start, technical,
  // end), which the index files under the reel's first document.
  if (!q.document_id.empty() || !about_document.empty()) {
    sql += fmt::format("AND f.kind NOT IN {} ", kReelTargetKinds);
  }
  if (!q.source_file.empty()) {
    // The whole path, or its trailing components ("D001/p3.png"); both end in the same file
    // name, which the index finds.
    const auto slash = q.source_file.find_last_of('/');
    where(fmt::format("{} = {{}}", kSourceName),
          slash == std::string::npos ? q.source_file : q.source_file.substr(slash + 1));
    const std::string whole = param(q.source_file);
    const std::string tail = param("%/" + q.source_file);
    sql += fmt::format("AND (f.source_file = {} OR f.source_file LIKE {}) ", whole, tail);
  }
  if (!q.sha256.empty()) {
    // Checksums are stored in lower case; an operator may paste them in upper case.
    const std::string p = param(normalize_sha256(q.sha256));
    sql += fmt::format("AND (f.source_sha256 = {0} OR f.frame_sha256 = {0}) ", p);
  }
  sql += q.all_attempts ? "ORDER BY f.job_id, f.reel_id, f.attempt, f.frame"
                        : "ORDER BY f.job_id, f.reel_id, f.frame";
  return {sql, values};
}

}  // namespace

std::vector<CatalogFrame> Catalog::find(const FrameQuery& q) const {
  const auto [sql, values] = find_query(q);
  Statement select(*db_, sql);
  for (std::size_t i = 0; i < values.size(); ++i) select.bind(static_cast<int>(i + 1), values[i]);
  return read_frames(select);
}

std::vector<std::string> Catalog::explain_find(const FrameQuery& q) const {
  const auto [sql, values] = find_query(q);
  const bool sqlite = db_->dialect() == db::Dialect::sqlite;
  Statement explain(*db_, (sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + sql);
  for (std::size_t i = 0; i < values.size(); ++i) explain.bind(static_cast<int>(i + 1), values[i]);
  std::vector<std::string> steps;
  // SQLite's columns: id, parent, 0, detail; PostgreSQL's: one line of the plan per row.
  while (explain.step()) steps.push_back(explain.text(sqlite ? 3 : 0));
  return steps;
}

std::vector<CatalogFrame> Catalog::frames(const std::string& job_id, bool all_attempts) const {
  FrameQuery query;
  query.job_id = job_id;
  query.all_attempts = all_attempts;
  return find(query);
}

std::vector<CatalogReel> Catalog::reels(const std::string& job_id, bool all_runs) const {
  Statement select(*db_, ("SELECT r.job_id, r.id, r.attempt, " + std::string(kReelStatus) +
                          ", r.frames, r.film_used_m, r.index_sha256, r.manifest_sha256, j.dir, "
                          "r.run, r.superseded_at FROM reels r JOIN jobs j ON j.id = r.job_id "
                          "WHERE (?1 = '' OR r.job_id = ?1) AND (?2 = 1 OR r.superseded_at = '') "
                          "ORDER BY r.job_id, r.id, r.attempt"));
  select.bind(1, job_id).bind(2, std::int64_t{all_runs ? 1 : 0});
  std::vector<CatalogReel> out;
  while (select.step()) {
    out.push_back({select.text(0), select.text(1), static_cast<std::uint32_t>(select.integer(2)),
                   select.text(3), static_cast<std::uint32_t>(select.integer(4)), select.real(5),
                   select.text(6), select.text(7), select.text(8),
                   static_cast<std::uint32_t>(select.integer(9)), select.text(10)});
  }
  return out;
}

std::vector<CatalogDocument> Catalog::documents(const std::string& job_id) const {
  Statement select(*db_,
                   "SELECT id, title, metadata, source_files FROM documents WHERE job_id = ?1 "
                   "ORDER BY rowid");
  select.bind(1, job_id);
  std::vector<CatalogDocument> out;
  while (select.step()) {
    CatalogDocument doc{select.text(0), select.text(1), {}, {}, {}};
    const auto metadata = nlohmann::ordered_json::parse(select.text(2));
    for (const auto& [key, value] : metadata.items()) {
      doc.metadata.emplace_back(key, value.get<std::string>());
    }
    doc.source_files = nlohmann::json::parse(select.text(3)).get<std::vector<std::string>>();
    out.push_back(std::move(doc));
  }
  return out;
}

std::vector<CatalogTocPlace> Catalog::find_toc(const FrameQuery& query) const {
  std::vector<CatalogTocPlace> places = toc(query.job_id, query.title);
  FrameQuery rest = query;
  rest.title.clear();
  const bool about_frames = !rest.source_file.empty() || !rest.sha256.empty();
  if (!about_frames && rest.document_id.empty() && rest.metadata.empty() && rest.text.empty()) {
    return places;
  }
  if (places.empty()) return places;
  // The frames the other filters match: their documents, and the frames themselves by reel.
  std::set<std::pair<std::string, std::string>> documents;
  std::map<std::tuple<std::string, std::string, std::uint32_t>, std::set<std::uint32_t>> frames;
  for (const CatalogFrame& f : find(rest)) {
    if (f.reel_target()) continue;
    documents.emplace(f.job_id, f.row.document_id);
    frames[{f.job_id, f.reel_id, f.attempt}].insert(f.row.frame);
  }
  std::vector<CatalogTocPlace> kept;
  for (CatalogTocPlace& place : places) {
    // An entry whose page is not on film has no frames to match: --document alone names it.
    const bool not_on_film_but_named = place.reel_id.empty() && !about_frames &&
                                       rest.metadata.empty() && rest.text.empty() &&
                                       place.document_id == rest.document_id;
    if (!not_on_film_but_named && !documents.contains({place.job_id, place.document_id})) {
      continue;
    }
    if (about_frames) {
      const auto on_reel = frames.find({place.job_id, place.reel_id, place.attempt});
      if (place.reel_id.empty() || on_reel == frames.end()) continue;
      const auto hit = on_reel->second.lower_bound(place.frame);
      if (hit == on_reel->second.end() || *hit > std::max(place.last_frame, place.frame)) continue;
    }
    kept.push_back(std::move(place));
  }
  return kept;
}

std::vector<CatalogTocPlace> Catalog::toc(const std::string& job_id,
                                          const std::string& title) const {
  Statement select(*db_,
                   "SELECT t.job_id, t.document_id, d.title, t.entry, t.title, t.page, t.level, "
                   "t.metadata FROM toc t JOIN documents d ON d.job_id = t.job_id AND d.id = "
                   "t.document_id WHERE (?1 = '' OR t.job_id = ?1) AND (?2 = '' OR t.title LIKE "
                   "?3 ESCAPE '\\') ORDER BY t.job_id, d.rowid, t.entry");
  select.bind(1, job_id).bind(2, title).bind(3, like_anywhere(title));
  std::vector<CatalogTocPlace> out;
  while (select.step()) {
    CatalogTocPlace place;
    place.job_id = select.text(0);
    place.document_id = select.text(1);
    place.document_title = select.text(2);
    place.entry = static_cast<std::uint32_t>(select.integer(3));
    place.toc.title = select.text(4);
    place.toc.page = static_cast<std::uint32_t>(select.integer(5));
    place.toc.level = static_cast<int>(select.integer(6));
    // Held in a variable: a range-for over parse(...).items() would read a destroyed temporary.
    const auto metadata = nlohmann::ordered_json::parse(select.text(7));
    for (const auto& [key, value] : metadata.items()) {
      place.toc.metadata.emplace_back(key, value.get<std::string>());
    }
    out.push_back(std::move(place));
  }
  // Each entry's page on the current reels: its first frame (a colour page filmed as
  // separations has three), the blips before it on its reel, and the last frame of its pages
  // there: up to the next page an entry of its level or a higher one starts (a 卷 holds its
  // 篇), or the document's end.
  Statement first(*db_,
                  ("SELECT f.reel_id, f.attempt, f.frame, f.address, " + std::string(kReelStatus) +
                   ", f.source_file, f.source_page, (SELECT COUNT(*) FROM frames b WHERE "
                   "b.job_id = f.job_id AND b.reel_id = f.reel_id AND b.attempt = f.attempt "
                   "AND b.frame <= f.frame AND b.blip <> 'none') FROM frames f JOIN reels r "
                   "ON r.job_id = f.job_id AND r.id = f.reel_id AND r.attempt = f.attempt " +
                   kCurrentAttempts +
                   "AND f.job_id = ?1 AND f.document_id = ?2 AND f.page = ?3 AND f.kind IN "
                   "('page', 'substitute') ORDER BY f.frame LIMIT 1")
                      .c_str());
  Statement last(*db_,
                 "SELECT MAX(frame) FROM frames WHERE job_id = ?1 AND reel_id = ?2 AND attempt = "
                 "?3 AND document_id = ?4 AND page >= ?5 AND page < ?6 AND kind IN ('page', "
                 "'substitute')");
  Statement next_page(*db_,
                      "SELECT MIN(page) FROM toc WHERE job_id = ?1 AND document_id = ?2 AND "
                      "page > ?3 AND level <= ?4");
  for (CatalogTocPlace& place : out) {
    first.bind(1, place.job_id).bind(2, place.document_id).bind(3, std::int64_t{place.toc.page});
    if (first.step()) {
      place.reel_id = first.text(0);
      place.attempt = static_cast<std::uint32_t>(first.integer(1));
      place.frame = static_cast<std::uint32_t>(first.integer(2));
      place.address = first.text(3);
      place.reel_status = first.text(4);
      place.source_file = first.text(5);
      place.source_page = static_cast<std::uint32_t>(first.integer(6));
      place.blips = static_cast<std::uint32_t>(first.integer(7));
    }
    first.reset();
    if (place.reel_id.empty()) continue;
    next_page.bind(1, place.job_id)
        .bind(2, place.document_id)
        .bind(3, std::int64_t{place.toc.page})
        .bind(4, std::int64_t{place.toc.level});
    std::int64_t end_page = INT64_MAX;
    if (next_page.step() && !next_page.is_null(0)) end_page = next_page.integer(0);
    next_page.reset();
    last.bind(1, place.job_id)
        .bind(2, place.reel_id)
        .bind(3, std::int64_t{place.attempt})
        .bind(4, place.document_id)
        .bind(5, std::int64_t{place.toc.page})
        .bind(6, end_page);
    place.last_frame =
        last.step() && !last.is_null(0) ? static_cast<std::uint32_t>(last.integer(0)) : place.frame;
    last.reset();
  }
  return out;
}

std::vector<CatalogJob> Catalog::jobs() const {
  Statement select(*db_,
                   "SELECT id, title, institution, dir, plan_sha256, format, status FROM jobs "
                   "ORDER BY id");
  std::vector<CatalogJob> out;
  while (select.step()) {
    CatalogJob job;
    job.id = select.text(0);
    job.title = select.text(1);
    job.institution = select.text(2);
    job.dir = select.text(3);
    job.plan_sha256 = select.text(4);
    job.format = select.text(5);
    job.status = select.text(6);
    out.push_back(std::move(job));
  }
  return out;
}

std::vector<std::string> check_job(const Catalog& catalog, const CatalogJob& job) {
  std::vector<std::string> problems;
  const auto frames = catalog.frames(job.id);
  for (const auto& reel : catalog.reels(job.id)) {
    if (reel.status == "spoiled" || reel.status == "superseded") continue;
    const auto dir = job.dir / reel.reel_id;
    const std::string where = fmt::format("job {} reel {}", job.id, reel.reel_id);
    std::vector<IndexRow> rows;
    for (const auto& f : frames) {
      if (f.reel_id == reel.reel_id) rows.push_back(f.row);
    }
    if (!std::filesystem::exists(dir / "index.csv")) {
      problems.push_back(where + ": " + (dir / "index.csv").string() + " is missing");
      continue;
    }
    const std::string index = read_file(dir / "index.csv");
    if (index != to_csv(rows)) {
      problems.push_back(
          fmt::format("{}: index.csv does not match the catalog's {} frames", where, rows.size()));
    }
    if (!reel.index_sha256.empty() && sha256_file(dir / "index.csv") != reel.index_sha256) {
      problems.push_back(where + ": index.csv changed since the reel was closed");
    }
    if (!std::filesystem::exists(dir / "manifest.sha256")) {
      problems.push_back(where + ": " + (dir / "manifest.sha256").string() + " is missing");
      continue;
    }
    if (!reel.manifest_sha256.empty() &&
        sha256_file(dir / "manifest.sha256") != reel.manifest_sha256) {
      problems.push_back(where + ": manifest.sha256 changed since the reel was closed");
    }
    std::istringstream manifest(read_file(dir / "manifest.sha256"));
    for (std::string digest, name; manifest >> digest >> name;) {
      if (!std::filesystem::exists(dir / name)) {
        problems.push_back(where + ": " + name + " (in the manifest) is missing");
      } else if (sha256_file(dir / name) != digest) {
        problems.push_back(where + ": " + name + " does not match its manifest checksum");
      }
    }
  }
  return problems;
}

}  // namespace fw
