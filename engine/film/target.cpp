#include "film/target.hpp"

#include <glib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "base/buffer_pool.hpp"
#include "base/utc.hpp"
#include "core/error.hpp"
#include "data/data_frames.hpp"
#include "text/text.hpp"

namespace fw {
namespace {

// ---------------------------------------------------------------------------------------
// Template files

class TemplateReader {
 public:
  TemplateReader(std::string file, const toml::table& table)
      : file_(std::move(file)), table_(table) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& key,
                         std::string_view expected) const {
    std::ostringstream got;
    if (node.is_string()) {
      got << nlohmann::json(node.as_string()->get()).dump();
    } else if (node.is_table()) {
      got << "a table";
    } else {
      got << toml::node_view<const toml::node>{&node};
    }
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}: expected {}, got {}", file_,
                                            node.source().begin.line, key, expected, got.str()));
  }

  [[noreturn]] void missing(const toml::table& table, const std::string& key,
                            std::string_view expected) const {
    throw Error(ErrorKind::job, fmt::format("{}:{}: {}: expected {}, got nothing", file_,
                                            table.source().begin.line, key, expected));
  }

  void only(const toml::table& table, const std::string& prefix,
            std::initializer_list<std::string_view> keys) const {
    for (auto&& [key, node] : table) {
      if (std::find(keys.begin(), keys.end(), key.str()) == keys.end()) {
        throw Error(ErrorKind::job, fmt::format("{}:{}: {}{}: unknown key", file_,
                                                key.source().begin.line, prefix, key.str()));
      }
    }
  }

  double number(const toml::table& table, const std::string& prefix, std::string_view key,
                std::optional<double> fallback, double lowest = 0) const {
    const std::string name = prefix + std::string(key);
    const std::string expected = fmt::format("a number >= {}", lowest);
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (fallback) return *fallback;
      missing(table, name, expected);
    }
    if (!node->is_number() || *node->value<double>() < lowest) fail(*node, name, expected);
    return *node->value<double>();
  }

  std::string text(const toml::table& table, const std::string& prefix, std::string_view key,
                   std::optional<std::string> fallback) const {
    const std::string name = prefix + std::string(key);
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (fallback) return *fallback;
      missing(table, name, "a string");
    }
    if (!node->is_string()) fail(*node, name, "a string");
    return node->as_string()->get();
  }

  const toml::table* table(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(*node, std::string(key), "a table");
    return node->as_table();
  }

  const std::string& file() const { return file_; }
  const toml::table& root() const { return table_; }

 private:
  std::string file_;
  const toml::table& table_;
};

// A template is read once per file version: a queue that films many jobs re-reads a template
// an institution edited, never a stale one.
std::shared_ptr<const TargetTemplate> cached_template(const std::filesystem::path& file) {
  static std::mutex mutex;
  static std::map<std::string, std::pair<std::string, std::shared_ptr<const TargetTemplate>>> cache;
  std::error_code error;
  const auto stamp = std::filesystem::last_write_time(file, error);
  const auto size = std::filesystem::file_size(file, error);
  const std::string version =
      error ? std::string() : fmt::format("{}:{}", stamp.time_since_epoch().count(), size);
  {
    const std::lock_guard lock(mutex);
    const auto found = cache.find(file.string());
    if (!version.empty() && found != cache.end() && found->second.first == version) {
      return found->second.second;
    }
  }
  auto loaded = std::make_shared<const TargetTemplate>(load_template(file));
  const std::lock_guard lock(mutex);
  cache[file.string()] = {version, loaded};
  return loaded;
}

std::string reduction_text(double reduction) {
  return fmt::format("{:g}x", reduction);
}

// ---------------------------------------------------------------------------------------
// Drawing on the document plane: luminance, 255 = white paper, 0 = black ink.

struct Canvas {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> pixels;

  // The canvas and the frame made from it come from the frame buffer pool
  // (hal/buffer_pool.hpp), like a page's: targets are rendered on whichever thread, and
  // frame-sized blocks freed to that thread's heap would stay there.
  Canvas(std::uint32_t w, std::uint32_t h)
      : width(w), height(h), pixels(frame_buffers().take(std::size_t(w) * h)) {
    pixels.assign(std::size_t(w) * h, 255);
  }
  ~Canvas() { frame_buffers().give(std::move(pixels)); }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  // The canvas at the page's place in an otherwise unexposed frame; `code` maps each canvas
  // value to the frame's code value.
  template <typename Code>
  FrameImage in_frame(const Placement& p, ImageMode mode, Code code) const {
    FrameImage out;
    out.width = p.frame_width_px;
    out.height = p.frame_height_px;
    out.channels = mode == ImageMode::colour ? 3 : 1;
    out.pixels = frame_buffers().take(std::size_t(out.width) * out.height * out.channels);
    out.pixels.assign(std::size_t(out.width) * out.height * out.channels, 0);
    for (std::uint32_t y = 0; y < height && p.page_y_px + y < out.height; ++y) {
      for (std::uint32_t x = 0; x < width && p.page_x_px + x < out.width; ++x) {
        const std::uint8_t value = code(pixels[std::size_t(y) * width + x]);
        const std::size_t at =
            (std::size_t(p.page_y_px + y) * out.width + p.page_x_px + x) * out.channels;
        for (std::uint32_t c = 0; c < out.channels; ++c) out.pixels[at + c] = value;
      }
    }
    return out;
  }

