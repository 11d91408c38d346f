#include "ingest/checksum_manifest.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "base/files.hpp"
#include "base/strings.hpp"
#include "base/unicode.hpp"
#include "core/error.hpp"
#include "ingest/ingest.hpp"

namespace fw {
namespace {

namespace fs = std::filesystem;

struct AlgorithmName {
  std::string_view word;  // as file names and BSD tags spell it, lower case
  HashAlgorithm algorithm;
};
constexpr std::array<AlgorithmName, 4> kAlgorithms = {{{"md5", HashAlgorithm::md5},
                                                       {"sha1", HashAlgorithm::sha1},
                                                       {"sha256", HashAlgorithm::sha256},
                                                       {"sha512", HashAlgorithm::sha512}}};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<HashAlgorithm> algorithm_from_word(std::string_view word) {
  std::string w = lower(word);
  std::erase(w, '-');  // SHA-256, sha-1
  for (const auto& [name, algorithm] : kAlgorithms) {
    if (w == name) return algorithm;
  }
  return std::nullopt;
}

std::optional<HashAlgorithm> algorithm_from_length(std::size_t length) {
  for (const auto& [name, algorithm] : kAlgorithms) {
    if (hex_length(algorithm) == length) return algorithm;
  }
  return std::nullopt;
}

bool is_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  });
}

[[noreturn]] void fail_line(const std::string& file, std::uint32_t line, const std::string& what) {
  throw Error(ErrorKind::input, fmt::format("{}:{}: {}", file, line, what));
}

// BagIt 1.0 percent-encodes only LF, CR and '%' in a manifest's paths.
std::string bagit_decoded(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    const std::string code = i + 2 < path.size() ? lower(path.substr(i + 1, 2)) : "";
    if (code == "0a") {
      out += '\n';
    } else if (code == "0d") {
      out += '\r';
    } else if (code == "25") {
      out += '%';
    } else {
      // A '%' BagIt 1.0 would have encoded: an older bag's literal '%', kept as it is.
      out += '%';
      continue;
    }
    i += 2;
  }
  return out;
}

// md5sum's escaped form (a line starting with '\'): \\ for '\', \n for LF, \r for CR.
std::string gnu_unescaped(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\' && i + 1 < path.size()) {
      const char next = path[++i];
      out += next == 'n' ? '\n' : next == 'r' ? '\r' : next;
    } else {
      out += path[i];
    }
  }
  return out;
}

struct ParsedLine {
  std::string digest;
  std::string path;
  std::optional<HashAlgorithm> tagged;  // BSD form's tag
};

std::optional<ParsedLine> parse_bsd(std::string_view line) {
  const auto open = line.find(" (");
  const auto close = line.rfind(") = ");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  const auto tag = algorithm_from_word(line.substr(0, open));
  if (!tag) return std::nullopt;
  return ParsedLine{.digest = std::string(line.substr(close + 4)),
                    .path = std::string(line.substr(open + 2, close - open - 2)),
                    .tagged = tag};
}

std::optional<ParsedLine> parse_plain(std::string_view line, bool bagit) {
  const bool escaped = !bagit && line.starts_with('\\');
  if (escaped) line.remove_prefix(1);
  const auto end = line.find_first_of(" \t");
  if (end == std::string_view::npos || end == 0) return std::nullopt;
  ParsedLine parsed{.digest = std::string(line.substr(0, end)), .path = {}, .tagged = {}};
  std::string_view rest = line.substr(end);
  if (bagit) {
    // One or more blanks between digest and path.
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  } else {
    // GNU: one space, then ' ' (text) or '*' (binary).
    if (rest.size() < 2 || rest[0] != ' ' || (rest[1] != ' ' && rest[1] != '*')) {
      return std::nullopt;
    }
    rest.remove_prefix(2);
  }
  if (rest.empty()) return std::nullopt;
  parsed.path = escaped ? gnu_unescaped(rest) : std::string(rest);
  return parsed;
}

