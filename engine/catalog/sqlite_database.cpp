// db::Connection on SQLite: a catalog file on the recorder host.
#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>

#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw::db {
namespace {

class SqliteStatement : public Statement {
 public:
  SqliteStatement(sqlite3* db, const std::string& name, const std::string& sql)
      : db_(db), name_(name), sql_(sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail();
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
    throw Error(ErrorKind::internal,
                fmt::format("catalog {}: {} (in: {})", name_, sqlite3_errmsg(db_), sql_));
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
    if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Error(ErrorKind::internal, "catalog " + file + ": " + message);
    }
    // Another process (a reader, a second job) may hold the write lock for a moment.
    sqlite3_busy_timeout(db_, 10000);
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
      const std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      throw Error(ErrorKind::internal, fmt::format("catalog {}: {} (in: {})", name_, text, sql));
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

std::unique_ptr<Connection> open_sqlite(const std::string& file, bool create) {
  return std::make_unique<SqliteConnection>(file, create);
}

}  // namespace fw::db
