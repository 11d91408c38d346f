// The catalog: which reel and frames hold which page of which document and file, across jobs.
// A SQLite file (default <output>/catalog.sqlite; WAL mode, so readers never block the job
// that writes; foreign keys on) on a single recorder host, or a PostgreSQL database named by a
// postgresql:// URL that several hosts share (engine/catalog/database.hpp). One transaction
// per batch of frames. The schema is versioned (SQLite: PRAGMA user_version; PostgreSQL: the
// table filmwriter_schema) and migrated forward on open; see kCatalogMigrations.
//
// The journal is the source of truth: the catalog may lag it by one batch after a crash,
// and `sync_job` rebuilds a job's rows from the journal in one transaction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catalog/index.hpp"
#include "catalog/journal.hpp"

namespace fw::db {
class Connection;
}  // namespace fw::db

namespace fw {

// Schema migrations, oldest first; migration i brings the schema version from i to i + 1.
// Written in SQLite's SQL; on PostgreSQL db::translate (catalog/database.hpp) rewrites the
// types, automatic ids and timestamps, so keep to what it knows: TEXT, INTEGER, REAL,
// INTEGER PRIMARY KEY, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ALTER TABLE ... ADD COLUMN.
extern const std::vector<const char*> kCatalogMigrations;

// A table-of-contents entry as the catalog keeps it (the job's TocEntry without its place in
// the job file).
struct CatalogTocEntry {
  std::string title;
  std::uint32_t page = 1;  // 1-based among the document's filmed pages
  int level = 1;           // 1–3
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct CatalogDocument {
  std::string id;
  std::string title;
  std::vector<std::pair<std::string, std::string>> metadata;  // in job-file order
  std::vector<std::string> source_files;
  std::vector<CatalogTocEntry> toc;  // in reading order (catalog schema 8)
};

// A TOC entry with where its page is on film (Catalog::toc): what `catalog find --title`
// answers for a chapter, `catalog export` lists, and a METS writer builds its logical
// structure map from. The place is the current attempt's; reel_id is "" while the page is not
// on film (a reel not filmed yet, a skipped document).
struct CatalogTocPlace {
  std::string job_id;
  std::string document_id;
  std::string document_title;
  std::uint32_t entry = 1;  // 1-based within the document's table of contents
  CatalogTocEntry toc;
  std::string reel_id;
  std::uint32_t attempt = 0;
  std::uint32_t frame = 0;  // the entry's first frame on the reel
  // The last frame of its pages on that reel: before the next entry of its level or a higher
  // one (a 卷 holds its 篇), or the document's end.
  std::uint32_t last_frame = 0;
  std::string address;  // "R0001-D001-0005"
  // Blip marks on the reel from its start up to and including the entry's frame: what a
  // reader with blip retrieval counts to reach it.
  std::uint32_t blips = 0;
  std::string reel_status;
  std::string source_file;  // the entry page's source file and page in it (1-based)
  std::uint32_t source_page = 0;
};

struct CatalogJob {
  std::string id;
  std::string title;
  std::string institution;
  std::string operator_name;  // who declared the filming (stored in NFC); "" for nobody
  std::filesystem::path dir;  // <output>/<id>: holds the reels' folders
  std::string plan_sha256;
  std::string format;
  double film_length_m = 0;
  std::string status;  // running | done | failed | interrupted (read side)
  std::vector<CatalogDocument> documents;
  // The site prefix of its reel ids ("NLC-B2": NLC-B2-R0001; "" for R0001): start_job refuses a
  // job id whose reels in the catalog are another site's (write side only).
  std::string site;
};

// True for a catalog named by a postgresql:// (or postgres://) URL rather than a file path.
bool is_catalog_url(const std::filesystem::path& location);

// A path as it is; a URL without its password (for messages).
std::string redacted_location(const std::filesystem::path& location);

// The catalog location when nothing else names one: FILMWRITER_CATALOG when set (a site's
// shared PostgreSQL catalog, say), else `fallback`.
std::filesystem::path default_catalog(const std::filesystem::path& fallback);

// Called once whenever a SQLite catalog waits over a second for another process's lock (the
// wait is bounded: FILMWRITER_CATALOG_TIMEOUT seconds, default 30, then a storage error).
void set_catalog_wait_notice(std::function<void(const std::string& message)> notice);

// What is wrong with a catalog file SQLite cannot read ("file is not a database", a failed
// integrity check), "" when it reads or is a URL: what `catalog rebuild` sets aside.
std::string catalog_damage(const std::filesystem::path& location);

// True for the frame kinds of a reel's own targets: start-target, technical-target,
// reel-contents, declaration, end-target (not a title target or a continued-to/from, which
// belong to their document).
bool is_reel_target(const std::string& kind);

// A checksum as an operator may paste it (upper or lower case) in the catalog's lower case.
// Throws Error(usage) naming --sha256 unless it is 64 hexadecimal digits.
std::string normalize_sha256(const std::string& text);

// "作者=朱熹" (a --meta flag): Error(usage) naming --meta when there is no KEY=.
std::pair<std::string, std::string> parse_meta_query(const std::string& text);

// A frame as found: where it is and what it shows.
struct CatalogFrame {
  std::string job_id;
  std::string reel_id;
  IndexRow row;
  std::string title;  // the document's ("" for a reel target)
  // The reel's status: complete, or exposing, incomplete (a job that failed or was
  // interrupted left it short) or spoiled.
  std::string reel_status;
  // The reel's attempt, counted across the job's runs (catalog schema 7).
  std::uint32_t attempt = 1;
  // A start, technical or end target: it belongs to its reel, not to the document the index
  // files it under (row.document_id, the reel's first document).
  bool reel_target() const { return is_reel_target(row.kind); }
};

struct CatalogReel {
  std::string job_id;
  std::string reel_id;
  std::uint32_t attempt = 1;
  // exposing | complete | incomplete | spoiled, or superseded: of an earlier run of the job,
  // filmed again from the start (--overwrite) since.
  std::string status;
  std::uint32_t frames = 0;
  double film_used_m = 0;
  std::string index_sha256;
  std::string manifest_sha256;
  std::filesystem::path job_dir;
  std::uint32_t run = 1;      // which run of the job filmed it (1, then one per --overwrite)
  std::string superseded_at;  // when a later run replaced it ("" while it is current)
};

struct FrameQuery {
  // Found in whatever Unicode spelling the catalog holds it: 가 as a syllable or as jamo, a
  // compatibility ideograph or its unified one are one id (canonical equivalence, NFC).
  std::string document_id;
  std::string title;        // substring, any script (Chinese included)
  std::string source_file;  // full path or a trailing part of it ("d1/p3.png")
  std::string sha256;       // of the source file or of the frame, in either case
  std::string job_id;       // optional restriction
  // Documents with a metadata KEY (exact, ASCII case aside) whose value holds VALUE; every
  // pair must match.
  std::vector<std::pair<std::string, std::string>> metadata;
  // Free text: each word (split at spaces) must be part of the title or of a metadata value.
  std::string text;
  // The frames of the jobs this operator declared (the whole name, compared in NFC).
  std::string operator_name;
  // Also the frames of spoiled reels and of superseded runs (their reel_status says which).
  bool all_attempts = false;
};

class Catalog {
 public:
  // Opens (creating if needed) and migrates to the latest schema. `file` is a path (SQLite) or
  // a postgresql:// URL (db::is_url). `max_version` stops the migrations early (tests build an
  // older catalog with it). Throws Error(job) when the catalog's schema is newer than this
  // program's, Error(storage) when the file cannot be opened, is locked past the busy timeout,
  // full or damaged (naming it), Error(internal) when a server cannot be reached.
  explicit Catalog(const std::filesystem::path& file, int max_version = -1);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  int schema_version() const;
  static int latest_version();
  // The path or URL as given; location() is it as it may be shown (a URL's password removed).
  const std::filesystem::path& file() const { return file_; }
  std::string location() const;

