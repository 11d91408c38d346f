// Data frames (engine/data): files written on film as 2D-coded frames and read back bit-exact
// from developed film. The format is specified in docs/data-frames.md (format version 1);
// this header is the module's whole public face:
//
//   planner   Layout::make(geometry, code) and frames_for_file(): how many frames a file needs
//   renderer  FileEncoder::frame(k): the device code values of the file's k-th frame
//   restore   decode_frame() per image, then Restorer: frames in any order -> files + report
//
// Nothing here knows the job, the plan or the recorder: the caller passes the frame size in
// pixels, the identity that goes into every frame header, and the images to read.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fw::data {

inline constexpr int kFormatVersion = 1;

// The code and modulation, written into every frame header.
struct CodeParams {
  int bits_per_module = 1;  // 1 (two density levels) or 2 (four levels, Gray-coded)
  int inner_n = 255;        // inner RS(n, k) per frame, over GF(256)
  int inner_k = 223;
  int group_data = 16;   // outer code: up to this many data frames per group ...
  int group_parity = 2;  // ... and this many parity frames (any this many lost are recovered)
};

// Where the symbol is drawn: the frame's data area in recorder pixels. The symbol is centred
// in it with `quiet_modules` of unexposed film around it.
struct FrameGeometry {
  std::uint32_t width_px = 0;
  std::uint32_t height_px = 0;
  double pitch_um = 2.5;        // recorder pixel pitch on film (for reports only)
  std::uint32_t module_px = 2;  // module side in recorder pixels (docs/data-frames.md: why 2)
  std::uint32_t quiet_modules = 4;
};

// The symbol's layout, a pure function of the geometry and the code (docs/data-frames.md).
struct Layout {
  FrameGeometry geometry;
  CodeParams code;
  std::uint32_t modules_x = 0, modules_y = 0;  // the symbol, border included (both odd)
  std::uint32_t offset_x_px = 0, offset_y_px = 0;
  std::uint32_t header_rows = 0;  // rows of one header copy (4 per band of blocks)
  std::uint32_t data_row0 = 0;    // first module row of the data blocks (symbol coordinates)
  std::uint32_t block_w = 2, block_h = 4;  // modules per data byte
  std::uint32_t blocks_x = 0, blocks_y = 0;
  std::uint32_t slots = 0;          // data bytes the frame holds (blocks)
  std::uint32_t codewords = 0;      // inner codewords per frame
  std::uint64_t payload_bytes = 0;  // net bytes per frame: codewords * inner_k

  // Throws Error(usage) when the frame is too small for a symbol or the code is invalid.
  static Layout make(const FrameGeometry& geometry, const CodeParams& code = {});
  double module_um() const { return geometry.module_px * geometry.pitch_um; }
};

// Who a frame belongs to; every frame header carries it (fields longer than the header's
// are cut: job 16 bytes, reel 8, document 16, UTF-8).
struct FileIdentity {
  std::string job;
  std::string reel;
  std::string document;
  std::uint32_t file_index = 0;  // the file's number in its document
  std::string name;              // relative path written back by restore ("scan/0001.tif")
};

struct FrameCount {
  std::uint32_t data = 0;    // frames holding the file
  std::uint32_t parity = 0;  // outer-code frames
  std::uint32_t groups = 0;
  std::uint32_t total() const { return data + parity; }
};
// Frames a file of `file_size` bytes named `name` needs at this layout.
FrameCount frames_for_file(const Layout& layout, std::uint64_t file_size, const std::string& name);

// A frame's device code values: one channel, row-major, 0 unexposed film, 255 full exposure
// (on a negative an exposed module develops dense).
struct FramePixels {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> pixels;
};

// Encodes one file. frame(k) is pure and thread-safe: frames may be rendered in any order on
// any thread; a parity frame reads its group's data from the file again.
class FileEncoder {
 public:
  FileEncoder(const Layout& layout, FileIdentity identity, std::vector<std::uint8_t> content);
  // Reads the file lazily (hashes it once here); throws Error(input) naming it.
  FileEncoder(const Layout& layout, FileIdentity identity, const std::filesystem::path& file);
  ~FileEncoder();
  FileEncoder(FileEncoder&&) noexcept;

  const FrameCount& count() const;
  const std::string& sha256_hex() const;
  std::uint64_t file_size() const;
  FramePixels frame(std::uint32_t k) const;  // k < count().total()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One frame's header as read back from film.
struct FrameHeader {
  int version = 0;
  CodeParams code;
  std::uint32_t modules_x = 0, modules_y = 0;
  std::uint32_t group = 0;
  std::uint32_t group_frames = 0;  // data frames in this group
  std::uint32_t index_in_group = 0;
  std::uint32_t data_frames = 0;  // of the file
  std::uint32_t codewords = 0;
  std::uint32_t file_index = 0;
  std::uint64_t stream_size = 0;  // name record + file
  std::uint64_t file_size = 0;
  std::array<std::uint8_t, 32> sha256{};
  std::string job, reel, document;

