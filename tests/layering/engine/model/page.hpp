// A fixture of tests/layering.cmake: model is the layer above core, below film.
#pragma once
#include "core/error.hpp"  // a layer below: allowed
#include "film/plan.hpp"   // a layer above: named by the check
