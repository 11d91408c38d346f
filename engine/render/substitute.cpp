#include "render/substitute.hpp"

#include "render/target.hpp"

namespace fw {

FrameImage render_substitute(const Job& job, const Plan& plan, const PlannedFrame& frame,
                             const std::string& reason, const RasterSettings& settings) {
  PlannedFrame substitute = frame;
  substitute.kind = FrameKind::substitute;  // a page that failed while rendering
  if (substitute.target.empty()) {
    const Document& document = job.documents.at(frame.document);
    substitute.target =
        document.substitute_target.empty() ? job.substitute_target : document.substitute_target;
  }
  return render_substitute_target(job, plan, substitute, reason, settings);
}

}  // namespace fw