  // Write side. `start_job` starts a run of the job: a job id the catalog holds already is
  // filmed again from the start (--overwrite), and the earlier run's reels and frames stay,
  // superseded (with the time, and an event naming them).
  // Error(job) when the catalog holds the job id with reels of another site (CatalogJob::site).
  void start_job(const CatalogJob& job);
  void reel_loaded(const std::string& job_id, const std::string& reel_id, std::uint32_t attempt,
                   double film_length_m);
  // One transaction for the whole batch.
  void add_frames(const std::string& job_id, const std::vector<CatalogFrame>& frames);
  void reel_closed(const std::string& job_id, const CatalogReel& reel);
  void add_event(const std::string& job_id, const std::string& kind, const std::string& message);
  void set_job_status(const std::string& job_id, const std::string& status);
  // Rebuilds the current run's reels and frames from the journal (resume, after a crash).
  void sync_job(const CatalogJob& job, const JournalState& journal);

  // Read side.
  std::vector<CatalogFrame> find(const FrameQuery& query) const;
  // How the database runs find(query): SQLite's EXPLAIN QUERY PLAN details, one per step ("SEARCH f
  // USING INDEX ..."), so that tests can see that a lookup uses an index.
  std::vector<std::string> explain_find(const FrameQuery& query) const;
  std::vector<CatalogFrame> frames(const std::string& job_id = {}, bool all_attempts = false) const;
  // The current run's reels (spoiled ones included); `all_runs` adds the superseded ones.
  std::vector<CatalogReel> reels(const std::string& job_id = {}, bool all_runs = false) const;
  std::vector<CatalogDocument> documents(const std::string& job_id) const;
  // The TOC entries of a job's documents (every job's when job_id is ""), in document and
  // entry order, each with its frame on the current reels; `title` (a substring, any script)
  // keeps only the entries whose title holds it.
  std::vector<CatalogTocPlace> toc(const std::string& job_id, const std::string& title = {}) const;
  // `catalog find --title`'s TOC entries: those of query.job_id (every job's when "") whose
  // title holds query.title, narrowed by the query's other filters as find() narrows frames:
  // --document, --meta and --text keep the entries of the documents they match, --source and
  // --sha256 the entries with one of their frames (first to last_frame on the entry's reel)
  // among the frames that match. An entry whose page is not on film is kept by --document
  // alone.
  std::vector<CatalogTocPlace> find_toc(const FrameQuery& query) const;
  std::vector<CatalogJob> jobs() const;  // without their documents

 private:
  void exec(const std::string& sql) const;
  void write_documents(const CatalogJob& job);
  void refuse_another_sites_job(const CatalogJob& job);
  // The spellings the catalog holds of query.document_id (catalog_find.cpp).
  std::vector<std::string> document_id_spellings(const FrameQuery& query) const;
  std::filesystem::path file_;
  std::unique_ptr<db::Connection> db_;
};

// `filmwriter catalog check`: each current reel's index.csv must hold exactly the catalog's
// frames, its manifest must match the files it names, and both must have the checksums the
// catalog recorded when the reel was closed. Returns one line per problem (empty: all agree).
std::vector<std::string> check_job(const Catalog& catalog, const CatalogJob& job);

}  // namespace fw
