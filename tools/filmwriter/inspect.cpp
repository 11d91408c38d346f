// `inspect add | due | list`: vault inspections of master reels (catalog/inspection.hpp).
#include <fmt/format.h>

#include <ctime>
#include <sstream>

#include "base/utc.hpp"
#include "catalog/catalog.hpp"
#include "catalog/inspection.hpp"
#include "commands.hpp"
#include "core/error.hpp"

namespace fw::cli {
namespace {

struct InspectFlags {
  std::string catalog = "out/catalog.sqlite";
  std::string job;
  std::string reel;
  std::string date;
  double ad_strip = -1;
  std::string densities;
  std::string notes;
  int months = 24;
  std::string as_of;
};

Catalog open_catalog(const InspectFlags& flags) {
  if (!std::filesystem::exists(flags.catalog)) {
    throw Error(ErrorKind::usage, "--catalog: " + flags.catalog + " does not exist");
  }
  return Catalog(flags.catalog);
}

// "1.05,1.08 1.10": commas or spaces.
std::vector<double> parse_densities(const std::string& text) {
  std::vector<double> out;
  std::string item;
  std::istringstream in(text);
  while (in >> item) {
    std::istringstream parts(item);
    for (std::string value; std::getline(parts, value, ',');) {
      if (value.empty()) continue;
      std::size_t used = 0;
      double d = 0;
      try {
        d = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != value.size()) {
        throw Error(ErrorKind::usage,
                    fmt::format("--densities: expected numbers like 1.05,1.10, got \"{}\"", value));
      }
      out.push_back(d);
    }
  }
  return out;
}

int run_add(const InspectFlags& flags) {
  if (flags.ad_strip < 0 && flags.ad_strip != -1) {
    throw Error(ErrorKind::usage, "--ad-strip: expected a level 0–3");
  }
  const Catalog catalog = open_catalog(flags);
  Inspection in;
  in.job_id = flags.job;
  in.reel = flags.reel;
  in.date = flags.date;
  in.ad_strip = flags.ad_strip;
  in.densities = parse_densities(flags.densities);
  in.notes = flags.notes;
  const Inspection stored = add_inspection(catalog, in);
  fmt::print("inspection of {} reel {} on {}: A-D strip {:g}, densities [{}]{}\n", stored.job_id,
             stored.reel, stored.date, stored.ad_strip, fmt::join(stored.densities, ", "),
             stored.notes.empty() ? "" : ", notes: " + stored.notes);
  return exit_ok;
}

int run_due(const InspectFlags& flags) {
  const Catalog catalog = open_catalog(flags);
  const std::string today = flags.as_of.empty() ? utc_date(std::time(nullptr)) : flags.as_of;
  const auto due = inspections_due(catalog, flags.months, today);
  if (due.empty()) {
    fmt::print("no reel is due (last inspection within {} months of {})\n", flags.months, today);
    return exit_ok;
  }
  for (const DueReel& d : due) {
    fmt::print("{} {}: {}\n", d.job_id, d.reel,
               d.inspected
                   ? fmt::format("last inspected {} (A-D strip {:g})", d.last, d.last_ad_strip)
                   : fmt::format("never inspected, filmed {}", d.last));
  }
  return exit_ok;
}

int run_list(const InspectFlags& flags) {
  const Catalog catalog = open_catalog(flags);
  std::vector<std::string> jobs;
  if (!flags.job.empty()) {
    jobs.push_back(flags.job);
  } else {
    for (const auto& j : catalog.jobs()) jobs.push_back(j.id);
  }
  std::size_t n = 0;
  for (const auto& job : jobs) {
    for (const Inspection& i : list_inspections(catalog, job, flags.reel)) {
      fmt::print("{} {} {}: A-D strip {:g}, densities [{}]{}{}\n", i.job_id, i.reel, i.date,
                 i.ad_strip, fmt::join(i.densities, ", "),
                 i.notes.empty() ? "" : ", notes: " + i.notes,
                 i.earlier_filming ? " (earlier filming: the job was run again since)" : "");
      ++n;
    }
  }
  if (n == 0) fmt::print("no inspection recorded\n");
  return exit_ok;
}

}  // namespace

void add_inspect_commands(CLI::App& app, std::vector<Command>& commands) {
  auto flags = std::make_shared<InspectFlags>();
  auto* inspect = app.add_subcommand("inspect", "vault inspections of master reels");
  inspect->require_subcommand(1);
  auto* add = inspect->add_subcommand("add", "record an inspection of a reel in the catalog");
  add->add_option("REEL", flags->reel, "reel id, e.g. R0001")->required();
  add->add_option("--date", flags->date, "day of the inspection, YYYY-MM-DD")->required();
  add->add_option("--ad-strip", flags->ad_strip,
                  "A-D strip level: 0 good, 1 onset, 1.5 autocatalytic, 2 degrading, 3 critical")
      ->required();
  add->add_option("--densities", flags->densities, "densitometer readings, e.g. 1.08,1.10,1.12");
  add->add_option("--notes", flags->notes, "free text: damage, odour, storage");
  add->add_option("--job", flags->job, "job id (needed when two jobs have the reel id)");
  add->add_option("--catalog", flags->catalog, "catalog file")->capture_default_str();
  commands.push_back({add, [flags](Context&) { return run_add(*flags); }});

  auto* due = inspect->add_subcommand("due", "reels whose last inspection is too long ago");
  due->add_option("--months", flags->months, "inspection interval")->capture_default_str();
  due->add_option("--as-of", flags->as_of, "judge as of this day, YYYY-MM-DD (default today)");
  due->add_option("--catalog", flags->catalog, "catalog file")->capture_default_str();
  commands.push_back({due, [flags](Context&) { return run_due(*flags); }});

  auto* list = inspect->add_subcommand("list", "the inspection history");
  list->add_option("REEL", flags->reel, "only this reel");
  list->add_option("--job", flags->job, "only this job");
  list->add_option("--catalog", flags->catalog, "catalog file")->capture_default_str();
  commands.push_back({list, [flags](Context&) { return run_list(*flags); }});
}

}  // namespace fw::cli
