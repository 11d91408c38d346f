// filmwriter verify: the developed film against the plan, the index and the sources.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "catalog/catalog.hpp"
#include "catalog/inspection.hpp"
#include "color/calibration.hpp"
#include "color/density_curve.hpp"
#include "color/paper.hpp"
#include "color/wedge.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "data/data_frames.hpp"
#include "film/blip.hpp"
#include "film/target.hpp"
#include "ingest/ingest.hpp"
#include "qc/mark.hpp"
#include "qc/measure.hpp"
#include "qc/qc.hpp"
#include "qc/report.hpp"

namespace fw {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;
using qc::Plane;
using qc::Rect;

// Runs `f` when it goes out of scope.
class Finally {
 public:
  explicit Finally(std::function<void()> f) : f_(std::move(f)) {}
  ~Finally() { f_(); }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  std::function<void()> f_;
};

double round3(double v) {
  return std::round(v * 1000) / 1000;
}

// index.csv (RFC 4180, as csv_field writes it).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else if (c != '\r') {
      field += c;
    }
    any = true;
  }
  if (!field.empty() || (any && !rows.back().empty())) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

struct IndexEntry {
  std::string kind, address, blip, source_sha256, frame_sha256;
};
std::map<std::uint32_t, IndexEntry> read_index(const fs::path& file) {
  std::map<std::uint32_t, IndexEntry> out;
  const auto rows = parse_csv(read_file(file));
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.size() < 10) {
      throw Error(ErrorKind::input, fmt::format("{}:{}: expected 10 columns, got {}", file.string(),
                                                i + 1, r.size()));
    }
    out[static_cast<std::uint32_t>(std::stoul(r[0]))] = {r[1], r[4], r[5], r[8], r[9]};
  }
  return out;
}

// The expected frame: rendered again exactly as the pipeline does (render, then the
// calibration LUT), plus the code values before calibration (what the page says: paper, ink).
struct Expected {
  RenderedFrame sent;
  std::vector<std::uint8_t> page;     // before calibration, channel 0
  std::vector<std::uint8_t> neutral;  // before calibration: the value where all channels
                                      // agree (grey, white paper, black ink), else 128
};
Expected render_expected(const Job& job, const Plan& plan, const PlannedFrame& frame,
                         SourceHashes& hashes) {
  Expected e;
  e.sent = render_frame(job, plan, frame, hashes, Calibrate::no);
  const std::uint32_t ch = e.sent.channels;
  e.page.resize(std::size_t{e.sent.width} * e.sent.height);
  for (std::size_t i = 0; i < e.page.size(); ++i) e.page[i] = e.sent.pixels[i * ch];
  e.neutral = e.page;
  for (std::size_t i = 0; i < e.neutral.size() && ch > 1; ++i) {
    for (std::uint32_t c = 1; c < ch; ++c) {
      if (e.sent.pixels[i * ch + c] != e.page[i]) e.neutral[i] = 128;
    }
  }
  calibrate_rendered(job, plan, frame, e.sent);
  return e;
}

Plane channel_of(const DensityImage& film, std::uint32_t channel) {
  Plane p{film.width, film.height, {}};
  p.v.resize(std::size_t{film.width} * film.height);
  for (std::size_t i = 0; i < p.v.size(); ++i) p.v[i] = film.density[i * film.channels + channel];
  return p;
}

// Colour stock develops three dye layers; each is judged on its own (a drift of one layer is a
// colour cast the other two do not show). Grey frames, or grey film, have one.
std::uint32_t judged_channels(const DensityImage& film, const RenderedFrame& sent) {
  return film.channels == 3 && sent.channels == 3 ? 3 : 1;
}
const char* channel_name(std::uint32_t channels, std::uint32_t c) {
  static const char* const names[] = {"red", "green", "blue"};
  return channels == 3 ? names[c] : "grey";
}

// Code value sent -> density on this reel's film: from the technical target's wedge when the
// reel has one, else from the frame itself (then only structure is judged by SSIM; exposure
// is judged by the density checks either way).
using ToneTable = std::array<double, 256>;

ToneTable tone_from_frame(const Expected& e, const Plane& film, std::uint32_t channel) {
  std::array<double, 256> sum{}, count{};
  const std::uint32_t ch = e.sent.channels;
  for (std::size_t i = 0; i < film.v.size(); ++i) {
    sum[e.sent.pixels[i * ch + channel]] += film.v[i];
    count[e.sent.pixels[i * ch + channel]] += 1;
  }
  ToneTable t{};
  int last = -1;
  for (int c = 0; c < 256; ++c) {
    if (count[c] == 0) continue;
    t[c] = sum[c] / count[c];
    if (last < 0) {
      for (int k = 0; k < c; ++k) t[k] = t[c];
    } else {
      for (int k = last + 1; k < c; ++k)
        t[k] = t[last] + (t[c] - t[last]) * (k - last) / (c - last);
    }
    last = c;
  }
  for (int k = last + 1; k < 256 && last >= 0; ++k) t[k] = t[last];
  return t;
}

Plane expected_density(const Expected& e, const ToneTable& tone, std::uint32_t channel) {
  Plane p{e.sent.width, e.sent.height, {}};
  p.v.resize(std::size_t{p.width} * p.height);
  for (std::size_t i = 0; i < p.v.size(); ++i) {
    p.v[i] = tone[e.sent.pixels[i * e.sent.channels + channel]];
  }
  return p;
}

