// The pages of a page source: the files it names (a folder, a pattern, a list, one TIFF or
// PDF), each checked and identified by its first bytes, its pages counted; and the master files
// of the documents filmed with data frames.
#include <glob.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <optional>
#include <string_view>
#include <utility>

#include "base/strings.hpp"
#include "core/error.hpp"
#include "core/vips_error.hpp"
#include "ingest/checksum_manifest.hpp"
#include "ingest/ingest.hpp"
#include "ingest/loading.hpp"
#include "ingest/tiff_pages.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;
using namespace ingest_detail;
using vips::VError;
using vips::VImage;

// Text: printable ASCII, tabs and line ends, and the bytes of UTF-8 (CJK text included).
bool is_text(std::string_view head) {
  return !head.empty() && std::all_of(head.begin(), head.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || (byte >= 0x20 && byte < 0x7F) || byte == '\t' || byte == '\n' ||
           byte == '\r';
  });
}

// A name for a few common formats filmwriter does not read, for the error message.
const char* unsupported_type_name(std::string_view head) {
  using namespace std::string_view_literals;
  if (head.starts_with("GIF8"sv)) return "GIF";
  if (head.starts_with("BM"sv)) return "BMP";
  if (head.size() >= 12 && head.starts_with("RIFF"sv) && head.substr(8, 4) == "WEBP"sv) {
    return "WebP";
  }
  if (head.size() >= 12 && head.substr(4, 4) == "ftyp"sv) return "HEIF/AVIF";
  if (head.size() >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '7' &&
      std::isspace(static_cast<unsigned char>(head[2]))) {
    return "PNM";
  }
  if (head.starts_with("<?xml"sv) || head.starts_with("<svg"sv)) return "XML/SVG";
  return is_text(head) ? "text" : "unknown";
}

std::string file_head(const fs::path& file, std::size_t bytes) {
  std::string head(bytes, '\0');
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, file.string() + ": cannot open the file");
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

std::optional<SourceFormat> format_of_head(std::string_view head) {
  using namespace std::string_view_literals;
  if (head.starts_with("II*\0"sv) || head.starts_with("MM\0*"sv) || head.starts_with("II+\0"sv) ||
      head.starts_with("MM\0+"sv)) {
    return SourceFormat::tiff;
  }
  if (head.starts_with("\xFF\xD8\xFF"sv)) return SourceFormat::jpeg;
  if (head.starts_with("\x89PNG\r\n\x1A\n"sv)) return SourceFormat::png;
  if (head.starts_with("\0\0\0\x0CjP  \r\n\x87\n"sv) || head.starts_with("\xFF\x4F\xFF\x51"sv)) {
    return SourceFormat::jp2;
  }
  if (head.starts_with("%PDF-"sv)) return SourceFormat::pdf;
  return std::nullopt;
}

// Identifies the file by its first bytes, never by its name: a renamed GIF must not reach a
// decoder. Only the five formats filmwriter supports pass; a few common others are named in
// the message so the operator knows what was found.
SourceFormat sniff_format(const fs::path& file) {
  const std::string head = file_head(file, 16);
  if (const auto format = format_of_head(head)) return *format;
  throw Error(ErrorKind::input,
              fmt::format("{}: unsupported file type ({}); filmwriter reads TIFF, JPEG, PNG, "
                          "JPEG 2000 and PDF",
                          file.string(), unsupported_type_name(head)));
}

// libvips's own count ("n-pages" as the loader set it: vips_image_get_n_pages() answers 1
// from 10,000 pages on).
std::uint32_t vips_page_count(const fs::path& file, SourceFormat format) {
  const VipsMessageScope messages(file.string());
  try {
    const VImage header = load(
        PageRef{.file = file.string(), .page_in_file = 0, .pages_in_file = 1, .format = format},
        load_options());
    int pages = 1;
    if (header.get_typeof(VIPS_META_N_PAGES) != 0 &&
        vips_image_get_int(header.get_image(), VIPS_META_N_PAGES, &pages) != 0) {
      vips_error_clear();
      pages = 1;
    }
    return static_cast<std::uint32_t>(std::max(pages, 1));
  } catch (const VError& error) {
    // poppler opens a PDF whose page tree lists no page, and libvips then refuses page 1 as
    // out of range: say what is wrong with the file, not with a range nobody asked for.
    const std::string reason = vips_error_message(error);
    if (format == SourceFormat::pdf && reason.find("pages out of range") != std::string::npos) {
      throw Error(ErrorKind::input, file.string() + ": the PDF has no pages");
    }
    throw_cannot_decode(file.string(), file, reason);
  }
}

