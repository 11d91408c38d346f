// What targets say: the placeholder fields of a target frame ({reel}, {job_title}, {toc} ...),
// the template's texts filled with them, and paths and reasons as film shows them.
#include <glib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "base/utc.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "film/target_layout.hpp"
#include "film/target_template.hpp"
#include "text/text.hpp"

namespace fw {
namespace {

std::string reduction_text(double reduction) {
  return fmt::format("{:g}x", reduction);
}

std::string source_text(const Job& job, const PlannedFrame& frame) {
  return frame.source.ref.file.empty()
             ? std::string("(no source file)")
             : fmt::format("{} (page {})", film_path(job, frame.source.ref.file),
                           frame.source.ref.page_in_file + 1);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
}

std::filesystem::path sources_root(const Job& job) {
  return job.sources_root.empty() ? job.base_dir : job.sources_root;
}

// The entries a TOC target frame lists, one line each: indented by level, the title, the page
// and where the page is, "frame 12" on this reel or "→ R0002 frame 5" on another one (a
// document split across reels lists every entry on each of its reels).
std::string toc_lines(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::toc_target) return "";
  const Document& document = job.documents.at(frame.document);
  std::string lines;
  for (std::uint32_t e = frame.toc_first; e < frame.toc_first + frame.toc_count; ++e) {
    const TocEntry& entry = document.toc.at(e);
    std::string indent;
    for (int level = 1; level < entry.level; ++level) indent += "\u3000\u3000";
    std::string where;
    if (frame.document < plan.toc.size() && e < plan.toc[frame.document].size()) {
      const TocPlace& place = plan.toc[frame.document][e];
      if (place.reel == frame.reel) {
        where = fmt::format("{}  frame {}", place.address, place.frame);
      } else if (place.reel != 0) {
        where = fmt::format("{}  \u2192 {} frame {}", place.address, reel_id({}, place.reel),
                            place.frame);
      }
    }
    lines += fmt::format("{}{}{}\u3000p.{}\u3000{}", lines.empty() ? "" : "\n", indent, entry.title,
                         entry.page, where);
  }
  return lines;
}

// "(1/2)" on the frames of a list of `entries` that takes more than one frame, `per_frame` a
// frame, the frame's first entry being `first`.
std::string part_of_list(std::size_t first, std::size_t entries, std::uint32_t per_frame) {
  const std::size_t per = std::max<std::uint32_t>(1, per_frame);
  const std::size_t parts = (entries + per - 1) / per;
  if (parts < 2) return "";
  return fmt::format("({}/{})", first / per + 1, parts);
}

// "(1/2)" on the frames of a table of contents that takes more than one frame.
std::string toc_part(const Plan& plan, const Document& document, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::toc_target) return "";
  return part_of_list(frame.toc_first, document.toc.size(), plan.toc_entries_per_frame);
}

// A title cut to `most` characters ("…" for the rest): a contents line points to the
// document, whose title target gives the whole title.
std::string short_title(const std::string& title, std::size_t most) {
  if (first_characters(title, most).size() == title.size()) return title;
  return std::string(first_characters(title, most - 1)) + "…";
}

// A reel contents frame's lines, two a document of the reel in filming order from the frame's
// first entry: its id and title; then its frames on this reel, its first and last page, how
// many pages (and data frames), and the reel it came from or goes on to.
std::string reel_contents_lines(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::reel_contents) return "";
  const std::vector<ReelDocument>& entries = plan.reels.at(frame.reel - 1).documents;
  std::string lines;
  const std::size_t end = std::min<std::size_t>(entries.size(), frame.toc_first + frame.toc_count);
  for (std::size_t e = frame.toc_first; e < end; ++e) {
    const ReelDocument& entry = entries[e];
    const Document& document = job.documents.at(entry.document);
    std::string line =
        fmt::format("{}\u3000{}\n\u3000\u3000frames {}\u2013{}", document.id,
                    short_title(document.title, 24), entry.first_frame, entry.last_frame);
    if (!entry.first_page.empty()) {
      line += fmt::format("\u3000{} \u2013 {}\u3000{} p.", entry.first_page, entry.last_page,
                          entry.pages);
    }
    if (entry.data_frames > 0) line += fmt::format("\u3000{} data frames", entry.data_frames);
    if (entry.from_reel != 0) line += fmt::format("\u3000\u2190 {}", reel_id({}, entry.from_reel));
    if (entry.to_reel != 0) line += fmt::format("\u3000\u2192 {}", reel_id({}, entry.to_reel));
    lines += (lines.empty() ? "" : "\n") + line;
  }
  return lines;
}

