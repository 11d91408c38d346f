#include "model/job.hpp"

namespace fw {

const char* to_string(ImageMode mode) {
  switch (mode) {
    case ImageMode::bitonal:
      return "bitonal";
    case ImageMode::grey:
      return "grey";
    case ImageMode::colour:
      return "colour";
  }
  return "?";
}

const char* to_string(Polarity polarity) {
  switch (polarity) {
    case Polarity::negative:
      return "negative";
    case Polarity::positive:
      return "positive";
  }
  return "?";
}

const char* to_string(FailurePolicy policy) {
  switch (policy) {
    case FailurePolicy::fail:
      return "fail";
    case FailurePolicy::skip_document:
      return "skip-document";
    case FailurePolicy::substitute:
      return "substitute";
  }
  return "?";
}

const char* to_string(OversizePolicy policy) {
  switch (policy) {
    case OversizePolicy::fail:
      return "fail";
    case OversizePolicy::reduce:
      return "reduce";
    case OversizePolicy::split:
      return "split";
  }
  return "?";
}

const char* to_string(ColourRoute route) {
  return route == ColourRoute::separations ? "separations" : "film";
}

PageSettings with_overrides(PageSettings settings, const PageSettingsOverride& overrides) {
  if (overrides.reduction) settings.reduction = *overrides.reduction;
  if (overrides.mode) settings.mode = *overrides.mode;
  if (overrides.dpi) settings.dpi = overrides.dpi;
  if (overrides.force_dpi) settings.force_dpi = *overrides.force_dpi;
  if (overrides.rotate) settings.rotate = *overrides.rotate;
  if (overrides.threshold) settings.threshold = *overrides.threshold;
  if (overrides.on_error) settings.on_error = *overrides.on_error;
  if (overrides.colour_route) settings.colour_route = *overrides.colour_route;
  if (overrides.oversize) settings.oversize = *overrides.oversize;
  if (overrides.section_overlap_mm) settings.section_overlap_mm = *overrides.section_overlap_mm;
  return settings;
}

PageSettings settings_for(const Job& job, const Document& document) {
  return with_overrides(job.defaults, document.overrides);
}

bool data_frames_for(const Job& job, const Document& document) {
  return document.data_frames.value_or(job.data.masters);
}

const char* to_string(DataPlacement placement) {
  return placement == DataPlacement::reel_end ? "reel-end" : "document";
}

}  // namespace fw