  // Darkens a rectangle given in fractional pixels by its exact area coverage, so that bars
  // keep their true positions and widths however the pitch divides them.
  void fill(double x0, double y0, double x1, double y1) {
    x0 = std::max(0.0, x0);
    y0 = std::max(0.0, y0);
    x1 = std::min<double>(width, x1);
    y1 = std::min<double>(height, y1);
    if (x1 <= x0 || y1 <= y0) return;
    for (auto y = static_cast<std::uint32_t>(y0); y < height && y < y1; ++y) {
      const double cover_y = std::min<double>(y + 1, y1) - std::max<double>(y, y0);
      for (auto x = static_cast<std::uint32_t>(x0); x < width && x < x1; ++x) {
        const double cover = cover_y * (std::min<double>(x + 1, x1) - std::max<double>(x, x0));
        std::uint8_t& pixel = pixels[std::size_t(y) * width + x];
        pixel = static_cast<std::uint8_t>(std::lround(pixel * (1 - cover)));
      }
    }
  }

  GreyImage image() { return {width, height, pixels.data(), width}; }
};

struct Scale {
  double px_per_mm = 1;  // document millimetre in canvas pixels
  double reduction = 1;
  double pitch_um = 1;
};

struct Vertical {
  bool on = false;
  double height_mm = 0;
  std::string language = "zh-Hans";
};

// Draws `text` and returns the height it took on the canvas, in pixels (0 for no text).
double draw_text(Canvas& canvas, const Scale& scale, const TextEngine& engine,
                 const std::string& text, double left_mm, double top_mm, double width_mm,
                 double size_mm, const std::string& align, bool bitonal, const std::string& context,
                 double shift_x_px = 0, double shift_y_px = 0, const Vertical& vertical = {}) {
  if (text.empty()) return 0;
  TextStyle style;
  style.size_px =
      size_for_cap_height_mm(size_mm, scale.reduction, scale.pitch_um, engine.cap_height_em());
  style.align = align == "start" ? Align::start : align == "end" ? Align::end : Align::centre;
  style.bitonal = bitonal;
  style.language = vertical.language;
  double x = left_mm * scale.px_per_mm;
  Box box{width_mm * scale.px_per_mm, 0};
  if (vertical.on) {
    // Columns run from the right edge of the block leftwards.
    style.mode = WritingMode::vertical;
    box = Box{0, vertical.height_mm * scale.px_per_mm};
  }
  const Layout layout = engine.layout(text, box, style, context);
  if (vertical.on) x += width_mm * scale.px_per_mm - layout.width;
  engine.draw(layout, canvas.image(), x - shift_x_px, top_mm * scale.px_per_mm - shift_y_px, 0);
  return std::max(layout.height, layout.ink.y + layout.ink.height);
}

// The smallest rectangle holding every pixel `after` differs from `before` in: where a drawing
// step put its ink. Empty (x0 == x1) when nothing changed.
DrawnBox changed_box(const std::vector<std::uint8_t>& before,
                     const std::vector<std::uint8_t>& after, std::uint32_t width,
                     std::string what) {
  DrawnBox box;
  box.what = std::move(what);
  std::uint32_t x0 = width, y0 = UINT32_MAX, x1 = 0, y1 = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    if (before[i] == after[i]) continue;
    const auto x = static_cast<std::uint32_t>(i % width), y = static_cast<std::uint32_t>(i / width);
    x0 = std::min(x0, x);
    x1 = std::max(x1, x + 1);
    y0 = std::min(y0, y);
    y1 = std::max(y1, y + 1);
  }
  if (x1 > 0) box = {box.what, x0, y0, x1, y1};
  return box;
}

Vertical vertical_of(const TargetText& block, double page_height_mm) {
  return {block.vertical,
          block.height_mm > 0 ? block.height_mm : std::max(1.0, page_height_mm - 20 - block.top_mm),
          block.language};
}

double page_width_mm(const PlannedFrame& frame, const Plan& plan) {
  return frame.kind == FrameKind::fiche_header ? plan.format.fiche.width_mm : kTargetWidthMm;
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

// "(1/2)" on the frames of a table of contents that takes more than one frame.
std::string toc_part(const Plan& plan, const Document& document, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::toc_target) return "";
  const std::size_t per_frame = std::max<std::uint32_t>(1, plan.toc_entries_per_frame);
  const auto parts = (document.toc.size() + per_frame - 1) / per_frame;
  if (parts < 2) return "";
  return fmt::format("({}/{})", frame.toc_first / per_frame + 1, parts);
}

}  // namespace

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

