// `inspect add | correct | withdraw | due | list`: vault inspections of master reels
// (api/inspect.hpp). The job is named as for verify (api/catalog_target.hpp).
#include <fmt/format.h>

#include "api/inspect.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

struct InspectFlags {
  std::vector<std::string> args;  // [JOB] REEL, [JOB] ID, [JOB] or [JOB] [REEL]
  std::string catalog, job, date, densities, notes, reason;
  double ad_strip = -1;
  int months = 24;
  std::string as_of;
  bool history = false;
};

// The catalog and job JOB names (or --catalog, --job). When the command takes a REEL or ID,
// `last` receives the last argument, and JOB is the one before it.
api::CatalogNames names(const InspectFlags& f, std::string* last = nullptr) {
  std::vector<std::string> args = f.args;
  if (last && !args.empty()) {
    *last = args.back();
    args.pop_back();
  }
  return {args.empty() ? "" : args.front(), f.catalog, f.job};
}

int run_add(const InspectFlags& f) {
  Inspection in;
  const auto job = names(f, &in.reel);
  in.date = f.date;
  in.ad_strip = f.ad_strip;
  in.densities = parse_densities(f.densities);
  in.notes = f.notes;
  fmt::print("recorded {}\n", describe_inspection(api::record_inspection(job, in)));
  return exit_ok;
}

int run_correct(const InspectFlags& f, bool withdraw, const CLI::App& cmd) {
  std::string id_text;
  const auto job = names(f, &id_text);
  const long long id = parse_inspection_id(id_text);
  if (withdraw) {
    fmt::print("withdrew {}\n",
               describe_inspection(api::withdraw_inspection_record(job, id, f.reason)));
    return exit_ok;
  }
  InspectionChange change;
  if (cmd.count("--date")) change.date = f.date;
  if (cmd.count("--ad-strip")) change.ad_strip = f.ad_strip;
  if (cmd.count("--densities")) change.densities = parse_densities(f.densities);
  if (cmd.count("--notes")) change.notes = f.notes;
  const Inspection stored = api::correct_inspection_record(job, id, change, f.reason);
  fmt::print("recorded {}\n", describe_inspection(stored));
  return exit_ok;
}

int run_due(const InspectFlags& f) {
  const api::DueInspections due = api::reels_due_for_inspection(names(f), f.months, f.as_of);
  for (const DueReel& d : due.reels) fmt::print("{}\n", describe_due(d));
  if (due.reels.empty()) {
    fmt::print("no reel is due (last inspection within {} months of {})\n", due.months, due.as_of);
    return exit_ok;
  }
  fmt::print("{} reel(s) due for inspection (exit {})\n", due.reels.size(),
             static_cast<int>(exit_due));
  return exit_due;
}

int run_list(const InspectFlags& f) {
  // [JOB] [REEL]: one argument is JOB when it names a file or folder, else a reel id.
  std::string reel;
  std::error_code ec;
  const bool has_reel =
      f.args.size() == 2 || (f.args.size() == 1 && !std::filesystem::exists(f.args[0], ec));
  const auto records =
      api::inspection_records(names(f, has_reel ? &reel : nullptr), reel, f.history);
  for (const Inspection& i : records) fmt::print("{}\n", describe_inspection(i));
  if (records.empty()) fmt::print("no inspection recorded\n");
  return exit_ok;
}

}  // namespace

void add_inspect_commands(CLI::App& app, std::vector<Command>& commands) {
  auto f = std::make_shared<InspectFlags>();
  auto* inspect = app.add_subcommand("inspect", "vault inspections of master reels");
  inspect->require_subcommand(1);
  const std::string job = "the job's output folder (or the --out folder holding it) or job file";
  auto common = [&](CLI::App* cmd, const char* args, const std::string& what, int least) {
    cmd->add_option(args, f->args, what + ": " + job)->expected(least, 2);
    cmd->add_option("--catalog", f->catalog, "catalog file (default: the job's, else out/)");
    cmd->add_option("--job", f->job, "job id (when two jobs in the catalog have the reel id)");
  };
  auto readings = [&](CLI::App* cmd) {
    cmd->add_option("--date", f->date, "day of the inspection, YYYY-MM-DD (not in the future)");
    cmd->add_option("--ad-strip", f->ad_strip,
                    "A-D strip level: 0 good, 1 onset, 1.5 autocatalytic, 2 degrading, 3 critical");
    cmd->add_option("--densities", f->densities, "densitometer readings, e.g. 1.08,1.10,1.12");
    cmd->add_option("--notes", f->notes, "free text: damage, odour, storage");
  };
  auto* add = inspect->add_subcommand("add", "record an inspection of a reel in the catalog");
  common(add, "JOB_REEL", "[JOB] REEL (R0001)", 1);
  readings(add);
  add->get_option("--date")->required();
  add->get_option("--ad-strip")->required();
  commands.push_back({add, [f](Context&) { return run_add(*f); }});
  for (const bool withdraw : {false, true}) {
    auto* cmd = inspect->add_subcommand(
        withdraw ? "withdraw" : "correct",
        withdraw ? "withdraw record #ID with a reason (it stays in the history)"
                 : "replace record #ID by a corrected one (the old one stays in the history)");
    common(cmd, "JOB_ID", "[JOB] ID (the record's #ID in inspect list)", 1);
    cmd->add_option("--reason", f->reason, "why (kept with the record)")->required();
    if (!withdraw) readings(cmd);
    commands.push_back(
        {cmd, [f, withdraw, cmd](Context&) { return run_correct(*f, withdraw, *cmd); }});
  }
  auto* due = inspect->add_subcommand(
      "due", "reels whose last inspection is too long ago; exit 7 when any is due");
  common(due, "JOB", "[JOB]: only this job", 0);
  due->add_option("--months", f->months, "inspection interval")->capture_default_str();
  due->add_option("--as-of", f->as_of, "judge as of this day, YYYY-MM-DD (default today)");
  commands.push_back({due, [f](Context&) { return run_due(*f); }});
  auto* list = inspect->add_subcommand("list", "the inspection records");
  common(list, "JOB_REEL", "[JOB] [REEL]: only this job, reel", 0);
  list->add_flag("--history", f->history, "also corrected and withdrawn records");
  commands.push_back({list, [f](Context&) { return run_list(*f); }});
}

}  // namespace fw::cli
