// db::Connection on PostgreSQL through libpq (Debian's libpq-dev: the server project's own
// client library, the one every PostgreSQL tool links, speaking the wire protocol with
// TLS, authentication and URLs as the server's documentation describes them), for a catalog
// that several recorder hosts share.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/database.hpp"
#include "core/error.hpp"

namespace fw::db {
namespace {

// PostgreSQL's type oids for the parameters we send typed (pg_type.h, stable across versions).
constexpr Oid kInt8 = 20;
constexpr Oid kFloat8 = 701;

// libpq's message on one line (it breaks lines with "\n\t").
std::string trimmed(const char* message) {
  std::string text;
  for (const char* p = message ? message : "unknown error"; *p != '\0'; ++p) {
    const bool space = *p == '\n' || *p == '\t' || *p == ' ';
    if (space && (text.empty() || text.back() == ' ')) continue;
    text += space ? ' ' : *p;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// A statement as shown in an error: its first line or so.
std::string shown(const std::string& sql) {
  std::string one_line;
  for (char c : sql) {
    if (c == '\n') c = ' ';
    if (c == ' ' && !one_line.empty() && one_line.back() == ' ') continue;
    one_line += c;
  }
  return one_line.size() > 160 ? one_line.substr(0, 160) + "..." : one_line;
}

class PgConnection;

class PgStatement : public Statement {
 public:
  PgStatement(PgConnection& db, const std::string& sql);
  ~PgStatement() override { PQclear(result_); }
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  Statement& bind(int i, const std::string& text) override { return set(i, text, 0); }
  Statement& bind(int i, std::int64_t value) override {
    return set(i, std::to_string(value), kInt8);
  }
  Statement& bind(int i, double value) override {
    return set(i, fmt::format("{:.17g}", value), kFloat8);
  }
  bool step() override;
  void reset() override {
    PQclear(result_);
    result_ = nullptr;
    row_ = 0;
    values_.clear();
    types_.clear();
  }
  int columns() const override { return result_ ? PQnfields(result_) : 0; }
  std::string column_name(int column) const override { return PQfname(result_, column); }
  bool is_null(int column) const override { return PQgetisnull(result_, row_, column) == 1; }
  std::string text(int column) const override {
    return std::string(PQgetvalue(result_, row_, column),
                       static_cast<std::size_t>(PQgetlength(result_, row_, column)));
  }
  std::int64_t integer(int column) const override {
    const char* value = PQgetvalue(result_, row_, column);
    if (value[0] == 't') return 1;  // a boolean
    if (value[0] == 'f') return 0;
    return std::strtoll(value, nullptr, 10);
  }
  double real(int column) const override {
    return std::strtod(PQgetvalue(result_, row_, column), nullptr);
  }

 private:
  Statement& set(int i, std::string value, Oid type) {
    const auto at = static_cast<std::size_t>(i - 1);
    if (values_.size() <= at) {
      values_.resize(at + 1);
      types_.resize(at + 1, 0);
    }
    values_[at] = std::move(value);
    types_[at] = type;
    return *this;
  }
  PgConnection& db_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  PGresult* result_ = nullptr;
  int row_ = 0;
};

class PgConnection : public Connection {
 public:
  // A constructor that throws runs no destructor: the connection is owned from the start, so
  // a statement failing after connect does not leave the server a session.
  explicit PgConnection(const std::string& url)
      : name_(redact(url)), conn_(PQconnectdb(url.c_str()), &PQfinish) {
    if (conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK) {
      const std::string message = conn_ ? trimmed(PQerrorMessage(conn_.get())) : "out of memory";
      throw Error(ErrorKind::internal,
                  fmt::format("catalog {}: {}: {}", name_, kCannotConnect, message));
    }
    // The server's notices (CREATE ... IF NOT EXISTS that did nothing) are not the operator's.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    if (PQsetClientEncoding(conn_.get(), "UTF8") != 0) fail("client_encoding UTF8");
    // Dates "in local time" (a reel's filming day for vault inspections) are the recorder
    // host's, as with SQLite's 'localtime': the session's zone is this host's UTC offset now.
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    const long offset_min = local.tm_gmtoff / 60;
    exec(fmt::format("SET TIME ZONE INTERVAL '{}{:02}:{:02}' HOUR TO MINUTE",
                     offset_min < 0 ? '-' : '+', std::labs(offset_min) / 60,
                     std::labs(offset_min) % 60));
    // find --title über must find "Über" on every catalog. ILIKE lowercases by the database's
    // locale, and one made with LC_CTYPE C knows the case of ASCII letters only: there, LIKE
    // takes ICU's lowercase when the server was built with ICU (Debian's is).
    const std::string probe_sql =
        "SELECT NOT 'Ü' ILIKE 'ü' AND EXISTS (SELECT 1 FROM pg_collation WHERE collname = "
        "'und-x-icu')";
    PGresult* probe = PQexec(conn_.get(), probe_sql.c_str());
    check(probe, probe_sql);
    unicode_case_ = std::string_view(PQgetvalue(probe, 0, 0)) == "t";
    PQclear(probe);
  }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const override { return Dialect::postgresql; }
  const std::string& name() const override { return name_; }
  std::unique_ptr<Statement> prepare(const std::string& sql) override {
    return std::make_unique<PgStatement>(*this, sql);
  }
  void exec(const std::string& sql) override {
    PGresult* result = PQexec(conn_.get(), translate(sql, unicode_case_).c_str());
    check(result, sql);
    PQclear(result);
  }
  std::int64_t changes() const override { return changes_; }
  void begin() override { exec("BEGIN"); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override {
    // Nothing to undo on a connection the server closed: the transaction died with it.
    if (PQstatus(conn_.get()) == CONNECTION_OK) PQclear(PQexec(conn_.get(), "ROLLBACK"));
  }

  PGconn* conn() { return conn_.get(); }
  bool unicode_case() const { return unicode_case_; }
  // Throws, naming the catalog and the statement, unless `result` succeeded; records how many
  // rows it changed.
  void check(PGresult* result, const std::string& sql) {
    const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      const char* tuples = PQcmdTuples(result);
      changes_ = tuples[0] != '\0' ? std::strtoll(tuples, nullptr, 10) : 0;
      return;
    }
    const std::string message =
        trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
    PQclear(result);
    fail(sql, message);
  }

 private:
  [[noreturn]] void fail(const std::string& sql, const std::string& message = {}) {
    const bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
    throw Error(ErrorKind::internal,
                fmt::format("catalog {}: {}{} (in: {})", name_,
                            message.empty() ? trimmed(PQerrorMessage(conn_.get())) : message,
                            lost ? fmt::format(" ({})", kConnectionLost) : "", shown(sql)));
  }
  std::string name_;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  std::int64_t changes_ = 0;
  bool unicode_case_ = false;
};

PgStatement::PgStatement(PgConnection& db, const std::string& sql)
    : db_(db), sql_(translate(sql, db.unicode_case())) {}

bool PgStatement::step() {
  if (result_ == nullptr) {
    std::vector<const char*> values;
    for (const auto& v : values_) values.push_back(v ? v->c_str() : nullptr);
    result_ = PQexecParams(db_.conn(), sql_.c_str(), static_cast<int>(values.size()), types_.data(),
                           values.data(), nullptr, nullptr, 0);
    PGresult* result = result_;
    if (PQresultStatus(result) != PGRES_TUPLES_OK && PQresultStatus(result) != PGRES_COMMAND_OK) {
      result_ = nullptr;
    }
    db_.check(result, sql_);
    row_ = 0;
  } else {
    ++row_;
  }
  return row_ < PQntuples(result_);
}

}  // namespace

std::unique_ptr<Connection> open_postgresql(const std::string& url) {
  return std::make_unique<PgConnection>(url);
}

}  // namespace fw::db