std::uint32_t toc_entries_per_frame(const Job& job, const std::filesystem::path& profiles_dir) {
  const std::filesystem::path profiles =
      profiles_dir.empty() ? default_profiles_dir() : profiles_dir;
  const std::string set = job.targets.empty() || job.targets == "none" ? "standard" : job.targets;
  const std::filesystem::path file = template_file(profiles, set, FrameKind::toc_target);
  if (!std::filesystem::exists(file)) return kTocEntriesPerFrame;
  const std::uint32_t entries = cached_template(file)->entries_per_frame;
  return entries > 0 ? entries : kTocEntriesPerFrame;
}

void check_toc_fits(const Job& job, const Plan& plan, const PlannedFrame& frame) {
  if (frame.kind != FrameKind::toc_target) return;
  const std::filesystem::path file = frame_template_file(job, plan, frame);
  const TargetTemplate& target = *cached_template(file);
  const TextEngine& engine = plan_text(plan);
  const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  const double reduction = frame.reduction > 0 ? frame.reduction : 1;
  const double px_per_mm = 1000.0 / (pitch_um * reduction);
  const Document& document = job.documents.at(frame.document);
  const auto fields = target_fields(job, plan, frame);
  for (std::size_t i = 0; i < target.texts.size(); ++i) {
    const TargetText& block = target.texts[i];
    if (block.text.find("{toc}") == std::string::npos) continue;
    const std::string text =
        fill_placeholders(block.text, fields, fmt::format("{} text[{}]", file.string(), i + 1));
    if (text.empty()) continue;
    TextStyle style;
    style.size_px =
        size_for_cap_height_mm(block.size_mm, reduction, pitch_um, engine.cap_height_em());
    style.align = block.align == "start" ? Align::start
                  : block.align == "end" ? Align::end
                                         : Align::centre;
    style.language = block.language;
    const double width_mm =
        block.width_mm > 0 ? block.width_mm : kTargetWidthMm - 2 * block.left_mm;
    const Vertical vertical = vertical_of(block, kTargetHeightMm);
    Box box{width_mm * px_per_mm, 0};
    if (vertical.on) {
      style.mode = WritingMode::vertical;
      box = Box{0, vertical.height_mm * px_per_mm};
    }
    const std::string context =
        fmt::format("TOC target {} of document {}", frame.address, document.id);
    const Layout layout = engine.layout(text, box, style, context);
    const double bottom_mm =
        block.top_mm + std::max(layout.height, layout.ink.y + layout.ink.height) / px_per_mm;
    const double left_mm =
        vertical.on ? block.left_mm + width_mm - layout.width / px_per_mm : block.left_mm;
    const double right_mm = vertical.on
                                ? block.left_mm + width_mm
                                : block.left_mm + std::max(layout.width, box.width) / px_per_mm;
    // The foot of the target, or the first block below this one in its columns (the footer):
    // the entries must end above it, not run into it.
    double limit_mm = kTargetHeightMm;
    std::string limit = fmt::format("the foot of the {:.0f} mm target", kTargetHeightMm);
    for (std::size_t j = 0; j < target.texts.size(); ++j) {
      const TargetText& other = target.texts[j];
      const double other_width_mm =
          other.width_mm > 0 ? other.width_mm : kTargetWidthMm - 2 * other.left_mm;
      const bool shares_columns = other.left_mm < block.left_mm + width_mm &&
                                  block.left_mm < other.left_mm + other_width_mm;
      if (j == i || other.top_mm <= block.top_mm || !shares_columns) continue;
      if (other.top_mm < limit_mm) {
        limit_mm = other.top_mm;
        limit = fmt::format("text[{}] below it, at {:.1f} mm", j + 1, other.top_mm);
      }
    }
    std::string off;
    if (bottom_mm > limit_mm) {
      off = fmt::format("its lines end {:.1f} mm from the top of the target, past {}", bottom_mm,
                        limit);
    } else if (vertical.on && left_mm < 0) {
      off = fmt::format("its columns reach {:.1f} mm past the target's left edge", -left_mm);
    } else if (right_mm > kTargetWidthMm) {
      off = fmt::format("its lines reach {:.1f} mm past the target's right edge",
                        right_mm - kTargetWidthMm);
    }
    if (off.empty()) continue;
    throw Error(
        ErrorKind::job,
        fmt::format("{}: text[{}] ({{toc}}): the TOC target {} of document {} lists entries "
                    "{}-{} and does not fit: {}; list fewer entries a frame (entries_per_frame "
                    "= {} in this template), set them smaller (size_mm) or give the block more "
                    "room",
                    file.string(), i + 1, frame.address, document.id, frame.toc_first + 1,
                    frame.toc_first + frame.toc_count, off, plan.toc_entries_per_frame));
  }
}

std::filesystem::path template_file(const std::filesystem::path& profiles_dir,
                                    const std::string& set, FrameKind kind) {
  return profiles_dir / "targets" / set / (std::string(to_string(kind)) + ".toml");
}

