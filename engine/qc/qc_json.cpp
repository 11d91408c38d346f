#include "qc/qc_json.hpp"

#include "qc/measure.hpp"

namespace fw::qc {
namespace {

using Json = nlohmann::ordered_json;

Json density_json(const DensityResult& d) {
  Json dj = Json::object();
  if (d.judged_page && !d.neutral_paper) {
    dj["paper_code"] = d.paper_found ? Json(d.paper_level) : Json(nullptr);
    if (!d.paper_found)
      dj["note"] = "no paper area (a picture fills the page): background not judged";
  }
  // One channel: the values as they are; three: the worst base + fog and uniformity and the
  // mean background (what the report plots), each channel's own below.
  if (d.base_fog) dj["base_fog"] = round3(*d.base_fog);
  if (d.background) {
    dj["background"] = round3(*d.background);
    dj["uniformity"] = round3(*d.uniformity);
  }
  const auto channels = static_cast<std::uint32_t>(d.channels.size());
  if (channels > 1) {
    Json by_channel = Json::object();
    for (std::uint32_t c = 0; c < channels; ++c) {
      const ChannelDensity& cd = d.channels[c];
      Json cj = Json::object();
      if (cd.base_fog) cj["base_fog"] = round3(*cd.base_fog);
      if (cd.background) {
        cj["background"] = round3(*cd.background);
        cj["uniformity"] = round3(*cd.uniformity);
      }
      by_channel[channel_name(channels, c)] = cj;
    }
    dj["channels"] = by_channel;
  }
  return dj;
}

Json resolution_json(const ResolutionResult& r) {
  Json j;
  j["groups"] = Json::array();
  for (const ChartGroupResult& g : r.groups) {
    j["groups"].push_back({{"document_lp_per_mm", g.document_lp_per_mm},
                           {"film_lp_per_mm", round3(g.film_lp_per_mm)},
                           {"modulation_vertical_bars", round3(g.modulation_vertical_bars)},
                           {"modulation_horizontal_bars", round3(g.modulation_horizontal_bars)},
                           {"resolved", g.resolved}});
  }
  j["frame"] = r.frame;
  j["finest_resolved_document_lp_per_mm"] = r.finest_document;
  j["finest_resolved_film_lp_per_mm"] = round3(r.finest_document * r.reduction);
  j["finest_drawn_document_lp_per_mm"] = r.finest_drawn;
  j["left_out_lp_per_mm"] = r.left_out;
  j["quality_index"] = round3(r.quality_index);
  j["quality_index_limit_of_pitch"] = round3(r.quality_index_limit_of_pitch);
  j["quality_index_required"] = r.quality_index_required;
  j["quality_index_of_sources"] = round3(r.quality_index_of_sources);
  j["meets_required"] = r.meets_required;
  return j;
}

Json tone_json(const ReelTone& tone, std::uint32_t channels) {
  Json j{{"from", tone.from}};
  if (tone.tables.empty()) return j;
  j["readings"] = Json::array();
  for (const WedgeReading& r : tone.readings) {
    Json reading{{"code", r.code}, {"density", round3(r.density)}};
    if (channels == 3) reading["channel"] = channel_name(channels, r.channel);
    j["readings"].push_back(reading);
  }
  return j;
}

}  // namespace

Json frame_json(const FrameVerdict& frame) {
  const FrameVerdict& v = frame;
  Json fj{{"frame", v.frame}, {"address", v.address}, {"kind", to_string(v.kind)}};
  if (v.substitute) {
    const SubstituteFor& s = *v.substitute;
    fj["substitute_for"] = {{"document", s.document},
                            {"page", s.page},
                            {"file", s.file.empty() ? Json(nullptr) : Json(s.file)},
                            {"file_page", s.file.empty() ? Json(nullptr) : Json(s.file_page)},
                            {"reason", s.reason.empty() ? Json(nullptr) : Json(s.reason)},
                            {"declared", s.declared}};
  }
  fj["present"] = v.present;
  if (v.present) {
    fj["width"] = v.width;
    fj["height"] = v.height;
    if (v.channels > 1) fj["channels"] = v.channels;
  }
  if (v.density) fj["density"] = density_json(*v.density);
  if (v.content) {
    const Ssim& s = v.content->worst;
    fj["ssim"] = round3(s.mean);
    fj["ssim_worst_block"] = round3(s.worst_block);
    fj["ssim_worst_at"] = {s.worst.x, s.worst.y, s.worst.width, s.worst.height};
    const auto channels = static_cast<std::uint32_t>(v.content->channels.size());
    if (channels > 1) {
      Json by_channel = Json::object();
      for (std::uint32_t c = 0; c < channels; ++c) {
        by_channel[channel_name(channels, c)] = {
            {"ssim", round3(v.content->channels[c].mean)},
            {"worst_block", round3(v.content->channels[c].worst_block)}};
      }
      fj["ssim_channels"] = by_channel;
    }
  }
  if (v.blip) fj["blip"] = hal::to_string(v.blip->read);
  if (v.track) fj["track_ssim"] = round3(v.track->ssim.mean);
  if (v.mark) {
    fj["mark_expected"] = v.mark->expected;
    fj["mark"] = v.mark->read;
    fj["mark_at"] = {v.mark->box.x, v.mark->box.y, v.mark->box.size};
  }
  if (v.resolution) fj["resolution"] = resolution_json(*v.resolution);
  if (v.data) {
    const DataFrameResult& d = *v.data;
    Json dj{{"file", d.file}, {"frame", d.frame}, {"decoded", d.decoded}};
    if (d.decoded) {
      dj["symbol_errors"] = d.symbol_errors;
      dj["symbol_error_rate"] = d.symbols ? double(d.symbol_errors) / double(d.symbols) : 0.0;
      dj["max_errors_in_a_codeword"] = d.max_errors;
      dj["margin"] = d.margin;
      dj["codewords_failed"] = d.codewords_failed;
      dj["samples_per_module"] = round3(d.samples_per_module);
      dj["contrast_d"] = round3(d.contrast_d);
    }
    fj["data"] = dj;
  }
  fj["failures"] = v.problems;
  fj["verdict"] = v.passed() ? "pass" : "fail";
  return fj;
}

Json reel_json(const ReelVerdict& reel, double aim_low, double aim_high) {
  Json r{{"reel", reel.reel},
         {"verdict", reel.passed() ? "pass" : "fail"},
         {"frames_planned", reel.frames_planned}};
  r["frames_on_film"] = reel.frames_on_film;
  r["substitutes"] = reel.substitutes;
  r["tone_curve"] = tone_json(reel.tone, reel.channels);
  Json density{{"aim", {aim_low, aim_high}}, {"base_fog_max", round3(reel.base_fog_max)}};
  Json density_channels = Json::object();
  for (std::uint32_t c = 0; c < reel.density.channels.size(); ++c) {
    const auto& stats = reel.density.channels[c];
    if (!stats) continue;
    const Json j{{"background_mean", round3(stats->mean)},
                 {"background_min", round3(stats->min)},
                 {"background_max", round3(stats->max)},
                 {"reel_uniformity", round3(stats->uniformity)}};
    if (reel.channels == 1) {
      density.update(j);
    } else {
      density_channels[channel_name(reel.channels, c)] = j;
    }
  }
  if (reel.channels > 1 && !density_channels.empty()) {
    // The summary over the layers (of the rounded figures above): mean of the means, the
    // extremes, the worst uniformity.
    double sum = 0, lo = 1e9, hi = -1e9, worst = 0;
    for (const auto& [name, stats] : density_channels.items()) {
      sum += stats["background_mean"].get<double>();
      lo = std::min(lo, stats["background_min"].get<double>());
      hi = std::max(hi, stats["background_max"].get<double>());
      worst = std::max(worst, stats["reel_uniformity"].get<double>());
    }
    density["background_mean"] = round3(sum / static_cast<double>(density_channels.size()));
    density["background_min"] = round3(lo);
    density["background_max"] = round3(hi);
    density["reel_uniformity"] = round3(worst);
    density["channels"] = density_channels;
  }
  r["density"] = density;
  r["resolution"] = reel.resolution ? resolution_json(*reel.resolution) : Json(nullptr);
  if (reel.qi_shortfall != ReelVerdict::QiShortfall::none) {
    r["resolution"]["below_required"] =
        reel.qi_shortfall == ReelVerdict::QiShortfall::failure ? "failure" : "warning";
  }
  if (reel.data.checked > 0) {
    r["data"] = {
        {"frames_checked", reel.data.checked},
        {"frames", reel.data.frames},
        {"symbol_errors", reel.data.symbol_errors},
        {"symbol_error_rate",
         reel.data.symbols ? double(reel.data.symbol_errors) / double(reel.data.symbols) : 0.0},
        {"least_margin", reel.data.least_margin}};
  }
  r["warnings"] = reel.warnings;
  r["frames"] = Json::array();
  for (const FrameVerdict& f : reel.frames) r["frames"].push_back(frame_json(f));
  r["failures"] = reel.failures;
  return r;
}

}  // namespace fw::qc
