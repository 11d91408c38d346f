// libvips reports errors through one global, accumulating buffer that VError copies.
#pragma once

#include <string>

#include <vips/vips8>

namespace fw {

// The first non-empty line of what libvips said (the root cause; later lines are its
// consequences), and the global buffer cleared so the next failure does not repeat it.
// When the buffer is empty (libpng's "IHDR: CRC error" reaches libvips as a warning only),
// the last libvips warning this thread logged is the reason.
std::string vips_error_message(const vips::VError& error);

// Keeps each thread's last libvips warning for vips_error_message (and still prints it).
// Called once, after libvips started.
void keep_vips_warnings();

}  // namespace fw
