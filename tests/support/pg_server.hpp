// A real PostgreSQL server for the tests of the shared catalog: initdb and pg_ctl in a
// temporary folder, started once per test process on first use and stopped when it exits.
// It listens on a unix socket in that folder only (listen_addresses=''), so no TCP port can
// collide with another test process's server or a system one. Run as root (CI, this
// machine), the server runs as the unprivileged `postgres` user (runuser), which owns the
// folder: PostgreSQL refuses to run as root.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fw::test {

class PgServer {
 public:
  // The running server, started on the first call; nullptr when the PostgreSQL binaries
  // (initdb, pg_ctl, postgres; FW_PG_BIN or /usr/lib/postgresql/<version>/bin) are absent, or
  // it could not start (absent_reason() says which).
  static PgServer* get();
  static const std::string& absent_reason();

  // A URL of a new, empty database (one per test).
  std::string fresh_database();
  // A URL of database `name` on this server.
  std::string url(const std::string& name) const;
  // Stops the server (pg_ctl stop -m fast: connections are cut) and starts it again.
  void stop();
  void start();

  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;
  ~PgServer();

 private:
  PgServer() = default;
  bool launch(std::string& why);
  std::string as_server(const std::string& command) const;
  std::string bin_;
  std::string dir_;
  int owner_pid_ = 0;
  int next_ = 0;
};

// A test of the catalog that runs on both backends: GetParam() is "sqlite" or "postgresql"
// (FW_INSTANTIATE_BACKENDS). On PostgreSQL each test has a fresh database, and
// FILMWRITER_CATALOG names it, so that the CLI the test runs uses it wherever the test leaves
// the catalog to the default; on SQLite FILMWRITER_CATALOG is unset.
class CatalogBackend : public ::testing::TestWithParam<std::string> {
 public:
  // Runs `sql` (no parameters) on catalog `location`, as a DBA would by hand.
  static void exec(const std::string& location, const std::string& sql);
  // Column 0 of each row `sql` returns, as text.
  static std::vector<std::string> column(const std::string& location, const std::string& sql);
  // The tables of catalog `location` as its database lists them (sqlite_master, or
  // information_schema on PostgreSQL), sorted, less the schema version (filmwriter_schema):
  // what a test compares comes from the database, not from the code under test.
  static std::vector<std::string> tables(const std::string& location);
  // Every row of `table`, each as its columns "name=value" joined by tabs, sorted; PostgreSQL's
  // documents.rowid (SQLite keeps that number hidden) is left out.
  static std::vector<std::string> rows(const std::string& location, const std::string& table);

 protected:
  void SetUp() override;
  void TearDown() override;
  bool postgresql() const { return GetParam() == "postgresql"; }
  // The test's catalog: `file` on SQLite, the test's database on PostgreSQL.
  std::string catalog_at(const std::filesystem::path& file) const {
    return postgresql() ? url_ : file.string();
  }
  PgServer* server_ = nullptr;
  std::string url_;
};

}  // namespace fw::test

#define FW_INSTANTIATE_BACKENDS(prefix, fixture)                  \
  INSTANTIATE_TEST_SUITE_P(                                       \
      prefix, fixture, ::testing::Values("sqlite", "postgresql"), \
      [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })

// Skips the test, visibly, when there is no PostgreSQL server to run it on; else declares
// `server`, the server. (The argument names a variable, so it cannot be parenthesised.)
// NOLINTBEGIN(bugprone-macro-parentheses)
#define FW_REQUIRE_PG(server)                                                         \
  ::fw::test::PgServer* server = ::fw::test::PgServer::get();                         \
  if (server == nullptr) {                                                            \
    GTEST_SKIP() << "PostgreSQL server binaries absent (tools/install-deps installs " \
                    "postgresql): "                                                   \
                 << ::fw::test::PgServer::absent_reason();                            \
  }
// NOLINTEND(bugprone-macro-parentheses)
