#include "ingest/jpeg_complaint.hpp"

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

namespace fw::ingest_detail {
namespace {

// libjpeg's error manager, extended with where to go on a fatal error and the first message.
// libjpeg calls back through `pub`, the first member.
struct Complaints {
  jpeg_error_mgr pub;
  std::jmp_buf fatal;
  char first[JMSG_LENGTH_MAX];
};

void keep_first(j_common_ptr cinfo) {
  auto* complaints = reinterpret_cast<Complaints*>(cinfo->err);
  if (complaints->first[0] == '\0') cinfo->err->format_message(cinfo, complaints->first);
}

// Level -1 is a warning (libjpeg goes on decoding); 0 and above are trace messages.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  keep_first(cinfo);
  ++cinfo->err->num_warnings;
}

// libjpeg's error_exit must not return. Nothing with a destructor lives in the frames the jump
// leaves (libjpeg's own C frames and this one).
[[noreturn]] void on_error(j_common_ptr cinfo) {
  keep_first(cinfo);
  std::longjmp(reinterpret_cast<Complaints*>(cinfo->err)->fatal, 1);
}

// The decode itself. Nothing with a destructor lives in this frame, which libjpeg's longjmp
// may leave; the row buffer is libjpeg's own, freed with the decompressor.
void decode(std::FILE* in, Complaints& complaints) {
  jpeg_decompress_struct cinfo{};
  cinfo.err = jpeg_std_error(&complaints.pub);
  complaints.pub.emit_message = on_message;
  complaints.pub.error_exit = on_error;
  if (setjmp(complaints.fatal) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, in);
  jpeg_read_header(&cinfo, TRUE);
  jpeg_start_decompress(&cinfo);
  JSAMPARRAY row = (*cinfo.mem->alloc_sarray)(
      reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
      cinfo.output_width * static_cast<JDIMENSION>(cinfo.output_components), 1);
  while (cinfo.output_scanline < cinfo.output_height) jpeg_read_scanlines(&cinfo, row, 1);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
}

}  // namespace

std::optional<std::string> libjpeg_complaint(const std::string& file) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                           &std::fclose);
  if (!in) return std::string("cannot open the file: ") + std::strerror(errno);
  Complaints complaints{};
  decode(in.get(), complaints);
  if (complaints.first[0] == '\0') return std::nullopt;
  return std::string(complaints.first);
}

}  // namespace fw::ingest_detail
