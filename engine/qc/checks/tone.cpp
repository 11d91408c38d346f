#include "qc/checks/tone.hpp"

#include "color/density_curve.hpp"
#include "core/error.hpp"

namespace fw::qc {

ReelTone tone_without_target() {
  return {"each frame (the reel has no technical target)", {}, {}, std::nullopt};
}

ReelTone read_reel_tone(const ChartLayout& chart, const std::vector<FilmPlane>& layers,
                        const std::uint8_t* sent, std::uint32_t width, std::uint32_t stride,
                        const std::string& address, const std::vector<std::string>& names) {
  ReelTone out;
  out.from = address + " wedge";
  try {
    for (std::uint32_t c = 0; c < layers.size(); ++c) {
      const FilmPlane& film = layers[c];
      std::vector<DensityReading> readings;
      for (std::size_t s = 0; s < chart.wedge_codes.size(); ++s) {
        const std::uint32_t x0 =
            chart.wedge_x + static_cast<std::uint32_t>(s) * chart.wedge_step_width;
        // The middle half of the step, away from its blurred edges.
        const Rect middle{x0 + chart.wedge_step_width / 4, chart.wedge_y + chart.wedge_height / 4,
                          3 * chart.wedge_step_width / 4 - chart.wedge_step_width / 4,
                          3 * chart.wedge_height / 4 - chart.wedge_height / 4};
        const std::uint8_t code =
            sent[(std::size_t{chart.wedge_y + chart.wedge_height / 2} * width + x0 +
                  chart.wedge_step_width / 2) *
                     stride +
                 c];
        readings.push_back({double(code), mean_density(film, middle)});
      }
      const DensityCurve curve = DensityCurve::fit(
          readings, address + " wedge" + (names[c].empty() ? std::string() : " " + names[c]));
      ToneTable t{};
      for (int code = 0; code < 256; ++code) t[code] = curve.density(code);
      out.tables.push_back(t);
      for (const auto& r : readings) out.readings.push_back({c, r.code, r.density});
    }
  } catch (const Error& e) {
    out = {"each frame (the wedge cannot be read)",
           {},
           {},
           std::string("the technical target's wedge cannot be read: ") + e.what()};
  }
  return out;
}

ToneTable tone_from_frame(const std::uint8_t* sent, std::uint32_t stride, std::uint32_t channel,
                          const FilmPlane& film) {
  std::array<std::uint64_t, 256> sum{}, count{};
  const std::size_t pixels = std::size_t{film.width} * film.height;
  for (std::size_t i = 0; i < pixels; ++i) {
    const std::uint8_t code = sent[i * stride + channel];
    sum[code] += film.data[i * film.stride];
    ++count[code];
  }
  ToneTable t{};
  int last = -1;
  for (int c = 0; c < 256; ++c) {
    if (count[c] == 0) continue;
    t[c] = static_cast<double>(sum[c]) / static_cast<double>(count[c]) / film.scale;
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

}  // namespace fw::qc
