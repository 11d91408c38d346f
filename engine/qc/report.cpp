#include "qc/report.hpp"

#include <fmt/format.h>
#include <glib.h>
#include <vips/vips8>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>

#include "base/files.hpp"
#include "core/error.hpp"

namespace fw::qc {
namespace {

using Json = nlohmann::ordered_json;

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string text(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "—";
  return j.dump();
}

// A reel's QI below the required one, which the QC profile made a warning, not a failure.
bool qi_warned(const Json& resolution) {
  return resolution.value("below_required", "") == "warning";
}

// "45 / 45", and the frames that stand for a page that is not on film.
std::string frames_on_film(const Json& reel) {
  std::string s = text(reel["frames_planned"]) + " / " + text(reel["frames_on_film"]);
  const auto substitutes = reel.value("substitutes", 0);
  if (substitutes > 0)
    s += fmt::format(" <span class=\"warn\">({} substitute)</span>", substitutes);
  return s;
}

// report.html as it is made, handed to its file in pieces of some 64 KB.
class Html {
 public:
  explicit Html(AtomicFile& file) : file_(file) { buffer_.reserve(kPiece + kPiece / 4); }
  Html& operator+=(std::string_view s) {
    buffer_ += s;
    if (buffer_.size() >= kPiece) flush();
    return *this;
  }
  void flush() {
    file_.write(buffer_);
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kPiece = 64 * 1024;
  AtomicFile& file_;
  std::string buffer_;
};

// A thumbnail with a 3 px frame: red for a failed frame, grey otherwise. `jpeg` must outlive
// the image's pixels: libvips reads it where it is.
vips::VImage framed(const std::string& jpeg, bool failed) {
  const std::vector<double> colour =
      failed ? std::vector<double>{220, 20, 20} : std::vector<double>{90, 90, 90};
  vips::VImage rgb = vips::VImage::new_from_buffer(jpeg, "").colourspace(VIPS_INTERPRETATION_sRGB);
  return rgb.embed(
      3, 3, rgb.width() + 6, rgb.height() + 6,
      vips::VImage::option()->set("extend", VIPS_EXTEND_BACKGROUND)->set("background", colour));
}

std::string jpeg_data_uri(const std::string& jpeg) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(jpeg.data()), jpeg.size());
  std::string uri = std::string("data:image/jpeg;base64,") + b64;
  g_free(b64);
  return uri;
}

// Background density per page frame along the reel, with the aim band: inline SVG. The axis
// spans the band and every measured value (a frame far off the aim is drawn where it is, not
// on the plot's edge), with ticks at round densities.
void density_plot(Html& h, const Json& reel, const Json& qc) {
  const Json& limits = qc["limits"];
  const bool positive = qc.value("polarity", std::string("negative")) == "positive";
  const double lo = positive ? 0.0 : limits["background"][0].get<double>();
  const double hi = positive ? limits["positive_background_max"].get<double>()
                             : limits["background"][1].get<double>();
  std::vector<std::pair<double, double>> points;
  double last_frame = 1, d_low = lo, d_high = hi;
  for (const auto& f : reel["frames"]) {
    last_frame = std::max(last_frame, f["frame"].get<double>());
    if (f.contains("density") && f["density"].contains("background")) {
      const double d = f["density"]["background"].get<double>();
      points.emplace_back(f["frame"].get<double>(), d);
      d_low = std::min(d_low, d);
      d_high = std::max(d_high, d);
    }
  }
  const double span = std::max(0.2, d_high - d_low);
  const double tick = span > 2 ? 0.5 : span > 0.8 ? 0.2 : 0.1;
  const double d_min = std::max(0.0, std::floor((d_low - 0.15 * span) / tick) * tick);
  const double d_max = std::ceil((d_high + 0.15 * span) / tick) * tick;
  const double w = 640, height = 200, left = 50, bottom = 30;
  auto X = [&](double frame) {
    return left + (frame - 1) / std::max(1.0, last_frame - 1) * (w - left - 10);
  };
  auto Y = [&](double d) {
    return (height - bottom) - (d - d_min) / (d_max - d_min) * (height - bottom - 10);
  };
  h += fmt::format(
      "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"background density along the reel\" data-d-min=\"{:.2f}\" "
      "data-d-max=\"{:.2f}\">",
      w, height, d_min, d_max);
  h += fmt::format(
      "<rect class=\"aim\" x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\" "
      "fill=\"#cfe8cf\"><title>aim {:.2f}–{:.2f} D</title></rect>",
      left, Y(hi), w - left - 10, Y(lo) - Y(hi), lo, hi);
  for (double d = d_min; d <= d_max + 1e-9; d += tick) {
    h += fmt::format("<text x=\"4\" y=\"{:.1f}\" font-size=\"11\">{:.2f} D</text>", Y(d) + 4, d);
    h += fmt::format(
        "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" "
        "stroke=\"#ddd\"/>",
        left, Y(d), w - 10);
  }
  h += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#444\"/>", left,
                   height - bottom, w - 10);
  h += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">frame</text>", w / 2, height - 8);
  h += "<polyline fill=\"none\" stroke=\"#1a4f8a\" stroke-width=\"1.5\" points=\"";
  for (const auto& [frame, d] : points) h += fmt::format("{:.1f},{:.1f} ", X(frame), Y(d));
  h += "\"/>";
  for (const auto& [frame, d] : points) {
    const bool out = d < lo - 1e-9 || d > hi + 1e-9;
    h += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>frame {:g}: "
        "{:.3f} D</title></circle>",
        X(frame), Y(d), out ? "#d01010" : "#1a4f8a", frame, d);
  }
  h += "</svg>";
}

