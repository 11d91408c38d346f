#include "job_flags.hpp"

#include "core/error.hpp"

namespace fw::cli {

api::JobRequest JobFlags::request() const {
  api::JobRequest r;
  r.source = source;
  r.overrides = overrides;
  try {
    if (!mode.empty()) r.overrides.mode = parse_image_mode(mode);
  } catch (const Error& e) {
    throw with_context("--mode", e);
  }
  try {
    if (!polarity.empty()) r.overrides.polarity = parse_polarity(polarity);
  } catch (const Error& e) {
    throw with_context("--polarity", e);
  }
  try {
    if (!oversize.empty()) r.overrides.oversize = parse_oversize_policy(oversize);
  } catch (const Error& e) {
    throw with_context("--oversize", e);
  }
  if (reel_contents) r.overrides.reel_contents = true;
  for (const auto& kv : driver_options) {
    r.overrides.driver_options.insert(api::parse_key_value(kv, "--driver-option"));
  }
  r.profiles = profiles;
  r.base_dir = base_dir;
  r.catalog = catalog;
  return r;
}

void add_job_flags(CLI::App& cmd, JobFlags& flags, const std::string& what) {
  cmd.add_option("JOB", flags.source, what)->required();
  auto& o = flags.overrides;
  cmd.add_option("--out", o.output, "output folder (job key: output)");
  cmd.add_option("--driver", o.driver, "recorder driver (job key: recorder.driver)");
  cmd.add_option("--threads", o.threads, "render threads, 0 = one per core (job key: threads)");
  cmd.add_option("--format", o.format, "film format profile (job key: format)");
  cmd.add_option("--reduction", o.reduction, "reduction ratio, 7-50 (job key: reduction)");
  cmd.add_option("--mode", flags.mode, "bitonal, grey or colour (job key: mode)");
  cmd.add_option("--polarity", flags.polarity, "negative or positive (job key: polarity)");
  cmd.add_option("--oversize", flags.oversize,
                 "fail, reduce or split: a page too large at the reduction is refused, filmed "
                 "whole at the reduction it needs behind a reduction-change target, or so and "
                 "then in overlapping sections at the reduction (job key: oversize)");
  cmd.add_option("--dpi", o.dpi, "resolution for files without one (job key: dpi)");
  cmd.add_option("--id", o.id, "job id (job key: id)");
  cmd.add_option("--title", o.title, "job title (job key: title)");
  cmd.add_option("--site", o.site,
                 "recording site or host, prefixed to every reel id: NLC-B2 gives NLC-B2-R0001 "
                 "(job key: site; default: FILMWRITER_SITE, else none)");
  cmd.add_option("--operator", o.operator_name,
                 "the operator who declares the filming: every reel closes with a declaration "
                 "target naming them (job key: operator)");
  cmd.add_flag("--reel-contents", flags.reel_contents,
               "every reel lists its documents after its technical target (job key: "
               "reel_contents)");
  cmd.add_option("--calibration", o.calibration,
                 "density calibration: a profile in profiles/calibration/, a .toml file, or none "
                 "for raw code values (job key: calibration; default: the recorder's own)");
  cmd.add_option("--checksums", o.checksums,
                 "the delivery's checksum manifest (md5sum/sha256sum output, BSD tags, a BagIt "
                 "manifest-<alg>.txt) or BagIt bag folder, repeatable: every page is checked "
                 "against it before any is filmed (job key: checksums, added to)");
  cmd.add_option("-O,--driver-option", flags.driver_options,
                 "KEY=VALUE driver option, repeatable (job key: recorder.options.KEY)");
  add_profiles_option(cmd, flags.profiles);
  cmd.add_option("--base-dir", flags.base_dir,
                 "resolve the job file's relative paths against DIR instead of the file's "
                 "folder (queue run sets it to QUEUE_DIR/incoming)");
  cmd.add_option("--catalog", flags.catalog,
                 "catalog: a SQLite file or a postgresql:// URL (default: the job's catalog "
                 "key, else FILMWRITER_CATALOG, else <output>/catalog.sqlite)");
}

}  // namespace fw::cli
