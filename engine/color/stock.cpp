#include "color/stock.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "base/toml_reader.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

std::string known_stocks(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  return known;
}

}  // namespace

StockAims load_stock_aims(const std::filesystem::path& profiles_dir, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name.starts_with('.')) {
    throw Error(ErrorKind::job, fmt::format("stocks: expected a profile name, got \"{}\"", name));
  }
  const auto file = profiles_dir / "stocks" / (name + ".toml");
  if (!std::filesystem::is_regular_file(file)) {
    throw Error(ErrorKind::job, fmt::format("{}: no such profile (known: {})", file.string(),
                                            known_stocks(profiles_dir / "stocks")));
  }
  static constexpr std::string_view kChannels = "[\"grey\"] or three channel names";
  const TomlDocument document = TomlDocument::load(file);
  const TomlTable root = document.root();
  StockAims stock;
  stock.name = name;
  std::optional<TomlValue> channels;
  // The keys the sim's reader knows too (drivers/sim/sim_physics.cpp, load_stock): the curves
  // are the sim's, checked there; calibration needs only the channels and the aims.
  root.read({
      {"description", [](const TomlValue& v) { v.string(); }},
      {"channels", [&](const TomlValue& v) { channels = v; }},
      {"curve", [](const TomlValue& v) { v.table(); }},
      {"aim",
       [&](const TomlValue& v) {
         const TomlTable aims = v.table("a table of document class = density");
         for (const TomlValue& aim : aims.entries()) {
           stock.aims.emplace_back(aims.name_of(aim), aim.number(NumberRange::between(0, 4)));
         }
         // By class name, as this reader has always listed them (the sim's reader does too).
         std::ranges::stable_sort(stock.aims, {}, [](const auto& a) { return a.first; });
       }},
  });
  if (!channels) channels = root.require("channels", kChannels);
  const std::vector<TomlValue> names = channels->array(kChannels);
  if (names.size() != 1 && names.size() != 3) channels->fail(kChannels);
  for (const TomlValue& channel : names) stock.channels.push_back(channel.text("a channel name"));
  return stock;
}

}  // namespace fw
