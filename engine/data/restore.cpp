// Frames in any order -> files (docs/data-frames.md, "Restoring").
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <oneapi/tbb/parallel_for.h>
#include <vips/vips.h>

#include "base/files.hpp"
#include "base/sha256.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "data/reed_solomon.hpp"
#include "data/symbol.hpp"

namespace fw::data {
namespace {

std::string hex(const std::array<std::uint8_t, 32>& bytes) {
  std::string out;
  for (std::uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

// A path from the film is untrusted: relative, no "..", no empty or hidden-parent parts.
bool safe_relative(const std::string& name) {
  if (name.empty() || name.size() > 4096 || name.front() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string::npos ||
        part.find('\\') != std::string::npos) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

void add_lost(std::vector<LostRange>& lost, std::uint64_t begin, std::uint64_t end) {
  if (begin >= end) return;
  if (!lost.empty() && lost.back().end >= begin) {
    lost.back().end = std::max(lost.back().end, end);
  } else {
    lost.push_back({begin, end});
  }
}

struct FileKey {
  std::string job, document;
  std::uint32_t file_index;
  std::string sha;
  std::uint64_t stream_size;
  auto tie() const { return std::tie(job, document, file_index, sha, stream_size); }
  bool operator<(const FileKey& o) const { return tie() < o.tie(); }
};

// One folder name from the film: the name when it is a safe single part, else `fallback`.
std::string folder_name(const std::string& name, const std::string& fallback) {
  return safe_relative(name) && name.find('/') == std::string::npos ? name : fallback;
}

// Whether `path` holds other bytes than `bytes` (a file an earlier restore wrote there).
bool holds_other_bytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::filesystem::exists(path, error);
  return std::filesystem::file_size(path, error) != bytes.size() ||
         sha256_file(path) != sha256_hex(bytes);
}

std::string ranges_text(const std::vector<LostRange>& lost) {
  std::string out;
  for (std::size_t i = 0; i < lost.size() && i < 8; ++i) {
    out += fmt::format("{}{}–{}", i ? ", " : "", lost[i].begin, lost[i].end);
  }
  if (lost.size() > 8) out += fmt::format(" and {} more", lost.size() - 8);
  return out;
}

}  // namespace

void Restorer::add(DecodedFrame frame) {
  frames_.push_back(std::move(frame));
}

bool RestoreReport::all_recovered() const {
  return std::all_of(files.begin(), files.end(),
                     [](const RestoredFile& f) { return f.status == "recovered"; });
}

RestoreReport Restorer::finish(const std::filesystem::path& out) {
  RestoreReport report;
  std::map<FileKey, std::vector<std::size_t>> by_file;
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    DecodedFrame& f = frames_[i];
    if (!f.is_data_frame || f.payload.empty()) continue;
    const FrameHeader& h = f.header;
    // A header that passed its code and CRC but does not add up is not trusted with memory.
    const std::uint64_t frame_bytes =
        std::uint64_t{h.codewords} * static_cast<std::uint64_t>(h.code.inner_k);
    const bool consistent =
        frame_bytes > 0 && h.file_size <= h.stream_size && h.code.group_data > 0 &&
        h.data_frames > 0 &&
        h.data_frames ==
            std::max<std::uint64_t>(1, (h.stream_size + frame_bytes - 1) / frame_bytes) &&
        f.payload.size() == frame_bytes;
    if (!consistent) {
      f.error = "header does not add up (sizes and frame counts disagree); frame ignored";
      continue;
    }
    by_file[{h.job, h.document, h.file_index, hex(h.sha256), h.stream_size}].push_back(i);
  }
  // Every job starts at D001, and p1.tif is a common name: the files of several jobs go into a
  // folder each, and a path this restore or an earlier one filled with other bytes is never
  // written over.
  std::set<std::string> jobs;
  for (const auto& entry : by_file) jobs.insert(entry.first.job);
  report.several_jobs = jobs.size() > 1;
  std::set<std::filesystem::path> written;
  for (auto& [key, indices] : by_file) {
    const FrameHeader& h0 = frames_[indices.front()].header;
    const auto k = static_cast<std::uint64_t>(h0.code.inner_k);
    const std::uint64_t frame_bytes = std::uint64_t{h0.codewords} * k;
    const std::uint32_t data_frames = h0.data_frames;
    const auto g = static_cast<std::uint32_t>(h0.code.group_data);
    const auto p = static_cast<std::uint32_t>(h0.code.group_parity);
    const std::uint32_t groups = (data_frames + g - 1) / g;
    RestoredFile file;
    file.job = h0.job;
    file.document = h0.document;
    file.file_index = h0.file_index;
    file.size = h0.file_size;
    file.sha256 = key.sha;
    file.frames_expected = data_frames + groups * p;
    file.min_margin = h0.code.inner_n - h0.code.inner_k;
    // One frame per place in the file (a duplicate scan keeps the better reading).
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> place;
    for (std::size_t i : indices) {
      const DecodedFrame& f = frames_[i];
      const FrameHeader& h = f.header;
      if (h.code.inner_k != h0.code.inner_k || h.codewords != h0.codewords ||
          h.data_frames != data_frames || h.code.group_data != h0.code.group_data ||
          h.code.group_parity != h0.code.group_parity || h.group >= groups ||
          h.index_in_group >= h.group_frames + p || f.payload.size() != frame_bytes) {
        continue;
      }
      const auto at = std::pair{h.group, h.index_in_group};
      const auto it = place.find(at);
      if (it == place.end() || frames_[it->second].codewords_failed > f.codewords_failed)
        place[at] = i;
    }
    file.frames_found = static_cast<std::uint32_t>(place.size());
    for (const auto& [at, i] : place) {
      file.symbol_errors += frames_[i].symbol_errors;
      file.min_margin = std::min(file.min_margin, frames_[i].min_margin);
      file.frames_beyond_inner += frames_[i].codewords_failed > 0;
    }

    std::vector<std::uint8_t> stream(std::uint64_t{data_frames} * frame_bytes, 0);
    // The stream is the name record, then the file, then padding to the last frame's end.
    const std::uint64_t record = h0.stream_size - std::min(h0.stream_size, h0.file_size);
    std::vector<LostRange> lost_stream;
    std::vector<std::vector<bool>> lost_codewords(data_frames,
                                                  std::vector<bool>(h0.codewords, false));
    for (std::uint32_t group = 0; group < groups; ++group) {
      const std::uint32_t gk = std::min(g, data_frames - group * g);
      const std::uint32_t n = gk + p;
      std::vector<const DecodedFrame*> members(n, nullptr);
      for (std::uint32_t i = 0; i < n; ++i) {
        if (auto it = place.find({group, i}); it != place.end()) members[i] = &frames_[it->second];
      }
      std::optional<ReedSolomon> outer;
      if (p > 0) outer.emplace(static_cast<int>(n), static_cast<int>(gk));
      std::vector<std::uint8_t> column(n);
      for (std::uint32_t c = 0; c < h0.codewords; ++c) {
        std::vector<int> erased;
        for (std::uint32_t i = 0; i < n; ++i) {
          if (!members[i] || !members[i]->known[c]) erased.push_back(static_cast<int>(i));
        }
        const std::uint64_t begin = c * k;
        const bool data_erased = !erased.empty() && erased.front() < static_cast<int>(gk);
        const bool recoverable = data_erased && outer && erased.size() <= p;
        for (std::uint32_t i = 0; i < gk; ++i) {
          if (members[i] && members[i]->known[c]) {
            std::copy_n(members[i]->payload.begin() + begin, k,
                        stream.begin() + (group * g + i) * frame_bytes + begin);
          }
        }
        if (!data_erased) continue;
        if (!recoverable) {
          for (int i : erased) {
            if (i < static_cast<int>(gk)) lost_codewords[group * g + i][c] = true;
          }
          continue;
        }
        for (std::uint64_t b = begin; b < begin + k; ++b) {
          for (std::uint32_t i = 0; i < n; ++i) {
            column[i] = members[i] && members[i]->known[c] ? members[i]->payload[b] : 0;
          }
          if (!outer->decode(column, erased).ok) {
            for (int i : erased) {
              if (i < static_cast<int>(gk)) lost_codewords[group * g + i][c] = true;
            }
            break;
          }
          for (int i : erased) {
            if (i < static_cast<int>(gk)) stream[(group * g + i) * frame_bytes + b] = column[i];
          }
        }
        // Counted in the file's bytes: a codeword's span past the file's end is padding.
        for (int i : erased) {
          if (i >= static_cast<int>(gk) || lost_codewords[group * g + i][c]) continue;
          const std::uint64_t at = (group * g + i) * frame_bytes + begin;
          const std::uint64_t from = std::max(at, record),
                              to = std::min(at + k, record + file.size);
          if (from < to) file.outer_bytes += to - from;
        }
      }
    }
    for (std::uint32_t d = 0; d < data_frames; ++d) {
      for (std::uint32_t c = 0; c < h0.codewords; ++c) {
        if (!lost_codewords[d][c]) continue;
        const std::uint64_t begin = d * frame_bytes + c * k;
        add_lost(lost_stream, begin, begin + k);
      }
    }

    // The name record, then the file.
    const auto stream_lost = [&](std::uint64_t begin, std::uint64_t end) {
      for (const LostRange& r : lost_stream) {
        if (r.begin < end && begin < r.end) return true;
      }
      return false;
    };
    if (record >= 4 && !stream_lost(0, record) && stream.size() >= record) {
      const std::uint32_t len = stream[0] | stream[1] << 8 | stream[2] << 16 |
                                static_cast<std::uint32_t>(stream[3]) << 24;
      if (4 + std::uint64_t{len} == record) {
        file.name.assign(reinterpret_cast<const char*>(stream.data() + 4), len);
      }
    }
    if (!safe_relative(file.name)) file.name = fmt::format("file-{:04}", file.file_index);
    for (const LostRange& r : lost_stream) {
      const std::uint64_t begin = std::max(r.begin, record),
                          end = std::min(r.end, record + file.size);
      if (begin < end) add_lost(file.lost, begin - record, end - record);
    }
    const std::span<const std::uint8_t> bytes(
        stream.data() + std::min<std::uint64_t>(record, stream.size()),
        std::min<std::uint64_t>(file.size,
                                stream.size() - std::min<std::uint64_t>(record, stream.size())));
    const bool complete = bytes.size() == file.size;
    const std::string sha = fw::sha256_hex(bytes);
    if (!file.lost.empty() || !complete) {
      file.status = "damaged";
    } else if (sha != file.sha256) {
      file.status = "failed";
    } else {
      file.status = "recovered";
    }
    std::filesystem::path target = out;
    if (report.several_jobs) target /= folder_name(file.job, "job");
    target /= folder_name(file.document, fmt::format("document-{}", file.file_index));
    target /= file.name;
    if (file.status != "recovered") target += ".damaged";
    if (written.contains(target) || holds_other_bytes(target, bytes)) {
      // p1.tif -> p1.05da1479.tif: the file's own checksum tells the two apart.
      const std::filesystem::path taken = target;
      target.replace_filename(fmt::format("{}.{}{}", taken.stem().string(),
                                          file.sha256.substr(0, 8), taken.extension().string()));
      file.note = fmt::format("written beside {}, which holds another file", taken.string());
    }
    written.insert(target);
    std::filesystem::create_directories(target.parent_path());
    write_file_atomic(target,
                      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    file.written = target;
    report.files.push_back(std::move(file));
  }
  for (DecodedFrame& f : frames_) {
    f.payload.clear();
    f.payload.shrink_to_fit();
    f.known.clear();
    f.known.shrink_to_fit();
    if (!f.is_data_frame) ++report.not_data;
    report.frames.push_back(std::move(f));
  }
  report.images = static_cast<std::uint32_t>(report.frames.size());
  frames_.clear();
  return report;
}

std::string RestoreReport::shown(const RestoredFile& file) const {
  return fmt::format("{}{}/{}", several_jobs ? file.job + "/" : "", file.document, file.name);
}

std::string RestoreReport::text() const {
  std::string out = fmt::format("restore: {} image(s), {} data frame(s), {} other\n", images,
                                images - not_data, not_data);
  std::size_t recovered = 0;
  for (const RestoredFile& f : files) {
    recovered += f.status == "recovered";
    // A margin below 0 is a frame the inner code could not correct: say how many, not "-1".
    const std::string margin =
        f.frames_beyond_inner > 0
            ? fmt::format("{} frame(s) beyond the inner code", f.frames_beyond_inner)
            : fmt::format("margin {}", f.min_margin);
    out += fmt::format(
        "  {:<9} {}  {} bytes, frames {}/{}, {} symbol error(s) corrected, "
        "{} byte(s) rebuilt by the outer code, {}",
        f.status, shown(f), f.size, f.frames_found, f.frames_expected, f.symbol_errors,
        f.outer_bytes, margin);
    if (!f.lost.empty()) out += "; lost bytes " + ranges_text(f.lost);
    if (!f.note.empty()) out += "; " + f.note;
    if (f.status == "failed") out += "; SHA-256 does not match";
    out += "\n";
  }
  out += fmt::format("files: {} recovered, {} not\n", recovered, files.size() - recovered);
  return out;
}

nlohmann::json RestoreReport::json() const {
  nlohmann::json j;
  j["images"] = images;
  j["not_data_frames"] = not_data;
  j["all_recovered"] = all_recovered();
  j["files"] = nlohmann::json::array();
  for (const RestoredFile& f : files) {
    nlohmann::json lost = nlohmann::json::array();
    for (const LostRange& r : f.lost) lost.push_back({r.begin, r.end});
    j["files"].push_back({{"job", f.job},
                          {"document", f.document},
                          {"file_index", f.file_index},
                          {"name", f.name},
                          {"size", f.size},
                          {"sha256", f.sha256},
                          {"status", f.status},
                          {"written", f.written.string()},
                          {"frames_expected", f.frames_expected},
                          {"frames_found", f.frames_found},
                          {"symbol_errors_corrected", f.symbol_errors},
                          {"outer_code_bytes", f.outer_bytes},
                          {"min_margin", f.min_margin},
                          {"frames_beyond_inner_code", f.frames_beyond_inner},
                          {"note", f.note},
                          {"lost", lost}});
  }
  j["frames"] = nlohmann::json::array();
  for (const DecodedFrame& f : frames) {
    nlohmann::json fj{{"source", f.source}, {"data_frame", f.is_data_frame}};
    if (!f.error.empty()) fj["error"] = f.error;
    if (f.is_data_frame) {
      const FrameHeader& h = f.header;
      fj["document"] = h.document;
      fj["file_index"] = h.file_index;
      fj["group"] = h.group;
      fj["index_in_group"] = h.index_in_group;
      fj["parity"] = h.parity();
      fj["samples_per_module"] = f.samples_per_module;
      fj["rotation_deg"] = f.rotation_deg;
      fj["contrast_d"] = f.contrast_d;
      fj["symbol_errors_corrected"] = f.symbol_errors;
      fj["max_errors_in_a_codeword"] = f.max_errors;
      fj["codewords_failed"] = f.codewords_failed;
      fj["min_margin"] = f.min_margin;
      fj["header_errors"] = f.header_errors;
    }
    j["frames"].push_back(std::move(fj));
  }
  return j;
}

bool is_image_file(const std::filesystem::path& file) {
  // libvips sniffs the content (not the name): a scan named "frame.bin" counts, reel.json and
  // index.csv do not.
  const char* loader = vips_foreign_find_load(file.c_str());
  if (loader == nullptr) vips_error_clear();
  return loader != nullptr;
}

std::vector<std::filesystem::path> film_images(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> images;
  for (const std::filesystem::path& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {
      if (is_image_file(path)) images.push_back(path);
      continue;
    }
    if (!std::filesystem::is_directory(path, ec)) {
      throw Error(ErrorKind::usage,
                  "restore: " + path.string() + " is neither a folder nor an image file");
    }
    std::vector<std::filesystem::path> found;
    bool has_film = false;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(
             path, std::filesystem::directory_options::skip_permission_denied)) {
      if (!entry.is_regular_file() || !is_image_file(entry.path())) continue;
      found.push_back(entry.path());
      has_film = has_film || entry.path().parent_path().filename() == "film";
    }
    // A job's folder holds each reel's developed film in R0001/film and other pictures
    // beside it (contact sheets, the frames sent to a recorder): the film is what was filmed.
    for (std::filesystem::path& file : found) {
      if (!has_film || file.parent_path().filename() == "film") images.push_back(std::move(file));
    }
  }
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  return images;
}

RestoreReport restore_paths(const std::vector<std::filesystem::path>& paths,
                            const std::filesystem::path& out) {
  const std::vector<std::filesystem::path> files = film_images(paths);
  // The report names an image relative to the one folder searched ("F000001.tif",
  // "R0002/film/F000001.tif"), or by its path when several were given.
  std::filesystem::path base =
      paths.size() == 1 ? paths.front().lexically_normal() : std::filesystem::path();
  if (!base.empty() && !base.has_filename()) base = base.parent_path();
  const auto name_of = [&](const std::filesystem::path& file) {
    if (base.empty()) return file.string();
    const std::string relative = file.lexically_normal().lexically_relative(base).generic_string();
    if (relative == ".") return file.filename().string();
    return relative.empty() || relative.starts_with("..") ? file.string() : relative;
  };
  std::vector<DecodedFrame> decoded(files.size());
  // One image per task: an image is the unit of memory (a 16 mm frame is ~100 MB as floats).
  tbb::parallel_for(std::size_t{0}, files.size(), [&](std::size_t i) {
    const std::string name = name_of(files[i]);
    try {
      const FilmImage image = read_film_image(files[i]);
      decoded[i] = decode_frame(image, name);
    } catch (const Error& e) {
      decoded[i].source = name;
      decoded[i].error = "not an image";
    }
  });
  Restorer restorer;
  for (DecodedFrame& f : decoded) restorer.add(std::move(f));
  return restorer.finish(out);
}

RestoreReport restore_directory(const std::filesystem::path& dir,
                                const std::filesystem::path& out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorKind::usage, "restore: " + dir.string() + " is not a directory");
  }
  return restore_paths({dir}, out);
}

}  // namespace fw::data