  bool parity() const { return index_in_group >= group_frames; }
  std::uint32_t data_index() const;  // for a data frame: its chunk number in the file
};

// What decode_frame found in one image.
struct DecodedFrame {
  std::string source;          // image file (or the caller's name)
  bool is_data_frame = false;  // a symbol with a valid header was found
  std::string error;           // why not, or what went wrong after the header
  FrameHeader header;
  std::vector<std::uint8_t> payload;  // layout.payload_bytes bytes, codeword by codeword
  std::vector<std::uint8_t> known;    // per inner codeword: 1 decoded, 0 lost
  // Quality, for QC and the report.
  double samples_per_module = 0;
  double rotation_deg = 0;
  double contrast_d = 0;  // dense minus clear reference (density units)
  std::uint32_t codewords_failed = 0;
  std::uint64_t symbol_errors = 0;  // corrected by the inner code
  std::uint32_t max_errors = 0;     // in any one codeword
  int min_margin = 0;               // fewest further symbol errors any codeword could take
  std::uint32_t header_errors = 0;  // corrected in the header copy used
};

// An image of developed film as darkness: higher is denser. Values are in density units for
// the sim's density TIFFs; for an 8- or 16-bit transmission scan they are -log10 of the
// transmitted light relative to the brightest value the format holds.
struct FilmImage {
  std::uint32_t width = 0, height = 0;
  std::vector<float> darkness;
  bool is_density = false;
};
// Reads a developed-film TIFF (density x 10000, as the sim writes) or a grey scan (8/16-bit,
// any format libvips reads; colour scans are turned to grey). Throws Error(input) naming it.
FilmImage read_film_image(const std::filesystem::path& file);

// Finds the symbol (any small rotation, any scale >= ~1.5 samples per module), reads and
// decodes it. Never throws for bad content: an image without a data frame comes back with
// is_data_frame false and the reason.
DecodedFrame decode_frame(const FilmImage& image, const std::string& source = "");

// Files restored from the frames of one or more reels.
struct LostRange {
  std::uint64_t begin = 0, end = 0;  // file bytes [begin, end)
};
struct RestoredFile {
  std::string job, document, name;
  std::uint32_t file_index = 0;
  std::uint64_t size = 0;
  std::string sha256;             // expected (from the headers)
  std::string status;             // "recovered", "damaged" (bytes lost), "failed" (hash)
  std::filesystem::path written;  // where it was written ("" when nothing was)
  std::uint32_t frames_expected = 0, frames_found = 0;
  std::uint64_t symbol_errors = 0;        // corrected by the inner code over the file's frames
  std::uint64_t outer_bytes = 0;          // bytes of the file rebuilt by the outer code
  int min_margin = 0;                     // below 0: a frame had codewords beyond the inner code
  std::uint32_t frames_beyond_inner = 0;  // such frames (data or parity)
  std::vector<LostRange> lost;
  std::string note;  // why it was written under another name than its own, if it was
};
struct RestoreReport {
  std::vector<RestoredFile> files;
  std::vector<DecodedFrame> frames;  // payloads dropped; quality kept
  std::uint32_t images = 0, not_data = 0;
  bool several_jobs = false;  // files of more than one job: each job's in a folder of its own
  bool all_recovered() const;
  // "D001/p1.tif" as the report names a file; "job/D001/p1.tif" when files of several jobs
  // were restored (each job's files are then in a folder of its own).
  std::string shown(const RestoredFile& file) const;
  std::string text() const;
  nlohmann::json json() const;
};

// Collects decoded frames (any order, duplicates allowed), then writes every file it can under
// `out` as DOCUMENT/NAME (a damaged file as NAME.damaged, its lost bytes zero) and verifies it
// against the SHA-256 in its headers.
class Restorer {
 public:
  void add(DecodedFrame frame);
  RestoreReport finish(const std::filesystem::path& out);

 private:
  std::vector<DecodedFrame> frames_;
};

// The images to read from `paths`: an image file as given; a folder searched recursively for
// images (by content: reel.json, index.csv and other files are left out), and when it has
// folders named `film` (a job's or reel's folder: R0001/film), only the images in those.
// Sorted, each once. Error(usage) for a path that is neither a folder nor a file.
std::vector<std::filesystem::path> film_images(const std::vector<std::filesystem::path>& paths);

// Every image of `paths` (film_images: any names, any order, several reels; other frames are
// skipped), decoded on the caller's TBB arena, then restored to `out`: a file spread over
// reels comes back whole when all its reels are given.
RestoreReport restore_paths(const std::vector<std::filesystem::path>& paths,
                            const std::filesystem::path& out);
// restore_paths of one folder; Error(usage) when it is not a folder.
RestoreReport restore_directory(const std::filesystem::path& dir, const std::filesystem::path& out);

}  // namespace fw::data
