// A fixture of tests/layering.cmake: ingest and color share a layer.
#include "base/files.hpp"     // below every module: allowed
#include "color/icc.hpp"      // the same layer: named by the check
#include "hal/recorder.hpp"   // outside the engine: not the check's business
#include "ingest/ingest.hpp"  // its own module: allowed
