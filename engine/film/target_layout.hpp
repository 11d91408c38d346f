// Targets: the frames a reel carries besides pages (start, technical, title, continued, end,
// fiche header). Their wording and layout come from templates in
// profiles/targets/<set>/<kind>.toml, so an institution changes them without code:
//
//   border_mm = 2.0                  # frame line around the target (0: none)
//   flow_gap_mm = 3                  # optional: a block starts at least this far below every
//                                    # earlier block in its columns (top_mm: the least top)
//   [[text]]                         # one block of text per table, top to bottom
//   text = "{job_title}"             # placeholders: see target_fields()
//   top_mm = 60                      # from the top of the target page (document plane)
//   size_mm = 8                      # cap height on the document plane
//   align = "centre"                 # start | centre | end
//   left_mm = 20                     # optional, default 20
//   width_mm = 170                   # optional, default: to 20 mm from the right edge
//   vertical = true                  # optional: columns, top to bottom, right to left
//   height_mm = 200                  # optional, vertical only: column length
//   language = "zh-Hant"             # optional, default zh-Hans: glyph forms and fallback
//
// The technical target's template adds [chart], [wedge], [patches] and [scale] tables.
//
// This header is what planning and verify need of the targets without drawing them: the
// templates, their fields and texts, whether a TOC frame's entries fit, where the technical
// target's chart goes. The drawing: render/target.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "film/plan.hpp"

