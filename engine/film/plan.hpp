// The reel planner: a pure, deterministic function from the job, the film format, the
// recorder's geometry and the pages' metadata to the plan (reels, frames, placement,
// positions on film). The same input always gives the same plan; nothing here touches a
// file or a device (but for loading the default font set once when plan_reels is given no
// font set). A plan.json on disk is read back by film/plan_file.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/data_frames.hpp"
#include "film/drawn_with.hpp"
#include "film/format.hpp"
#include "hal/recorder.hpp"
#include "ingest/checksum_manifest.hpp"
#include "ingest/ingest.hpp"
#include "model/job.hpp"
#include "model/placement.hpp"

namespace fw {

// Every reduction the job asks of `format` (the job's, each document's own) is one it films:
// Error(job) naming the flag or the job key, the reduction and the format, e.g.
// "--reduction 24: reduction 24x is outside the range of 35mm-comic-30m (7x to 21x)".
void check_reductions(const Job& job, const FilmFormat& format);

class FrameCalibration;
class TextEngine;

// Places a page: scale from its physical size, the reduction and the pitch; rotation;
// centring inside the format's image area. Throws Error(input) when the page does not fit,
// saying which reduction would.
Placement place_page(const PageInfo& info, const PageSettings& settings, const FilmFormat& format,
                     double pitch_um);

// The reduction a page is filmed at: its settings' own; under `oversize = "reduce"` (or "split",
// for the page's overview), for a page that does not fit at it, the smallest whole reduction at
// which it does, up to the format's highest (beyond that, its own: place_page then refuses it,
// saying what it needs); a page's overview up to kLargestOverviewReduction on a format of a range
// of reductions.
double page_reduction(const PageInfo& info, const PageSettings& settings, const FilmFormat& format,
                      double pitch_um);

// The highest reduction a page's overview is filmed at (oversize = "split"), beyond its format's
// own highest if need be (35 mm's 21x): it shows where the sections lie, which carry the detail.
constexpr double kLargestOverviewReduction = 50;

// An oversize page in overlapping sections at `settings.reduction` (oversize = "split"), row by
// row from the top left of the upright page: each section's placement (its crop and its box,
// centred in the image area) and the grid. Neighbouring sections share
// `settings.section_overlap_mm` of the page (on the document). Error(input) when the format
// cannot hold a section wider than the overlap.
struct PageSections {
  std::uint32_t rows = 1;
  std::uint32_t columns = 1;
  std::vector<Placement> sections;
};
PageSections page_sections(const PageInfo& info, const PageSettings& settings,
                           const FilmFormat& format, double pitch_um);

// What a frame shows. Targets are frames like pages, rendered from profiles/targets/.
enum class FrameKind {
  page,
  substitute,        // in place of a page that could not be filmed
  start_target,      // reel start: reel number, job, institution, date, reduction
  technical_target,  // resolution chart, grey wedge, density patches, millimetre scale
  title_target,      // bibliographic title target of the document that follows
  toc_target,        // the document's table of contents (目次), after its title target
  reel_contents,     // the documents on the reel (job key reel_contents), after TECH1
  continued_to,      // the document continues on the next reel
  continued_from,    // the document began on the previous reel
  declaration,       // the operator's declaration of what the reel holds, after its records
  end_target,        // reel end
  fiche_header,      // eye-legible header strip of a fiche
  data_target,       // eye-readable "how to decode this reel": before a reel's first data frame
  data_format,       // its second page: the header table, scrambling constants, codes, groups
  data,              // a frame of a source file written as data (engine/data)
  // Before oversize pages filmed at another reduction than their document's (oversize =
  // "reduce"), or before a page's sections (oversize = "split"): which pages, at what
  // reduction, in what sections; `note` says it on film.
  reduction_change,
};
const char* to_string(FrameKind kind);  // "page", "start-target", ...
bool is_target(FrameKind kind);         // every kind but page, substitute and data

// Which colour separation a frame holds (the `separations` colour route, see
// film/separation_geometry.hpp): a colour page is filmed as three black-and-white frames in the
// order red, green, blue, each the page seen through that filter.
enum class Separation { none, red, green, blue };
const char* to_string(Separation separation);  // "", "R", "G", "B"

// The page size on the document plane of every target (A4 portrait): the templates place
// their text in mm on it, and it is filmed at the job's reduction like a page.
constexpr double kTargetWidthMm = 210;
constexpr double kTargetHeightMm = 297;

struct PlannedFrame {
  std::uint64_t sequence = 0;  // 0-based over the whole job: the pipeline's order
  std::uint32_t reel = 1;      // 1-based
  std::uint32_t number = 1;    // 1-based within the reel
  FrameKind kind = FrameKind::page;
  std::size_t document = 0;  // index into Job::documents
  std::uint32_t page = 1;    // 1-based page within the document; 0 for targets
  SourcePage source;         // for a substitute: the page that failed (info may be empty)
  std::string reason;        // substitute: why the page is missing
  std::string target;        // substitute: its template (profiles/targets/<set>/<target>.toml)
  std::string note;          // substitute asked for in the job: its note ({note})
  Placement placement;
  double film_position_mm = 0;  // start of the frame, from the start of the reel
  hal::BlipLevel blip = hal::BlipLevel::page;
  std::string address;           // "R0001-D001-0003": reel, document, page
  double reduction = 0;          // the reduction the frame is filmed at
  std::uint32_t other_reel = 0;  // continued_to: the next reel; continued_from: the previous
  // Fiche: the frame's cell, 1-based (header strip: row 0); 0 on roll film.
  std::uint32_t grid_row = 0;
  std::uint32_t grid_column = 0;
  double pixel_pitch_um = 0;  // 0: the plan's pitch (a fiche header is written coarser)
  // A separation frame of a colour page; its three frames share document, page and source,
  // follow each other on one reel, and their addresses end in -R, -G, -B.
  Separation separation = Separation::none;
  // A data frame: frame `data_frame` (0-based, in the file's order: each outer-code group's
  // data frames, then its parity frames) of master `data_file` (0-based, in
  // Plan::masters[document]). `data_unit` is the group's frame count on the first frame of a
  // group (a group is never split across reels) and 0 on the others.
  std::uint32_t data_file = 0;
  std::uint32_t data_frame = 0;
  std::uint32_t data_unit = 0;
  // A TOC target frame: the entries it lists, [toc_first, toc_first + toc_count) of the
  // document's Document::toc (0-based). A reel contents frame: the documents it lists, the same
  // range of the reel's documents in filming order.
  std::uint32_t toc_first = 0;
  std::uint32_t toc_count = 0;
  // A reduction-change target: the reduction of the pages it announces (0 on other frames).
  double announced_reduction = 0;
  // A page filmed in sections (oversize = "split"): its first frame, the overview (the whole
  // page at the reduction it fits), has section 0; then comes a reduction-change target and
  // sections 1 to `sections` at the document's reduction, row by row from the top left, in rows
  // of `section_columns`. All of them, the target too, carry `sections` and `section_columns`.
  std::uint32_t section = 0;
  std::uint32_t sections = 0;
  std::uint32_t section_columns = 0;
};

// Entries a TOC target frame lists when its template does not say (toc-target.toml's
// `entries_per_frame`, read by target_entries() in film/target_layout.hpp); a longer table
// of contents continues on further frames.
constexpr std::uint32_t kTocEntriesPerFrame = 14;
// Documents a reel contents frame lists when its template does not say (reel-contents.toml).
constexpr std::uint32_t kReelContentsEntriesPerFrame = 16;
// The entries target frames list, as their templates say (film/target_layout.hpp,
// target_entries()).
struct TargetEntries {
  std::uint32_t toc = kTocEntriesPerFrame;
  std::uint32_t reel_contents = kReelContentsEntriesPerFrame;
};

// Where a table-of-contents entry's page was filmed: the first frame of the page (the red
// separation of a colour page filmed as separations). reel 0: not filmed (a skipped document).
struct TocPlace {
  std::uint32_t reel = 0;
  std::uint32_t frame = 0;  // 1-based on the reel
  std::string address;      // "R0002-D001-0005"
};

// The blip levels of a job whose documents have a table of contents
// (docs/micrographics.md#blip-marks): the document start (title target, continued-from target,
// or the first page on reels without targets) is the highest mark, each TOC entry's first page
// the middle one, every other page the lowest. Without a table of contents anywhere in the job
// the document start keeps the middle mark, as before.
hal::BlipLevel document_start_blip(const Job& job);
bool has_toc(const Job& job);

// A reel's id: "R0001", or with the job's site prefix "NLC-B2-R0001"; a fiche sheet's
// "F0001" / "NLC-B2-F0001". With no site, its label (PlannedReel::label).
std::string reel_id(const std::string& site, std::uint32_t number);
std::string fiche_id(const std::string& site, std::uint32_t number);

// Whether a document's page begins at this frame: a page or substitute frame, of a colour
// page's three separation frames the first (R) only, and of a page filmed in sections its
// overview only. Counting them counts pages, not frames.
bool begins_page(const PlannedFrame& frame);

// A document on a reel, as its reel contents frames list it (job key reel_contents).
struct ReelDocument {
  std::size_t document = 0;                       // index into Job::documents
  std::uint32_t first_frame = 0, last_frame = 0;  // its frames on the reel (1-based)
  std::string first_page, last_page;              // image addresses; "" without pages here
  std::size_t pages = 0, data_frames = 0;         // on this reel
  std::uint32_t from_reel = 0, to_reel = 0;       // continued from / on (0: none)
};

// A reel of roll film, or one sheet of fiche.
struct PlannedReel {
  std::uint32_t number = 1;
  std::string id;  // "R0001", or "F0001" for a fiche; "NLC-B2-R0001" with a site
  // The id without the job's site prefix ("R0001"): what the frames' addresses begin with
  // (R0001-D001-0003), on the reel in hand, whose start target names the whole id.
  std::string label;
  std::size_t first_frame = 0;  // index into Plan::frames
  std::size_t frame_count = 0;
  double film_used_m = 0;  // leader + frames + gaps + trailer
  double film_length_m = 0;
  std::size_t pages = 0;                 // pages filmed (begins_page), substitutes included
  std::size_t data_frames = 0;           // data frames (engine/data)
  std::uint64_t data_bytes = 0;          // the bytes of files whose frames begin on this reel
  bool continues_from_previous = false;  // its first document began on the previous reel
  bool continues_on_next = false;        // its last document continues on the next reel
  // The first and last page's image address ("" without pages): what its start and end
  // targets name, kept here so that rendering a target needs no other frame of the plan.
  std::string first_address, last_address;
  // Its documents in filming order, for its contents frames (empty without them): kept here
  // for the same reason.
  std::vector<ReelDocument> documents;
};

struct Plan {
  std::string job_id;
  FilmFormat format;
  double pitch_um = 0;
  std::vector<PlannedReel> reels;
  std::vector<PlannedFrame> frames;
  std::vector<std::string> skipped;  // "D003: reason" for skipped documents
  // "D001: scans/D001/readme.txt": text files a document's folder or pattern gave, not filmed.
  // Warned of, not in plan.json: a readme added to a folder is no change to what is filmed.
  std::vector<std::string> left_out;
  bool targets = false;  // reels carry start, technical, title and end targets
  // The day the targets show ({date}); "" until prepare_plan_text() fixes it (today, unless
  // the job names one). In plan.json, so that a resumed job films the same targets.
  std::string filming_date;
  std::string font_set = "default";  // the job's `fonts` key, as written (plan.json)
  // Where target templates are read (profiles/targets/<job.targets>/); set by prepare_job,
  // not part of plan.json.
  std::filesystem::path profiles_dir;
  // The job's font set, loaded by prepare_plan_text(); null: the default set.
  std::shared_ptr<const TextEngine> text;
  // The density calibration every frame goes through (engine/color), resolved once by
  // prepare_job from the job and the recorder; in plan.json and so in the plan's hash (a
  // resume refuses a changed one). Null: none resolved, frames go out as rendered (plans made
  // by hand in tests and benches).
  std::shared_ptr<const FrameCalibration> calibration;
  // The target templates and fonts the plan's frames are drawn with, each file's sha256: set
  // by prepare_plan_text(); in plan.json and so in the plan's hash (a resume refuses a job
  // whose template or font changed). Empty: not recorded (plans made by hand; a job resumed
  // whose plan.json was written before filmwriter recorded them).
  std::optional<DrawnWith> drawn_with;
  // Data frames (job.data): every document's master files (index: Job::documents; empty for a
  // document without data frames), the layout of every data frame's symbol and the frame it
  // is drawn in. data_layout is empty when the job writes no data frames.
  std::vector<std::vector<MasterFile>> masters;
  // Where each document's TOC entries were filmed (index: Job::documents, then
  // Document::toc); empty when no document has a table of contents.
  std::vector<std::vector<TocPlace>> toc;
  // Entries each TOC target frame lists (the TOC template's entries_per_frame). What each frame
  // lists is in plan.json, so a template that changes it changes the plan's hash.
  std::uint32_t toc_entries_per_frame = kTocEntriesPerFrame;
  // Documents each reel contents frame lists (job key reel_contents; the template's
  // entries_per_frame).
  std::uint32_t reel_contents_entries_per_frame = kReelContentsEntriesPerFrame;
  std::optional<data::Layout> data_layout;
  Placement data_placement;