// "(1/2)" on the frames of a reel contents list that takes more than one frame.
std::string reel_contents_part(const Plan& plan, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::reel_contents) return "";
  return part_of_list(frame.toc_first, plan.reels.at(frame.reel - 1).documents.size(),
                      plan.reel_contents_entries_per_frame);
}

// The target before a page's sections (oversize = "split"): where each section lies on the page,
// its number in its place, a line per row ("S1   S2\nS3   S4").
std::string section_map(const PlannedFrame& frame) {
  if (frame.kind != FrameKind::reduction_change || frame.sections == 0 ||
      frame.section_columns == 0) {
    return {};
  }
  std::string map;
  for (std::uint32_t k = 1; k <= frame.sections; ++k) {
    map += fmt::format("S{}", k);
    if (k < frame.sections) map += k % frame.section_columns == 0 ? "\n" : "   ";
  }
  return map;
}

}  // namespace

using target_detail::cached_template;

std::string film_path(const Job& job, const std::string& file) {
  const std::filesystem::path path(file);
  const std::filesystem::path root = sources_root(job);
  if (root.empty() || !path.is_absolute()) return file;
  const std::filesystem::path relative = path.lexically_relative(root);
  return relative.empty() ? path.filename().string() : relative.generic_string();
}

std::string film_reason(const Job& job, const PlannedFrame& frame, const std::string& reason) {
  std::string text = reason;
  // The page's own file first (it may lie outside the root: "../other/p3.jpg"), then any
  // other path under the root (a folder that is missing, a file named in the message).
  const std::string& file = frame.source.ref.file;
  if (!file.empty()) replace_all(text, file, film_path(job, file));
  const std::filesystem::path root = sources_root(job);
  if (!root.empty() && root.is_absolute()) {
    std::string prefix = root.string();
    if (!prefix.ends_with('/')) prefix += '/';
    if (prefix != "/") replace_all(text, prefix, "");
  }
  return text;
}

std::map<std::string, std::string> target_fields(const Job& job, const Plan& plan,
                                                 const PlannedFrame& frame) {
  const Document& document = job.documents.at(frame.document);
  const PlannedReel& reel = plan.reels.at(frame.reel - 1);
  std::string metadata;
  for (const auto& [key, value] : document.metadata) {
    metadata += (metadata.empty() ? "" : "\n") + key + ": " + value;
  }
  const std::string other_reel =
      frame.other_reel == 0 ? std::string() : reel_id({}, frame.other_reel);
  std::map<std::string, std::string> data;
  if (plan.data_layout) {
    const data::Layout& l = *plan.data_layout;
    data = {
        {"data_version", std::to_string(data::kFormatVersion)},
        {"data_module_um", fmt::format("{:g}", l.module_um())},
        {"data_module_px", std::to_string(l.geometry.module_px)},
        {"data_modules", fmt::format("{} x {}", l.modules_x, l.modules_y)},
        {"data_bits", std::to_string(l.code.bits_per_module)},
        {"data_levels", std::to_string(1 << l.code.bits_per_module)},
        {"data_inner", fmt::format("RS({}, {})", l.code.inner_n, l.code.inner_k)},
        {"data_outer",
         fmt::format("{} data + {} parity frames", l.code.group_data, l.code.group_parity)},
        {"data_payload", std::to_string(l.payload_bytes)},
        {"data_codewords", std::to_string(l.codewords)},
        {"data_slots", std::to_string(l.slots)},
        {"data_header_rows", std::to_string(l.header_rows)},
        {"data_row0", std::to_string(l.data_row0)},
        {"data_blocks", fmt::format("{} x {}", l.blocks_x, l.blocks_y)},
        {"data_block", fmt::format("{} x {}", l.block_w, l.block_h)},
        {"data_group_data", std::to_string(l.code.group_data)},
        {"data_group_parity", std::to_string(l.code.group_parity)},
        {"data_frames", std::to_string(reel.data_frames)},
    };
  }
  std::map<std::string, std::string> fields = {
      {"reel", reel.id},
      {"reel_number", std::to_string(reel.number)},
      {"reel_count", std::to_string(plan.reels.size())},
      {"job_id", job.id},
      {"job_title", job.title},
      {"institution", job.institution},
      {"site", job.site},
      {"site_label", job.site.empty() ? std::string() : "SITE " + job.site},
      {"site_reel",
       job.site.empty() ? std::string() : fmt::format("SITE {}   REEL {}", job.site, reel.id)},
      {"reel_label", reel.label},
      {"reel_frames", std::to_string(reel.frame_count)},
      {"operator", job.operator_name},
      {"recorder", job.driver},
      {"date", plan.filming_date.empty() ? today_utc_date() : plan.filming_date},
      {"reduction", reduction_text(frame.reduction)},
      {"announced_reduction",
       frame.announced_reduction > 0 ? reduction_text(frame.announced_reduction) : ""},
      {"document_reduction", reduction_text(settings_for(job, document).reduction)},
      {"section_map", section_map(frame)},
      {"format", plan.format.name},
      {"pitch_um", fmt::format("{:g}", plan.pitch_um)},
      {"document_id", document.id},
      {"document_title", document.title},
      {"metadata", metadata},
      {"continued_to", frame.kind == FrameKind::continued_to ? other_reel : ""},
      {"continued_from", frame.kind == FrameKind::continued_from ? other_reel : ""},
      {"frames",
       reel.first_address.empty() ? std::string() : reel.first_address + " – " + reel.last_address},
      {"pages", std::to_string(reel.pages)},
      {"fiche", reel.id},
      {"continued", reel.continues_from_previous ? "(continued)" : ""},
      {"continues", reel.continues_on_next ? "(continues)" : ""},
      {"page", frame.kind == FrameKind::substitute ? std::to_string(frame.page) : ""},
      {"source", frame.kind == FrameKind::substitute ? source_text(job, frame) : ""},
      {"reason", frame.kind == FrameKind::substitute ? film_reason(job, frame, frame.reason) : ""},
      {"note", frame.note},
      {"toc", toc_lines(job, plan, frame)},
      {"toc_part", toc_part(plan, document, frame)},
      {"reel_contents", reel_contents_lines(job, plan, frame)},
      {"reel_contents_part", reel_contents_part(plan, frame)},
      {"blip_levels", has_toc(job) && plan.format.blips.track_mm > 0
                          ? fmt::format("Blips {:g} mm: document start   {:g} mm: TOC entry "
                                        "(chapter)   {:g} mm: page   — 大: 文献  中: 章节  小: 页",
                                        plan.format.blips.batch_mm, plan.format.blips.document_mm,
                                        plan.format.blips.page_mm)
                          : std::string()},
  };
  fields.insert(data.begin(), data.end());
  return fields;
}