// What SSIM compares: the film binned to about 10 um (a reader's view, and bounded work on
// fine pitches), then a 3 x 3 box, so the grain (RMS ~0.016 D at 1 D) does not pass for a
// loss of structure; the expected frame goes through the same filter.
Plane for_ssim(const Plane& p, std::uint32_t factor) {
  Plane binned{p.width / factor, p.height / factor, {}};
  binned.v.assign(std::size_t{binned.width} * binned.height, 0.0);
  const double n = double(factor) * factor;
  for (std::uint32_t y = 0; y < binned.height * factor; ++y) {
    for (std::uint32_t x = 0; x < binned.width * factor; ++x) {
      binned.v[std::size_t{y / factor} * binned.width + x / factor] += p.at(x, y) / n;
    }
  }
  Plane out = binned;
  for (std::uint32_t y = 1; y + 1 < binned.height; ++y) {
    for (std::uint32_t x = 1; x + 1 < binned.width; ++x) {
      double sum = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) sum += binned.at(x + dx, y + dy);
      }
      out.v[std::size_t{y} * out.width + x] = sum / 9;
    }
  }
  return out;
}

Plane crop(const Plane& p, Rect r) {
  Plane out{r.width, r.height, {}};
  out.v.resize(std::size_t{r.width} * r.height);
  for (std::uint32_t y = 0; y < r.height; ++y) {
    for (std::uint32_t x = 0; x < r.width; ++x)
      out.v[std::size_t{y} * r.width + x] = p.at(r.x + x, r.y + y);
  }
  return out;
}

std::vector<std::uint8_t> mask_where(const std::vector<std::uint8_t>& page, std::uint32_t width,
                                     std::uint32_t height, Rect inside, bool in, std::uint8_t value,
                                     std::uint32_t erode_px) {
  std::vector<std::uint8_t> m(page.size(), 0);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const bool within = x >= inside.x && x < inside.x + inside.width && y >= inside.y &&
                          y < inside.y + inside.height;
      const std::size_t i = std::size_t{y} * width + x;
      m[i] = within == in && page[i] == value;
    }
  }
  return qc::erode(m, width, height, erode_px);
}

vips::VImage thumbnail(const Plane& film, double d_top) {
  std::vector<std::uint8_t> grey(film.v.size());
  for (std::size_t i = 0; i < grey.size(); ++i) {
    // As on a light box: dense film is dark.
    grey[i] = static_cast<std::uint8_t>(std::clamp(255.0 * (1 - film.v[i] / d_top), 0.0, 255.0));
  }
  vips::VImage image =
      vips::VImage::new_from_memory(grey.data(), grey.size(), static_cast<int>(film.width),
                                    static_cast<int>(film.height), 1, VIPS_FORMAT_UCHAR);
  const double scale = 160.0 / std::max(film.width, film.height);
  return image.resize(scale).copy_memory();
}

struct Resolution {
  Json json;
  double finest_document = 0;  // lp/mm, resolved in both directions, every coarser one too
  double finest_drawn = 0;
};

Resolution measure_chart(const ChartLayout& chart, const Plane& film, double d_hi, double d_lo,
                         double min_modulation) {
  Resolution r;
  r.json["groups"] = Json::array();
  const double contrast = std::max(1e-6, d_hi - d_lo);
  bool all_so_far = true;
  auto modulation = [&](std::vector<double> profile) {
    std::sort(profile.begin(), profile.end());
    const std::size_t k = std::max<std::size_t>(1, profile.size() / 5);
    double low = 0, high = 0;
    for (std::size_t i = 0; i < k; ++i) {
      low += profile[i] / k;
      high += profile[profile.size() - 1 - i] / k;
    }
    return (high - low) / contrast;
  };
  for (const ChartGroup& g : chart.groups) {
    std::vector<double> across_x, across_y;
    const std::uint32_t q0 = g.height / 4, q1 = 3 * g.height / 4;
    for (std::uint32_t x = g.x; x < g.x + g.width && x < film.width; ++x) {
      double s = 0;
      for (std::uint32_t y = g.y + q0; y < g.y + q1; ++y) s += film.at(x, y);
      across_x.push_back(s / std::max<std::uint32_t>(1, q1 - q0));
    }
    for (std::uint32_t y = g.y; y < g.y + g.width && y < film.height; ++y) {
      double s = 0;
      for (std::uint32_t x = g.horizontal_x + q0; x < g.horizontal_x + q1; ++x) s += film.at(x, y);
      across_y.push_back(s / std::max<std::uint32_t>(1, q1 - q0));
    }
    const double mv = across_x.empty() ? 0 : modulation(across_x);
    const double mh = across_y.empty() ? 0 : modulation(across_y);
    const bool resolved = mv >= min_modulation && mh >= min_modulation;
    all_so_far = all_so_far && resolved;
    if (all_so_far) r.finest_document = g.document_lp_per_mm;
    r.finest_drawn = std::max(r.finest_drawn, g.document_lp_per_mm);
    r.json["groups"].push_back({{"document_lp_per_mm", g.document_lp_per_mm},
                                {"film_lp_per_mm", round3(g.film_lp_per_mm)},
                                {"modulation_vertical_bars", round3(mv)},
                                {"modulation_horizontal_bars", round3(mh)},
                                {"resolved", resolved}});
  }
  return r;
}

std::pair<double, double> aim_range(const std::string& document_class, const QcProfile& profile) {
  const std::string cls = document_class.empty() ? "high-contrast" : document_class;
  for (const auto& [name, range] : profile.background) {
    if (name == cls) return range;
  }
  throw Error(ErrorKind::job, fmt::format("{}: no background range for document class \"{}\"",
                                          profile.file.string(), cls));
}