std::filesystem::path frame_template_file(const Job& job, const Plan& plan,
                                          const PlannedFrame& frame) {
  const std::filesystem::path profiles =
      plan.profiles_dir.empty() ? default_profiles_dir() : plan.profiles_dir;
  // `targets = "none"` plans no start, title, TOC or end targets; the frames it still films
  // come from the standard set: substitutes (they stand for pages), a reel's data targets (they
  // say how to decode it) and a fiche's header (the sheet's eye-legible title strip).
  const std::string set = job.targets == "none" ? std::string("standard") : job.targets;
  if (frame.kind != FrameKind::substitute) return template_file(profiles, set, frame.kind);
  const std::string name = frame.target.empty() ? job.substitute_target : frame.target;
  return profiles / "targets" / set / (name + ".toml");
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

TargetTemplate load_template(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    throw Error(ErrorKind::job, fmt::format("{}:{}: syntax error: {}", file.string(),
                                            error.source().begin.line, error.description()));
  }
  const TemplateReader reader(file.string(), root);
  reader.only(root, "",
              {"border_mm", "flow_gap_mm", "entries_per_frame", "text", "chart", "wedge", "patches",
               "scale", "symbol"});
  TargetTemplate target;
  target.file = file;
  target.border_mm = reader.number(root, "", "border_mm", 0.0);
  if (root.contains("flow_gap_mm"))
    target.flow_gap_mm = reader.number(root, "", "flow_gap_mm", 0.0);
  if (const toml::node* entries = root.get("entries_per_frame")) {
    constexpr std::int64_t kMostEntries = 200;
    const std::optional<std::int64_t> value = entries->value_exact<std::int64_t>();
    if (!value || *value < 1 || *value > kMostEntries) {
      reader.fail(*entries, "entries_per_frame", "a whole number from 1 to 200");
    }
    target.entries_per_frame = static_cast<std::uint32_t>(*value);
  }
  if (const toml::node* texts = root.get("text")) {
    const toml::array* array = texts->as_array();
    if (array == nullptr) reader.fail(*texts, "text", "an array of tables ([[text]])");
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string prefix = fmt::format("text[{}].", i + 1);
      const toml::table* table = (*array)[i].as_table();
      if (table == nullptr) reader.fail((*array)[i], prefix, "a table");
      reader.only(*table, prefix,
                  {"text", "top_mm", "size_mm", "align", "left_mm", "width_mm", "vertical",
                   "height_mm", "language"});
      TargetText text;
      text.text = reader.text(*table, prefix, "text", std::nullopt);
      text.top_mm = reader.number(*table, prefix, "top_mm", std::nullopt);
      text.size_mm = reader.number(*table, prefix, "size_mm", std::nullopt, 0.1);
      text.align = reader.text(*table, prefix, "align", std::string("centre"));
      if (text.align != "start" && text.align != "centre" && text.align != "end") {
        reader.fail(*table->get("align"), prefix + "align", R"("start", "centre" or "end")");
      }
      text.left_mm = reader.number(*table, prefix, "left_mm", 20.0);
      text.width_mm = reader.number(*table, prefix, "width_mm", 0.0);
      text.height_mm = reader.number(*table, prefix, "height_mm", 0.0);
      text.language = reader.text(*table, prefix, "language", std::string("zh-Hans"));
      if (const toml::node* vertical = table->get("vertical")) {
        if (!vertical->is_boolean()) reader.fail(*vertical, prefix + "vertical", "true or false");
        text.vertical = *vertical->value<bool>();
      }
      target.texts.push_back(std::move(text));
    }
  }
  if (const toml::table* chart = reader.table("chart")) {
    target.technical = true;
    reader.only(*chart, "chart.",
                {"top_mm", "frequencies_lp_per_mm", "group_height_mm", "nyquist_share"});
    target.chart.top_mm = reader.number(*chart, "chart.", "top_mm", std::nullopt);
    target.chart.group_height_mm = reader.number(*chart, "chart.", "group_height_mm", 6.0, 1);
    target.chart.nyquist_share = reader.number(*chart, "chart.", "nyquist_share", 0.8, 0.1);
    const toml::node* list = chart->get("frequencies_lp_per_mm");
    constexpr std::string_view expected = "an array of frequencies > 0 in lp/mm";
    if (list == nullptr) reader.missing(*chart, "chart.frequencies_lp_per_mm", expected);
    if (!list->is_array() || list->as_array()->empty()) {
      reader.fail(*list, "chart.frequencies_lp_per_mm", expected);
    }
    for (const toml::node& value : *list->as_array()) {
      if (!value.is_number() || !(*value.value<double>() > 0)) {
        reader.fail(value, "chart.frequencies_lp_per_mm", expected);
      }
      target.chart.frequencies.push_back(*value.value<double>());
    }
  }
  if (const toml::table* wedge = reader.table("wedge")) {
    reader.only(*wedge, "wedge.", {"top_mm", "steps", "height_mm"});
    target.wedge.top_mm = reader.number(*wedge, "wedge.", "top_mm", std::nullopt);
    target.wedge.steps =
        static_cast<std::uint32_t>(reader.number(*wedge, "wedge.", "steps", 11.0, 2));
    target.wedge.height_mm = reader.number(*wedge, "wedge.", "height_mm", 12.0, 1);
  }
  if (const toml::table* patches = reader.table("patches")) {
    reader.only(*patches, "patches.", {"top_mm", "size_mm"});
    target.patches.top_mm = reader.number(*patches, "patches.", "top_mm", std::nullopt);
    target.patches.size_mm = reader.number(*patches, "patches.", "size_mm", 30.0, 1);
  }
  if (const toml::table* scale = reader.table("scale")) {
    reader.only(*scale, "scale.", {"top_mm", "length_mm"});
    target.scale.top_mm = reader.number(*scale, "scale.", "top_mm", std::nullopt);
    target.scale.length_mm = reader.number(*scale, "scale.", "length_mm", 100.0, 10);
  }
  if (const toml::table* symbol = reader.table("symbol")) {
    reader.only(*symbol, "symbol.", {"top_mm", "width_mm"});
    target.symbol.on = true;
    target.symbol.top_mm = reader.number(*symbol, "symbol.", "top_mm", std::nullopt);
    target.symbol.width_mm = reader.number(*symbol, "symbol.", "width_mm", 120.0, 10);
  }
  if (target.technical &&
      (!reader.table("wedge") || !reader.table("patches") || !reader.table("scale"))) {
    throw Error(ErrorKind::job, fmt::format("{}: a technical target needs [chart], [wedge], "
                                            "[patches] and [scale] tables",
                                            file.string()));
  }
  return target;
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
      {"date", plan.filming_date.empty() ? today_utc_date() : plan.filming_date},
      {"reduction", reduction_text(frame.reduction)},
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
      for (const auto& [key, value] : fields) known.push_back(key);
      throw Error(ErrorKind::job, fmt::format("{}: unknown placeholder {{{}}}; known: {}", context,
                                              name, fmt::join(known, ", ")));
    }
    out += field->second;
    at = close + 1;
  }
  return out + text.substr(at);
}

