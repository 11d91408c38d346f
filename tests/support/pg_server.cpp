#include "support/pg_server.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "catalog/database.hpp"

namespace fw::test {
namespace {

namespace fs = std::filesystem;

// Where the server binaries are: FW_PG_BIN, else the newest /usr/lib/postgresql/N/bin.
std::string find_binaries() {
  if (const char* env = std::getenv("FW_PG_BIN"); env != nullptr && *env != '\0') return env;
  std::string best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl") && fs::exists(bin / "postgres") &&
        bin.string() > best) {
      best = bin.string();
    }
  }
  return best;
}

std::string& reason() {
  static std::string text;
  return text;
}

}  // namespace

const std::string& PgServer::absent_reason() {
  return reason();
}

PgServer* PgServer::get() {
  static std::unique_ptr<PgServer> server = [] {
    std::unique_ptr<PgServer> s(new PgServer());
    if (!s->launch(reason())) s.reset();
    return s;
  }();
  return server.get();
}

std::string PgServer::as_server(const std::string& command) const {
  // PostgreSQL will not run as root: as root, run it as the postgres system user.
  return geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

bool PgServer::launch(std::string& why) {
  bin_ = find_binaries();
  if (bin_.empty()) {
    why = "no initdb, pg_ctl and postgres under /usr/lib/postgresql/*/bin (or FW_PG_BIN)";
    return false;
  }
  char name[] = "/tmp/fw-pg-XXXXXX";
  if (mkdtemp(name) == nullptr) {
    why = "cannot make a temporary folder";
    return false;
  }
  dir_ = name;
  owner_pid_ = static_cast<int>(getpid());
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr || chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      why = "running as root and there is no postgres user to run the server as";
      return false;
    }
  }
  // ctest runs each test in its own process, so each starts its own server: initdb (1.5 s)
  // runs once per machine and user into a template cluster, under a lock, and each server
  // starts on a copy of it (0.3 s).
  const std::string bin_tag = fs::path(bin_).parent_path().filename().string();
  const std::string template_dir =
      fmt::format("/tmp/fw-pg-template-{}-{}", bin_tag, static_cast<int>(geteuid()));
  const std::string init = fmt::format(
      "flock {0}.lock sh -c 'test -f {0}/ready || {{ rm -rf {0} && mkdir -p {0} && {1} && {2} "
      "&& touch {0}/ready; }}' > {3}/initdb.log 2>&1",
      template_dir, geteuid() == 0 ? "chown postgres " + template_dir : std::string("true"),
      as_server(fmt::format("{}/initdb -D {}/data -U postgres -A trust -E UTF8 --no-locale "
                            "--no-sync",
                            bin_, template_dir)),
      dir_);
  const std::string copy = as_server(fmt::format("cp -a {}/data {}/data", template_dir, dir_));
  if (std::system(init.c_str()) != 0 || std::system(copy.c_str()) != 0) {
    why = fmt::format("initdb failed, see {}/initdb.log", dir_);
    return false;
  }
  start();
  // A test process that dies without its exit handlers (a crash, SIGKILL, a closed pipe)
  // must not leave its server running: a watcher, in a session of its own, stops the server
  // and removes the folder once this process is gone.
  const std::string watch = fmt::format(
      "setsid sh -c 'while kill -0 {0} 2>/dev/null; do sleep 1; done; {1} > /dev/null 2>&1; "
      "rm -rf {2}' > /dev/null 2>&1 < /dev/null &",
      owner_pid_,
      as_server(fmt::format("{}/pg_ctl -D {}/data -w -s -m immediate stop", bin_, dir_)), dir_);
  if (std::system(watch.c_str()) != 0) {
    std::fprintf(stderr, "pg_server: no watcher: the server stops only on a normal exit\n");
  }
  return true;
}

void PgServer::start() {
  // fsync off: a test's database does not outlive the test (pg_ctl stop still checkpoints).
  const std::string command = as_server(fmt::format(
      "{0}/pg_ctl -D {1}/data -l {1}/server.log -w -s -o \"-c listen_addresses='' -k {1} -p "
      "5432 -c fsync=off -c full_page_writes=off -c max_connections=60\" start",
      bin_, dir_));
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error(fmt::format("pg_ctl start failed, see {}/server.log", dir_));
  }
}

void PgServer::stop() {
  const std::string command =
      as_server(fmt::format("{}/pg_ctl -D {}/data -w -s -m fast stop", bin_, dir_));
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error(fmt::format("pg_ctl stop failed, see {}/server.log", dir_));
  }
}

PgServer::~PgServer() {
  // A child process of a test (fork) exits through here too: only the starter stops it.
  if (static_cast<int>(getpid()) != owner_pid_) return;
  const std::string command = as_server(
      fmt::format("{}/pg_ctl -D {}/data -w -s -m immediate stop > /dev/null 2>&1", bin_, dir_));
  if (std::system(command.c_str()) == 0) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string PgServer::url(const std::string& name) const {
  return fmt::format("postgresql:///{}?host={}&port=5432&user=postgres", name, dir_);
}

std::string PgServer::fresh_database() {
  const std::string name = fmt::format("test_{}_{}", getpid(), ++next_);
  db::open(url("postgres"), false)->exec("CREATE DATABASE " + name);
  return url(name);
}

void CatalogBackend::SetUp() {
  unsetenv("FILMWRITER_CATALOG");
  if (!postgresql()) return;
  FW_REQUIRE_PG(server);
  server_ = server;
  url_ = server->fresh_database();
  setenv("FILMWRITER_CATALOG", url_.c_str(), 1);
}

void CatalogBackend::TearDown() {
  unsetenv("FILMWRITER_CATALOG");
}

void CatalogBackend::exec(const std::string& location, const std::string& sql) {
  db::open(location, false)->exec(sql);
}

std::vector<std::string> CatalogBackend::column(const std::string& location,
                                                const std::string& sql) {
  auto db = db::open(location, false);
  auto select = db->prepare(sql);
  std::vector<std::string> out;
  while (select->step()) out.push_back(select->text(0));
  return out;
}

std::vector<std::string> CatalogBackend::tables(const std::string& location) {
  auto db = db::open(location, false);
  auto select = db->prepare(
      db->dialect() == db::Dialect::sqlite
          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> "
            "'sqlite_' ORDER BY name"
          : "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' AND table_name <> "
            "'filmwriter_schema' ORDER BY table_name");
  std::vector<std::string> out;
  while (select->step()) out.push_back(select->text(0));
  return out;
}

std::vector<std::string> CatalogBackend::rows(const std::string& location,
                                              const std::string& table) {
  auto db = db::open(location, false);
  auto select = db->prepare("SELECT * FROM " + table);
  std::vector<std::string> out;
  while (select->step()) {
    std::string row;
    for (int c = 0; c < select->columns(); ++c) {
      if (select->column_name(c) == "rowid") continue;
      row +=
          fmt::format("{}{}={}", row.empty() ? "" : "\t", select->column_name(c), select->text(c));
    }
    out.push_back(row);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fw::test
