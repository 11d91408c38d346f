// The engine's operations (engine/api) called as the CLI calls them, for tests that check what
// an operation does (the reels, the catalog, the verdict) rather than how the CLI is wired: no
// process to start, no output to parse, and the fw::Error the CLI would exit with is thrown.
// The CLI's own wiring (flags, exit codes, printed text) keeps its run_cli tests.
#pragma once

#include <filesystem>
#include <string>

#include "api/catalog_query.hpp"
#include "api/convert.hpp"
#include "api/settings.hpp"
#include "api/verify.hpp"
#include "hal/registry.hpp"
#include "qc/qc.hpp"

namespace fw::test {

// The recorder drivers the CLI registers (drivers/builtin).
const hal::Registry& builtin_drivers();

// The job flags tests give most: --out OUT and --profiles PROFILES (each left out when empty).
api::JobRequest job_flags(const std::filesystem::path& out = {},
                          const std::filesystem::path& profiles = {});

// ConvertOptions of `convert --resume`, `convert --overwrite` and `plan`.
api::ConvertOptions resuming();
api::ConvertOptions overwriting();
api::ConvertOptions planning();

// `filmwriter convert JOB` (`plan`, `--resume`, `--overwrite`, ... through `options`): the job
// named as the CLI names it (a job file, a scans folder, or a job's output folder), with
// `flags` for the CLI's job flags (--out, --driver, -O, ...), resolved and converted.
api::ConvertResult convert_job(const std::filesystem::path& job,
                               const api::ConvertOptions& options = {}, api::JobRequest flags = {});

// `filmwriter verify JOB`: the job as it was run (its recorded settings), checked.
QcResult verify_job(const std::filesystem::path& job, const api::VerifyRequest& request = {},
                    api::JobRequest flags = {});

// `filmwriter catalog find NAMED` (a job's output folder or an --out folder): the lines it
// prints, each ending in a newline.
std::string catalog_find(const std::filesystem::path& named, const FrameQuery& query);

// The query of `catalog find --title TITLE`.
FrameQuery titled(const std::string& title);

// `filmwriter catalog export NAMED --format FORMAT` (csv or json): the text it prints.
std::string catalog_export(const std::filesystem::path& named, const std::string& format);

// A verify's failures and warnings, a line each, for a test's failure message.
std::string describe(const QcResult& result);

}  // namespace fw::test
