// Page sources: expand a document's page source into pages, read their metadata, and
// decode them with libvips, safely.
//
// Safety: init_vips() blocks every libvips loader and unblocks exactly the ones filmwriter
// supports (jpeg, png, tiff, jp2k, pdf). Every load runs with fail_on=warning, so a
// truncated or damaged file is an error, never a half-decoded page. Pixel and file-size
// limits come from the job.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <vips/vips8>

#include "core/error.hpp"
#include "model/job.hpp"

namespace fw {

// Call once before any libvips use (the CLI, tests and benches do). Sets libvips's own
// thread pool to `vips_threads` (the pipeline parallelises across frames; see pipeline.hpp)
// and turns off its run-time code generation (Orc).
void init_vips(const char* argv0, int vips_threads = 1);

enum class SourceFormat { tiff, jpeg, png, jp2, pdf };
const char* to_string(SourceFormat format);
// Its name for people: "TIFF", "JPEG 2000", ...
const char* format_name(SourceFormat format);

struct PageRef {
  // A string, not a std::filesystem::path: a path also keeps its parsed components, some
  // 400 bytes more per page, and the plan holds a PageRef for every page of the job.
  std::string file;
  std::uint32_t page_in_file = 0;  // 0-based page within a multi-page file
  std::uint32_t pages_in_file = 1;
  SourceFormat format = SourceFormat::tiff;
  // The file's SHA-256 when it was checked against the delivery's checksum manifests
  // (checksum_manifest.hpp), so that the render stage, which hashes the file again for the
  // index, can tell a file changed since; all zero: not checked. 32 bytes, not 64 hex digits:
  // the plan holds a PageRef for every page.
  std::array<std::uint8_t, 32> checked_sha256{};
};

// Resolution rules: a file's own resolution is used when it declares one between 50 and
// 4800 dpi; otherwise (or with force_dpi) the job's dpi; neither is an input error. libvips
// 8.14 cannot tell "no resolution" apart by value (TIFF/JP2 report 25.4 dpi, JPEG/PNG 72
// dpi), so "declares" is judged per format: TIFF and JPEG by libvips's "resolution-unit"
// field, PNG by its pHYs chunk, JP2 by its capture (resc) or else display (resd) resolution
// box, which libvips does not read. A resolution without a unit (JFIF density units 0, TIFF
// ResolutionUnit 1) declares nothing but the pixels' shape: when they are not square, the
// job's dpi (unless force_dpi) is the finer axis's and the other follows the aspect.
//
// Sizes are the UPRIGHT page's: the file's EXIF/TIFF orientation applied. A page stored on
// its side (orientations 5-8) has its stored height as width, and its vertical resolution
// as `dpi`.
struct PageInfo {
  std::uint32_t width_px = 0;  // upright (for PDF: at 72 dpi, poppler's /Rotate applied)
  std::uint32_t height_px = 0;
  double width_mm = 0;        // physical page size, from the resolution used
  double height_mm = 0;       // (from the vertical resolution, if the file's differs)
  double dpi = 0;             // resolution used (horizontal); PDF: 72, i.e. points
  bool dpi_from_job = false;  // the file had no usable resolution, or force_dpi
  int bands = 1;              // as open_page returns them (PDF: 3, flattened onto white)
  int bits = 8;               // per sample as decoded: 8 or 16 (1-bit files decode to 8)
  // The file's EXIF/TIFF orientation, 1-8 (1: stored upright; 6: stored turned 90 degrees
  // anticlockwise, so it is turned clockwise to stand up; see VIPS_META_ORIENTATION).
  // JPEG: EXIF; TIFF: tag 274 of the page's IFD; PNG: eXIf chunk; JP2: EXIF in a uuid box;
  // PDF: always 1. open_page applies it; plan.json and index.csv record it.
  std::uint32_t orientation = 1;
};

struct SourcePage {
  PageRef ref;
  PageInfo info;
};

// Lists a document's pages in order: directory and glob entries in natural order
// ("p2" before "p10"), multi-page files expanded to every page (or the job's range).
// A directory's subfolders, hidden files (".name", among them .DS_Store and "._p1.tif") and
// the OS's own files (is_os_junk) and checksum files (is_checksum_manifest_name: the delivery's
// manifests) are not read; everything else in it must be a supported page file. File types are
// recognised by content, not by name. Throws Error(input) naming the path: missing file/folder,
// empty folder or glob, unsupported file type, file over limits.max_file_bytes, page range beyond
// the file. When several files of a folder, pattern or list fail, the message names every one of
// them.
std::vector<PageRef> expand_pages(const PageSource& source, const Limits& limits);

// A file of a folder, pattern or list that is not a page (empty, unsupported, damaged
// header, over the limits): where it stands among the pages and why. It counts as one page.
struct FileFailure {
  std::size_t position = 0;  // 0-based among the source's pages, failed files included
  std::string file;
  Error error{ErrorKind::input, ""};
};

// expand_pages, but a file that fails does not stop the listing: the good files' pages come
// in `pages` and each bad file in `failures`, in order. What fails for the whole source (no
// such folder, an empty folder, a tiff/pdf source that cannot be read) still throws.
// A text file of a folder or pattern is no page: it is in `left_out`, not among the failures.
struct ExpandedPages {
  std::vector<PageRef> pages;
  std::vector<FileFailure> failures;
  std::vector<std::string> left_out;
};
ExpandedPages expand_pages_keep_going(const PageSource& source, const Limits& limits);

// Files an operating system leaves in folders, never pages: Thumbs.db, ehthumbs.db,
// desktop.ini (any case), .DS_Store and macOS's "._name" (every hidden ".name"), "Icon\r".
bool is_os_junk(const std::string& name);

// One message for several errors: the first's text alone, or "N problems: a; b; c".
Error join_errors(const std::vector<Error>& errors, const std::string& what);

// How messages name a page: "scans/a.tif (page 2)" (pages numbered from 1).
std::string page_context(const PageRef& ref);

// A page's failure as messages give it: the reason alone when it names the file already (an
// error in opening the file does), else "scans/a.tif (page 2): reason" (one in its pixel data
// does not). `page` is numbered from 1.
std::string page_failure(const std::string& file, std::uint32_t page, const std::string& reason);

// Reads the page's header: size, resolution, bands. Applies the job's dpi rules and limits.
// A JPEG whose scans stop short of the whole page before its end-of-image marker (cut after
// a complete scan: jpeg_markers.hpp) is refused here, and again by open_page.
// Throws Error(input) "file (page N): what is wrong" (pages numbered from 1).
PageInfo probe_page(const PageRef& ref, const PageSettings& settings, const Limits& limits);

// libvips 8.14 looks at libjpeg's warnings only before each strip it reads, so a warning met in
// a JPEG's last strip (a baseline file cut in its last rows, an end-of-image marker appended)
// fails nothing: libvips logs it only as the load closes, when the last image of it is
// released, on the releasing thread, and the page decodes with grey bottom rows. Every decode
// that films a page or vouches for one (preflight, skip-document, the render stage) runs in
// here: `decode` opens the page, pulls its pixels and releases every image of it on this
// thread; then, for a JPEG whose load logged a libvips warning meanwhile, this throws
// Error(input) "file (page N): cannot decode: libjpeg: ...: the file is damaged or cut: ...",
// in libjpeg's words for this file (decoded once more, alone: the warning libvips logs is its
// error buffer, every thread's). What `decode` throws passes through: a vips::VError's reason
// (vips_error_message) is this page's only within a VipsMessageScope (core/vips_error.hpp), so a
// caller that catches one holds a scope around this call; libvips's warnings during it are
// printed naming the page.
void decode_page_checked(const PageRef& ref, const std::function<void()>& decode);

// Opens a page with `open` (a load, or open_page) and pulls every row through its decoder into
// a sink that keeps and computes nothing, inside decode_page_checked (a JPEG damaged in its
// last rows throws its Error). Damage libvips meets itself throws vips::VError; errors of
// `open` pass through.
void decode_in_full(const std::function<vips::VImage()>& open, const PageRef& ref);

// Decodes the whole page once, to prove it is intact (used by the skip-document policy
// before anything of the document is exposed).
void verify_decodes(const SourcePage& page, const Limits& limits);

// Opens the page for rendering, UPRIGHT: the file's orientation (info.orientation) applied,
// so the image's axes are those of info.width_px/height_px. `scale` is output pixels per
// (upright) source pixel; PDF pages are rasterised at exactly the resolution the frame needs
// (dpi * scale) and returned at that size (3-band sRGB uchar, flattened onto white), other
// formats at their own resolution (the raster stage scales). A PNG whose gAMA or cHRM chunk
// says it is not sRGB comes with the ICC profile they describe (png_colour.hpp), which
// engine/color converts from as from an embedded one.
//
// The returned image may be SMALLER than width_px x height_px: a JPEG is decoded at 1/2, 1/4
// or 1/8 size (libjpeg shrink-on-load) when scale <= 0.5, 0.25, 0.125, so that what is left
// to do is still a downscale. Callers must compute their scale from image.width()/height(),
// never from PageInfo. (xres/yres metadata is not adjusted by the shrink either.)
//
// Decoding is lazy (libvips) and SEQUENTIAL (access=sequential: rows are read top to bottom,
// once). Anything that needs rows out of order, above all rot90/rot180/rot270 of a full-size
// page, fails with "out of order read" unless it works on `image.copy_memory()` (the whole
// decoded page in memory: fine, one page per frame in flight). Small test pages may not show
// this: libvips keeps a few hundred rows behind the read point. A page whose orientation is
// neither 1 nor 2 (a mirror within rows) comes back decoded into memory and turned from
// there: it may be read in any order.
// Errors in the pixel data surface as vips::VError when the caller pulls pixels, and must be
// reported naming the page; verify_decodes() is the eager check. Decode it inside
// decode_page_checked: damage in a JPEG's last rows surfaces only as the image is released.
vips::VImage open_page(const SourcePage& page, double scale, const Limits& limits);

// A page that failed with policy `substitute`: 0-based position in the document, why, and
// the file (empty when the whole source failed: one substitute stands for the document).
struct FailedPage {
  std::size_t position = 0;
  std::string reason;
  PageRef ref;
  bool operator==(const FailedPage& other) const {
    return position == other.position && reason == other.reason && ref.file == other.ref.file &&
           ref.page_in_file == other.ref.page_in_file;
  }
};

// A source file written as data frames (the job's `data_frames`): the file, the name
// `restore` writes it back as (relative, "scans/0001.tif"), and its size in bytes.
struct MasterFile {
  std::string path;
  std::string name;
  std::uint64_t size = 0;
};

// The result of reading a document's sources, before planning.
struct DocumentPages {
  std::size_t document = 0;
  std::vector<SourcePage> pages;        // the good pages, in order
  std::vector<FailedPage> substitutes;  // in document order
  bool skipped = false;                 // policy `skip-document` and something failed
  std::string skip_reason;
  std::vector<std::string> left_out;  // text files of its folder or pattern: no pages
  // Its source files, in page order, when the document's files go on film as data frames
  // (list_masters); empty otherwise.
  std::vector<MasterFile> masters;
};

// Fills `masters` of every document whose files go on film as data frames
// (data_frames_for): each distinct source file of its good pages, in page order, named
// relative to the job's folder (the file's name alone when it lies outside), with its size.
void list_masters(const Job& job, std::vector<DocumentPages>& documents);

// Reads every document's sources (expand + probe), applying each document's failure policy:
// `fail` throws naming the document and every page of it that failed; `skip-document` marks
// the document skipped (its pages are also fully decoded first, see verify_decodes);
// `substitute` records each failed page (a bad file of a folder is one page) for a
// substitution frame in its place; if the source itself cannot be listed (no such folder),
// one substitute at position 0 stands for the whole document. Pages are probed in
// parallel (TBB); the policy sees them in document order, so results are deterministic.
// When the delivery has checksum manifests (the job's `checksums`, or checksum files in a
// folder a document scans: checksum_manifest.hpp), every page file is checked against them
// first, and one that is not listed or does not match, and a page listed in a document's folder
// (or matching its glob) but missing from disk, fails as a page that does not decode; `checksums`
// (when given) says what was checked.
struct ChecksumSummary;
std::vector<DocumentPages> scan_documents(const Job& job, ChecksumSummary* checksums = nullptr);

// Natural ordering of file names: digit runs compare by value.
bool natural_less(const std::string& a, const std::string& b);

// SHA-256 of source files, safe from many threads. The pages of a multi-page file are filmed
// one after another, so a file's hash is kept while its pages come: the last kKept files are,
// and a file seen again after that is hashed again. Memory does not grow with the job.
class SourceHashes {
 public:
  static constexpr std::size_t kKept = 256;
  std::string get(const std::filesystem::path& file);
  std::size_t kept() const;  // files whose hash is held now

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_future<std::string>> done_;
  std::deque<std::string> order_;  // done_'s keys, oldest first
};

}  // namespace fw