ChartLayout technical_layout(const TargetTemplate& target, const PlannedFrame& frame,
                             double pitch_um) {
  const Placement& p = frame.placement;
  const double px_per_mm = 1000.0 / (pitch_um * frame.reduction);
  auto px = [&](double mm) { return mm * px_per_mm; };
  auto at = [](double value) { return static_cast<std::uint32_t>(std::floor(value)); };
  ChartLayout layout;
  layout.scale_px_per_mm = px_per_mm;

  // Groups in rows of eight cells of 20 mm, each: vertical bars, 1 mm, horizontal bars.
  constexpr double kLeftMm = 25, kCellMm = 20, kRowGapMm = 6;
  const double nyquist_film = 1000.0 / (2 * pitch_um);
  std::size_t placed = 0;
  for (double frequency : target.chart.frequencies) {
    const double film = frequency * frame.reduction;
    if (film > target.chart.nyquist_share * nyquist_film + 1e-9) {
      layout.left_out.push_back(frequency);
      continue;
    }
    const double row = static_cast<double>(placed / 8), column = static_cast<double>(placed % 8);
    const double left_mm = kLeftMm + column * kCellMm;
    const double top_mm = target.chart.top_mm + row * (target.chart.group_height_mm + kRowGapMm);
    const double bars_mm = 5.0 / frequency - 0.5 / frequency;  // five bars, four spaces
    ChartGroup group;
    group.document_lp_per_mm = frequency;
    group.film_lp_per_mm = film;
    group.x = p.page_x_px + at(px(left_mm));
    group.y = p.page_y_px + at(px(top_mm));
    group.width = at(px(bars_mm));
    group.height = at(px(target.chart.group_height_mm));
    group.horizontal_x = p.page_x_px + at(px(left_mm + bars_mm + 1));
    group.horizontal_y = group.y;
    layout.groups.push_back(group);
    ++placed;
  }

  const double wedge_width_mm = 160;
  layout.wedge_x = p.page_x_px + at(px(25));
  layout.wedge_y = p.page_y_px + at(px(target.wedge.top_mm));
  layout.wedge_step_width = at(px(wedge_width_mm / target.wedge.steps));
  layout.wedge_height = at(px(target.wedge.height_mm));
  for (std::uint32_t i = 0; i < target.wedge.steps; ++i) {
    layout.wedge_codes.push_back(
        static_cast<int>(std::lround(255.0 * i / (target.wedge.steps - 1))));
  }

  layout.patches_y = p.page_y_px + at(px(target.patches.top_mm));
  layout.patch_size = at(px(target.patches.size_mm));
  layout.patch_codes = target.patches.codes;
  const double gap_mm = (160 - target.patches.size_mm * layout.patch_codes.size()) /
                        std::max<double>(1, layout.patch_codes.size() - 1);
  for (std::size_t i = 0; i < layout.patch_codes.size(); ++i) {
    layout.patch_x.push_back(p.page_x_px +
                             at(px(25 + i * (target.patches.size_mm + std::max(0.0, gap_mm)))));
  }

  layout.scale_x = p.page_x_px + at(px(25));
  layout.scale_y = p.page_y_px + at(px(target.scale.top_mm));
  return layout;
}