// A TIFF's pages are counted by libtiff walking the whole chain (a broken chain is an error,
// not a shorter file) and cross-checked against what libvips opens; a PDF's by poppler,
// through libvips.
std::uint32_t count_pages(const fs::path& file, SourceFormat format) {
  if (format != SourceFormat::tiff && format != SourceFormat::pdf) return 1;
  const std::uint32_t vips_pages = vips_page_count(file, format);
  if (format == SourceFormat::pdf) return vips_pages;
  const std::shared_ptr<const TiffPages> tiff = tiff_pages(file);
  // libvips counts every IFD, thumbnails and masks too.
  if (tiff->directories != vips_pages) {
    throw Error(ErrorKind::input,
                fmt::format("{}: libtiff finds {} pages in the TIFF but libvips {}; the file's "
                            "chain of pages is damaged",
                            file.string(), tiff->directories, vips_pages));
  }
  return static_cast<std::uint32_t>(tiff->pages.size());
}

// A page's path goes into plan.json, the index, the journal, the catalog and mets.xml, all
// UTF-8, and onto a substitution target. A name in another encoding (a GBK name unpacked from
// a zip made on Chinese Windows) cannot be recorded as it is, so it stops the job whatever
// the document's on_error (a job error, which no policy films around), naming the path with
// its bytes above 0x7F written \xHH.
void check_path_is_utf8(const fs::path& file) {
  const std::string reason = not_utf8_reason(file.string());
  if (reason.empty()) return;
  throw Error(ErrorKind::job,
              fmt::format("{}: the file's path is {}; every path filmwriter records is UTF-8: "
                          "rename it (convmv -f gbk -t utf-8 -r --notest FOLDER renames a "
                          "folder of GBK names)",
                          escape_non_ascii(file.string()), reason));
}

// Every page of one file, or the pages in [first, last] (1-based, last 0 = to the end).
void append_pages(const fs::path& file, const Limits& limits, std::uint32_t first,
                  std::uint32_t last, std::vector<PageRef>& out,
                  std::optional<SourceFormat> expected = std::nullopt) {
  check_file(file, limits);
  const SourceFormat format = sniff_format(file);
  if (expected && format != *expected) {
    throw Error(ErrorKind::input, fmt::format("{}: expected a {} file, found {}", file.string(),
                                              format_name(*expected), format_name(format)));
  }
  const std::uint32_t pages = count_pages(file, format);
  const std::uint32_t end = last == 0 ? pages : last;
  const std::string range =
      last == 0 ? fmt::format("{}-end", first) : fmt::format("{}-{}", first, last);
  if (first > pages || end > pages) {
    throw Error(ErrorKind::input, fmt::format("{}: page range {} but the file has {} page{}",
                                              file.string(), range, pages, pages == 1 ? "" : "s"));
  }
  if (first < 1 || end < first) {
    throw Error(ErrorKind::input, fmt::format("{}: page range {} is empty", file.string(), range));
  }
  for (std::uint32_t page = first; page <= end; ++page) {
    out.push_back(PageRef{
        .file = file.string(), .page_in_file = page - 1, .pages_in_file = pages, .format = format});
  }
}

bool is_text_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return false;
  const std::string head = file_head(file, 512);
  return !format_of_head(head) && is_text(head);
}

std::vector<fs::path> files_in_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::exists(folder, ec)) throw Error(ErrorKind::input, folder.string() + ": no such folder");
  if (!fs::is_directory(folder, ec)) {
    throw Error(ErrorKind::input, folder.string() + ": is not a folder");
  }
  std::vector<fs::path> files;
  fs::directory_iterator it(folder, ec);
  if (ec) throw Error(ErrorKind::input, folder.string() + ": cannot list: " + ec.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    // Subfolders are not pages (one-line mode makes each subfolder a document of its own);
    // hidden files and the OS's own are scanner and OS droppings (.DS_Store, ._p1.tif,
    // Thumbs.db).
    if (name.empty() || is_os_junk(name) || entry.is_directory(ec)) continue;
    // A delivery's checksum files (MD5SUMS, *.sha256 ...) are its manifests, read by the scan
    // (checksum_manifest.hpp), not pages.
    if (is_checksum_manifest_name(name)) continue;
    files.push_back(entry.path());
  }
  if (files.empty()) {
    throw Error(ErrorKind::input,
                folder.string() + ": no page files in the folder (subfolders are not read)");
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.filename().string(), b.filename().string());
  });
  return files;
}

std::vector<fs::path> files_matching(const fs::path& pattern) {
  glob_t matches{};
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &matches);
  std::vector<fs::path> files;
  if (rc == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      fs::path file(matches.gl_pathv[i]);
      if (!is_os_junk(file.filename().string())) files.push_back(std::move(file));
    }
  }
  globfree(&matches);
  if (rc == GLOB_NOMATCH || (rc == 0 && files.empty())) {
    throw Error(ErrorKind::input, pattern.string() + ": no files match the pattern");
  }
  if (rc != 0) throw Error(ErrorKind::input, pattern.string() + ": cannot read the folders");
  // Natural order of the whole path, so that a pattern across folders keeps folder order.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.string(), b.string());
  });
  return files;
}

}  // namespace