std::string fill_placeholders(const std::string& text,
                              const std::map<std::string, std::string>& fields,
                              const std::string& context) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find('{', at);
    if (open == std::string::npos) break;
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    out += text.substr(at, open - at);
    const std::string name = text.substr(open + 1, close - open - 1);
    const auto field = fields.find(name);
    if (field == fields.end()) {
      std::vector<std::string> known;
      known.reserve(fields.size());
      for (const auto& [key, value] : fields) known.push_back(key);
      throw Error(ErrorKind::job, fmt::format("{}: unknown placeholder {{{}}}; known: {}", context,
                                              name, fmt::join(known, ", ")));
    }
    out += field->second;
    at = close + 1;
  }
  return out + text.substr(at);
}

std::string drawable_text(const TextEngine& engine, const std::string& text,
                          const std::string& language) {
  const std::vector<CharFont> report = engine.resolve(text, language);
  if (std::all_of(report.begin(), report.end(),
                  [](const CharFont& c) { return c.font >= 0 || c.code_point == '\n'; })) {
    return text;
  }
  std::string out;
  for (const CharFont& c : report) {
    if (c.font < 0 && c.code_point != '\n') {
      out += fmt::format("<U+{:04X}>", static_cast<std::uint32_t>(c.code_point));
      continue;
    }
    char bytes[6];
    out.append(bytes, static_cast<std::size_t>(g_unichar_to_utf8(c.code_point, bytes)));
  }
  return out;
}

const TextEngine& plan_text(const Plan& plan) {
  return plan.text ? *plan.text : *TextEngine::load_default();
}

std::vector<FilledText> target_texts(const Job& job, const Plan& plan, const PlannedFrame& frame,
                                     const std::string& reason) {
  const std::filesystem::path file = frame_template_file(job, plan, frame);
  if (frame.kind == FrameKind::substitute && !std::filesystem::is_regular_file(file)) {
    throw Error(ErrorKind::job,
                fmt::format("substitution target \"{}\" of document {}: no template {}",
                            frame.target, job.documents.at(frame.document).id, file.string()));
  }
  const auto target = cached_template(file);
  auto fields = target_fields(job, plan, frame);
  if (frame.kind == FrameKind::substitute) fields["reason"] = film_reason(job, frame, reason);
  std::vector<FilledText> out;
  for (std::size_t i = 0; i < target->texts.size(); ++i) {
    const std::string context = fmt::format("{} text[{}]", file.string(), i + 1);
    out.push_back(
        {target->texts[i], fill_placeholders(target->texts[i].text, fields, context), context});
  }
  return out;
}

}  // namespace fw