// A reel's vault inspections, oldest first. A record entered before the job's current run
// is about an earlier filming of the same reel id (the job was run again with --overwrite):
// kept, and marked so, since the reel now on the shelf is another piece of film.
std::string inspection_table(const Json& inspections, const std::string& reel) {
  std::string rows;
  for (const auto& in : inspections) {
    if (text(in["reel"]) != reel) continue;
    const bool earlier = in.value("earlier_filming", false);
    rows += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        earlier ? " class=\"earlier-filming\"" : "", esc(text(in["date"])),
                        fmt::format("{:g}", in["ad_strip"].get<double>()),
                        esc(in["densities"].dump()), esc(text(in["notes"])),
                        earlier ? "earlier filming · 重拍前" : "this filming · 本次");
  }
  if (rows.empty()) return "<p>no inspection recorded</p>";
  return "<table class=\"inspections\"><tr><th>date</th><th>A-D strip</th><th>densities</th>"
         "<th>notes</th><th>film</th></tr>" +
         rows + "</table>";
}

// The reel's data frames as verify decoded them from the film: the summary (qc.json's reel
// `data`) and a row per data frame with its errors and margin.
void data_section(Html& h, const Json& reel) {
  const std::string id = text(reel["reel"]);
  const Json& d = reel["data"];
  h += fmt::format("<h3 id=\"{}-data\">Data frames · 数据帧</h3>", esc(id));
  const int least = d["least_margin"].get<int>();
  h += fmt::format(
      "<p class=\"data-summary\">{} of {} data frames decoded, {} symbol error(s) (rate {}), "
      "least margin {}: how many more errors the worst codeword could have corrected.</p>",
      text(d["frames"]), text(d["frames_checked"]), text(d["symbol_errors"]),
      fmt::format("{:.2g}", d["symbol_error_rate"].get<double>()),
      least < 0 ? std::string("— (nothing decoded)") : std::to_string(least));
  h += "<table class=\"data-frames\"><tr><th>frame</th><th>address</th><th>file</th>"
       "<th>frame of the file</th><th>decoded</th><th>symbol errors</th><th>most in a "
       "codeword</th><th>margin</th><th>codewords failed</th><th>samples per module</th>"
       "<th>contrast</th><th>verdict</th></tr>";
  for (const auto& f : reel["frames"]) {
    if (!f.contains("data")) continue;
    const Json& x = f["data"];
    const bool decoded = x["decoded"].get<bool>();
    const auto value = [&](const char* key) {
      return decoded && x.contains(key) ? text(x[key]) : std::string("—");
    };
    h += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} D</td><td class=\"{}\">{}</td></tr>",
        text(f["frame"]), esc(text(f["address"])), esc(text(x["file"])), text(x["frame"]),
        decoded ? "pass" : "fail", decoded ? "yes" : "NO", value("symbol_errors"),
        value("max_errors_in_a_codeword"), value("margin"), value("codewords_failed"),
        value("samples_per_module"), value("contrast_d"), text(f["verdict"]), text(f["verdict"]));
  }
  h += "</table>";
}