const char* to_string(SourceFormat format) {
  switch (format) {
    case SourceFormat::tiff:
      return "tiff";
    case SourceFormat::jpeg:
      return "jpeg";
    case SourceFormat::png:
      return "png";
    case SourceFormat::jp2:
      return "jp2";
    case SourceFormat::pdf:
      return "pdf";
  }
  return "?";
}

const char* format_name(SourceFormat format) {
  switch (format) {
    case SourceFormat::tiff:
      return "TIFF";
    case SourceFormat::jpeg:
      return "JPEG";
    case SourceFormat::png:
      return "PNG";
    case SourceFormat::jp2:
      return "JPEG 2000";
    case SourceFormat::pdf:
      return "PDF";
  }
  return "?";
}

ExpandedPages expand_pages_keep_going(const PageSource& source, const Limits& limits) {
  ExpandedPages out;
  auto one_path = [&]() -> fs::path {
    if (source.paths.size() != 1) {
      throw Error(ErrorKind::internal,
                  fmt::format("page source needs exactly one path, got {}", source.paths.size()));
    }
    return source.paths.front();
  };
  // A bad file stands where its pages would: one page, after every page and bad file before.
  // A text file a folder or pattern gives (a readme, a list of the pages) is no page at all:
  // filmed as a missing page, it would give the document a page it never had.
  auto add = [&](const fs::path& file) {
    check_path_is_utf8(file);
    try {
      if (source.kind != PageSource::Kind::list && is_text_file(file)) {
        out.left_out.push_back(file.string());
        return;
      }
      append_pages(file, limits, 1, 0, out.pages);
    } catch (const Error& error) {
      out.failures.push_back({out.pages.size() + out.failures.size(), file.string(), error});
    }
  };
  switch (source.kind) {
    case PageSource::Kind::directory:
      for (const auto& file : files_in_folder(one_path())) add(file);
      if (out.pages.empty() && out.failures.empty()) {
        throw Error(ErrorKind::input,
                    fmt::format("{}: no page files in the folder, only text ({})",
                                one_path().string(), fmt::join(out.left_out, ", ")));
      }
      break;
    case PageSource::Kind::glob:
      for (const auto& file : files_matching(one_path())) add(file);
      if (out.pages.empty() && out.failures.empty()) {
        throw Error(ErrorKind::input,
                    fmt::format("{}: the files that match are text, not pages ({})",
                                one_path().string(), fmt::join(out.left_out, ", ")));
      }
      break;
    case PageSource::Kind::list:
      if (source.paths.empty()) throw Error(ErrorKind::input, "the page list is empty");
      for (const auto& file : source.paths) add(file);
      break;
    case PageSource::Kind::tiff:
    case PageSource::Kind::pdf:
      check_path_is_utf8(one_path());
      append_pages(one_path(), limits, source.first_page, source.last_page, out.pages,
                   source.kind == PageSource::Kind::tiff ? SourceFormat::tiff : SourceFormat::pdf);
      break;
  }
  return out;
}

std::vector<PageRef> expand_pages(const PageSource& source, const Limits& limits) {
  ExpandedPages expanded = expand_pages_keep_going(source, limits);
  if (!expanded.failures.empty()) {
    std::vector<Error> errors;
    for (const FileFailure& failure : expanded.failures) errors.push_back(failure.error);
    throw join_errors(errors, "files cannot be read as pages");
  }
  return std::move(expanded.pages);
}

Error join_errors(const std::vector<Error>& errors, const std::string& what) {
  if (errors.empty()) throw Error(ErrorKind::internal, "join_errors: no errors");
  if (errors.size() == 1) return errors.front();
  std::string message = fmt::format("{} {}:", errors.size(), what);
  for (const Error& error : errors) message += fmt::format("\n  {}", error.what());
  return Error(errors.front().kind(), message);
}

void list_masters(const Job& job, std::vector<DocumentPages>& documents) {
  for (DocumentPages& pages : documents) {
    pages.masters.clear();
    if (pages.skipped || !data_frames_for(job, job.documents.at(pages.document))) continue;
    for (const SourcePage& page : pages.pages) {
      const std::string& file = page.ref.file;
      if (!pages.masters.empty() && pages.masters.back().path == file) continue;
      if (std::any_of(pages.masters.begin(), pages.masters.end(),
                      [&](const MasterFile& m) { return m.path == file; })) {
        continue;
      }
      std::error_code ec;
      const auto size = fs::file_size(file, ec);
      if (ec) {
        throw Error(
            ErrorKind::input,
            fmt::format("{}: data frames: cannot read the file's size: {}", file, ec.message()));
      }
      const fs::path relative = fs::path(file).lexically_relative(job.base_dir);
      const bool inside =
          !job.base_dir.empty() && !relative.empty() && *relative.begin() != fs::path("..");
      const std::string name =
          inside ? relative.generic_string() : fs::path(file).filename().generic_string();
      pages.masters.push_back({file, name, static_cast<std::uint64_t>(size)});
    }
  }
}

}  // namespace fw
