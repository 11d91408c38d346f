// Inside engine/qc: qc.json from the checks' typed results. The layout is what the report,
// the CLI's summary and the tests read: per reel and per frame every measured value (rounded
// to 0.001) and each verdict.
#pragma once

#include <nlohmann/json.hpp>

#include "qc/reel_verifier.hpp"

namespace fw::qc {

nlohmann::ordered_json frame_json(const FrameVerdict& frame);
// `aim`: the background range the reel was judged against.
nlohmann::ordered_json reel_json(const ReelVerdict& reel, double aim_low, double aim_high);

}  // namespace fw::qc