namespace fw {

struct TargetText {
  std::string text;
  double top_mm = 0;
  double size_mm = 5;
  std::string align = "centre";
  double left_mm = 20;
  double width_mm = 0;  // 0: to left_mm from the right edge
  // Vertical text (columns top to bottom, right to left): the block's columns start at the
  // right of its width and run down `height_mm` (0: to 20 mm above the bottom edge).
  bool vertical = false;
  double height_mm = 0;
  std::string language = "zh-Hans";  // glyph forms and fallback: zh-Hans, zh-Hant, ja, en ...
};

// ISO 3334-style resolution chart: groups of five bars in both directions, one group per
// frequency (line pairs per mm on the document plane; on film: times the reduction).
struct ChartSpec {
  double top_mm = 0;
  std::vector<double> frequencies;  // document plane, lp/mm
  double group_height_mm = 10;
  // Patterns finer than this share of the recorder's Nyquist limit are left out: the pitch
  // cannot write them: the chart must resolve >= 80 %
  // (docs/micrographics.md#resolution-and-the-quality-index).
  double nyquist_share = 0.8;
};

struct WedgeSpec {
  double top_mm = 0;
  std::uint32_t steps = 11;  // code values 0 .. 255 in equal steps
  double height_mm = 12;
};

struct PatchSpec {
  double top_mm = 0;
  double size_mm = 30;
  std::vector<int> codes{255, 128, 0};  // device code values
};

struct ScaleSpec {
  double top_mm = 0;
  double length_mm = 100;  // on the document plane, ticks every millimetre
};

// The data target's drawing of a data frame: an example symbol of the reel's format
// (its module size enlarged), `width_mm` wide on the document plane.
struct SymbolSpec {
  bool on = false;
  double top_mm = 0;
  double width_mm = 120;
};

struct TargetTemplate {
  std::filesystem::path file;
  double border_mm = 0;
  // Set: text blocks and the symbol flow down, each at least this gap below the rendered
  // text above it (the drawing shrinks to the room left); unset: every block at its top_mm.
  std::optional<double> flow_gap_mm;
  std::vector<TargetText> texts;
  // Technical target only.
  // toc-target.toml: how many entries a TOC target frame lists (`entries_per_frame`, 1-200);
  // 0: not given (kTocEntriesPerFrame).
  std::uint32_t entries_per_frame = 0;
  bool technical = false;
  ChartSpec chart;
  WedgeSpec wedge;
  PatchSpec patches;
  ScaleSpec scale;
  SymbolSpec symbol;
};

// The template file for a frame kind: profiles/targets/<set>/<kind>.toml ("start-target.toml").
std::filesystem::path template_file(const std::filesystem::path& profiles_dir,
                                    const std::string& set, FrameKind kind);
// Throws Error(job) naming the file, line and key.
TargetTemplate load_template(const std::filesystem::path& file);

// The entries the TOC target frames and reel contents frames of `job` list: its target set's
// toc-target.toml and reel-contents.toml `entries_per_frame`, else kTocEntriesPerFrame and
// kReelContentsEntriesPerFrame. Throws Error(job) for a template it cannot read.
TargetEntries target_entries(const Job& job, const std::filesystem::path& profiles_dir);

// A TOC target frame's entries laid out in its template's {toc} block as they will be drawn:
// Error(job) naming the template, the frame and by how much when they do not fit on the target
// (lines past its foot, columns past its edge). Other frames: nothing to check.
void check_toc_fits(const Job& job, const Plan& plan, const PlannedFrame& frame);

// A source file as film names it: relative to the job's folder (Job::sources_root, else
// base_dir), "scans/p3.jpg", or "../elsewhere/p3.jpg" outside it; never the absolute path of
// the operator's machine.
std::string film_path(const Job& job, const std::string& file);
// A substitute's reason as film shows it: the frame's source file and every path under the
// job's folder written as film_path writes them.
std::string film_reason(const Job& job, const PlannedFrame& frame, const std::string& reason);

// Placeholder values for a target frame: reel, reel_count, job_id, job_title, institution,
// date, reduction, format, document_id, document_title, metadata (one "key: value" line
// each), continued_to, continued_from, frames (first-last address on the reel or fiche),
// fiche; reel_frames (the reel's frame count), operator and recorder (the driver);
// reel_contents (a reel contents frame's documents, two lines each) and reel_contents_part;
// announced_reduction, document_reduction and section_map (before a page's sections,
// their numbers in their places, a line per row); toc (a TOC target frame's entries, one line
// each) and toc_part ("(1/2)" when the table takes several frames); blip_levels (the blip
// marks' meaning, in a job with a table of contents, else ""); for a substitute page, source
// and reason (paths as film_path writes them); with data frames data_version, data_module_um,
// data_module_px, data_modules, data_bits, data_levels, data_inner, data_outer, data_payload,
// data_frames (on the reel), data_codewords, data_slots, data_header_rows, data_row0 (first
// data row), data_blocks (blocks_x x blocks_y), data_block (modules per byte),
// data_group_data, data_group_parity.
std::map<std::string, std::string> target_fields(const Job& job, const Plan& plan,
                                                 const PlannedFrame& frame);
// Replaces {name} with fields[name]; an unknown name is an Error(job) naming `context`.
std::string fill_placeholders(const std::string& text,
                              const std::map<std::string, std::string>& fields,
                              const std::string& context);

// Where the technical target draws one chart group, in frame pixels, and what it should be.
struct ChartGroup {
  double document_lp_per_mm = 0;  // the label
  double film_lp_per_mm = 0;      // label x reduction: what the film must show
  std::uint32_t x = 0, y = 0;     // vertical bars (frequency along x) ...
  std::uint32_t width = 0, height = 0;
  std::uint32_t horizontal_x = 0, horizontal_y = 0;  // ... and horizontal bars beside them
};
struct ChartLayout {
  std::vector<ChartGroup> groups;
  std::vector<double> left_out;  // frequencies the recorder's pitch cannot write
  std::uint32_t wedge_x = 0, wedge_y = 0, wedge_step_width = 0, wedge_height = 0;
  std::vector<int> wedge_codes;
  std::uint32_t patches_y = 0, patch_size = 0;
  std::vector<std::uint32_t> patch_x;
  std::vector<int> patch_codes;
  std::uint32_t scale_x = 0, scale_y = 0;
  double scale_px_per_mm = 0;  // document millimetre in frame pixels
};
ChartLayout technical_layout(const TargetTemplate& target, const PlannedFrame& frame,
                             double pitch_um);

// The template a frame is drawn from: profiles/targets/<set>/<kind>.toml, or for a substitute
// <set>/<frame.target>.toml (set "standard" when the job films no targets).
std::filesystem::path frame_template_file(const Job& job, const Plan& plan,
                                          const PlannedFrame& frame);

// A template's text block with its placeholders filled for one frame, and where it came from
// ("profiles/targets/standard/title-target.toml text[2]") for error messages.
struct FilledText {
  TargetText block;
  std::string text;
  std::string context;
};
// Every text a target or substitute frame shows. `reason` fills {reason} of a substitute
// (default: the planned reason). Throws Error(job) for an unknown placeholder or a missing
// substitution template.
std::vector<FilledText> target_texts(const Job& job, const Plan& plan, const PlannedFrame& frame,
                                     const std::string& reason);
inline std::vector<FilledText> target_texts(const Job& job, const Plan& plan,
                                            const PlannedFrame& frame) {
  return target_texts(job, plan, frame, frame.reason);
}

// The plane a target frame is drawn on, in millimetres (A4, or a fiche header's strip), and its
// scale: the frame's pixels per millimetre, and the reduction and pitch its text is sized for (a
// substitute's A4 target is scaled to the page it stands for).
struct TargetPlane {
  double width_mm = kTargetWidthMm;
  double height_mm = kTargetHeightMm;
  double px_per_mm = 1;
  double reduction = 1;
  double pitch_um = 1;
};
TargetPlane target_plane(const Plan& plan, const PlannedFrame& frame);

// A text block of a target as it will be drawn, in millimetres on its plane: where it starts
// (with the template's flow_gap_mm, at least that far below the text drawn above it in its
// columns), the height its lines take, and the box their ink fills (empty for no text).
struct PlacedText {
  FilledText filled;
  double left_mm = 0, width_mm = 0;  // the block's columns
  double top_mm = 0;
  double bottom_mm = 0;  // top_mm + the height of its lines: where flowing text below starts
  double ink_left_mm = 0, ink_top_mm = 0, ink_right_mm = 0, ink_bottom_mm = 0;
};
std::vector<PlacedText> place_target_texts(const TargetTemplate& target,
                                           std::vector<FilledText> texts, const TargetPlane& plane,
                                           const TextEngine& engine);
// Where something in columns [left_mm, right_mm) that would start at `top_mm` starts: with
// flow_gap_mm, below every horizontal block of `placed` it shares columns with.
double flowed_top_mm(const TargetTemplate& target, const std::vector<PlacedText>& placed,
                     double left_mm, double right_mm, double top_mm);

// Every text of a target or substitute frame laid out as it will be drawn: Error(job) naming the
// template's block, the frame and its document when one would be drawn past the target's border
// or edges, or over another block (a long title running into the metadata below it). Film
// cannot show text drawn off the frame, and text drawn over text cannot be read.
void check_target_fits(const Job& job, const Plan& plan, const PlannedFrame& frame);

// The plan's font set (Plan::text), or the default set when the plan has none.
const TextEngine& plan_text(const Plan& plan);
// `text` with every character no font of `engine` can draw written as <U+XXXX>: for text
// that only exists once a frame renders (a decoder's message), which cannot be checked
// before filming and must not stop a reel half-way.
std::string drawable_text(const TextEngine& engine, const std::string& text,
                          const std::string& language);

}  // namespace fw
