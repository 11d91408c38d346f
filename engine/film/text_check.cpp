#include "film/text_check.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "base/sha256.hpp"
#include "base/utc.hpp"
#include "film/target_layout.hpp"

namespace fw {
namespace {

std::string job_place(const Job& job) {
  return job.file.empty() ? std::string("job") : job.file.string();
}

// The language targets and substitutes are set in (render/target.cpp draws with the default style).
constexpr const char* kTargetLanguage = "zh-Hans";
// Image addresses are drawn as Latin text (render/blip.cpp).
constexpr const char* kAddressLanguage = "en";

}  // namespace

std::shared_ptr<const TextEngine> job_text_engine(const Job& job) {
  const std::filesystem::path set = TextEngine::find_font_set(job.fonts, job.base_dir);
  try {
    return TextEngine::load_shared(set, job.base_dir);
  } catch (const MissingGlyph&) {
    throw;
  } catch (const Error& e) {
    if (job.fonts.empty()) throw;
    throw with_context(job_place(job) + ": fonts", e);
  }
}

void check_document_text(const Job& job, const TextEngine& text,
                         std::vector<DocumentPages>& documents) {
  const std::string place = job_place(job);
  text.check(job.id, place + ": id", kTargetLanguage);
  text.check(job.title, place + ": title", kTargetLanguage);
  text.check(job.institution, place + ": institution", kTargetLanguage);
  text.check(job.operator_name, place + ": operator", kTargetLanguage);
  for (DocumentPages& pages : documents) {
    if (pages.skipped || pages.document >= job.documents.size()) continue;
    const Document& document = job.documents[pages.document];
    const auto check = [&](const std::string& string, const std::string& key,
                           const char* language) {
      text.check(string,
                 place + ": " + document.key + "." + key + " (document " + document.id + ")",
                 language);
    };
    try {
      // The id is part of every image address and of the targets' text.
      check(document.id, "id", kAddressLanguage);
      check(document.id, "id", kTargetLanguage);
      check(document.title, "title", kTargetLanguage);
      for (const auto& [key, value] : document.metadata) {
        check(key, "metadata." + key, kTargetLanguage);
        check(value, "metadata." + key, kTargetLanguage);
      }
      // TOC titles are drawn on the TOC target frames; the message names the file and line
      // the entry is written at (the job file or the TOC's CSV).
      for (const TocEntry& entry : document.toc) {
        text.check(entry.title,
                   fmt::format("{}: {}.title (document {})", entry.origin, entry.key, document.id),
                   kTargetLanguage);
      }
      for (const DeclaredSubstitute& substitute : document.substitutes) {
        text.check(substitute.note,
                   fmt::format("{}: {}.note (document {})", place, substitute.key, document.id),
                   kTargetLanguage);
      }
      // Any page of a `substitute` document may be replaced while rendering; its target names
      // the source file, so every file name must be drawable too.
      if (settings_for(job, document).on_error == FailurePolicy::substitute) {
        std::set<std::filesystem::path> files;
        for (const SourcePage& page : pages.pages) files.insert(page.ref.file);
        for (const auto& file : files)
          check(film_path(job, file.string()), "pages", kTargetLanguage);
      }
    } catch (const MissingGlyph& e) {
      if (settings_for(job, document).on_error != FailurePolicy::skip_document) throw;
      pages.skipped = true;
      pages.skip_reason = e.what();
    }
  }
}

namespace {

// What the plan's frames are drawn with, gathered while their texts are checked: each template
// and each font once, then recorded with their files' sha256 (film/drawn_with.hpp).
class DrawnFiles {
 public:
  explicit DrawnFiles(const TextEngine& engine) : engine_(engine) {
    if (const int font = engine.cap_height_font(); font >= 0) fonts_.insert(font);
  }
  // Checks that every character of `text` can be drawn (MissingGlyph names it and `context`)
  // and keeps the fonts that draw them.
  void check(const std::string& text, const std::string& context, const std::string& language) {
    for (const std::uint32_t font : engine_.check(text, context, language)) {
      fonts_.insert(static_cast<int>(font));
    }
  }
  void target(const Job& job, const Plan& plan, const PlannedFrame& frame) {
    templates_.insert(drawn_file_name(frame_template_file(job, plan, frame)));
  }
  // A page of a `substitute` document may be replaced by its substitution target while
  // rendering: that template is drawn with as well.
  void substitutes(const Job& job, const Plan& plan) {
    for (std::size_t d = 0; d < job.documents.size(); ++d) {
      const Document& document = job.documents[d];
      if (settings_for(job, document).on_error != FailurePolicy::substitute) continue;
      PlannedFrame frame;
      frame.kind = FrameKind::substitute;
      frame.document = d;
      frame.target = document.substitute_target;
      const std::filesystem::path file = frame_template_file(job, plan, frame);
      if (std::filesystem::is_regular_file(file)) templates_.insert(drawn_file_name(file));
    }
  }
  DrawnWith recorded() const {
    DrawnWith drawn;
    for (const std::string& file : templates_) drawn.templates.push_back({file, sha256_file(file)});
    const std::string set = drawn_file_name(engine_.font_set_file());
    drawn.font_set = {set, sha256_file(set)};
    // A collection's faces share one file: each file once, in path order.
    std::set<std::string> files;
    for (int font : fonts_) files.insert(drawn_file_name(engine_.fonts().at(font).file));
    for (const std::string& file : files) drawn.fonts.push_back({file, sha256_file(file)});
    return drawn;
  }

 private:
  const TextEngine& engine_;
  std::set<std::string> templates_;
  std::set<int> fonts_;
};

}  // namespace

void prepare_plan_text(const Job& job, Plan& plan, std::shared_ptr<const TextEngine> text) {
  plan.text = std::move(text);
  if (plan.filming_date.empty()) plan.filming_date = today_utc_date();
  const TextEngine& engine = plan_text(plan);
  DrawnFiles drawn(engine);
  drawn.substitutes(job, plan);
  for (const PlannedFrame& frame : plan.frames) {
    const Document& document = job.documents.at(frame.document);
    const std::string where =
        fmt::format("reel {} frame {} ({} {}, document {} ({}))", plan.reels.at(frame.reel - 1).id,
                    frame.number, to_string(frame.kind), frame.address, document.id, document.key);
    const bool has_track =
        frame.placement.track_width_px > 0 && frame.placement.track_height_px > 0;
    if (has_track && plan.format.blips.address_height_mm > 0) {
      drawn.check(frame.address, where + ": image address", kAddressLanguage);
    }
    // The tiles of a fiche header show one strip: its text is checked once per sheet.
    const bool header_tile = frame.kind == FrameKind::fiche_header && frame.grid_column > 1;
    if (frame.kind == FrameKind::page || frame.kind == FrameKind::data || header_tile) continue;
    std::vector<FilledText> texts;
    try {
      texts = target_texts(job, plan, frame);
    } catch (const Error& e) {
      throw with_context(where, e);
    }
    drawn.target(job, plan, frame);
    for (const FilledText& filled : texts) {
      drawn.check(filled.text, where + ", " + filled.context, filled.block.language);
    }
    // The entries a TOC frame lists must fit on it, and every text on its target: film cannot
    // show text drawn off the frame, and text drawn over text cannot be read.
    check_toc_fits(job, plan, frame);
    check_target_fits(job, plan, frame);
  }
  plan.drawn_with = drawn.recorded();
}

}  // namespace fw
