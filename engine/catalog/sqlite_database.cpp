// db::Connection on SQLite: a catalog file on the recorder host.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include "base/unicode.hpp"
#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw::db {
namespace {

std::string_view text_of(sqlite3_value* value) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  return {text ? text : "", static_cast<std::size_t>(sqlite3_value_bytes(value))};
}

// `text LIKE pattern [ESCAPE e]` is like(pattern, text[, e]): SQLite's own ignores the case of
// ASCII letters only, so `find --title über` missed "Über die Natur". This one compares the
// lowercase of every character (base/unicode.hpp), as PostgreSQL's ILIKE does in a UTF-8
// locale.
void sqlite_like(sqlite3_context* context, int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return sqlite3_result_null(context);
  }
  char32_t escape = 0;
  if (argc == 3) {
    const std::string_view e = text_of(argv[2]);
    // The catalog's patterns escape with a backslash (catalog_sql::like_anywhere).
    if (e.size() != 1 || static_cast<unsigned char>(e[0]) >= 0x80) {
      return sqlite3_result_error(context, "ESCAPE must be one ASCII character", -1);
    }
    escape = static_cast<char32_t>(e[0]);
  }
  const std::string_view pattern = text_of(argv[0]);
  const std::string_view text = text_of(argv[1]);
  sqlite3_result_int(context, fw::like_ignoring_case(text, pattern, escape) ? 1 : 0);
}

std::function<void(const std::string&)>& wait_notice() {
  static std::function<void(const std::string&)> notice;
  return notice;
}

// SQLite's result as an Error: a catalog that is locked, full, read-only, unreadable or not a
// catalog at all is a storage problem of the host (exit 8) that names the file and what to do;
// anything else (a statement the schema does not take) is ours.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, const std::string& name,
                               const std::string& what) {
  const std::string reason = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  // SQLite says "database or disk is full" (a short write) or "disk I/O error" (a sync, or a
  // file that found no room to grow): the operator must read that the catalog's disk is full,
  // in the words the output's own files use. The statement it was in is left out: it has
  // nothing to do with the cause, and a batch of frames is thousands of characters of SQL.
  if ((rc & 0xff) == SQLITE_FULL ||
      ((rc & 0xff) == SQLITE_IOERR && db && sqlite3_system_errno(db) == ENOSPC)) {
    throw Error(ErrorKind::storage,
                fmt::format("catalog {}: {} (SQLite: {})", name, std::strerror(ENOSPC), reason));
  }
  const std::string where = fmt::format("catalog {}: {}", name, reason);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Error(ErrorKind::storage,
                  fmt::format("{}: another process held its lock for the whole busy timeout "
                              "({} s, FILMWRITER_CATALOG_TIMEOUT){}",
                              where, busy_timeout_ms() / 1000, what));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw Error(ErrorKind::storage,
                  fmt::format("{}: the file is damaged or not a catalog; the reels' own index "
                              "and journal are intact: rebuild it with `filmwriter catalog "
                              "rebuild OUTPUT --catalog {}`{}",
                              where, name, what));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_NOLFS:
      throw Error(ErrorKind::storage, fmt::format("{}{}", where, what));
    default:
      throw Error(ErrorKind::internal, fmt::format("{}{}", where, what));
  }
}

// Waits for another process's write lock with a growing sleep, says once that it waits, and
// gives up after busy_timeout_ms() (the statement then fails with SQLITE_BUSY).
int wait_for_lock(void* context, int count) {
  using Clock = std::chrono::steady_clock;
  struct Waiting {
    Clock::time_point since;
    bool told = false;
  };
  thread_local Waiting waiting;
  const auto* name = static_cast<const std::string*>(context);
  const auto now = Clock::now();
  if (count == 0) waiting = {now, false};
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - waiting.since).count();
  if (waited >= busy_timeout_ms()) return 0;
  if (waited >= 1000 && !waiting.told) {
    waiting.told = true;
    if (wait_notice()) {
      wait_notice()(fmt::format("catalog {} is locked by another process; waiting up to {} s",
                                *name, busy_timeout_ms() / 1000));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 << std::min(count, 5), 100)));
  return 1;
}

