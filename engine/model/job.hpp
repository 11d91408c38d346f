// The job as a value: what to film, how, and onto what (engine/model: the value types every
// engine module shares, below all of them). engine/job reads it from a TOML job file or a
// scans folder (job/job.hpp); the planner, the renderer, the catalog and verify only read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/film_format.hpp"

namespace fw {

enum class ImageMode { bitonal, grey, colour };
enum class Polarity { negative, positive };
enum class FailurePolicy { fail, skip_document, substitute };
// A page too large for the image area at its document's reduction (a fold-out map, a
// newspaper sheet in a book): `fail` stops planning naming the reduction it needs; `reduce`
// films it at the smallest whole reduction that fits, up to the format's highest, behind a
// reduction-change target that says so on film; `split` films it whole so (the overview), then in
// overlapping sections at the document's own reduction, behind a target that says how
// (docs/formats.md#oversize-pages-fold-outs-maps-newspaper-sheets).
enum class OversizePolicy { fail, reduce, split };
// How colour pages reach the film: `film` writes 3-channel frames for a colour recorder on
// colour stock; `separations` films each colour page as three black-and-white frames (red,
// green and blue filter separations) for black-and-white stock
// (engine/film/separation_geometry.hpp).
enum class ColourRoute { film, separations };

const char* to_string(ImageMode mode);
const char* to_string(Polarity polarity);
const char* to_string(FailurePolicy policy);
const char* to_string(OversizePolicy policy);  // "fail", "reduce", "split"
const char* to_string(ColourRoute route);      // "film", "separations"

// Where a document's pages come from. Exactly one kind per document.
struct PageSource {
  enum class Kind { directory, glob, list, tiff, pdf };
  Kind kind = Kind::directory;
  // directory: the folder; glob: the pattern (absolute); list: the files in order;
  // tiff / pdf: the one file. Relative paths are resolved against the job file's folder.
  // Strings, not std::filesystem::path, which also keeps each path's parsed components:
  // ~450 bytes more a file, 4.5 MB of a 10,000-page list held for the whole run.
  std::vector<std::string> paths;
  // tiff / pdf page range, 1-based and inclusive; last_page 0 means "to the last page".
  std::uint32_t first_page = 1;
  std::uint32_t last_page = 0;
};

// Settings a document inherits from the job and may override.
struct PageSettings {
  double reduction = 24;  // 7–50
  ImageMode mode = ImageMode::grey;
  std::optional<double> dpi;  // used when a file has no usable resolution
  bool force_dpi = false;     // use `dpi` even when the file declares one
  int rotate = 0;             // 0, 90, 180, 270 (clockwise)
  int threshold = 128;        // bitonal threshold on 8-bit luminance
  FailurePolicy on_error = FailurePolicy::fail;
  ColourRoute colour_route = ColourRoute::film;  // used in colour mode only
  OversizePolicy oversize = OversizePolicy::fail;
  // What neighbouring sections of a page filmed in sections (oversize = "split") share, in mm
  // of the document: wide enough by default that a line of text or a map's grid square cut at
  // one edge is whole on the next section (our choice, docs/formats.md).
  double section_overlap_mm = 20;
};

struct PageSettingsOverride {
  std::optional<double> reduction;
  std::optional<ImageMode> mode;
  std::optional<double> dpi;
  std::optional<bool> force_dpi;
  std::optional<int> rotate;
  std::optional<int> threshold;
  std::optional<FailurePolicy> on_error;
  std::optional<ColourRoute> colour_route;
  std::optional<OversizePolicy> oversize;
  std::optional<double> section_overlap_mm;
};

// `settings` with every override that is set applied.
PageSettings with_overrides(PageSettings settings, const PageSettingsOverride& overrides);

// A substitution target the job asks for (`[[documents.substitute]]`): filmed as page `page`
// of the document, either in place of the source page there (`insert` false) or before it
// (`insert` true: a page the original lacks, or a notice such as "filmed as found").
struct DeclaredSubstitute {
  std::uint32_t page = 1;  // 1-based position among the document's filmed pages
  std::string target;      // template in profiles/targets/<set>/, e.g. "page-missing"
  std::string note;        // {note} in the template
  bool insert = false;
  std::string key;  // "documents[1].substitute[2]", for error messages
};

// Data frames (engine/data, docs/data-frames.md): the document's source files written on the
// reel as 2D-coded frames that `restore` reads back bit-exact. Where they go on the reel:
// after the document's pages, or at the end of the reel, after its last document's pages.
enum class DataPlacement { document, reel_end };
const char* to_string(DataPlacement placement);  // "document", "reel-end"

// The job's `data_frames = true` or `[data]` table.
struct DataFramesChoice {
  bool masters = false;  // files = "masters": every document's source files
  DataPlacement place = DataPlacement::document;
  int bits_per_module = 1;         // 1, or 2 (four density levels)
  std::uint32_t module_px = 2;     // module side in recorder pixels
  std::uint32_t group_data = 16;   // outer code: data frames per group ...
  std::uint32_t group_parity = 2;  // ... and parity frames (this many lost frames rebuilt)
};

// One entry of a document's table of contents (目次): from `[[documents.toc]]` in the job
// file or a row of the CSV/TSV file `toc = "toc/D001.csv"` names. The planner films the
// entries on the document's TOC target frames and gives the frame of `page` the middle blip
// level; the catalog stores them with that frame's address (catalog toc table).
struct TocEntry {
  std::string title;
  std::uint32_t page = 1;  // 1-based among the document's filmed pages
  int level = 1;  // 1–3 (卷, 篇, 章): each entry at most one level below the one before
  std::vector<std::pair<std::string, std::string>> metadata;  // free UTF-8, in file order
  // Where the entry is written, for messages: "job.toml:31" or "toc/D001.csv:4" (paths as
  // written in the job), and its key "documents[1].toc[3]".
  std::string origin;
  std::string key;
};

struct Document {
  std::string id;
  std::string title;
  std::vector<std::pair<std::string, std::string>> metadata;  // free UTF-8, in file order
  PageSource pages;
  PageSettingsOverride overrides;
  std::string key;  // "documents[2]" for the second document (1-based), for error messages
  // Template of the substitution targets the `substitute` policy films for this document
  // (empty: the job's substitute_target).
  std::string substitute_target;
  std::vector<DeclaredSubstitute> substitutes;
  // `data_frames = true|false` in the document: its source files as data frames, or not
  // (unset: the job's choice).
  std::optional<bool> data_frames;
  // The table of contents, in reading order (empty: the document has none).
  std::vector<TocEntry> toc;
};

// [calibration] (or `calibration = "NAME"`): the density calibration the engine applies to
// every frame (engine/color). Without one, the recorder's own calibration applies.
struct CalibrationChoice {
  // A name in profiles/calibration/, a .toml file (resolved), "none" (raw code values), or
  // "" (the recorder's calibration).
  std::string profile;
  std::string document_class;  // aim density class; "" = the profile's default_class
  std::optional<double> tone;  // tone reproduction exponent; unset = the profile's
  std::uint32_t line = 0;      // of the [calibration] table, for error messages
  // Who chose, as the calibration record (plan.json, qc.json) says: "job" (the job's
  // calibration key or --calibration) or "recorder options" (-O calibration= or the job's
  // [recorder.options], the older spelling, which the settings resolver moves here).
  std::string chosen_by = "job";
  // Where the choice is written, for messages ("recorder.options.calibration"); "": the job
  // file's calibration key at `line`, or --calibration.
  std::string origin;
};

struct Limits {
  std::uint64_t max_page_pixels = 400'000'000;  // decoded pixels per page
  std::uint64_t max_file_bytes = 2ull << 30;    // per source file
  // A page less wide or high than this, at its resolution, is no page (a 1 x 1 px placeholder,
  // a thumbnail given a master's dpi): refused. 0: no floor.
  double min_page_mm = 5;
};

struct Job {
  int version = 1;
  std::filesystem::path file;      // the job file (absolute); empty in one-line and parse_job
  std::filesystem::path base_dir;  // relative paths in the job resolve against this
  // Film names source files relative to this folder (substitution targets), never by the
  // operator's absolute path: the job file's folder; in one-line mode the scans folder's
  // parent ("scans/p3.jpg"). Empty: base_dir.
  std::filesystem::path sources_root;
  std::string id;  // [A-Za-z0-9._-]+, names the output folder
  std::string title;
  std::string institution;
  // The recording site or host ("NLC-B2"): when set, every reel id is prefixed with it
  // ("NLC-B2-R0001"), so that reels filmed by several hosts into one catalog never share an id;
  // printed on the reel's targets. Job key `site`, --site, else FILMWRITER_SITE (resolve()).
  std::string site;
  // The operator who declares the filming (job key `operator`, --operator): when set, every
  // roll-film reel closes with the operator's declaration (a target after the records, before
  // the closing technical target) naming them; a job keeps it when resumed.
  std::string operator_name;
  std::filesystem::path output;  // jobs write into output / id
  std::filesystem::path
      catalog;  // SQLite file or postgresql:// URL; empty: output / catalog.sqlite
  std::string format = "16mm-comic-30m";  // film format profile name
  // Where `format` was set, for messages: "job.toml:5: format", "--format", "" (the default).
  std::string format_origin;
  // The format written in the job as a [format] table (keys as in a format file); when set,
  // `format` is "inline" and no profile is read.
  std::optional<FilmFormat> inline_format;
  // Target set in profiles/targets/<name>/ filmed on every reel; "none" films no targets.
  std::string targets = "standard";
  // Job key `reel_contents`: each roll reel lists the documents it holds (REEL CONTENTS, 卷内目录)
  // on target frames after its technical target, each with its frames and addresses, so that a
  // reader finds a document on the reel in hand. Off by default: it moves every frame after it.
  bool reel_contents = false;
  // Default template of substitution targets (profiles/targets/<set>/<name>.toml).
  std::string substitute_target = "page-missing";
  // Font set for every text on film: a name in fonts/ or a path to a set file; "" = default.
  std::string fonts;
  // The day printed on targets ({date}), "YYYY-MM-DD"; "" = today (UTC) when the job is
  // planned. plan.json records the day used, and a resumed job keeps it.
  std::string filming_date;
  Polarity polarity = Polarity::negative;
  std::string driver = "sim";
  std::map<std::string, std::string> driver_options;
  CalibrationChoice calibration;  // profile empty: no calibration table
  unsigned threads = 0;           // 0: one per core
  Limits limits;
  PageSettings defaults;
  // Where defaults.reduction came from, for messages: "--reduction" when the flag set it.
  std::string reduction_flag;
  DataFramesChoice data;
  // The delivery's checksum manifests the sources are checked against before any is filmed
  // (ingest/checksum_manifest.hpp): manifest files and BagIt bag folders, absolute. Job key
  // `checksums`, --checksums; in one-line mode the bag given, or the scans folder's checksum
  // files. Checksum files lying in a folder a document scans are used as well.
  std::vector<std::string> checksums;
  std::vector<Document> documents;
};

PageSettings settings_for(const Job& job, const Document& document);
// Whether the document's source files are written as data frames.
bool data_frames_for(const Job& job, const Document& document);

}  // namespace fw