// Calls `f(line, number)` for each line of a text file's `text` (number 1-based), a UTF-8 byte
// order mark and CR line ends taken off.
template <typename F>
void each_line(std::string_view text, F&& f) {
  static constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  std::uint32_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    f(line, ++number);
  }
}

}  // namespace

std::optional<HashAlgorithm> algorithm_from_name(std::string_view name) {
  std::string n = lower(name);
  if (n.starts_with("manifest-") && n.ends_with(".txt")) {
    return algorithm_from_word(std::string_view(n).substr(9, n.size() - 13));
  }
  if (n.ends_with(".txt")) n.resize(n.size() - 4);  // md5sums.txt, checksums.sha256.txt
  for (const auto& [word, algorithm] : kAlgorithms) {
    const std::string w(word);
    if (n == w + "sums" || n == w + "sum" || n.ends_with("." + w)) return algorithm;
  }
  return std::nullopt;
}

bool is_checksum_manifest_name(std::string_view name) {
  return algorithm_from_name(name).has_value();
}

bool is_bagit_bag(const std::filesystem::path& folder) {
  std::error_code ec;
  return fs::is_directory(folder, ec) && fs::is_regular_file(folder / "bagit.txt", ec);
}

std::vector<ManifestEntry> parse_checksum_manifest(std::string_view text, const std::string& file,
                                                   const std::filesystem::path& root,
                                                   std::optional<HashAlgorithm> named, bool bagit) {
  const fs::path base = fs::absolute(root).lexically_normal();
  std::vector<ManifestEntry> entries;
  each_line(text, [&](std::string_view line, std::uint32_t number) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') return;

    std::optional<ParsedLine> parsed = bagit ? std::nullopt : parse_bsd(line);
    if (!parsed) parsed = parse_plain(line, bagit);
    if (!parsed || !is_hex(parsed->digest)) {
      fail_line(file, number,
                fmt::format("expected \"<hex digest>  <path>\"{}, got \"{}\"",
                            bagit ? "" : " or \"MD5 (<path>) = <hex digest>\"",
                            escape_non_ascii(std::string(line.substr(0, 120)))));
    }
    const auto by_length = algorithm_from_length(parsed->digest.size());
    const std::optional<HashAlgorithm> said = parsed->tagged ? parsed->tagged : named;
    if (!by_length) {
      fail_line(file, number,
                fmt::format("a digest of {} hex digits is none of MD5 (32), SHA-1 (40), SHA-256 "
                            "(64), SHA-512 (128)",
                            parsed->digest.size()));
    }
    if (said && *said != *by_length) {
      fail_line(file, number,
                fmt::format("the {} says {}, but the digest has {} hex digits ({} has {})",
                            parsed->tagged ? "line" : "manifest's name", hash_name(*said),
                            parsed->digest.size(), hash_name(*said), hex_length(*said)));
    }
    std::string path = bagit ? bagit_decoded(parsed->path) : parsed->path;
    const fs::path relative = fs::path(path).lexically_normal();
    if (relative.is_absolute() || relative.empty() || *relative.begin() == "..") {
      fail_line(file, number,
                fmt::format("\"{}\" is not a path inside the manifest's folder {}",
                            escape_non_ascii(path), base.string()));
    }
    entries.push_back({.path = (base / relative).lexically_normal().string(),
                       .algorithm = *by_length,
                       .digest = lower(parsed->digest),
                       .manifest = file,
                       .line = number});
  });
  return entries;
}

