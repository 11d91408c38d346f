#include "support/engine_api.hpp"

#include "builtin.hpp"

namespace fw::test {

const hal::Registry& builtin_drivers() {
  static const hal::Registry drivers = [] {
    hal::Registry registry;
    drivers::register_builtin_drivers(registry);
    return registry;
  }();
  return drivers;
}

api::JobRequest job_flags(const std::filesystem::path& out, const std::filesystem::path& profiles) {
  api::JobRequest flags;
  if (!out.empty()) flags.overrides.output = out;
  flags.profiles = profiles;
  return flags;
}

api::ConvertOptions resuming() {
  api::ConvertOptions options;
  options.resume = true;
  return options;
}

api::ConvertOptions overwriting() {
  api::ConvertOptions options;
  options.overwrite = true;
  return options;
}

api::ConvertOptions planning() {
  api::ConvertOptions options;
  options.mode = api::ConvertOptions::Mode::plan;
  return options;
}

api::ConvertResult convert_job(const std::filesystem::path& job, const api::ConvertOptions& options,
                               api::JobRequest flags) {
  // As tools/filmwriter/convert.cpp: an output folder names the job it holds.
  flags.source = job;
  const api::JobRequest request = api::locate_job(job, flags);
  api::ConvertListener listener;
  return api::convert(api::resolve(request), builtin_drivers(), options, listener);
}

QcResult verify_job(const std::filesystem::path& job, const api::VerifyRequest& request,
                    api::JobRequest flags) {
  // As tools/filmwriter/verify.cpp: a job that has run is verified with its recorded settings.
  flags.source = job;
  const api::LocatedJob located = api::locate_job_as_run(job, flags);
  return api::verify(api::resolve(located.request), builtin_drivers(), request);
}

std::string catalog_find(const std::filesystem::path& named, const FrameQuery& query) {
  std::string text;
  for (const auto& line : api::find_in_catalog({named, {}, {}}, query, {})) text += line + "\n";
  return text;
}

FrameQuery titled(const std::string& title) {
  FrameQuery query;
  query.title = title;
  return query;
}

std::string catalog_export(const std::filesystem::path& named, const std::string& format) {
  api::CatalogExportRequest request;
  request.format = format;
  return api::export_catalog({named, {}, {}}, request).text;
}

std::string describe(const QcResult& result) {
  std::string text;
  for (const auto& failure : result.failures) text += "FAILED " + failure + "\n";
  for (const auto& warning : result.warnings) text += "WARNING " + warning + "\n";
  return text;
}

}  // namespace fw::test
