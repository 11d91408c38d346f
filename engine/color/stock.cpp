#include "color/stock.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <toml++/toml.h>

#include "core/error.hpp"

namespace fw {
namespace {

[[noreturn]] void stock_error(const std::filesystem::path& file, const toml::node* node,
                              const std::string& key, const std::string& what) {
  const auto line = node ? node->source().begin.line : 1;
  throw Error(ErrorKind::job, fmt::format("{}:{}: {}: {}", file.string(), line, key, what));
}

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
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw Error(ErrorKind::job,
                fmt::format("{}:{}: {}", file.string(), e.source().begin.line, e.description()));
  }
  StockAims stock;
  stock.name = name;
  const toml::array* channels = root.get_as<toml::array>("channels");
  if (!channels || (channels->size() != 1 && channels->size() != 3)) {
    stock_error(file, channels ? static_cast<const toml::node*>(channels) : &root, "channels",
                "expected [\"grey\"] or three channel names");
  }
  for (const auto& channel : *channels) {
    auto channel_name = channel.value<std::string>();
    if (!channel_name) stock_error(file, &channel, "channels", "expected strings");
    stock.channels.push_back(*channel_name);
  }
  if (const toml::table* aims = root.get_as<toml::table>("aim")) {
    for (const auto& [key, node] : *aims) {
      const std::string k(key.str());
      const auto v = node.value<double>();
      if (!v || *v < 0 || *v > 4) stock_error(file, &node, "aim." + k, "expected a number 0–4");
      stock.aims.emplace_back(k, *v);
    }
  }
  return stock;
}

}  // namespace fw
