#include "film/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "base/toml_reader.hpp"
#include "core/error.hpp"
#include "film/format_toml.hpp"

namespace fw {
namespace {

constexpr std::string_view kCommonKeys[] = {
    "description", "layout", "margin_mm", "min_reduction", "max_reduction", "allowed_reductions",
};
constexpr std::string_view kRollKeys[] = {
    "film_width_mm",  "image_area_across_mm", "frame_length_mm",
    "frame_gap_mm",   "orientation",          "leader_m",
    "trailer_m",      "reel_length_m",        "reel_lengths_m",
    "blip_track_mm",  "blip_width_mm",        "blip_lengths_mm",
    "blip_offset_mm", "address_height_mm",
};
constexpr std::string_view kFicheKeys[] = {
    "fiche_width_mm", "fiche_height_mm", "columns",        "rows",
    "header_rows",    "cell_width_mm",   "cell_height_mm", "reading_order",
};

template <std::size_t N>
bool listed(const std::string_view (&keys)[N], std::string_view key) {
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

std::filesystem::path formats_dir(const std::filesystem::path& profiles_dir) {
  return profiles_dir / "formats";
}

// Reads one format's table with base's reader, checking every key; each failure names
// file:line: key (format.KEY for a job's inline [format]).
class FormatReader {
 public:
  explicit FormatReader(const TomlTable& table) : table_(table) {}

  // "FILE:LINE: KEY: expected EXPECTED, got VALUE" for a key that is there but does not fit
  // with the others.
  [[noreturn]] void fail(std::string_view key, std::string_view expected) const {
    table_.get(key)->fail(expected);
  }

  // Keys of the other layout are named as such (a fiche has no leader, a roll no grid); any
  // other unknown key is refused with the closest key of this layout.
  void reject_unknown_keys(FilmLayout layout) const {
    std::vector<std::string_view> known(std::begin(kCommonKeys), std::end(kCommonKeys));
    if (layout == FilmLayout::roll) {
      known.insert(known.end(), std::begin(kRollKeys), std::end(kRollKeys));
    } else {
      known.insert(known.end(), std::begin(kFicheKeys), std::end(kFicheKeys));
    }
    for (const TomlValue& entry : table_.entries()) {
      const std::string_view key = table_.name_of(entry);
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      if (listed(kRollKeys, key) || listed(kFicheKeys, key)) {
        entry.fail(fmt::format("a {} format key", to_string(layout)), "a key of the other layout");
      }
      table_.fail_unknown(entry, known);
    }
  }

  bool has(std::string_view key) const { return table_.has(key); }

  double at_least(std::string_view key, double lowest) const {
    return table_.number(key, NumberRange::at_least(lowest));
  }

  double positive(std::string_view key) const { return table_.number(key, NumberRange::above(0)); }

  std::string text(std::string_view key) const { return table_.text(key); }

  std::uint32_t count(std::string_view key, std::int64_t lowest, std::int64_t highest) const {
    return static_cast<std::uint32_t>(table_.integer(
        key, NumberRange::between(static_cast<double>(lowest), static_cast<double>(highest))));
  }

  template <typename Word>
  Word word(std::string_view key,
            std::initializer_list<std::pair<std::string_view, Word>> words) const {
    std::string expected;
    for (const auto& [text, value] : words) {
      expected += fmt::format("{}\"{}\"", expected.empty() ? "" : " or ", text);
    }
    return table_.require(key, expected).word(words, expected);
  }

  // Numbers each > `lowest` (in `unit`, for messages), the array itself `expected`.
  std::vector<double> numbers(std::string_view key, std::string_view expected, double lowest,
                              std::string_view unit = "", bool non_empty = false) const {
    const TomlValue array = table_.require(key, expected);
    std::vector<double> values;
    for (const TomlValue& element : array.array(expected, non_empty)) {
      const NumberRange range = NumberRange::above(lowest);
      const std::string element_expected = range.number() + std::string(unit);
      const auto value = element.as_number();
      if (!value) element.fail_type(element_expected);
      if (!range.contains(*value)) element.fail(element_expected);
      values.push_back(*value);
    }
    return values;
  }

 private:
  const TomlTable& table_;
};

void read_roll(const FormatReader& reader, FilmFormat& format) {
  format.film_width_mm = reader.positive("film_width_mm");
  format.image_area_across_mm = reader.positive("image_area_across_mm");
  if (format.image_area_across_mm > format.film_width_mm) {
    reader.fail("image_area_across_mm",
                fmt::format("at most film_width_mm ({})", format.film_width_mm));
  }
  format.frame_length_mm = reader.at_least("frame_length_mm", 0);
  format.frame_gap_mm = reader.at_least("frame_gap_mm", 0);
  if (2 * format.margin_mm >= format.image_area_across_mm) {
    reader.fail("margin_mm", fmt::format("less than half of image_area_across_mm ({})",
                                         format.image_area_across_mm / 2));
  }
  if (format.frame_length_mm > 0 && 2 * format.margin_mm >= format.frame_length_mm) {
    reader.fail("margin_mm",
                fmt::format("less than half of frame_length_mm ({})", format.frame_length_mm / 2));
  }
  format.orientation = reader.word<Orientation>(
      "orientation", {{"comic", Orientation::comic}, {"cine", Orientation::cine}});
  format.leader_m = reader.at_least("leader_m", 0);
  format.trailer_m = reader.at_least("trailer_m", 0);
  const double ends_m = format.leader_m + format.trailer_m;
  format.reel_length_m = reader.positive("reel_length_m");
  if (format.reel_length_m <= ends_m) {
    reader.fail("reel_length_m", fmt::format("more than leader_m + trailer_m ({} m)", ends_m));
  }
  format.reel_lengths_m =
      reader.numbers("reel_lengths_m", fmt::format("a non-empty array of lengths > {} m", ends_m),
                     ends_m, " m", true);

  // The blip track is optional: without blip_track_mm the format has none.
  BlipTrack& blips = format.blips;
  if (!reader.has("blip_track_mm")) return;
  blips.track_mm = reader.at_least("blip_track_mm", 0);
  if (format.image_area_across_mm + blips.track_mm > format.film_width_mm) {
    reader.fail("blip_track_mm", fmt::format("at most film_width_mm - image_area_across_mm ({})",
                                             format.film_width_mm - format.image_area_across_mm));
  }
  if (blips.track_mm == 0) return;
  if (reader.has("blip_width_mm")) blips.mark_width_mm = reader.positive("blip_width_mm");
  if (blips.mark_width_mm > blips.track_mm) {
    reader.fail("blip_width_mm", fmt::format("at most blip_track_mm ({})", blips.track_mm));
  }
  if (reader.has("blip_lengths_mm")) {
    constexpr std::string_view expected =
        "three lengths > 0 in mm, page <= document <= batch, e.g. [1.0, 2.0, 3.0]";
    const std::vector<double> lengths = reader.numbers("blip_lengths_mm", expected, 0, " mm");
    if (lengths.size() != 3 || lengths[0] > lengths[1] || lengths[1] > lengths[2]) {
      reader.fail("blip_lengths_mm", expected);
    }
    blips.page_mm = lengths[0];
    blips.document_mm = lengths[1];
    blips.batch_mm = lengths[2];
  }
  if (reader.has("blip_offset_mm")) blips.mark_offset_mm = reader.at_least("blip_offset_mm", 0);
  if (reader.has("address_height_mm")) {
    blips.address_height_mm = reader.at_least("address_height_mm", 0);
    if (blips.address_height_mm > blips.track_mm - blips.mark_width_mm) {
      reader.fail("address_height_mm", fmt::format("at most blip_track_mm - blip_width_mm ({})",
                                                   blips.track_mm - blips.mark_width_mm));
    }
  }
}

// A fiche is planned as a grid of fixed cells: each cell is a fixed-length comic frame, so
// page placement is the same code as for roll film.
void read_fiche(const FormatReader& reader, FilmFormat& format) {
  FicheGrid& grid = format.fiche;
  grid.width_mm = reader.positive("fiche_width_mm");
  grid.height_mm = reader.positive("fiche_height_mm");
  grid.columns = reader.count("columns", 1, 100);
  grid.rows = reader.count("rows", 1, 100);
  grid.header_rows = reader.count("header_rows", 0, 10);
  grid.cell_width_mm = reader.positive("cell_width_mm");
  grid.cell_height_mm = reader.positive("cell_height_mm");
  if (grid.columns * grid.cell_width_mm > grid.width_mm) {
    reader.fail("cell_width_mm", fmt::format("at most fiche_width_mm / columns ({:.3f})",
                                             grid.width_mm / grid.columns));
  }
  if ((grid.rows + grid.header_rows) * grid.cell_height_mm > grid.height_mm) {
    reader.fail("cell_height_mm", fmt::format("at most fiche_height_mm / (rows + header_rows) "
                                              "({:.3f})",
                                              grid.height_mm / (grid.rows + grid.header_rows)));
  }
  if (2 * format.margin_mm >= std::min(grid.cell_width_mm, grid.cell_height_mm)) {
    reader.fail("margin_mm", "less than half of the cell");
  }
  grid.order = reader.word<ReadingOrder>(
      "reading_order", {{"rows", ReadingOrder::rows}, {"columns", ReadingOrder::columns}});

  format.film_width_mm = grid.height_mm;
  format.image_area_across_mm = grid.cell_height_mm;
  format.frame_length_mm = grid.cell_width_mm;
  format.frame_gap_mm = 0;
  format.orientation = Orientation::comic;
  format.leader_m = 0;
  format.trailer_m = 0;
  format.reel_length_m = grid.width_mm / 1000;
  format.reel_lengths_m = {format.reel_length_m};
}

FilmFormat read_format(const TomlTable& table, const std::string& name) {
  const FormatReader reader(table);
  FilmFormat format;
  format.name = name;
  format.layout = reader.has("layout")
                      ? reader.word<FilmLayout>(
                            "layout", {{"roll", FilmLayout::roll}, {"fiche", FilmLayout::fiche}})
                      : FilmLayout::roll;
  reader.reject_unknown_keys(format.layout);
  format.description = reader.text("description");
  format.margin_mm = reader.at_least("margin_mm", 0);
  format.min_reduction = reader.at_least("min_reduction", 1);
  format.max_reduction = reader.at_least("max_reduction", 1);
  if (format.max_reduction < format.min_reduction) {
    reader.fail("max_reduction", fmt::format("at least min_reduction ({})", format.min_reduction));
  }
  if (reader.has("allowed_reductions")) {
    const std::string expected = fmt::format("a non-empty array of reductions {}-{}",
                                             format.min_reduction, format.max_reduction);
    format.allowed_reductions = reader.numbers("allowed_reductions", expected, 0);
    for (double reduction : format.allowed_reductions) {
      if (reduction < format.min_reduction || reduction > format.max_reduction) {
        reader.fail("allowed_reductions", expected);
      }
    }
    if (format.allowed_reductions.empty()) reader.fail("allowed_reductions", expected);
  }
  if (format.layout == FilmLayout::roll) {
    read_roll(reader, format);
  } else {
    read_fiche(reader, format);
  }
  return format;
}

FilmFormat read_format_file(const std::filesystem::path& file, const std::string& name) {
  const TomlDocument document = TomlDocument::load(file);
  return read_format(document.root(), name);
}

// Names are file stems; anything that could leave the formats folder is not a name.
bool plausible_name(const std::string& name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos;
}

std::vector<std::string> format_names(const std::filesystem::path& profiles_dir) {
  std::vector<std::string> names;
  std::error_code ignored;
  for (const auto& entry :
       std::filesystem::directory_iterator(formats_dir(profiles_dir), ignored)) {
    if (entry.path().extension() == ".toml" && entry.is_regular_file(ignored)) {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::filesystem::path default_profiles_dir() {
  const char* from_environment = std::getenv("FILMWRITER_PROFILES");
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return FW_PROFILES_DIR;
}

std::uint32_t mm_to_px(double mm, double pitch_um) {
  return static_cast<std::uint32_t>(std::lround(mm * 1000.0 / pitch_um));
}

FilmFormat load_format(const std::filesystem::path& profiles_dir, const std::string& name) {
  const std::filesystem::path file = formats_dir(profiles_dir) / (name + ".toml");
  std::error_code ignored;
  if (!plausible_name(name) || !std::filesystem::is_regular_file(file, ignored)) {
    const std::vector<std::string> known = format_names(profiles_dir);
    const std::vector<std::string_view> words(known.begin(), known.end());
    const std::string_view closest = closest_word(name, words);
    throw Error(
        ErrorKind::job,
        fmt::format("unknown film format {}{}; known formats in {}: {}", quote(name),
                    closest.empty() ? "" : fmt::format(" (did you mean {}?)", quote(closest)),
                    formats_dir(profiles_dir).string(),
                    known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
  }
  return read_format_file(file, name);
}

std::vector<FilmFormat> list_formats(const std::filesystem::path& profiles_dir) {
  std::vector<FilmFormat> formats;
  for (const std::string& name : format_names(profiles_dir)) {
    formats.push_back(read_format_file(formats_dir(profiles_dir) / (name + ".toml"), name));
  }
  return formats;
}

FilmFormat format_from_table(const TomlTable& table, const std::string& name) {
  return read_format(table, name);
}

void check_reduction(const FilmFormat& format, double reduction) {
  if (reduction < format.min_reduction || reduction > format.max_reduction) {
    throw Error(ErrorKind::job,
                fmt::format("reduction {}x is outside the range of {} ({}x to {}x)", reduction,
                            format.name, format.min_reduction, format.max_reduction));
  }
  if (format.allowed_reductions.empty()) return;
  for (double allowed : format.allowed_reductions) {
    if (std::abs(allowed - reduction) < 1e-9) return;
  }
  throw Error(ErrorKind::job,
              fmt::format("reduction {}x is not one of the reductions {} allows ({}x)", reduction,
                          format.name, fmt::join(format.allowed_reductions, "x, ")));
}

hal::FilmGeometry film_geometry(const FilmFormat& format) {
  hal::FilmGeometry g;
  g.fiche = format.layout == FilmLayout::fiche;
  g.comic = format.orientation == Orientation::comic;
  g.frame_gap_mm = format.frame_gap_mm;
  g.leader_m = format.leader_m;
  g.trailer_m = format.trailer_m;
  if (g.fiche) {
    // A step-and-repeat sheet has no roll parts: no leader, trailer or gaps.
    g.comic = true;
    g.frame_gap_mm = g.leader_m = g.trailer_m = 0;
    const FicheGrid& f = format.fiche;
    g.sheet = {f.width_mm,    f.height_mm,     f.columns,        f.rows,
               f.header_rows, f.cell_width_mm, f.cell_height_mm, f.order == ReadingOrder::rows};
  }
  return g;
}

}  // namespace fw
