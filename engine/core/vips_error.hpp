// libvips reports errors through one global, accumulating buffer that VError copies.
#pragma once

#include <string>

#include <vips/vips8>

namespace fw {

// The first non-empty line of what libvips said (the root cause; later lines are its
// consequences), and the global buffer cleared so the next failure does not repeat it.
std::string vips_error_message(const vips::VError& error);

}  // namespace fw