namespace {

std::string read_tag_file(const fs::path& file, std::string_view what) {
  try {
    return read_file(file);
  } catch (const Error& error) {
    throw Error(ErrorKind::input, fmt::format("{} {}", what, error.what()));
  }
}

// The bag's declaration (RFC 8493 2.1.1: "BagIt-Version: M.N" and "Tag-File-Character-Encoding:
// ENC"): filmwriter reads a bag's tag files, its manifests among them, as UTF-8, so a bag that
// declares another encoding would have its non-ASCII paths misread.
void check_bag_declaration(const fs::path& bag) {
  const fs::path file = bag / "bagit.txt";
  std::optional<std::string> version, encoding;
  each_line(read_tag_file(file, "the BagIt bag's declaration"), [&](std::string_view line,
                                                                    std::uint32_t number) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    const auto colon = line.find(':');
    const std::string label = colon == std::string_view::npos ? "" : lower(line.substr(0, colon));
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
    if (label == "bagit-version") {
      const auto dot = value.find('.');
      const auto digits = [](std::string_view part) {
        return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
      };
      if (dot == std::string_view::npos || !digits(value.substr(0, dot)) ||
          !digits(value.substr(dot + 1))) {
        fail_line(file.string(), number,
                  fmt::format("BagIt-Version \"{}\" is not a version M.N",
                              escape_non_ascii(std::string(value))));
      }
      version = value;
    } else if (label == "tag-file-character-encoding") {
      encoding = value;
    } else {
      fail_line(file.string(), number,
                fmt::format("expected \"BagIt-Version: M.N\" or \"Tag-File-Character-Encoding: "
                            "UTF-8\", got \"{}\"",
                            escape_non_ascii(std::string(line.substr(0, 120)))));
    }
  });
  if (!version || !encoding) {
    throw Error(ErrorKind::input,
                fmt::format("{}: the BagIt bag's declaration lacks its {} line", file.string(),
                            version ? "Tag-File-Character-Encoding" : "BagIt-Version"));
  }
  if (const std::string e = lower(*encoding); e != "utf-8" && e != "utf8") {
    throw Error(ErrorKind::input,
                fmt::format("{}: Tag-File-Character-Encoding is {}: filmwriter reads a bag's "
                            "manifests as UTF-8 (as RFC 8493 asks); ask the supplier for the bag "
                            "made with UTF-8 tag files",
                            file.string(), escape_non_ascii(*encoding)));
  }
}

// The bag's tag manifests (tagmanifest-<alg>.txt): the digests of its tag files, its payload
// manifests among them. Checked before the payload manifests are read, so that a manifest
// damaged after the bag was made is named as such, not taken for damaged scans.
std::vector<std::string> check_tag_manifests(const fs::path& bag) {
  std::error_code ec;
  std::vector<std::string> tag_manifests;
  for (const auto& entry : fs::directory_iterator(bag, ec)) {
    const std::string name = lower(entry.path().filename().string());
    if (name.starts_with("tagmanifest-") && name.ends_with(".txt")) {
      tag_manifests.push_back(entry.path().string());
    }
  }
  std::sort(tag_manifests.begin(), tag_manifests.end());
  for (const std::string& manifest : tag_manifests) {
    const std::string name = lower(fs::path(manifest).filename().string());
    const auto algorithm = algorithm_from_word(std::string_view(name).substr(12, name.size() - 16));
    if (!algorithm) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: a tag manifest of an algorithm filmwriter does not check (it "
                              "checks md5, sha1, sha256, sha512)",
                              manifest));
    }
    const std::string text = read_tag_file(manifest, "tag manifest");
    for (const ManifestEntry& e : parse_checksum_manifest(text, manifest, bag, algorithm, true)) {
      const std::array<HashAlgorithm, 1> by = {e.algorithm};
      std::string digest;
      try {
        digest = file_digests(e.path, by).front();
      } catch (const Error& error) {
        fail_line(manifest, e.line,
                  fmt::format("the bag's tag file {} cannot be read ({}): the bag is not whole; "
                              "ask the supplier for it again",
                              e.path, error.what()));
      }
      if (digest != e.digest) {
        fail_line(manifest, e.line,
                  fmt::format("the bag's tag file {} has {} {}, the tag manifest says {}: it was "
                              "damaged or changed after the bag was made, so its checksums cannot "
                              "vouch for the scans; ask the supplier for the bag again",
                              e.path, hash_name(e.algorithm), digest, e.digest));
      }
    }
  }
  return tag_manifests;
}

// A bag is read only once its declaration and tag manifests hold: the tag manifests checked.
std::vector<std::string> check_bag(const fs::path& bag) {
  check_bag_declaration(bag);
  return check_tag_manifests(bag);
}

}  // namespace