// The contact sheet, a row of tiles at a time. The encoder asks libvips for the sheet's lines
// top to bottom; a row's tiles are decoded from their JPEGs when its first line is asked for,
// joined as one strip of pixels, and kept until two later rows were made. So only a row or two
// of the reel's tiles are open at once, however long the reel (the whole reel's tiles joined
// in one libvips pipeline held ~84 KB a frame: bench/README.md, "verify"). The pixels are the
// ones that whole-reel pipeline made: the same tiles, joined the same way, row by row.
class ContactSheet {
 public:
  static constexpr int kRollAcross = 8;

  ContactSheet(const ReelPictures& reel, const ThumbnailStore& thumbnails)
      : reel_(reel), thumbnails_(thumbnails) {
    // The cell fits the largest framed thumbnail (3 px of frame a side, 4 px of white around).
    for (const Thumb& t : reel.thumbs) {
      const std::string jpeg = thumbnails.read(t.jpeg);
      const vips::VImage header = vips::VImage::new_from_buffer(jpeg, "");
      cell_w_ = std::max(cell_w_, header.width() + 6 + 8);
      cell_h_ = std::max(cell_h_, header.height() + 6 + 8);
    }
    if (reel.grid_columns == 0) {
      across_ = kRollAcross;
      rows_ = static_cast<int>((reel.thumbs.size() + across_ - 1) / across_);
      return;
    }
    across_ = static_cast<int>(reel.grid_columns);
    rows_ = static_cast<int>(reel.grid_rows) + 1;  // the header strip, then the images
    cells_.assign(std::size_t(across_) * std::size_t(rows_), -1);
    for (std::size_t i = 0; i < reel.thumbs.size(); ++i) {
      const Thumb& t = reel.thumbs[i];
      if (t.grid_column < 1 || t.grid_column > reel.grid_columns || t.grid_row > reel.grid_rows) {
        throw Error(
            ErrorKind::internal,
            fmt::format("{} frame {}: cell row {} column {} is not on the {} x {} fiche", reel.reel,
                        t.frame, t.grid_row, t.grid_column, reel.grid_columns, reel.grid_rows));
      }
      cells_[std::size_t(t.grid_row) * across_ + t.grid_column - 1] = static_cast<int>(i);
    }
  }

  // The whole sheet, as an image libvips computes on demand through generate().
  vips::VImage image() {
    // The sheet takes its header (resolution and the rest) from its first row, as the whole
    // reel's join took it from the first tile.
    first_ = row(0);
    VipsImage* sheet = vips_image_new();
    if (vips_image_pipelinev(sheet, VIPS_DEMAND_STYLE_THINSTRIP, first_.image.get_image(),
                             nullptr) != 0) {
      g_object_unref(sheet);
      throw vips::VError();
    }
    sheet->Xsize = across_ * cell_w_;
    sheet->Ysize = rows_ * cell_h_;
    if (vips_image_generate(sheet, nullptr, generate, nullptr, this, nullptr) != 0) {
      g_object_unref(sheet);
      throw vips::VError();
    }
    return vips::VImage(sheet);
  }

