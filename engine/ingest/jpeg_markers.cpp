#include "ingest/jpeg_markers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.hpp"

namespace fw::ingest_detail {
namespace {

constexpr int kEnd = -1;  // the file's end, where a byte was expected

// The file's bytes one at a time, read in blocks.
class Bytes {
 public:
  explicit Bytes(const std::string& file) : file_(std::fopen(file.c_str(), "rb"), &std::fclose) {}

  int next() {
    if (at_ == size_ && !fill()) return kEnd;
    return buffer_[at_++];
  }
  int peek() {
    if (at_ == size_ && !fill()) return kEnd;
    return buffer_[at_];
  }
  // The next two bytes, big-endian, or kEnd.
  int next16() {
    const int high = next();
    const int low = next();
    return high == kEnd || low == kEnd ? kEnd : (high << 8) | low;
  }
  bool skip(std::size_t count) {
    while (count > 0) {
      if (at_ == size_ && !fill()) return false;
      const std::size_t step = std::min(count, size_ - at_);
      at_ += step;
      count -= step;
    }
    return true;
  }
  // Past the entropy-coded data of a scan, to the marker after it (returned: its code after
  // the 0xFF). In the data an 0xFF is followed by 0x00 (a stuffed byte) or a restart marker;
  // any other code ends the scan. Fill bytes (more 0xFF) may stand before a marker.
  int skip_entropy_coded_data() {
    for (;;) {
      if (at_ == size_ && !fill()) return kEnd;
      const auto* found =
          static_cast<const unsigned char*>(std::memchr(buffer_.data() + at_, 0xFF, size_ - at_));
      if (!found) {
        at_ = size_;
        continue;
      }
      at_ = static_cast<std::size_t>(found - buffer_.data()) + 1;
      int code = next();
      while (code == 0xFF) code = next();
      if (code == kEnd) return kEnd;
      if (code == 0x00 || (code >= 0xD0 && code <= 0xD7)) continue;
      return code;
    }
  }