FrameImage render_substitute_target(const Job& job, const Plan& plan, const PlannedFrame& frame,
                                    const std::string& reason, const RasterSettings& settings) {
  const Placement& p = frame.placement;
  const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  const double reduction = frame.reduction > 0 ? frame.reduction : 1;
  const TextEngine& engine = plan_text(plan);
  const std::string context = fmt::format("substitute target for document {} page {}",
                                          job.documents.at(frame.document).id, frame.page);
  // A reason found while rendering (a decoder's message) was not checked before filming:
  // characters no font has are written as <U+XXXX> rather than stopping the reel.
  const std::vector<FilledText> texts =
      target_texts(job, plan, frame, drawable_text(engine, reason, "zh-Hans"));
  const auto target = cached_template(frame_template_file(job, plan, frame));

  // The template's A4 plane, scaled to the page it stands for and centred on it.
  Canvas canvas(std::max(1u, p.page_width_px), std::max(1u, p.page_height_px));
  const double page_px_per_mm = 1000.0 / (pitch_um * reduction);
  const double fit = std::min(canvas.width / (kTargetWidthMm * page_px_per_mm),
                              canvas.height / (kTargetHeightMm * page_px_per_mm));
  Scale scale;
  scale.px_per_mm = page_px_per_mm * fit;
  scale.reduction = reduction / fit;
  scale.pitch_um = pitch_um;
  const double off_x = (canvas.width - kTargetWidthMm * scale.px_per_mm) / 2;
  const double off_y = (canvas.height - kTargetHeightMm * scale.px_per_mm) / 2;
  const bool bitonal = settings.mode == ImageMode::bitonal;
  if (target->border_mm > 0) {
    const double b = target->border_mm * scale.px_per_mm;
    const double x0 = off_x, y0 = off_y;
    const double x1 = off_x + kTargetWidthMm * scale.px_per_mm;
    const double y1 = off_y + kTargetHeightMm * scale.px_per_mm;
    canvas.fill(x0 + b, y0 + b, x1 - b, y0 + 2 * b);
    canvas.fill(x0 + b, y1 - 2 * b, x1 - b, y1 - b);
    canvas.fill(x0 + b, y0 + b, x0 + 2 * b, y1 - b);
    canvas.fill(x1 - 2 * b, y0 + b, x1 - b, y1 - b);
  }
  for (const FilledText& filled : texts) {
    const TargetText& block = filled.block;
    const double width_mm =
        block.width_mm > 0 ? block.width_mm : kTargetWidthMm - 2 * block.left_mm;
    draw_text(canvas, scale, engine, filled.text, block.left_mm, block.top_mm, width_mm,
              block.size_mm, block.align, bitonal, context + ", " + filled.context, -off_x, -off_y,
              vertical_of(block, kTargetHeightMm));
  }

  return canvas.in_frame(p, settings.mode, [&](std::uint8_t value) {
    if (bitonal) value = value > settings.threshold ? 255 : 0;
    if (settings.polarity == Polarity::positive) value = static_cast<std::uint8_t>(255 - value);
    return value;
  });
}