 private:
  // A row's tiles as a libvips pipeline, and the JPEGs it reads from.
  struct Row {
    std::vector<std::string> jpegs;
    vips::VImage image;
  };
  // A row's pixels, made once.
  struct Strip {
    int row = -1;
    std::vector<std::uint8_t> pixels;
  };

  Row row(int index) const {
    Row r;
    std::vector<vips::VImage> tiles;
    const std::size_t first = std::size_t(index) * across_;
    const std::size_t end =
        cells_.empty() ? std::min(reel_.thumbs.size(), first + across_) : first + across_;
    r.jpegs.reserve(end - first);
    for (std::size_t slot = first; slot < end; ++slot) {
      const int i = cells_.empty() ? static_cast<int>(slot) : cells_[slot];
      if (i < 0) {  // a fiche's cell no frame was written to: clear film, white on a light box
        tiles.push_back(
            (vips::VImage::black(cell_w_, cell_h_, vips::VImage::option()->set("bands", 3)) + 255)
                .cast(VIPS_FORMAT_UCHAR)
                .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB)));
        continue;
      }
      r.jpegs.push_back(thumbnails_.read(reel_.thumbs[i].jpeg));
      tiles.push_back(framed(r.jpegs.back(), reel_.thumbs[i].failed)
                          .gravity(VIPS_COMPASS_DIRECTION_CENTRE, cell_w_, cell_h_,
                                   vips::VImage::option()->set("extend", VIPS_EXTEND_WHITE)));
    }
    // Across the sheet whatever the count: a short last row is filled out with white.
    r.image = vips::VImage::arrayjoin(tiles, vips::VImage::option()
                                                 ->set("across", across_)
                                                 ->set("background", std::vector<double>{255}));
    return r;
  }

  const Strip& strip(int index) {
    for (const Strip& s : strips_) {
      if (s.row == index) return s;
    }
    Strip& s = strips_[next_++ % strips_.size()];
    s.row = -1;
    const Row r = row(index);
    std::size_t size = 0;
    const std::unique_ptr<void, decltype(&g_free)> pixels(r.image.write_to_memory(&size), g_free);
    const auto* bytes = static_cast<const std::uint8_t*>(pixels.get());
    s.pixels.assign(bytes, bytes + size);
    s.row = index;
    return s;
  }

  // libvips's generate function: copies the lines asked for from their rows' strips. Called
  // from libvips's threads; a row is made by one of them at a time.
  static int generate(VipsRegion* out, void* /*seq*/, void* a, void* /*b*/, gboolean* /*stop*/) {
    auto& sheet = *static_cast<ContactSheet*>(a);
    const VipsRect& area = out->valid;
    const std::size_t pel = VIPS_IMAGE_SIZEOF_PEL(out->im);
    try {
      const std::lock_guard lock(sheet.mutex_);
      for (int y = area.top; y < VIPS_RECT_BOTTOM(&area); ++y) {
        const Strip& s = sheet.strip(y / sheet.cell_h_);
        const std::size_t line = std::size_t(y % sheet.cell_h_) * out->im->Xsize + area.left;
        std::memcpy(VIPS_REGION_ADDR(out, area.left, y), s.pixels.data() + line * pel,
                    std::size_t(area.width) * pel);
      }
      return 0;
    } catch (const std::exception& e) {
      vips_error("contact sheet", "%s", e.what());
      return -1;
    }
  }

  const ReelPictures& reel_;
  const ThumbnailStore& thumbnails_;
  int cell_w_ = 0, cell_h_ = 0, across_ = 0, rows_ = 0;
  // A fiche: the thumbnail in each cell of the sheet, row by row (-1: none). Empty: roll film.
  std::vector<int> cells_;
  Row first_;
  std::mutex mutex_;
  // Two rows: the encoder's threads may ask for the lines on both sides of a row's edge.
  std::array<Strip, 2> strips_;
  std::size_t next_ = 0;
};

}  // namespace

