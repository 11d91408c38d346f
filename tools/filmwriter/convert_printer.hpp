// The listener that prints what `plan` and `convert` report (convert_printer.cpp).
#pragma once

#include <memory>

#include "api/convert.hpp"

namespace fw::cli {

std::unique_ptr<api::ConvertListener> make_convert_printer();

}  // namespace fw::cli