class SqliteStatement : public Statement {
 public:
  SqliteStatement(sqlite3* db, const std::string& name, const std::string& sql)
      : db_(db), name_(name), sql_(sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail();
    // A step that fails reports the statement's own result code through sqlite3_errcode.
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  Statement& bind(int i, const std::string& text) override {
    check(
        sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int i, std::int64_t value) override {
    check(sqlite3_bind_int64(stmt_, i, value));
    return *this;
  }
  Statement& bind(int i, double value) override {
    check(sqlite3_bind_double(stmt_, i, value));
    return *this;
  }
  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail();
  }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int columns() const override { return sqlite3_column_count(stmt_); }
  std::string column_name(int column) const override { return sqlite3_column_name(stmt_, column); }
  bool is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::string text(int column) const override {
    if (sqlite3_column_type(stmt_, column) == SQLITE_FLOAT) {
      return fmt::format("{:.17g}", sqlite3_column_double(stmt_, column));
    }
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  std::int64_t integer(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const override { return sqlite3_column_double(stmt_, column); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) fail();
  }
  [[noreturn]] void fail() const {
    throw_sqlite(db_, sqlite3_extended_errcode(db_), name_, " (in: " + sql_ + ")");
  }
  sqlite3* db_;
  std::string name_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(const std::string& file, bool create) : name_(file) {
    const std::filesystem::path path(file);
    if (create && path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
      const int code = db_ ? sqlite3_extended_errcode(db_) : rc;
      sqlite3_close(db_);
      db_ = nullptr;
      throw_sqlite(nullptr, code, file, "");
    }
    sqlite3_extended_result_codes(db_, 1);
    // Another process (a reader, a second job) may hold the write lock for a moment.
    sqlite3_busy_handler(db_, wait_for_lock, &name_);
    for (const int arguments : {2, 3}) {
      if (const int rc =
              sqlite3_create_function_v2(db_, "like", arguments, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                         nullptr, &sqlite_like, nullptr, nullptr, nullptr);
          rc != SQLITE_OK) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw_sqlite(nullptr, rc, file, "");
      }
    }
  }
  ~SqliteConnection() override { sqlite3_close(db_); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::sqlite; }
  const std::string& name() const override { return name_; }
  std::unique_ptr<Statement> prepare(const std::string& sql) override {
    return std::make_unique<SqliteStatement>(db_, name_, sql);
  }
  void exec(const std::string& sql) override {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      sqlite3_free(message);
      throw_sqlite(db_, sqlite3_extended_errcode(db_), name_, " (in: " + sql + ")");
    }
  }
  std::int64_t changes() const override { return sqlite3_changes(db_); }
  void begin() override { exec("BEGIN IMMEDIATE"); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  std::string name_;
  sqlite3* db_ = nullptr;
};

}  // namespace

int busy_timeout_ms() {
  static const int ms = [] {
    const char* text = std::getenv("FILMWRITER_CATALOG_TIMEOUT");
    char* end = nullptr;
    const double seconds = text ? std::strtod(text, &end) : 0;
    return text && end != text && *end == '\0' && seconds >= 0 && seconds <= 86400
               ? static_cast<int>(seconds * 1000)
               : 30000;
  }();
  return ms;
}

std::string sqlite_damage(const std::string& file) {
  sqlite3* db = nullptr;
  std::string damage;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    damage = db ? sqlite3_errmsg(db) : "cannot be opened";
  } else {
    sqlite3_stmt* check = nullptr;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &check, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(check);
    if (rc == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
      if (text && std::string(text) != "ok") damage = text;
    } else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
      damage = sqlite3_errmsg(db);
    }
    sqlite3_finalize(check);
  }
  sqlite3_close(db);
  return damage;
}

void set_wait_notice(std::function<void(const std::string&)> notice) {
  wait_notice() = std::move(notice);
}

std::unique_ptr<Connection> open_sqlite(const std::string& file, bool create) {
  return std::make_unique<SqliteConnection>(file, create);
}

}  // namespace fw::db