void write_contact_sheet(const ReelPictures& reel, const ThumbnailStore& thumbnails,
                         const std::filesystem::path& file) {
  if (reel.thumbs.empty()) return;
  try {
    ContactSheet sheet(reel, thumbnails);
    sheet.image().jpegsave(file.c_str(), vips::VImage::option()->set("Q", 85));
  } catch (const vips::VError& e) {
    throw Error(ErrorKind::storage,
                file.string() + ": cannot write the contact sheet: " + e.what());
  }
}

void write_report_html(const std::filesystem::path& file, const Json& qc,
                       const std::vector<ReelPictures>& reels, const ThumbnailStore& thumbnails,
                       const Json& inspections) {
  const bool pass = qc["verdict"] == "pass";
  AtomicFile out(file);
  Html h(out);
  h += "<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">";
  h += "<title>QC " + esc(text(qc["job"]["id"])) + "</title><style>";
  h += "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;margin:24px;color:#222}"
       ".verdict{font-size:28px;font-weight:bold;padding:8px 16px;display:inline-block}"
       ".pass{background:#d6f0d6;color:#145214}.fail{background:#f7d4d4;color:#8a1010}.warn{"
       "background:#fbeccb;color:#7a4a00}"
       "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:3px 8px;"
       "font-size:13px;text-align:left}.sheet{display:flex;flex-wrap:wrap;gap:6px}"
       ".sheet.fiche{display:grid;gap:3px}.sheet.fiche img{width:100%;height:auto}"
       ".sheet.fiche figure{padding:1px;overflow:hidden;font-size:9px}.sheet "
       "figure{margin:0;padding:3px;border:3px solid "
       "#999;font-size:11px}"
       ".sheet figure.failed{border-color:#d01010}.sheet figure:target{outline:3px solid #1a4f8a}"
       "tr.earlier-filming{color:#777}"
       "</style></head><body>\n";
  h += "<h1>Film verification · 胶片质检</h1>\n<section id=\"summary\">";
  h += fmt::format("<div class=\"verdict {}\" id=\"verdict\">{}</div>", pass ? "pass" : "fail",
                   pass ? "PASS · 合格" : "FAIL · 不合格");
  std::size_t frames = 0;
  for (const auto& r : qc["reels"]) frames += r["frames"].size();
  h += fmt::format(
      "<p>Job <b>{}</b> “{}” {} — {} reel(s), {} frame(s) checked, {} failure(s), {} "
      "warning(s). Limits: {}</p>",
      esc(text(qc["job"]["id"])), esc(text(qc["job"]["title"])),
      esc(text(qc["job"]["institution"])), qc["reels"].size(), frames, qc["failures"].size(),
      qc.contains("warnings") ? qc["warnings"].size() : 0, esc(text(qc["profile"])));
  h += "<table><tr><th>reel</th><th>verdict</th><th>frames planned / on film</th><th>background "
       "mean (min–max)</th><th>base+fog max</th><th>finest resolved</th><th>QI</th></tr>";
  for (const auto& r : qc["reels"]) {
    const auto& d = r["density"];
    const auto& res = r["resolution"];
    h += fmt::format(
        "<tr><td><a href=\"#{0}\">{0}</a></td><td class=\"{1}\">{1}</td><td>{2}</td>"
        "<td>{3} ({4}–{5}) D</td><td>{6} D</td><td>{7}</td><td>{8}</td></tr>",
        esc(text(r["reel"])), text(r["verdict"]), frames_on_film(r),
        d.contains("background_mean") ? text(d["background_mean"]) : "—",
        d.contains("background_min") ? text(d["background_min"]) : "—",
        d.contains("background_max") ? text(d["background_max"]) : "—", text(d["base_fog_max"]),
        res.is_null()
            ? "—"
            : fmt::format("{} lp/mm ({} on film)", text(res["finest_resolved_document_lp_per_mm"]),
                          text(res["finest_resolved_film_lp_per_mm"])),
        res.is_null() ? "—"
        : res["meets_required"].get<bool>()
            ? fmt::format("{} (required {})", text(res["quality_index"]),
                          text(res["quality_index_required"]))
            : fmt::format("<span class=\"{}\">{} (required {}: {})</span>",
                          qi_warned(res) ? "warn" : "fail", text(res["quality_index"]),
                          text(res["quality_index_required"]),
                          qi_warned(res) ? "below it, a warning" : "below it, failed"));
  }
  h += "</table>";
  if (qc.contains("warnings") && !qc["warnings"].empty()) {
    h += "<h2>Warnings · 提示</h2><ul id=\"warnings\">";
    for (const auto& why : qc["warnings"]) h += "<li class=\"warning\">" + esc(text(why)) + "</li>";
    h += "</ul>";
  }
  if (!qc["failures"].empty()) {
    h += "<h2>Failures · 问题</h2><ul id=\"failures\">";
    for (const auto& r : qc["reels"]) {
      for (const auto& f : r["frames"]) {
        for (const auto& why : f["failures"]) {
          h += fmt::format(
              "<li class=\"failure\"><a href=\"#{0}-F{1}\">{0} frame {1} ({2})</a>: "
              "{3}</li>",
              esc(text(r["reel"])), text(f["frame"]), esc(text(f["address"])), esc(text(why)));
        }
      }
      for (const auto& why : r["failures"]) {
        const std::string s = text(why);
        if (s.find(": frame ") == std::string::npos) {
          h += "<li class=\"failure\">" + esc(s) + "</li>";
        }
      }
    }
    h += "</ul>";
  }
  h += "</section>\n";

  for (std::size_t i = 0; i < qc["reels"].size(); ++i) {
    const auto& r = qc["reels"][i];
    const std::string id = text(r["reel"]);
    h += fmt::format("<section class=\"reel\" id=\"{0}\"><h2>Reel {0} — {1}</h2>", esc(id),
                     text(r["verdict"]));
    const bool fiche = i < reels.size() && reels[i].grid_columns > 0;
    // A fiche's frames in their cells of the sheet, as on the fiche; a roll's in reel order.
    h += fiche ? fmt::format(
                     "<h3>Contact sheet</h3><div class=\"sheet fiche\" "
                     "style=\"grid-template-columns:repeat({},minmax(0,1fr))\">",
                     reels[i].grid_columns)
               : std::string("<h3>Contact sheet</h3><div class=\"sheet\">");
    if (i < reels.size()) {
      for (const auto& t : reels[i].thumbs) {
        const std::string cell = fiche ? fmt::format(" style=\"grid-row:{};grid-column:{}\"",
                                                     t.grid_row + 1, t.grid_column)
                                       : std::string();
        h += fmt::format(
            "<figure id=\"{0}-F{1}\" class=\"{2}\"{5}><img alt=\"{0} frame {1}\" "
            "src=\"{3}\"><figcaption>{1} {4}</figcaption></figure>",
            esc(id), t.frame, t.failed ? "failed" : "ok", jpeg_data_uri(thumbnails.read(t.jpeg)),
            esc(t.address), cell);
      }
    }
    h += "</div><h3>Background density along the reel</h3>";
    density_plot(h, r, qc);
    h += fmt::format("<p>Tone curve from: {}</p>", esc(text(r["tone_curve"]["from"])));
    const auto& res = r["resolution"];
    h += "<h3>Resolution (technical target)</h3>";
    if (res.is_null()) {
      h += "<p>no technical target measured</p>";
    } else {
      h += "<table><tr><th>lp/mm document</th><th>lp/mm film</th><th>modulation |||</th>"
           "<th>modulation ≡</th><th>resolved</th></tr>";
      for (const auto& g : res["groups"]) {
        h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                         text(g["document_lp_per_mm"]), text(g["film_lp_per_mm"]),
                         text(g["modulation_vertical_bars"]), text(g["modulation_horizontal_bars"]),
                         g["resolved"] ? "yes" : "NO");
      }
      h += fmt::format(
          "</table><p>Finest resolved: {} lp/mm on the document, {} lp/mm on film. Quality index "
          "QI = p × h = {} (required {}; the recorder's pitch allows {}; the sources' scans give "
          "{}).</p>",
          text(res["finest_resolved_document_lp_per_mm"]),
          text(res["finest_resolved_film_lp_per_mm"]), text(res["quality_index"]),
          text(res["quality_index_required"]), text(res["quality_index_limit_of_pitch"]),
          text(res["quality_index_of_sources"]));
    }
    if (r.contains("data")) data_section(h, r);
    h += "<h3>Frames</h3><table><tr><th>frame</th><th>address</th><th>kind</th><th>background</th>"
         "<th>base+fog</th><th>SSIM</th><th>worst block</th><th>blip</th><th>mark</th>"
         "<th>verdict</th></tr>";
    for (const auto& f : r["frames"]) {
      const Json d = f.contains("density") ? f["density"] : Json::object();
      h += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
          text(f["frame"]), esc(text(f["address"])), text(f["kind"]),
          d.contains("background") ? text(d["background"]) : "",
          d.contains("base_fog") ? text(d["base_fog"]) : "",
          f.contains("ssim") ? text(f["ssim"]) : "",
          f.contains("ssim_worst_block") ? text(f["ssim_worst_block"]) : "",
          f.contains("blip") ? text(f["blip"]) : "", f.contains("mark") ? esc(text(f["mark"])) : "",
          text(f["verdict"]), text(f["verdict"]));
    }
    h += "</table>";
    h += "<h3>Vault inspections · 母片库核查</h3>";
    h += inspection_table(inspections, text(r["reel"]));
    h += "</section>\n";
  }
  // Inspections of reel ids the current plan no longer has (the job was re-planned with fewer
  // reels and run again): kept, and shown here.
  std::set<std::string> planned;
  for (const auto& r : qc["reels"]) planned.insert(text(r["reel"]));
  std::set<std::string> others;
  for (const auto& in : inspections) {
    if (!planned.contains(text(in["reel"]))) others.insert(text(in["reel"]));
  }
  if (!others.empty()) {
    h += "<section id=\"other-inspections\"><h2>Vault inspections of reels not in this plan · "
         "不在本计划中的母片核查</h2>";
    for (const auto& reel : others) {
      h += "<h3>" + esc(reel) + "</h3>" + inspection_table(inspections, reel);
    }
    h += "</section>\n";
  }
  h += "<section id=\"metadata\"><h2>Job metadata · 著录信息</h2><table>";
  h += fmt::format(
      "<tr><th>job</th><td>{}</td></tr><tr><th>title 题名</th><td>{}</td></tr>"
      "<tr><th>institution 机构</th><td>{}</td></tr>",
      esc(text(qc["job"]["id"])), esc(text(qc["job"]["title"])),
      esc(text(qc["job"]["institution"])));
  for (const auto& d : qc["job"]["documents"]) {
    std::string meta;
    for (const auto& [k, v] : d["metadata"].items()) meta += esc(k) + ": " + esc(text(v)) + "<br>";
    h += fmt::format("<tr><th>{}</th><td>{}<br>{}</td></tr>", esc(text(d["id"])),
                     esc(text(d["title"])), meta);
  }
  h += "</table></section>";
  // Marks each image as decoded or not once the page has loaded (what the browser test reads).
  h += "<script>window.addEventListener('load',()=>{let ok=0,bad=0;for(const i of "
       "document.images){const d=i.complete&&i.naturalWidth>0;i.dataset.decoded=d?'yes':'no';"
       "d?ok++:bad++;}document.body.dataset.imagesDecoded=ok;document.body.dataset.imagesBroken="
       "bad;});</script></body></html>\n";
  h.flush();
  out.commit();
}

}  // namespace fw::qc