// Cornell's digital QI for the documents' scans: bitonal dpi x 0.039 h / 3, grey / 2.
double source_qi(const Job& job, const PreparedJob& prepared, double e_mm) {
  double qi = 0;
  for (const PlannedFrame& frame : prepared.plan.frames) {
    if (frame.kind != FrameKind::page || frame.source.info.dpi <= 0) continue;
    const bool bitonal =
        settings_for(job, job.documents[frame.document]).mode == ImageMode::bitonal;
    const double q = frame.source.info.dpi * 0.039 * e_mm / (bitonal ? 3 : 2);
    qi = qi == 0 ? q : std::min(qi, q);
  }
  return qi;
}

}  // namespace

QcResult verify_job(const Job& job, const PreparedJob& prepared, const QcProfile& profile,
                    const VerifyOptions& options) {
  const Plan& plan = prepared.plan;
  const fs::path& job_dir = prepared.job_dir;
  if (!fs::exists(job_dir)) {
    throw Error(ErrorKind::job, job_dir.string() + ": no such job output (was the job run?)");
  }
  // The calibration the plan resolved (the job's, or its recorder's): the frames are
  // rendered again through it, and its document class decides the aim.
  const FrameCalibration identity;
  const FrameCalibration& calibration = plan.calibration ? *plan.calibration : identity;
  const auto [aim_low, aim_high] = aim_range(calibration.document_class(), profile);
  const bool negative = job.polarity == Polarity::negative;
  QcResult result;
  Json& out = result.json;
  out["job"] = {{"id", job.id}, {"title", job.title}, {"institution", job.institution}};
  out["job"]["documents"] = Json::array();
  for (const Document& doc : job.documents) {
    Json d{{"id", doc.id}, {"title", doc.title}, {"metadata", Json::object()}};
    for (const auto& [k, v] : doc.metadata) d["metadata"][k] = v;
    out["job"]["documents"].push_back(d);
  }
  out["profile"] = profile.file.string();
  out["calibration"] = calibration.record();
  out["limits"] = {{"background", {aim_low, aim_high}},
                   {"positive_background_max", profile.positive_background_max},
                   {"base_fog_max", profile.base_fog_max},
                   {"frame_uniformity", profile.frame_uniformity},
                   {"reel_uniformity", profile.reel_uniformity},
                   {"min_modulation", profile.min_modulation},
                   {"e_height_mm", profile.e_height_mm},
                   {"qi_required", profile.qi_required},
                   {"ssim_min", profile.ssim_min},
                   {"ssim_block_min", profile.ssim_block_min}};
  out["verdict"] = "pass";
  out["failures"] = Json::array();
  out["warnings"] = Json::array();
  out["polarity"] = to_string(job.polarity);
  out["reels"] = Json::array();
  std::vector<qc::ReelPictures> pictures;
  SourceHashes hashes;
  std::optional<TargetTemplate> technical;
  if (plan.targets) {
    technical = load_template(
        template_file(plan.profiles_dir.empty() ? options.profiles_dir : plan.profiles_dir,
                      job.targets, FrameKind::technical_target));
  }
  const double src_qi = source_qi(job, prepared, profile.e_height_mm);
  std::uint64_t frames_checked = 0, frames_total = 0;
  for (const PlannedReel& reel : plan.reels) frames_total += reel.frame_count;

  for (const PlannedReel& reel : plan.reels) {
    const fs::path reel_dir = job_dir / reel.id, film_dir = reel_dir / "film";
    Json r{{"reel", reel.id}, {"verdict", "pass"}, {"frames_planned", reel.frame_count}};
    std::vector<std::string> reel_failures;
    auto fail = [&](const std::string& what) { reel_failures.push_back(reel.id + ": " + what); };
    qc::ReelPictures pics{reel.id, {}};

    // What is on the film: every F*.tif, by number.
    std::set<std::uint32_t> on_film;
    if (fs::is_directory(film_dir)) {
      for (const auto& entry : fs::directory_iterator(film_dir)) {
        const std::string name = entry.path().filename().string();
        if (name.size() == 11 && name[0] == 'F' && name.ends_with(".tif")) {
          on_film.insert(static_cast<std::uint32_t>(std::stoul(name.substr(1, 6))));
        }
      }
    }
    r["frames_on_film"] = on_film.size();
    std::map<std::uint32_t, IndexEntry> index;
    if (fs::exists(reel_dir / "index.csv")) {
      index = read_index(reel_dir / "index.csv");
    } else {
      fail("index.csv is missing");
    }
    if (on_film.empty()) fail(fmt::format("no developed film in {}", film_dir.string()));
    for (std::uint32_t n : on_film) {
      if (n == 0 || n > reel.frame_count) {
        fail(fmt::format("frame {} is on the film but not in the plan ({} frames)", n,
                         reel.frame_count));
      }
    }
    // A fiche header is written at a coarser pitch than the images (PlannedFrame).
    auto frame_pitch = [&](const PlannedFrame& f) {
      return f.pixel_pitch_um > 0 ? f.pixel_pitch_um : plan.pitch_um;
    };

    // The reel's tone curve from the first technical target's wedge, per channel.
    std::vector<ToneTable> reel_tone;
    Json tone_json{{"from", "each frame (the reel has no technical target)"}};
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count && technical;
         ++i) {
      const PlannedFrame& f = plan.frames[i];
      if (f.kind != FrameKind::technical_target || !on_film.contains(f.number)) continue;
      const Expected e = render_expected(job, plan, f, hashes);
      const DensityImage developed =
          read_developed_film(film_dir / fmt::format("F{:06}.tif", f.number));
      if (developed.width != e.sent.width || developed.height != e.sent.height) break;
      const std::uint32_t channels = judged_channels(developed, e.sent);
      const ChartLayout chart = technical_layout(*technical, f, frame_pitch(f));
      try {
        std::vector<ToneTable> tables;
        tone_json = {{"from", f.address + " wedge"}, {"readings", Json::array()}};
        for (std::uint32_t c = 0; c < channels; ++c) {
          const Plane film = channel_of(developed, c);
          std::vector<DensityReading> readings;
          for (std::size_t s = 0; s < chart.wedge_codes.size(); ++s) {
            const std::uint32_t x0 = chart.wedge_x + s * chart.wedge_step_width;
            double sum = 0;
            std::size_t n = 0;
            for (std::uint32_t y = chart.wedge_y + chart.wedge_height / 4;
                 y < chart.wedge_y + 3 * chart.wedge_height / 4; ++y) {
              for (std::uint32_t x = x0 + chart.wedge_step_width / 4;
                   x < x0 + 3 * chart.wedge_step_width / 4; ++x) {
                sum += film.at(x, y);
                ++n;
              }
            }
            const std::uint8_t sent =
                e.sent.pixels[(std::size_t{chart.wedge_y + chart.wedge_height / 2} * e.sent.width +
                               x0 + chart.wedge_step_width / 2) *
                                  e.sent.channels +
                              c];
            readings.push_back({double(sent), n ? sum / n : 0});
          }
          const DensityCurve curve = DensityCurve::fit(
              readings,
              f.address + " wedge" +
                  (channels == 3 ? std::string(" ") + channel_name(channels, c) : std::string()));
          ToneTable t{};
          for (int code = 0; code < 256; ++code) t[code] = curve.density(code);
          tables.push_back(t);
          for (const auto& rd : readings) {
            Json reading{{"code", rd.code}, {"density", round3(rd.density)}};
            if (channels == 3) reading["channel"] = channel_name(channels, c);
            tone_json["readings"].push_back(reading);
          }
        }
        reel_tone = std::move(tables);
      } catch (const Error& err) {
        tone_json = {{"from", "each frame (the wedge cannot be read)"}};
        fail(fmt::format("frame {} ({}): the technical target's wedge cannot be read: {}", f.number,
                         f.address, err.what()));
      }
      break;
    }
    r["tone_curve"] = tone_json;

    Json frames = Json::array();
    // Data frames decoded on this reel: their symbol errors and the least margin.
    Json data_frames_json = Json::array();
    std::uint64_t data_symbols = 0, data_errors = 0;
    int data_margin = -1;
    // Page backgrounds along the reel, per channel.
    std::vector<std::vector<std::pair<std::uint32_t, double>>> backgrounds(1);
    std::uint32_t reel_channels = 1;
    double base_fog_max = 0;
    Json resolution = nullptr;
    for (std::size_t i = reel.first_frame; i < reel.first_frame + reel.frame_count; ++i) {
      // Reported when the frame's checks are over, whichever way the iteration ends.
      const Finally report_progress([&] {
        if (options.on_progress) options.on_progress({reel.id, ++frames_checked, frames_total});
      });
      const PlannedFrame& f = plan.frames[i];
      const std::string where = fmt::format("frame {} ({})", f.number, f.address);
      Json fj{{"frame", f.number}, {"address", f.address}, {"kind", to_string(f.kind)}};
      std::vector<std::string> problems;
      auto frame_fail = [&](const std::string& what) {
        problems.push_back(what);
        fail(where + ": " + what);
      };
      // Completeness and order.
      const auto row = index.find(f.number);
      if (row == index.end()) {
        frame_fail("not in index.csv");
      } else if (row->second.address != f.address) {
        frame_fail(fmt::format("index.csv says {}, the plan {}", row->second.address, f.address));
      }
      if (!on_film.contains(f.number)) {
        frame_fail("missing on the film");
        // An empty tile in its place, so the contact sheet shows the gap.
        pics.thumbs.push_back({f.number, f.address, true,
                               (vips::VImage::black(100, 160) + 255).cast(VIPS_FORMAT_UCHAR)});
        fj["present"] = false;
        fj["failures"] = problems;
        fj["verdict"] = "fail";
        frames.push_back(fj);
        continue;
      }
      fj["present"] = true;
      const Expected e = render_expected(job, plan, f, hashes);
      if (row != index.end() && row->second.frame_sha256 != e.sent.sha256) {
        frame_fail(
            "the job now renders another frame than the one sent (sources or profiles "
            "changed since filming): the comparison below is against today's render");
      }
      const double pitch = frame_pitch(f);
      const DensityImage developed =
          read_developed_film(film_dir / fmt::format("F{:06}.tif", f.number));
      const std::uint32_t channels = judged_channels(developed, e.sent);
      std::vector<Plane> layers;
      for (std::uint32_t c = 0; c < channels; ++c) layers.push_back(channel_of(developed, c));
      const Plane& film = layers.front();
      if (channels > reel_channels) {
        reel_channels = channels;
        backgrounds.resize(channels);
      }
      fj["width"] = film.width;
      fj["height"] = film.height;
      if (channels > 1) fj["channels"] = channels;
      if (film.width != e.sent.width || film.height != e.sent.height) {
        frame_fail(fmt::format("the film frame is {}x{} px, the plan's {}x{} px", film.width,
                               film.height, e.sent.width, e.sent.height));
        pics.thumbs.push_back({f.number, f.address, true, thumbnail(film, 2.5)});
        fj["failures"] = problems;
        fj["verdict"] = "fail";
        frames.push_back(fj);
        continue;
      }
      const Placement& p = f.placement;
      const Rect page_rect{p.page_x_px, p.page_y_px, p.page_width_px, p.page_height_px};
      const Rect all{0, 0, film.width, film.height};
      const std::uint32_t edge = std::max<std::uint32_t>(2, std::lround(10.0 / pitch));
      // "red background 1.4 D ..." on colour film, "background 1.4 D ..." on grey.
      auto layer = [&](std::uint32_t c) {
        return channels == 1 ? std::string() : std::string(channel_name(channels, c)) + " ";
      };

      // Densities, per channel: base + fog on unexposed film outside the page, background on
      // the page's own paper, as a lab reads it: the brightest large uniform area of the page
      // (color/paper.hpp), whatever its code value, so aged and yellowed paper is judged too.
      // Colour pages and separations keep their paper's colour on film: their background is
      // read where the page is white in every channel.
      const auto clear = mask_where(e.page, film.width, film.height, page_rect, false, 0, edge);
      const bool neutral_paper = e.sent.channels > 1 || f.separation != Separation::none;
      Paper found;
      if (!neutral_paper) {
        found = find_paper(e.page, film.width, film.height,
                           {page_rect.x, page_rect.y, page_rect.width, page_rect.height}, negative,
                           paper_block_px(pitch));
      }
      const auto paper = neutral_paper
                             ? mask_where(e.neutral, film.width, film.height, page_rect, true,
                                          negative ? 255 : 0, edge)
                             : (found.found ? qc::erode(found.mask, film.width, film.height, edge)
                                            : std::vector<std::uint8_t>(e.page.size(), 0));
      const bool judged_page = f.kind == FrameKind::page || f.kind == FrameKind::substitute;
      Json dj = Json::object();
      if (judged_page && !neutral_paper) {
        dj["paper_code"] = found.found ? Json(found.level) : Json(nullptr);
        if (!found.found)
          dj["note"] = "no paper area (a picture fills the page): background not judged";
      }
      Json by_channel = Json::object();
      double d_hi = 0, background_sum = 0, base_fog_frame = 0, uniformity_frame = 0;
      bool has_background = false, has_base_fog = false;
      for (std::uint32_t c = 0; c < channels; ++c) {
        const Plane& layer_film = layers[c];
        Json cj = Json::object();
        const auto dmin = qc::masked_mean(layer_film, clear, all);
        if (dmin.count > 0) {
          has_base_fog = true;
          cj["base_fog"] = round3(dmin.mean);
          base_fog_frame = std::max(base_fog_frame, dmin.mean);
          if (dmin.mean > profile.base_fog_max + 1e-9) {
            frame_fail(fmt::format("{}base + fog {:.3f} D above {:.2f} D", layer(c), dmin.mean,
                                   profile.base_fog_max));
          }
        }
        const auto bg = qc::masked_mean(layer_film, paper, page_rect);
        if (c == 0) d_hi = bg.mean;
        if (bg.count > 0 && judged_page) {
          has_background = true;
          cj["background"] = round3(bg.mean);
          background_sum += bg.mean;
          backgrounds[c].push_back({f.number, bg.mean});
          if (negative && (bg.mean < aim_low - 1e-9 || bg.mean > aim_high + 1e-9)) {
            frame_fail(fmt::format("{}background {:.3f} D outside {:.2f}–{:.2f} D", layer(c),
                                   bg.mean, aim_low, aim_high));
          }
          if (!negative && bg.mean > profile.positive_background_max + 1e-9) {
            frame_fail(fmt::format("{}background {:.3f} D above {:.2f} D (positive)", layer(c),
                                   bg.mean, profile.positive_background_max));
          }
          // Uniformity: the page in a 4 x 4 grid, each cell's background against the frame's.
          double worst = 0;
          for (std::uint32_t gy = 0; gy < 4; ++gy) {
            for (std::uint32_t gx = 0; gx < 4; ++gx) {
              const Rect cell{page_rect.x + gx * page_rect.width / 4,
                              page_rect.y + gy * page_rect.height / 4, page_rect.width / 4,
                              page_rect.height / 4};
              const auto m = qc::masked_mean(layer_film, paper, cell);
              if (m.count >= 50) worst = std::max(worst, std::abs(m.mean - bg.mean));
            }
          }
          cj["uniformity"] = round3(worst);
          uniformity_frame = std::max(uniformity_frame, worst);
          if (worst > profile.frame_uniformity + 1e-9) {
            frame_fail(
                fmt::format("{}background varies by {:.3f} D within the frame (limit ±{:.2f})",
                            layer(c), worst, profile.frame_uniformity));
          }
        }
        by_channel[channel_name(channels, c)] = cj;
      }
      // One channel: the values as they are; three: the worst base + fog and uniformity and
      // the mean background (what the report plots), each channel's own below.
      if (has_base_fog) {
        dj["base_fog"] = round3(base_fog_frame);
        base_fog_max = std::max(base_fog_max, base_fog_frame);
      }
      if (has_background) {
        dj["background"] = round3(background_sum / channels);
        dj["uniformity"] = round3(uniformity_frame);
      }
      if (channels > 1) dj["channels"] = by_channel;
      fj["density"] = dj;

      // Content: the frame against its source as filmed, each channel on its own; the worst
      // channel counts.
      std::vector<ToneTable> tones;
      for (std::uint32_t c = 0; c < channels; ++c) {
        tones.push_back(c < reel_tone.size() ? reel_tone[c] : tone_from_frame(e, layers[c], c));
      }
      const ToneTable& tone = tones.front();
      const Plane want = expected_density(e, tone, 0);
      const std::uint32_t block =
          std::max<std::uint32_t>(8, std::lround(profile.block_mm * 1000 / pitch));
      // SSIM's constants scale with the density range: the frame's own, or at least the range
      // the film is meant to hold (paper aim over base + fog), so that the grain of a frame
      // with little or no structure (a blank fiche header tile) does not pass for a defect.
      const double least_range = std::max(0.5, aim_low - profile.base_fog_max);
      const double range = std::max(least_range, tone[255] - tone[0]);
      const std::uint32_t bin = std::max<std::uint32_t>(1, std::lround(10.0 / pitch));
      // The frame's outermost 2 x 10 um are left out: where a frame is exposed up to its edge
      // (a fiche header tile), the spot spreads light past the edge and the last pixels come
      // out thinner on film than the frame says.
      const std::uint32_t border = std::min({2 * edge, film.width / 4, film.height / 4});
      const Rect inner{border, border, film.width - 2 * border, film.height - 2 * border};
      qc::Ssim s;
      std::uint32_t worst_channel = 0;
      Json ssim_by_channel = Json::object();
      for (std::uint32_t c = 0; c < channels; ++c) {
        const ToneTable& t = tones[c];
        const qc::Ssim sc =
            qc::ssim(for_ssim(crop(c == 0 ? want : expected_density(e, t, c), inner), bin),
                     for_ssim(crop(layers[c], inner), bin), std::max<std::uint32_t>(8, block / bin),
                     std::max(least_range, t[255] - t[0]));
        ssim_by_channel[channel_name(channels, c)] = {{"ssim", round3(sc.mean)},
                                                      {"worst_block", round3(sc.worst_block)}};
        if (c == 0 || std::min(sc.mean, sc.worst_block) < std::min(s.mean, s.worst_block)) {
          worst_channel = c;
        }
        s.mean = c == 0 ? sc.mean : std::min(s.mean, sc.mean);
        if (c == 0 || sc.worst_block < s.worst_block) {
          s.worst_block = sc.worst_block;
          s.worst = sc.worst;
        }
      }
      s.worst = {inner.x + s.worst.x * bin, inner.y + s.worst.y * bin, s.worst.width * bin,
                 s.worst.height * bin};
      fj["ssim"] = round3(s.mean);
      fj["ssim_worst_block"] = round3(s.worst_block);
      fj["ssim_worst_at"] = {s.worst.x, s.worst.y, s.worst.width, s.worst.height};
      if (channels > 1) fj["ssim_channels"] = ssim_by_channel;
      const bool data_frame = f.kind == FrameKind::data;
      if (data_frame) {
        // A data frame's content is judged by decoding it (below), not by its likeness.
      } else if (s.mean < profile.ssim_min) {
        frame_fail(fmt::format("{}does not show its source: SSIM {:.3f} below {:.2f}",
                               channels > 1 ? layer(worst_channel) + "layer " : std::string(),
                               s.mean, profile.ssim_min));
      } else if (s.worst_block < profile.ssim_block_min) {
        frame_fail(fmt::format("{}a defect at x {} y {} px: block SSIM {:.3f} below {:.2f}",
                               channels > 1 ? layer(worst_channel) + "layer: " : std::string(),
                               s.worst.x, s.worst.y, s.worst_block, profile.ssim_block_min));
      }

      // Blip level and the image address, read back from the film (first channel: blips and
      // address are exposed in every channel).
      if (p.track_width_px > 0 && p.track_height_px > 0) {
        FrameImage binary{film.width, film.height, 1, std::vector<std::uint8_t>(film.v.size(), 0)};
        const double threshold = (tone[0] + tone[255]) / 2;
        for (std::size_t k = 0; k < film.v.size(); ++k)
          binary.pixels[k] = film.v[k] > threshold ? 255 : 0;
        const hal::BlipLevel blip = read_blip(binary, p, plan.format, pitch);
        fj["blip"] = hal::to_string(blip);
        if (blip != f.blip) {
          frame_fail(fmt::format("blip reads {}, the plan says {}", hal::to_string(blip),
                                 hal::to_string(f.blip)));
        }
        const Rect track{p.track_x_px, p.track_y_px, p.track_width_px, p.track_height_px};
        const qc::Ssim ts =
            qc::ssim(for_ssim(crop(want, track), bin), for_ssim(crop(film, track), bin),
                     std::max<std::uint32_t>(8, block / bin), range);
        fj["track_ssim"] = round3(ts.mean);
        if (ts.worst_block < profile.ssim_block_min) {
          frame_fail(fmt::format("blip track and address differ from the plan: SSIM {:.3f}",
                                 ts.worst_block));
        }
      }

      // The frame mark: in the blip track, or in the frame's margin where there is no track
      // (fiche). Decoded from the first channel (the modules are exposed in every channel).
      if (const MarkBox box = mark_box(p, plan.format, pitch); box.size > 0) {
        const std::uint32_t pad = 2 * box.module_px;
        const std::uint32_t x0 = box.x >= pad ? box.x - pad : 0,
                            y0 = box.y >= pad ? box.y - pad : 0;
        const std::uint32_t x1 = std::min(film.width, box.x + box.size + pad);
        const std::uint32_t y1 = std::min(film.height, box.y + box.size + pad);
        std::vector<std::uint8_t> grey(std::size_t{x1 - x0} * (y1 - y0));
        const double lo = tone[0], hi = std::max(tone[0] + 0.05, tone[255]);
        for (std::uint32_t y = y0; y < y1; ++y) {
          for (std::uint32_t x = x0; x < x1; ++x) {
            const double t = (film.at(x, y) - lo) / (hi - lo);
            grey[std::size_t{y - y0} * (x1 - x0) + (x - x0)] =
                static_cast<std::uint8_t>(std::clamp(255.0 * (1 - t), 0.0, 255.0));
          }
        }
        const auto text = decode_datamatrix(grey, x1 - x0, y1 - y0);
        const FrameMark want_mark{f.reel, f.number,
                                  FrameMark::hash_of(row != index.end() ? row->second.source_sha256
                                                                        : e.sent.source_sha256)};
        fj["mark_expected"] = want_mark.payload();
        fj["mark"] = text ? *text : "";
        fj["mark_at"] = {box.x, box.y, box.size};
        if (!text) {
          frame_fail("frame mark unreadable");
        } else if (const auto got = FrameMark::parse(*text); !got || !(*got == want_mark)) {
          frame_fail(fmt::format("frame mark says {}, expected {}", *text, want_mark.payload()));
        }
      }

      // Resolution on the technical target.
      if (f.kind == FrameKind::technical_target && technical) {
        const auto ink =
            mask_where(e.page, film.width, film.height, page_rect, true, negative ? 0 : 255, edge);
        const double d_lo = qc::masked_mean(film, ink, page_rect).mean;
        const ChartLayout chart = technical_layout(*technical, f, pitch);
        Resolution res = measure_chart(chart, film, negative ? d_hi : d_lo, negative ? d_lo : d_hi,
                                       profile.min_modulation);
        const double qi = res.finest_document * profile.e_height_mm;
        const double qi_possible = res.finest_drawn * profile.e_height_mm;
        res.json["frame"] = f.number;
        res.json["finest_resolved_document_lp_per_mm"] = res.finest_document;
        res.json["finest_resolved_film_lp_per_mm"] = round3(res.finest_document * f.reduction);
        res.json["finest_drawn_document_lp_per_mm"] = res.finest_drawn;
        res.json["left_out_lp_per_mm"] = chart.left_out;
        res.json["quality_index"] = round3(qi);
        res.json["quality_index_limit_of_pitch"] = round3(qi_possible);
        res.json["quality_index_required"] = profile.qi_required;
        res.json["quality_index_of_sources"] = round3(src_qi);
        res.json["meets_required"] = qi + 1e-9 >= profile.qi_required;
        fj["resolution"] = res.json;
        if (res.finest_document + 1e-9 < res.finest_drawn) {
          frame_fail(fmt::format(
              "resolution: finest resolved group {:g} lp/mm ({:g} on film), the "
              "recorder must resolve {:g}; QI {:.1f}",
              res.finest_document, res.finest_document * f.reduction, res.finest_drawn, qi));
        }
        if (resolution.is_null() ||
            res.finest_document < resolution["finest_resolved_document_lp_per_mm"].get<double>()) {
          resolution = res.json;
        }
      }
      // A data frame is decoded from the developed film, as restore reads it: it must be the
      // frame the plan put here, every codeword must decode, and the margin is reported (how
      // many more symbol errors the worst codeword could have taken).
      if (data_frame) {
        const fs::path film_file = film_dir / fmt::format("F{:06}.tif", f.number);
        const data::DecodedFrame d = data::decode_frame(data::read_film_image(film_file));
        const data::FileIdentity id = data_identity(job, plan, f);
        Json dj2{{"file", id.name}, {"frame", f.data_frame + 1}, {"decoded", d.is_data_frame}};
        if (!d.is_data_frame) {
          frame_fail("data frame does not decode: " + d.error);
        } else {
          const auto group =
              static_cast<std::uint32_t>(d.header.code.group_data + d.header.code.group_parity);
          const std::uint32_t at = d.header.group * group + d.header.index_in_group;
          const std::uint64_t symbols =
              std::uint64_t{d.header.codewords} * static_cast<std::uint64_t>(d.header.code.inner_n);
          const double rate = symbols ? double(d.symbol_errors) / double(symbols) : 0;
          dj2["symbol_errors"] = d.symbol_errors;
          dj2["symbol_error_rate"] = rate;
          dj2["max_errors_in_a_codeword"] = d.max_errors;
          dj2["margin"] = d.min_margin;
          dj2["codewords_failed"] = d.codewords_failed;
          dj2["samples_per_module"] = round3(d.samples_per_module);
          dj2["contrast_d"] = round3(d.contrast_d);
          data_frames_json.push_back(
              {{"frame", f.number}, {"errors", d.symbol_errors}, {"margin", d.min_margin}});
          data_symbols += symbols;
          data_errors += d.symbol_errors;
          data_margin = data_margin < 0 ? d.min_margin : std::min(data_margin, d.min_margin);
          if (d.header.document != id.document || d.header.file_index != id.file_index ||
              at != f.data_frame) {
            frame_fail(
                fmt::format("data frame holds {} file {} frame {}, the plan {} file {} "
                            "frame {}",
                            d.header.document, d.header.file_index, at + 1, id.document,
                            id.file_index, f.data_frame + 1));
          } else if (d.codewords_failed > 0) {
            frame_fail(
                fmt::format("data frame: {} codeword(s) beyond the inner code (the outer "
                            "code may still rebuild them)",
                            d.codewords_failed));
          }
        }
        fj["data"] = dj2;
      }
      fj["failures"] = problems;
      fj["verdict"] = problems.empty() ? "pass" : "fail";
      frames.push_back(fj);
      pics.thumbs.push_back({f.number, f.address, !problems.empty(), thumbnail(film, 2.5)});
    }

    if (!data_frames_json.empty()) {
      r["data"] = {{"frames", data_frames_json.size()},
                   {"symbol_errors", data_errors},
                   {"symbol_error_rate", data_symbols ? double(data_errors) / data_symbols : 0.0},
                   {"least_margin", data_margin}};
    }
    // Along the reel.
    Json density{{"aim", {aim_low, aim_high}}, {"base_fog_max", round3(base_fog_max)}};
    // Each channel's backgrounds against that channel's mean along the reel.
    Json density_channels = Json::object();
    for (std::uint32_t c = 0; c < backgrounds.size(); ++c) {
      const auto& series = backgrounds[c];
      if (series.empty()) continue;
      double sum = 0, lo = 1e9, hi = -1e9;
      for (const auto& [n, d] : series) {
        sum += d;
        lo = std::min(lo, d);
        hi = std::max(hi, d);
      }
      const double mean = sum / series.size();
      const std::string prefix =
          reel_channels == 1 ? std::string() : std::string(channel_name(reel_channels, c)) + " ";
      double worst = 0;
      for (const auto& [n, d] : series) {
        worst = std::max(worst, std::abs(d - mean));
        if (std::abs(d - mean) > profile.reel_uniformity + 1e-9) {
          fail(
              fmt::format("frame {}: {}background {:.3f} D is {:.3f} D from the reel's mean "
                          "{:.3f} D (limit ±{:.2f})",
                          n, prefix, d, d - mean, mean, profile.reel_uniformity));
          for (auto& fj : frames) {
            if (fj["frame"] == n) {
              fj["failures"].push_back("along the reel: " + prefix +
                                       "background off the reel's mean");
              fj["verdict"] = "fail";
            }
          }
        }
      }
      const Json stats{{"background_mean", round3(mean)},
                       {"background_min", round3(lo)},
                       {"background_max", round3(hi)},
                       {"reel_uniformity", round3(worst)}};
      if (reel_channels == 1) {
        density.update(stats);
      } else {
        density_channels[channel_name(reel_channels, c)] = stats;
      }
    }
    if (reel_channels > 1 && !density_channels.empty()) {
      // The summary over the layers: mean of the means, the extremes, the worst uniformity.
      double sum = 0, lo = 1e9, hi = -1e9, worst = 0;
      for (const auto& [name, stats] : density_channels.items()) {
        sum += stats["background_mean"].get<double>();
        lo = std::min(lo, stats["background_min"].get<double>());
        hi = std::max(hi, stats["background_max"].get<double>());
        worst = std::max(worst, stats["reel_uniformity"].get<double>());
      }
      density["background_mean"] = round3(sum / density_channels.size());
      density["background_min"] = round3(lo);
      density["background_max"] = round3(hi);
      density["reel_uniformity"] = round3(worst);
      density["channels"] = density_channels;
    }
    r["density"] = density;
    r["resolution"] = resolution;
    if (technical && resolution.is_null()) fail("no technical target could be measured");
    // The quality index against the masters' requirement: a failure, or where the QC profile
    // says so (a recorder whose pitch cannot reach it at this reduction) a warning that is
    // printed with the verdict, never a silent pass.
    std::vector<std::string> reel_warnings;
    if (!resolution.is_null() && !resolution["meets_required"].get<bool>()) {
      const std::string what = fmt::format(
          "QI {:.1f} below the required {:g} (finest resolved group {:g} lp/mm on the document, "
          "{:g} on film; e = {:g} mm; the chart's finest group the recorder's pitch can write "
          "gives QI {:.1f})",
          resolution["quality_index"].get<double>(), profile.qi_required,
          resolution["finest_resolved_document_lp_per_mm"].get<double>(),
          resolution["finest_resolved_film_lp_per_mm"].get<double>(), profile.e_height_mm,
          resolution["quality_index_limit_of_pitch"].get<double>());
      if (profile.qi_below_required_fails) {
        fail(what);
      } else {
        reel_warnings.push_back(reel.id + ": " + what);
      }
    }
    r["warnings"] = reel_warnings;
    for (const auto& w : reel_warnings) {
      result.warnings.push_back(w);
      out["warnings"].push_back(w);
    }
    for (auto& t : pics.thumbs) {
      for (const auto& fj : frames) {
        if (fj["frame"] == t.frame) t.failed = fj["verdict"] == "fail";
      }
    }
    r["frames"] = frames;
    r["failures"] = reel_failures;
    if (!reel_failures.empty()) {
      r["verdict"] = "fail";
      out["verdict"] = "fail";
      result.passed = false;
    }
    for (const auto& f : reel_failures) {
      result.failures.push_back(f);
      out["failures"].push_back(f);
    }
    if (options.contact_sheets && !pics.thumbs.empty() && fs::is_directory(reel_dir)) {
      const auto file = reel_dir / "contact.jpg";
      qc::write_contact_sheet(pics, file);
      result.contact_sheets.push_back(file);
      r["contact_sheet"] = reel.id + "/contact.jpg";
    }
    out["reels"].push_back(r);
    pictures.push_back(std::move(pics));
  }
  result.qc_json = job_dir / "qc.json";
  write_file_atomic(result.qc_json, out.dump(2) + "\n");
  if (options.report) {
    Json inspections = Json::array();
    if (!options.catalog.empty() && fs::exists(options.catalog)) {
      const Catalog catalog(options.catalog);
      for (const Inspection& i : list_inspections(catalog, job.id)) {
        inspections.push_back({{"reel", i.reel},
                               {"date", i.date},
                               {"ad_strip", i.ad_strip},
                               {"densities", i.densities},
                               {"notes", i.notes},
                               {"recorded_at", i.recorded_at},
                               {"earlier_filming", i.earlier_filming}});
      }
    }
    result.report_html = job_dir / "report.html";
    write_file_atomic(result.report_html, qc::report_html(out, pictures, inspections));
  }
  return result;
}

}  // namespace fw
