#include "api/verify.hpp"

#include "film/plan.hpp"
#include "pipeline/pipeline.hpp"

namespace fw::api {

QcResult verify(const JobSettings& settings, const hal::Registry& drivers,
                const VerifyRequest& request) {
  Job job = settings.job;
  // The targets on film show the day the job was planned: re-render them with that day.
  if (job.filming_date.empty()) {
    job.filming_date = recorded_filming_date(settings.job_dir / "plan.json");
  }
  // The recorder's capabilities (pitch, calibration) make the plan; opening it touches no film.
  const auto recorder = open_recorder(settings, drivers);
  const PreparedJob prepared = prepare_job(job, recorder->capabilities(), settings.profiles_dir);
  const QcProfile profile = load_qc_profile(settings.profiles_dir, request.qc_profile);
  // qc.json and the report go into the job's folder: not while another run writes there.
  std::unique_ptr<ops::InstanceLock> lock;
  if (std::filesystem::is_directory(settings.job_dir)) lock = lock_job(settings.job_dir);
  VerifyOptions options;
  options.profiles_dir = settings.profiles_dir;
  options.catalog = settings.catalog_file;
  options.report = request.report;
  options.on_progress = request.on_progress;
  return verify_job(job, prepared, profile, options);
}

}  // namespace fw::api