FrameImage render_target(const Job& job, const Plan& plan, const PlannedFrame& frame,
                         const RasterSettings& settings, std::vector<DrawnBox>* drawn) {
  const Placement& p = frame.placement;
  const double pitch_um = frame.pixel_pitch_um > 0 ? frame.pixel_pitch_um : plan.pitch_um;
  const std::filesystem::path file = frame_template_file(job, plan, frame);
  const TargetTemplate& target = *cached_template(file);
  const TextEngine* engine = &plan_text(plan);

  Scale scale;
  scale.reduction = frame.reduction;
  scale.pitch_um = pitch_um;
  scale.px_per_mm = 1000.0 / (pitch_um * frame.reduction);
  const double page_mm = page_width_mm(frame, plan);
  const bool bitonal = settings.mode == ImageMode::bitonal;
  Canvas canvas(p.page_width_px, p.page_height_px);
  const double mm = scale.px_per_mm;
  // A fiche header tile shows its part of the strip: the strip's text shifted by the tile.
  const double tile_x_px =
      frame.kind == FrameKind::fiche_header ? (frame.grid_column - 1.0) * p.frame_width_px : 0.0;

  if (target.border_mm > 0) {
    const double b = target.border_mm * mm, w = canvas.width, h = canvas.height;
    canvas.fill(b, b, w - b, 2 * b);
    canvas.fill(b, h - 2 * b, w - b, h - b);
    canvas.fill(b, b, 2 * b, h - b);
    canvas.fill(w - 2 * b, b, w - b, h - b);
  }
  // With `flow_gap_mm`, a block starts no higher than that gap below every earlier block it
  // shares columns with: its top_mm is the least top, the text's rendered height decides the
  // rest (a long paragraph pushes the next one down instead of running into it).
  struct Extent {
    double left_mm, right_mm, bottom_mm;
  };
  std::vector<Extent> above;
  const auto lowest_top_mm = [&](double left_mm, double right_mm, double top_mm) {
    if (!target.flow_gap_mm) return top_mm;
    for (const Extent& e : above) {
      if (left_mm < e.right_mm && e.left_mm < right_mm) {
        top_mm = std::max(top_mm, e.bottom_mm + *target.flow_gap_mm);
      }
    }
    return top_mm;
  };
  std::vector<std::uint8_t> before;
  const auto keep_box = [&](const std::string& what) {
    if (drawn == nullptr) return;
    DrawnBox box = changed_box(before, canvas.pixels, canvas.width, what);
    if (box.x1 > box.x0) {
      box.x0 += p.page_x_px;
      box.x1 += p.page_x_px;
      box.y0 += p.page_y_px;
      box.y1 += p.page_y_px;
    }
    drawn->push_back(box);
  };
  for (const FilledText& filled : target_texts(job, plan, frame)) {
    const TargetText& block = filled.block;
    const double width_mm = block.width_mm > 0 ? block.width_mm : page_mm - 2 * block.left_mm;
    const double top_mm =
        block.vertical ? block.top_mm
                       : lowest_top_mm(block.left_mm, block.left_mm + width_mm, block.top_mm);
    if (drawn != nullptr) before = canvas.pixels;
    const double height_px = draw_text(
        canvas, scale, *engine, filled.text, block.left_mm, top_mm, width_mm, block.size_mm,
        block.align, bitonal, filled.context, tile_x_px, 0,
        vertical_of(block, frame.kind == FrameKind::fiche_header
                               ? plan.format.fiche.cell_height_mm * plan.format.fiche.header_rows
                               : kTargetHeightMm));
    keep_box(filled.context);
    if (!block.vertical)
      above.push_back({block.left_mm, block.left_mm + width_mm, top_mm + height_px / mm});
  }

  ChartLayout chart;
  if (target.technical) {
    chart = technical_layout(target, frame, pitch_um);
    const double group_h = target.chart.group_height_mm;
    for (const ChartGroup& group : chart.groups) {
      const double period = mm / group.document_lp_per_mm;  // canvas px per line pair
      const double x0 = std::floor((group.x - p.page_x_px));
      const double y0 = group.y - p.page_y_px;
      for (int bar = 0; bar < 5; ++bar) {
        canvas.fill(x0 + bar * period, y0, x0 + bar * period + period / 2, y0 + group_h * mm);
      }
      const double hx = group.horizontal_x - p.page_x_px;
      for (int bar = 0; bar < 5; ++bar) {
        canvas.fill(hx, y0 + bar * period, hx + group_h * mm, y0 + bar * period + period / 2);
      }
      draw_text(canvas, scale, *engine, fmt::format("{:g}", group.document_lp_per_mm),
                (group.x - p.page_x_px) / mm - 2, y0 / mm + group_h + 1, 18, 2.5, "start", bitonal,
                file.string() + " chart label");
    }
    // Millimetre scale: a base line with a tick per millimetre, longer every 5 and 10 mm.
    const double sx = chart.scale_x - p.page_x_px, sy = chart.scale_y - p.page_y_px;
    const double length = target.scale.length_mm;
    canvas.fill(sx, sy + 5 * mm, sx + length * mm + 0.2 * mm, sy + 5.3 * mm);
    for (int tick = 0; tick <= static_cast<int>(length); ++tick) {
      const double tall = tick % 10 == 0 ? 5 : tick % 5 == 0 ? 3.5 : 2;
      canvas.fill(sx + tick * mm, sy + (5 - tall) * mm, sx + (tick + 0.2) * mm, sy + 5 * mm);
      if (tick % 10 == 0) {
        draw_text(canvas, scale, *engine, std::to_string(tick), sx / mm + tick - 5, sy / mm + 6.5,
                  10, 2.5, "centre", bitonal, file.string() + " scale label");
      }
    }
  }

  // Document luminance -> device code values, as a page: threshold, then polarity.
  std::vector<std::uint8_t>& doc = canvas.pixels;
  for (std::uint8_t& value : doc) {
    if (bitonal) value = value > settings.threshold ? 255 : 0;
    if (settings.polarity == Polarity::positive) value = static_cast<std::uint8_t>(255 - value);
  }
  // The wedge and the density patches are device code values whatever the mode and polarity:
  // they are the reference the densitometer and the calibration read.
  auto paint = [&](std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h, int code) {
    for (std::uint32_t row = y; row < y + h && row < canvas.height; ++row) {
      for (std::uint32_t column = x; column < x + w && column < canvas.width; ++column) {
        doc[std::size_t(row) * canvas.width + column] = static_cast<std::uint8_t>(code);
      }
    }
  };
  if (target.technical) {
    // A 0.5 mm ink frame around the wedge and each patch, so that the step or patch that
    // matches the paper is still found.
    const auto outline = [&](std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h) {
      const auto line = static_cast<std::uint32_t>(std::lround(0.5 * mm));
      const std::uint8_t ink = settings.polarity == Polarity::positive ? 255 : 0;
      const std::uint32_t left = x >= line ? x - line : 0, top = y >= line ? y - line : 0;
      for (std::uint32_t row = top; row < y + h + line && row < canvas.height; ++row) {
        for (std::uint32_t column = left; column < x + w + line && column < canvas.width;
             ++column) {
          doc[std::size_t(row) * canvas.width + column] = ink;
        }
      }
    };
    outline(chart.wedge_x - p.page_x_px, chart.wedge_y - p.page_y_px,
            chart.wedge_step_width * static_cast<std::uint32_t>(chart.wedge_codes.size()),
            chart.wedge_height);
    for (std::size_t i = 0; i < chart.patch_codes.size(); ++i) {
      outline(chart.patch_x[i] - p.page_x_px, chart.patches_y - p.page_y_px, chart.patch_size,
              chart.patch_size);
    }
    for (std::size_t i = 0; i < chart.wedge_codes.size(); ++i) {
      paint(chart.wedge_x - p.page_x_px + static_cast<std::uint32_t>(i) * chart.wedge_step_width,
            chart.wedge_y - p.page_y_px, chart.wedge_step_width, chart.wedge_height,
            chart.wedge_codes[i]);
    }
    for (std::size_t i = 0; i < chart.patch_codes.size(); ++i) {
      paint(chart.patch_x[i] - p.page_x_px, chart.patches_y - p.page_y_px, chart.patch_size,
            chart.patch_size, chart.patch_codes[i]);
    }
  }

  if (target.symbol.on && plan.data_layout) {
    // An example data frame of the reel's code, each module a square of the drawing: the
    // smallest symbol that holds a header, with a few bytes of text.
    data::FrameGeometry geometry;
    geometry.pitch_um = pitch_um;
    geometry.module_px = 1;
    std::optional<data::Layout> example;
    for (std::uint32_t w = 96; !example && w <= 512; w += 16) {
      geometry.width_px = w;
      geometry.height_px = w * 2 / 3;
      try {
        example = data::Layout::make(geometry, plan.data_layout->code);
      } catch (const Error&) {
      }
    }
    if (example) {
      const std::string text = "filmwriter data frame example";
      const data::FileEncoder encoder(*example, {"EXAMPLE", "R0000", "EXAMPLE", 1, "example.txt"},
                                      std::vector<std::uint8_t>(text.begin(), text.end()));
      const data::FramePixels symbol = encoder.frame(0);
      // Below the text (with flow_gap_mm), and made smaller when the text leaves less room
      // than width_mm needs above the page's bottom border.
      const double top_mm = lowest_top_mm(0, page_mm, target.symbol.top_mm);
      const double room_mm = kTargetHeightMm - 2 * std::max(target.border_mm, 5.0) - top_mm;
      const double width_mm =
          std::min(target.symbol.width_mm, room_mm * symbol.width / std::max(1u, symbol.height));
      const double module = width_mm * mm / symbol.width;
      const double x0 = (page_mm - width_mm) / 2 * mm;
      const double y0 = top_mm * mm;
      for (std::uint32_t y = 0; y < symbol.height; ++y) {
        for (std::uint32_t x = 0; x < symbol.width; ++x) {
          const auto left = static_cast<std::uint32_t>(std::lround(x0 + x * module));
          const auto top = static_cast<std::uint32_t>(std::lround(y0 + y * module));
          const auto right = static_cast<std::uint32_t>(std::lround(x0 + (x + 1) * module));
          const auto bottom = static_cast<std::uint32_t>(std::lround(y0 + (y + 1) * module));
          paint(left, top, right - left, bottom - top,
                symbol.pixels[std::size_t{y} * symbol.width + x]);
        }
      }
      // The symbol's own clear modules leave the paper as it was: its box is the drawing's.
      if (drawn != nullptr) {
        const auto left = static_cast<std::uint32_t>(std::lround(x0));
        const auto top = static_cast<std::uint32_t>(std::lround(y0));
        drawn->push_back({"symbol", p.page_x_px + left, p.page_y_px + top,
                          p.page_x_px + static_cast<std::uint32_t>(std::lround(x0 + width_mm * mm)),
                          p.page_y_px + static_cast<std::uint32_t>(std::lround(
                                            y0 + width_mm * mm * symbol.height / symbol.width))});
      }
    }
  }

  return canvas.in_frame(p, settings.mode, [](std::uint8_t code) { return code; });
}

}  // namespace fw
