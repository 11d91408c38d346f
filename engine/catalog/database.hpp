// The catalog's narrow view of a SQL database: one connection, statements with positional
// parameters (?1, ?2, ... written as SQLite spells them), rows read by column, transactions.
// Two implementations: SQLite (sqlite_database.cpp, a file path) and PostgreSQL through libpq
// (pg_database.cpp, a postgresql:// URL), so that one catalog code base and one list of
// migrations serve a single recorder host and several hosts sharing a server.
//
// The catalog's SQL is written once, in SQLite's spelling; on PostgreSQL `translate` rewrites
// the few places the dialects differ (see there). Private to engine/catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace fw::db {

enum class Dialect { sqlite, postgresql };

// In the message of an Error a PostgreSQL catalog throws when its server went away, or could
// not be reached: a shared queue's worker leaves such a job queued to resume, not failed.
constexpr const char* kConnectionLost = "the connection to the server is lost";
constexpr const char* kCannotConnect = "cannot connect";

// True for "postgresql://..." and "postgres://..." (libpq's URI forms).
bool is_url(const std::string& location);

// The location as it may be shown: a URL's password (user:PASSWORD@ or password=...) removed.
std::string redact(const std::string& location);

// SQLite's spelling to PostgreSQL's: ?N -> $N, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') -> the
// same text from now() in UTC, REAL -> DOUBLE PRECISION (PostgreSQL's REAL is 4 bytes),
// INTEGER PRIMARY KEY -> BIGSERIAL PRIMARY KEY (SQLite's automatic row ids), LIKE -> ILIKE
// (the catalog's LIKE ignores case: on SQLite through base/unicode.hpp's like_ignoring_case),
// json_each(X) -> json_each_text(CAST(X AS json)). With `unicode_case`, for a database whose
// locale lowercases ASCII letters only (LC_CTYPE C, as `initdb --no-locale` makes it), LIKE ->
// COLLATE "und-x-icu" ILIKE: ICU's lowercase, whatever the database's locale. String literals
// are left alone.
std::string translate(const std::string& sql, bool unicode_case = false);

class Statement {
 public:
  virtual ~Statement() = default;
  // Parameters by position from 1. On PostgreSQL a text parameter takes the type its place in
  // the statement asks for; numbers are sent as bigint and double precision.
  virtual Statement& bind(int index, const std::string& text) = 0;
  virtual Statement& bind(int index, std::int64_t value) = 0;
  virtual Statement& bind(int index, double value) = 0;
  Statement& bind(int index, const char* text) { return bind(index, std::string(text)); }
  // Runs the statement on the first call; true while a row is available.
  virtual bool step() = 0;
  // Ready to run again: the result and the parameters are dropped.
  virtual void reset() = 0;
  // step(), then reset(): a statement that returns no row.
  void run() {
    step();
    reset();
  }
  virtual int columns() const = 0;
  virtual std::string column_name(int column) const = 0;
  // A value of the current row; NULL reads as "" and 0. A boolean (PostgreSQL's t/f) reads as
  // 1/0; a real read as text keeps every digit.
  virtual std::string text(int column) const = 0;
  virtual std::int64_t integer(int column) const = 0;
  virtual double real(int column) const = 0;
  // Whether the current row's value is NULL (an aggregate over no row, MIN() and the like).
  virtual bool is_null(int column) const = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // The location as opened, password removed: for messages.
  virtual const std::string& name() const = 0;
  virtual std::unique_ptr<Statement> prepare(const std::string& sql) = 0;
  // Statements without parameters, separated by ';'.
  virtual void exec(const std::string& sql) = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  virtual std::int64_t changes() const = 0;
  // BEGIN IMMEDIATE on SQLite (the write lock at once, so two writers never deadlock on
  // upgrading), BEGIN on PostgreSQL.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
};

// Opens a file path (SQLite; created when `create`, with its folder) or a postgresql:// URL.
// Throws Error(internal) naming the location (password removed) and the server's reason.
std::unique_ptr<Connection> open(const std::string& location, bool create);

// How long a SQLite catalog waits for another process's write lock before the statement fails
// with a storage error: FILMWRITER_CATALOG_TIMEOUT seconds, default 30.
int busy_timeout_ms();
// Called once per wait that lasts over a second, with a message naming the catalog (the CLI
// logs it as a warning): a job that waits on a lock says so instead of looking hung.
void set_wait_notice(std::function<void(const std::string&)> notice);

// What is wrong with a SQLite catalog file that SQLite cannot read as a database ("file is not
// a database", a failed quick_check), or "" when it reads (locks and permissions aside).
std::string sqlite_damage(const std::string& file);

// The two implementations, for open().
std::unique_ptr<Connection> open_sqlite(const std::string& file, bool create);
std::unique_ptr<Connection> open_postgresql(const std::string& url);

// BEGIN ... COMMIT, rolled back when an exception leaves the scope.
class Transaction {
 public:
  explicit Transaction(Connection& db) : db_(db) { db_.begin(); }
  ~Transaction() {
    if (!done_) db_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    db_.commit();
    done_ = true;
  }

 private:
  Connection& db_;
  bool done_ = false;
};

}  // namespace fw::db