std::vector<ManifestEntry> read_checksums(const std::filesystem::path& path,
                                          std::vector<std::string>& manifests_read,
                                          std::vector<std::string>* tag_manifests_read) {
  const auto vouched = [&](std::vector<std::string> tag_manifests) {
    if (!tag_manifests_read) return;
    for (std::string& m : tag_manifests) tag_manifests_read->push_back(std::move(m));
  };
  std::error_code ec;
  const fs::path absolute = fs::absolute(path).lexically_normal();
  auto read_one = [&](const fs::path& file, const fs::path& root, bool bagit) {
    std::string text;
    try {
      text = read_file(file);
    } catch (const Error& error) {
      throw Error(ErrorKind::input, fmt::format("checksum manifest {}", error.what()));
    }
    manifests_read.push_back(file.string());
    return parse_checksum_manifest(text, file.string(), root,
                                   algorithm_from_name(file.filename().string()), bagit);
  };
  if (fs::is_directory(absolute, ec)) {
    if (!is_bagit_bag(absolute)) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: a folder given as checksums must be a BagIt bag (hold "
                              "bagit.txt); name its manifest file instead",
                              path.string()));
    }
    vouched(check_bag(absolute));
    std::vector<fs::path> manifests;
    for (const auto& entry : fs::directory_iterator(absolute, ec)) {
      const std::string name = entry.path().filename().string();
      if (lower(name).starts_with("manifest-") && lower(name).ends_with(".txt")) {
        if (!algorithm_from_name(name)) {
          throw Error(ErrorKind::input,
                      fmt::format("{}: a payload manifest of an algorithm filmwriter does not "
                                  "check (it checks md5, sha1, sha256, sha512)",
                                  entry.path().string()));
        }
        manifests.push_back(entry.path());
      }
    }
    if (manifests.empty()) {
      throw Error(ErrorKind::input,
                  fmt::format("{}: the BagIt bag has no payload manifest (manifest-<alg>.txt)",
                              path.string()));
    }
    std::sort(manifests.begin(), manifests.end());
    std::vector<ManifestEntry> entries;
    for (const fs::path& manifest : manifests) {
      for (ManifestEntry& e : read_one(manifest, absolute, true)) entries.push_back(std::move(e));
    }
    return entries;
  }
  if (!fs::exists(absolute, ec)) {
    throw Error(ErrorKind::input,
                fmt::format("{}: no such checksum manifest or BagIt bag", path.string()));
  }
  // A bag's payload manifest named on its own: its paths are the bag root's too.
  const std::string name = lower(absolute.filename().string());
  const bool bagit = name.starts_with("manifest-") && is_bagit_bag(absolute.parent_path());
  if (bagit) vouched(check_bag(absolute.parent_path()));
  return read_one(absolute, absolute.parent_path(), bagit);
}

void set_checked_sha256(PageRef& ref, std::string_view hex) {
  ref.checked_sha256 = {};
  if (hex.size() != ref.checked_sha256.size() * 2) return;
  const auto nibble = [](char c) {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  };
  for (std::size_t i = 0; i < ref.checked_sha256.size(); ++i) {
    ref.checked_sha256[i] =
        static_cast<std::uint8_t>((nibble(hex[2 * i]) << 4) | nibble(hex[2 * i + 1]));
  }
}

std::string checked_sha256(const PageRef& ref) {
  const auto& bytes = ref.checked_sha256;
  if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; })) return {};
  return hex_of(bytes);
}

