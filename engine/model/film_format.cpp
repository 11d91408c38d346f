#include "model/film_format.hpp"

namespace fw {

const char* to_string(Orientation orientation) {
  switch (orientation) {
    case Orientation::comic:
      return "comic";
    case Orientation::cine:
      return "cine";
  }
  return "comic";
}

const char* to_string(FilmLayout layout) {
  return layout == FilmLayout::fiche ? "fiche" : "roll";
}

const char* to_string(ReadingOrder order) {
  return order == ReadingOrder::columns ? "columns" : "rows";
}

}  // namespace fw