  std::string to_json(const Job& job) const;  // plan.json, stable key order
  // plan.json in pieces, frame by frame, so that a long job's plan is never whole in memory.
  void write_json(const Job& job, const std::function<void(std::string_view)>& out) const;
  std::string hash(const Job& job) const;  // sha256 of plan.json and the rendering choices
  // The rendering choices plan.json does not hold (polarity; per document mode, threshold,
  // colour route): they decide a frame's pixels, so a resume compares them too.
  nlohmann::ordered_json rendering(const Job& job) const;
  // What the recorder is told when `reel` is loaded into `work_dir` (first_frame 1).
  hal::ReelSpec reel_spec(const PlannedReel& reel, const std::string& job_id,
                          const std::filesystem::path& work_dir) const;
};

// Everything before the first exposure (pipeline/pipeline.hpp prepare_job): the format, the
// plan and the job's output folder. Pure but for reading the sources' headers.
// The scanned pages are not kept: the plan holds every page it films.
struct PreparedJob {
  FilmFormat format;
  Plan plan;
  // What the sources were checked against: the delivery's checksum manifests, if any.
  ChecksumSummary checksums;
  std::filesystem::path job_dir;  // output / id
};

// The planner itself. Reel order: leader, start target, technical target, then per document
// its title target and pages, "continued" targets where a document is split, technical target,
// end target, trailer (targets only when job.targets is not "none"). Documents are kept whole
// on a reel unless one is longer than a whole reel. Fiche formats fill the grid in reading
// order behind a header strip per sheet. A colour page of a document on the `separations`
// route becomes three frames (R, G, B) that are never split across reels or sheets; only the
// first carries the page's blip, so a reader counting blips still counts pages.
//
// Every roll frame is at least as long as its blip track needs (film/blip_geometry.hpp
// least_track_length_px): its blip mark, its image address in full, set in `text` (the job's
// font set; null: the default set), and its DataMatrix frame mark behind the address. A shorter
// page gets a longer frame with the page centred in it; a format of fixed frames too short for
// that is Error(job). On fiche every frame but a header tile must leave a margin for its mark
// in the cell (Error(input) otherwise).
// `entries`: the entries a TOC target frame and a reel contents frame list (target_entries() of
// the job's templates; prepare_job reads them).
Plan plan_reels(const Job& job, const FilmFormat& format, const hal::Capabilities& recorder,
                const std::vector<DocumentPages>& documents, const TextEngine* text = nullptr,
                TargetEntries entries = {});

// Data frames: the symbol layout for a format and recorder (the data area fills the image
// area across the film, and as much along it: the fixed frame's length, or a square), and the
// frame it is drawn in (without the blip track's lengthening). Error(job) on fiche.
std::pair<Placement, data::Layout> data_frame_layout(const Job& job, const FilmFormat& format,
                                                     double pitch_um);
// The file identity in a data frame's header, and its address ("R0001-D001-M01-0003").
data::FileIdentity data_identity(const Job& job, const Plan& plan, const PlannedFrame& frame);
// Net bytes one 30.5 m reel of `format` holds as data frames (no pages, the reel's targets and
// the data target's two frames filmed), for `plan` and the capacity table.
double data_capacity_bytes(const Job& job, const FilmFormat& format, double pitch_um,
                           double reel_length_m);

}  // namespace fw