std::string ChecksumSummary::line() const {
  if (manifests.empty()) return {};
  std::string names;
  for (const HashAlgorithm algorithm : algorithms) {
    names += (names.empty() ? "" : ", ") + std::string(hash_name(algorithm));
  }
  const std::string what =
      manifests.size() == 1
          ? fmt::format("{} ({})", fs::path(manifests.front()).filename().string(), names)
          : fmt::format("{} manifests ({})", manifests.size(), names);
  std::string line = fmt::format("checksums: {} file(s) match {}", files_matched, what);
  if (files_failed > 0) line += fmt::format("; {} file(s) do not (listed above)", files_failed);
  if (tag_manifests.size() == 1) {
    line += fmt::format("; the bag's {} vouches for its manifests",
                        fs::path(tag_manifests.front()).filename().string());
  } else if (!tag_manifests.empty()) {
    line += fmt::format("; {} tag manifests vouch for the manifests", tag_manifests.size());
  }
  return line;
}

DeliveryChecksums DeliveryChecksums::for_job(const std::vector<std::string>& checksums,
                                             const std::vector<std::string>& page_folders) {
  DeliveryChecksums delivery;
  for (const std::string& path : checksums) delivery.add(path);
  for (const std::string& folder : page_folders) {
    std::error_code ec;
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      if (entry.is_regular_file(ec) &&
          is_checksum_manifest_name(entry.path().filename().string())) {
        found.push_back(entry.path());
      }
    }
    std::sort(found.begin(), found.end());
    for (const fs::path& file : found) delivery.add(file);
  }
  return delivery;
}

void DeliveryChecksums::add(const std::filesystem::path& path) {
  const std::string absolute = fs::absolute(path).lexically_normal().string();
  if (std::find(manifests_.begin(), manifests_.end(), absolute) != manifests_.end()) return;
  std::vector<std::string> read;
  std::vector<std::string> tag_manifests;
  std::vector<ManifestEntry> entries = read_checksums(path, read, &tag_manifests);
  // A bag can be named twice (the job's `checksums` and a folder's own): each manifest once.
  const auto once = [](std::vector<std::string>& into, const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
      const std::string normal = fs::absolute(path).lexically_normal().string();
      if (std::find(into.begin(), into.end(), normal) == into.end()) into.push_back(normal);
    }
  };
  once(manifests_, read);
  once(tag_manifests_, tag_manifests);
  for (ManifestEntry& entry : entries) {
    by_path_.emplace(nfc(entry.path), entries_.size());
    by_folder_.emplace(nfc(fs::path(entry.path).parent_path().string()), entries_.size());
    entries_.push_back(std::move(entry));
  }
}

std::vector<HashAlgorithm> DeliveryChecksums::algorithms() const {
  std::set<HashAlgorithm> set;
  for (const ManifestEntry& entry : entries_) set.insert(entry.algorithm);
  return {set.begin(), set.end()};
}

std::string DeliveryChecksums::check(const std::string& file, std::string* sha256) const {
  const std::string key = nfc(fs::absolute(file).lexically_normal().string());
  const auto [begin, end] = by_path_.equal_range(key);
  if (begin == end) {
    std::string names;
    for (const std::string& manifest : manifests_) names += (names.empty() ? "" : ", ") + manifest;
    return fmt::format(
        "{}: not in the delivery's manifest{} {}: the supplier's checksums do not vouch for it; "
        "ask the supplier whether it belongs to the delivery, or take it out of the folder",
        file, manifests_.size() == 1 ? "" : "s", names);
  }
  std::vector<HashAlgorithm> algorithms;
  for (auto it = begin; it != end; ++it) {
    const HashAlgorithm algorithm = entries_[it->second].algorithm;
    if (std::find(algorithms.begin(), algorithms.end(), algorithm) == algorithms.end()) {
      algorithms.push_back(algorithm);
    }
  }
  // The SHA-256 the render stage compares with its own (it hashes the file for the index).
  if (sha256 &&
      std::find(algorithms.begin(), algorithms.end(), HashAlgorithm::sha256) == algorithms.end()) {
    algorithms.push_back(HashAlgorithm::sha256);
  }
  std::vector<std::string> digests;
  try {
    digests = file_digests(file, algorithms);
  } catch (const Error& error) {
    return error.what();
  }
  if (sha256) {
    const auto at = std::find(algorithms.begin(), algorithms.end(), HashAlgorithm::sha256);
    *sha256 = digests[static_cast<std::size_t>(at - algorithms.begin())];
  }
  // Every listed digest is compared: one that matches while another does not says the
  // delivery's checksums disagree, not that the file is damaged.
  std::string contradicted;
  const ManifestEntry* matched = nullptr;
  for (auto it = begin; it != end; ++it) {
    const ManifestEntry& entry = entries_[it->second];
    const auto at = std::find(algorithms.begin(), algorithms.end(), entry.algorithm);
    const std::string& actual = digests[static_cast<std::size_t>(at - algorithms.begin())];
    if (actual == entry.digest) {
      if (!matched) matched = &entry;
      continue;
    }
    contradicted += fmt::format("{}{} is {}, the delivery's {} line {} says {}",
                                contradicted.empty() ? "" : "; ", hash_name(entry.algorithm),
                                actual, entry.manifest, entry.line, entry.digest);
  }
  if (contradicted.empty()) return {};
  if (matched) {
    return fmt::format(
        "{}: {}; yet its {} matches {} line {}: the delivery's checksums disagree about the "
        "file; ask the supplier which is right",
        file, contradicted, hash_name(matched->algorithm), matched->manifest, matched->line);
  }
  return fmt::format(
      "{}: {}: the file was damaged or changed after delivery; ask the supplier for it again", file,
      contradicted);
}

