// A delivery's checksum manifests: the digests a digitisation supplier sends with the scans, so
// that a file damaged after delivery (an interrupted copy, bit rot, a bad disk) is found before
// it is filmed. Such a file can still decode cleanly (libtiff never checks a deflate strip's
// adler32; JPEG carries no checksum at all) and would be filmed wrong for good.
//
// Forms read, one file a line:
//   GNU coreutils   <hex>  <path>    <hex> *<path>    (md5sum, sha256sum ...; a line starting
//                   with '\' has its path escaped: \\ \n \r)
//   BSD tags        MD5 (<path>) = <hex>    SHA256 (<path>) = <hex>    (md5 -r aside)
//   BagIt payload   manifest-<alg>.txt in a bag's root: <hex> <whitespace> <path>, paths
//                   relative to the bag root (data/...), with BagIt 1.0's %0A %0D %25 decoded
// Algorithms MD5, SHA-1, SHA-256, SHA-512: from the file's name (manifest-md5.txt, *.md5,
// MD5SUMS, *.sha256, SHA256SUMS ...), the BSD tag, else the digest's length. A UTF-8 byte order
// mark, CRLF line ends, blank lines and '#' comment lines are tolerated. Paths are relative to
// the manifest's folder (the bag root); one that leaves it ("../x") is an error, as is a line
// that is none of the forms or whose digest contradicts the algorithm: Error(input) naming the
// manifest and its line. A path matches a file whatever the Unicode spelling of either (a
// manifest written on macOS spells names in NFD, ext4 keeps what it was given).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.hpp"
#include "ingest/ingest.hpp"

namespace fw {

struct ManifestEntry {
  std::string path;  // absolute and lexically normal, spelled as the manifest spells it
  HashAlgorithm algorithm = HashAlgorithm::md5;
  std::string digest;      // lower-case hex
  std::string manifest;    // the manifest's path, as it was given
  std::uint32_t line = 0;  // 1-based
};

// The algorithm a checksum file's name says (case-insensitive): manifest-md5.txt, foo.md5,
// MD5SUMS, md5sum.txt, SHA256SUMS, foo.sha256, ...; nullopt when the name says none.
std::optional<HashAlgorithm> algorithm_from_name(std::string_view name);
// Whether a file of this name is a checksum manifest (its name says an algorithm): such files
// lying among scans are manifests, never pages.
bool is_checksum_manifest_name(std::string_view name);
// Whether `folder` is a BagIt bag (holds bagit.txt).
bool is_bagit_bag(const std::filesystem::path& folder);

// The entries of a manifest's `text`. `file` names it in messages and entries; paths resolve
// against `root`; `named`: the algorithm its name says; `bagit`: a bag's payload manifest.
std::vector<ManifestEntry> parse_checksum_manifest(std::string_view text, const std::string& file,
                                                   const std::filesystem::path& root,
                                                   std::optional<HashAlgorithm> named, bool bagit);

// A manifest file (relative to its folder; a bag's manifest-<alg>.txt relative to the bag), or
// a BagIt bag folder (every manifest-<alg>.txt of it): the entries. Error(input) naming the
// path when it is neither, cannot be read, or a bag has no payload manifest. A bag is believed
// only once its declaration (bagit.txt: a version, UTF-8 tag files) and its tag manifests
// (tagmanifest-<alg>.txt) hold: Error(input) naming the file and line when one does not; the
// tag manifests checked go to `tag_manifests_read`.
std::vector<ManifestEntry> read_checksums(const std::filesystem::path& path,
                                          std::vector<std::string>& manifests_read,
                                          std::vector<std::string>* tag_manifests_read = nullptr);

// The SHA-256 a page's file had when it was checked (PageRef::checked_sha256): set from hex, and
// read back as hex ("" when the file was not checked).
void set_checked_sha256(PageRef& ref, std::string_view hex);
std::string checked_sha256(const PageRef& ref);

// What the check of a job's sources found, for the operator: "checksums: 412 files match
// manifest-md5.txt (MD5)".
struct ChecksumSummary {
  std::vector<std::string> manifests;  // every manifest read, in the order read
  std::vector<HashAlgorithm> algorithms;
  std::vector<std::string> tag_manifests;  // a bag's tag manifests, which vouched for its manifests
  std::size_t files_matched = 0;
  std::size_t files_failed = 0;  // not listed, missing, or not matching
  std::string checked_at;        // UTC, when the check began ("2026-12-06T16:30:00Z")
  bool used() const { return !manifests.empty(); }
  std::string line() const;  // "" when no manifest was used
};

// Every manifest of a job, looked up by path. The job's own (its `checksums` key, --checksums,
// a bag or the manifests of a scans folder in one-line mode) and the checksum files lying in a
// folder a document scans (`pages = { dir = ... }`).
class DeliveryChecksums {
 public:
  static DeliveryChecksums for_job(const std::vector<std::string>& checksums,
                                   const std::vector<std::string>& page_folders);
  bool empty() const { return manifests_.empty(); }
  const std::vector<std::string>& manifests() const { return manifests_; }
  // The tag manifests of the bags read, each checked against its bag's tag files.
  const std::vector<std::string>& tag_manifests() const { return tag_manifests_; }
  std::vector<HashAlgorithm> algorithms() const;

  // Why `file` cannot be filmed by the delivery's checksums: "" when it is listed and every
  // digest listed for it matches; else it is unlisted, unreadable or does not match, said with
  // the manifest, its line, both digests and what to do. Reads the file once; `sha256`, when
  // given, gets its SHA-256 from the same read (for the render stage's compare).
  std::string check(const std::string& file, std::string* sha256 = nullptr) const;
  // Files listed in `folder` itself that are not on disk, each with why it is an error.
  std::vector<std::pair<std::string, std::string>> missing_in(const std::string& folder) const;
  // Files listed whose paths the absolute glob(3) `pattern` matches and that are not on disk:
  // the pages a document's `glob` would have found had the delivery been whole.
  std::vector<std::pair<std::string, std::string>> missing_matching(
      const std::string& pattern) const;

 private:
  void add(const std::filesystem::path& path);
  std::vector<std::pair<std::string, std::string>> missing(
      const std::vector<std::size_t>& listed) const;
  std::vector<std::string> manifests_;
  std::vector<std::string> tag_manifests_;
  std::vector<ManifestEntry> entries_;
  std::multimap<std::string, std::size_t> by_path_;    // NFC of entries_[i].path -> i
  std::multimap<std::string, std::size_t> by_folder_;  // NFC of its folder -> i
};

}  // namespace fw