 private:
  bool fill() {
    if (!file_) return false;
    size_ = std::fread(buffer_.data(), 1, buffer_.size(), file_.get());
    at_ = 0;
    return size_ > 0;
  }

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::array<unsigned char, 1 << 16> buffer_{};
  std::size_t size_ = 0, at_ = 0;
};

// libjpeg's coef_bits: for each component, each of the 64 coefficients in zigzag order, the
// bit its scans have brought it to (0: full precision), or -1 before any scan sent it.
using CoefficientBits = std::vector<std::array<int, 64>>;

struct FrameComponent {
  int id = 0;
};

std::string coefficient_range(int first, int last) {
  if (first == last) return fmt::format("coefficient {}", first);
  return fmt::format("coefficients {}-{}", first, last);
}

std::string describe_missing(const CoefficientBits& bits) {
  std::vector<std::string> components;
  for (std::size_t c = 0; c < bits.size(); ++c) {
    const std::array<int, 64>& coefficient = bits[c];
    if (std::all_of(coefficient.begin(), coefficient.end(), [](int b) { return b < 0; })) {
      components.push_back(fmt::format("component {} never sent", c + 1));
      continue;
    }
    std::vector<std::string> runs;
    for (int k = 0; k < 64;) {
      const int state = coefficient[static_cast<std::size_t>(k)];
      int last = k;
      while (last + 1 < 64 && coefficient[static_cast<std::size_t>(last) + 1] == state) ++last;
      if (state < 0) {
        runs.push_back(coefficient_range(k, last) + " never sent");
      } else if (state > 0) {
        runs.push_back(coefficient_range(k, last) + fmt::format(" refined only to bit {}", state));
      }
      k = last + 1;
    }
    if (!runs.empty()) {
      components.push_back(fmt::format("component {}: {}", c + 1, fmt::join(runs, ", ")));
    }
  }
  return fmt::format("{}", fmt::join(components, "; "));
}

bool is_frame_header(int code) {
  return code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC;
}

// Reads the markers after SOI to the end-of-image marker; stops early where the file stops
// being what libjpeg reads (libjpeg names that damage itself) or where it has read enough.
void walk(Bytes& bytes, JpegMarkers& markers) {
  std::vector<FrameComponent> frame;
  CoefficientBits bits;
  bool sequential = false;
  int code = kEnd;
  bool have_code = false;  // `code` is the marker that ended a scan's data
  for (;;) {
    if (!have_code) {
      if (bytes.next() != 0xFF) return;  // not a marker where one belongs
      code = bytes.next();
      while (code == 0xFF) code = bytes.next();
    }
    have_code = false;
    if (code == kEnd) return;
    if (code == 0xD9) {  // end of image: what the scans sent is what libjpeg decodes
      if (!bits.empty()) markers.missing = describe_missing(bits);
      return;
    }
    if (code == 0x01 || (code >= 0xD0 && code <= 0xD8)) continue;  // no length
    const int length = bytes.next16();
    if (length < 2) return;
    const std::size_t body = static_cast<std::size_t>(length) - 2;
    if (code == 0xE0 && body >= 14) {
      std::array<int, 14> jfif{};
      for (int& b : jfif) b = bytes.next();
      static constexpr char kJfif[] = "JFIF";
      const bool is_jfif = std::equal(kJfif, kJfif + 5, jfif.begin());
      const int units = jfif[7];
      const int x = (jfif[8] << 8) | jfif[9], y = (jfif[10] << 8) | jfif[11];
      if (is_jfif && units == 0 && x > 0 && y > 0) {
        markers.unitless_density =
            JfifAspect{static_cast<std::uint16_t>(x), static_cast<std::uint16_t>(y)};
      }
      if (!bytes.skip(body - 14)) return;
    } else if (is_frame_header(code)) {
      if (!frame.empty()) return;  // a second frame: hierarchical, which libjpeg refuses
      if (code == 0xC2 || code == 0xCA) {
        markers.progressive = true;
      } else if (code == 0xC0 || code == 0xC1 || code == 0xC9) {
        sequential = true;
      } else {
        return;  // lossless or hierarchical: libjpeg refuses them
      }
      if (body < 6 || !bytes.skip(5)) return;
      const int count = bytes.next();
      if (count < 1 || body != 6 + 3 * static_cast<std::size_t>(count)) return;
      for (int i = 0; i < count; ++i) {
        const int id = bytes.next();
        if (!bytes.skip(2)) return;
        frame.push_back({id});
      }
      std::array<int, 64> never{};
      never.fill(-1);
      bits.assign(frame.size(), never);
    } else if (code == 0xDA) {
      if (frame.empty() || body < 4) return;
      const int count = bytes.next();
      if (count < 1 || body != 4 + 2 * static_cast<std::size_t>(count)) return;
      std::vector<std::size_t> components;
      for (int i = 0; i < count; ++i) {
        const int id = bytes.next();
        (void)bytes.next();  // its Huffman tables
        const auto it = std::find_if(frame.begin(), frame.end(),
                                     [id](const FrameComponent& c) { return c.id == id; });
        if (it == frame.end()) return;  // libjpeg refuses a scan of no component of the frame
        components.push_back(static_cast<std::size_t>(it - frame.begin()));
      }
      const int first = bytes.next(), last = bytes.next(), approximation = bytes.next();
      if (approximation == kEnd) return;
      ++markers.scans;
      if (sequential) {
        // A sequential scan sends each of its components whole.
        for (std::size_t c : components) bits[c].fill(0);
        if (markers.scans == 1 && components.size() == frame.size()) {
          return;  // all in one scan: libjpeg warns of anything cut from it
        }
      } else {
        const int low_bit = approximation & 0x0F;
        for (std::size_t c : components) {
          for (int k = first; k <= std::min(last, 63); ++k) {
            bits[c][static_cast<std::size_t>(k)] = low_bit;
          }
        }
      }
      code = bytes.skip_entropy_coded_data();
      have_code = true;
    } else if (!bytes.skip(body)) {
      return;
    }
  }
}

}  // namespace

JpegMarkers read_jpeg_markers(const std::string& file) {
  JpegMarkers markers;
  Bytes bytes(file);
  if (bytes.next() != 0xFF || bytes.next() != 0xD8) return markers;
  walk(bytes, markers);
  return markers;
}

void check_jpeg_scans(const JpegMarkers& markers, const std::string& context) {
  if (markers.missing.empty()) return;
  throw Error(ErrorKind::input,
              fmt::format("{}: the {}JPEG ends after scan {} with an end-of-image marker, before "
                          "its scans are complete: {}; libjpeg decodes it without a warning, {}: "
                          "the file is cut: rescan the page or export it again",
                          context, markers.progressive ? "progressive " : "", markers.scans,
                          markers.missing,
                          markers.progressive ? "and the page would be filmed blurred and blocky"
                                              : "and the page would be filmed without them"));
}

}  // namespace fw::ingest_detail