std::vector<std::pair<std::string, std::string>> DeliveryChecksums::missing_in(
    const std::string& folder) const {
  const std::string key = nfc(fs::absolute(folder).lexically_normal().string());
  std::vector<std::size_t> listed;
  const auto [begin, end] = by_folder_.equal_range(key);
  for (auto it = begin; it != end; ++it) listed.push_back(it->second);
  return missing(listed);
}

std::vector<std::pair<std::string, std::string>> DeliveryChecksums::missing_matching(
    const std::string& pattern) const {
  // As glob(3) matches: a wildcard takes no '/' and no leading '.'. Both sides in NFC, so that
  // a manifest's NFD name meets the job's NFC pattern.
  const std::string key = nfc(fs::path(pattern).lexically_normal().string());
  const auto matches = [&](const std::string& path) {
    return ::fnmatch(key.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
  };
  std::vector<std::size_t> listed;
  // A pattern whose folder is written out ("scans/D001_*.tif", the usual one) can only match
  // that folder's entries; one with wildcards in its folders is matched against every entry.
  if (const std::string folder = fs::path(key).parent_path().string();
      folder.find_first_of("*?[\\") == std::string::npos) {
    const auto [begin, end] = by_folder_.equal_range(folder);
    for (auto it = begin; it != end; ++it) {
      if (matches(nfc(entries_[it->second].path))) listed.push_back(it->second);
    }
  } else {
    for (const auto& [path, i] : by_path_) {
      if (matches(path)) listed.push_back(i);
    }
  }
  return missing(listed);
}

std::vector<std::pair<std::string, std::string>> DeliveryChecksums::missing(
    const std::vector<std::size_t>& listed) const {
  std::vector<std::pair<std::string, std::string>> missing;
  std::set<std::string> seen;
  for (const std::size_t i : listed) {
    const ManifestEntry& entry = entries_[i];
    const fs::path path(entry.path);
    const std::string name = path.filename().string();
    if (is_os_junk(name) || is_checksum_manifest_name(name) ||
        !seen.insert(nfc(entry.path)).second) {
      continue;
    }
    std::error_code ec;
    if (fs::exists(path, ec)) continue;
    // A file on disk in another Unicode spelling of the name is there.
    bool found = false;
    for (const auto& on_disk : fs::directory_iterator(path.parent_path(), ec)) {
      if (canonically_equal(on_disk.path().filename().string(), name)) {
        found = true;
        break;
      }
    }
    if (found) continue;
    missing.emplace_back(
        entry.path,
        fmt::format("{}: listed in the delivery's {} line {} but not in the folder: a page "
                    "missing from the delivery; ask the supplier for it",
                    entry.path, entry.manifest, entry.line));
  }
  return missing;
}

}  // namespace fw
