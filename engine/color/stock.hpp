// What calibration needs of a film stock profile (profiles/stocks/NAME.toml): its channels and
// the aim background density of each document class. The sim reads the rest of the profile
// (its characteristic curves) for itself.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace fw {

struct StockAims {
  std::string name;
  std::vector<std::string> channels;                 // "grey", or "red", "green", "blue"
  std::vector<std::pair<std::string, double>> aims;  // document class -> background density
};

// Error(job) naming the file, line and key, or the known stocks when there is no such file.
StockAims load_stock_aims(const std::filesystem::path& profiles_dir, const std::string& name);

}  // namespace fw
