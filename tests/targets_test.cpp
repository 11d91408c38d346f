// Targets rendered from profiles/targets/standard: the technical target's chart, wedge,
// patches and scale measured in pixels; templates and placeholders.
#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/files.hpp"
#include "core/error.hpp"
#include "film/text_check.hpp"
#include "render/target.hpp"
#include "support/test_support.hpp"

namespace fw::targets_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kPitchUm = 5.0;  // Nyquist 100 lp/mm on film; frames stay small

std::filesystem::path profiles() {
  return test::source_dir() / "profiles";
}

Job target_job(double reduction) {
  Job job;
  job.id = "targets";
  job.title = "善本 第一批";
  job.institution = "国家图书馆";
  job.defaults.reduction = reduction;
  Document doc;
  doc.id = "D001";
  doc.title = "论语集注 卷一";
  doc.metadata = {{"作者", "朱熹"}, {"年代", "宋"}};
  doc.key = "documents[1]";
  job.documents.push_back(doc);
  return job;
}

Plan target_plan(const Job& job) {
  FilmFormat format = load_format(profiles(), "16mm-comic-30m");
  hal::Capabilities caps;
  caps.pixel_pitch_um = kPitchUm;
  DocumentPages pages;
  pages.document = 0;
  pages.substitutes = {{0, "page missing", {}}};  // one frame of A4; no source file needed
  Plan plan = plan_reels(job, format, caps, {pages});
  plan.profiles_dir = profiles();
  return plan;
}

const PlannedFrame& frame_of(const Plan& plan, FrameKind kind) {
  for (const PlannedFrame& frame : plan.frames) {
    if (frame.kind == kind) return frame;
  }
  throw std::runtime_error("no such frame");
}

// Sub-pixel positions where a row (or column) of code values falls through 128: the leading
// edge of each bar (paper 255 -> ink 0 on a negative).
std::vector<double> falling_edges(const std::vector<double>& values) {
  std::vector<double> edges;
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i - 1] >= 128 && values[i] < 128) {
      edges.push_back(i - 1 + (values[i - 1] - 128) / (values[i - 1] - values[i]));
    }
  }
  return edges;
}

double frequency_lp_per_mm(const std::vector<double>& edges) {
  const double period_px = (edges.back() - edges.front()) / (edges.size() - 1);
  return 1000.0 / (period_px * kPitchUm);
}

class TechnicalTarget : public ::testing::TestWithParam<double> {};

TEST_P(TechnicalTarget, ChartFrequenciesOnFilmAreExact) {
  const double reduction = GetParam();
  const Job job = target_job(reduction);
  const Plan plan = target_plan(job);
  const PlannedFrame& frame = frame_of(plan, FrameKind::technical_target);
  ASSERT_DOUBLE_EQ(frame.reduction, reduction);
  const FrameImage image =
      render_target(job, plan, frame, {ImageMode::grey, Polarity::negative, 128});
  const TargetTemplate target =
      load_template(template_file(profiles(), "standard", FrameKind::technical_target));
  const ChartLayout chart = technical_layout(target, frame, kPitchUm);
  ASSERT_GE(chart.groups.size(), 4u);
  auto at = [&](std::uint32_t x, std::uint32_t y) {
    return double(image.pixels[y * image.width + x]);
  };

  for (const ChartGroup& group : chart.groups) {
    SCOPED_TRACE(fmt::format("{} lp/mm at {}x", group.document_lp_per_mm, reduction));
    EXPECT_DOUBLE_EQ(group.film_lp_per_mm, group.document_lp_per_mm * reduction);
    std::vector<double> row, column;
    const std::uint32_t middle = group.y + group.height / 2;
    for (std::uint32_t x = group.x - 2; x < group.x + group.width + 4; ++x)
      row.push_back(at(x, middle));
    const std::uint32_t inside = group.horizontal_x + 3;
    for (std::uint32_t y = group.y - 2; y < group.y + group.width + 4; ++y)
      column.push_back(at(inside, y));
    const std::vector<double> vertical = falling_edges(row), horizontal = falling_edges(column);
    ASSERT_EQ(vertical.size(), 5u);  // five bars, as drawn
    ASSERT_EQ(horizontal.size(), 5u);
    EXPECT_NEAR(frequency_lp_per_mm(vertical), group.film_lp_per_mm, 0.02 * group.film_lp_per_mm);
    EXPECT_NEAR(frequency_lp_per_mm(horizontal), group.film_lp_per_mm, 0.02 * group.film_lp_per_mm);
  }
  // Patterns finer than 80 % of Nyquist (100 lp/mm here) are left out, the rest drawn.
  for (double left_out : chart.left_out) EXPECT_GT(left_out * reduction, 80.0);
  for (const ChartGroup& group : chart.groups) EXPECT_LE(group.film_lp_per_mm, 80.0);
  EXPECT_EQ(chart.groups.size() + chart.left_out.size(), 11u);
}

INSTANTIATE_TEST_SUITE_P(Reductions, TechnicalTarget, ::testing::Values(24.0, 32.0));

TEST(TechnicalTargetParts, WedgePatchesAndScale) {
  const Job job = target_job(24);
  const Plan plan = target_plan(job);
  const PlannedFrame& frame = frame_of(plan, FrameKind::technical_target);
  const TargetTemplate target =
      load_template(template_file(profiles(), "standard", FrameKind::technical_target));
  const ChartLayout chart = technical_layout(target, frame, kPitchUm);
  for (Polarity polarity : {Polarity::negative, Polarity::positive}) {
    const FrameImage image = render_target(job, plan, frame, {ImageMode::bitonal, polarity, 128});
    auto at = [&](std::uint32_t x, std::uint32_t y) {
      return int(image.pixels[y * image.width + x]);
    };
    // Wedge and patches are device code values whatever the mode and polarity.
    std::vector<int> wedge;
    for (std::size_t i = 0; i < chart.wedge_codes.size(); ++i) {
      wedge.push_back(at(chart.wedge_x + i * chart.wedge_step_width + chart.wedge_step_width / 2,
                         chart.wedge_y + chart.wedge_height / 2));
    }
    EXPECT_THAT(wedge, ElementsAre(0, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255));
    std::vector<int> patches;
    for (std::uint32_t x : chart.patch_x) {
      patches.push_back(at(x + chart.patch_size / 2, chart.patches_y + chart.patch_size / 2));
    }
    EXPECT_THAT(patches, ElementsAre(255, 128, 0));
    EXPECT_EQ(at(frame.placement.page_x_px + 40, frame.placement.page_y_px + 600),
              polarity == Polarity::negative ? 255 : 0);  // paper
  }
  // Millimetre scale: one tick per document millimetre, 1000 / (5 um x 24) px apart.
  const FrameImage image =
      render_target(job, plan, frame, {ImageMode::grey, Polarity::negative, 128});
  std::vector<double> row;
  const auto y = static_cast<std::uint32_t>(chart.scale_y + 4.5 * chart.scale_px_per_mm);
  for (std::uint32_t x = chart.scale_x - 3; x < chart.scale_x + 151 * chart.scale_px_per_mm; ++x) {
    row.push_back(image.pixels[y * image.width + x]);
  }
  const std::vector<double> ticks = falling_edges(row);
  ASSERT_EQ(ticks.size(), 151u);  // 0 .. 150 mm
  const double spacing = (ticks.back() - ticks.front()) / 150;
  EXPECT_NEAR(spacing, 1000.0 / (kPitchUm * 24), 0.01);
}

TEST(Targets, EveryKindRendersItsTemplateWithInk) {
  const Job job = target_job(24);
  Plan plan = target_plan(job);
  for (const PlannedFrame& frame : plan.frames) {
    if (!is_target(frame.kind)) continue;
    SCOPED_TRACE(frame.address);
    const FrameImage image =
        render_target(job, plan, frame, {ImageMode::grey, Polarity::negative, 128});
    EXPECT_EQ(image.width, frame.placement.frame_width_px);
    EXPECT_EQ(image.height, frame.placement.frame_height_px);
    std::size_t ink = 0;
    const Placement& p = frame.placement;
    for (std::uint32_t y = p.page_y_px + p.page_height_px / 10;
         y < p.page_y_px + p.page_height_px * 9 / 10; ++y) {
      for (std::uint32_t x = p.page_x_px + p.page_width_px / 10;
           x < p.page_x_px + p.page_width_px * 9 / 10; ++x) {
        ink += image.pixels[y * image.width + x] < 128;
      }
    }
    EXPECT_GT(ink, 1000u);
  }
}

TEST(Targets, TitleTargetFollowsTheDocumentsMetadata) {
  Job job = target_job(24);
  const Plan plan = target_plan(job);
  const PlannedFrame& title = frame_of(plan, FrameKind::title_target);
  const FrameImage before =
      render_target(job, plan, title, {ImageMode::grey, Polarity::negative, 128});
  job.documents[0].metadata.emplace_back("卷", "二");
  const FrameImage after =
      render_target(job, plan, title, {ImageMode::grey, Polarity::negative, 128});
  // The new metadata line (6 mm caps at 125 mm + 2 lines) changes only rows below the others.
  const double px_per_mm = 1000.0 / (kPitchUm * 24);
  std::uint32_t first_changed = before.height;
  for (std::uint32_t y = 0; y < before.height && first_changed == before.height; ++y) {
    for (std::uint32_t x = 0; x < before.width; ++x) {
      if (before.pixels[y * before.width + x] != after.pixels[y * after.width + x]) {
        first_changed = y;
        break;
      }
    }
  }
  EXPECT_GT(first_changed, title.placement.page_y_px + 135 * px_per_mm);
  EXPECT_LT(first_changed, title.placement.page_y_px + 160 * px_per_mm);
}

// A job with a site (issue 22): its reel ids carry the prefix, and the start, end and title
// targets print it; without one, nothing of it is drawn (the frames are those of before).
TEST(Targets, TheSiteIsInTheReelIdAndOnTheStartEndAndTitleTargets) {
  Job job = target_job(24);
  const Plan plain = target_plan(job);
  job.site = "NLC-B2";
  const Plan sited = target_plan(job);
  ASSERT_EQ(sited.reels.size(), 1u);
  EXPECT_EQ(sited.reels[0].id, "NLC-B2-R0001");
  const auto fields = target_fields(job, sited, frame_of(sited, FrameKind::start_target));
  EXPECT_EQ(fields.at("reel"), "NLC-B2-R0001");
  EXPECT_EQ(fields.at("site"), "NLC-B2");
  EXPECT_EQ(fields.at("site_label"), "SITE NLC-B2");
  EXPECT_EQ(fields.at("reel_label"), "R0001");
  EXPECT_EQ(fields.at("site_reel"), "SITE NLC-B2   REEL NLC-B2-R0001");
  // The frames' addresses begin with the reel's label, as they did without a site.
  EXPECT_EQ(fields.at("frames"), "R0001-D001-0001 – R0001-D001-0001");
  Job no_site = job;
  no_site.site.clear();
  EXPECT_EQ(
      target_fields(no_site, plain, frame_of(plain, FrameKind::start_target)).at("site_label"), "");
  const RasterSettings grey{ImageMode::grey, Polarity::negative, 128};
  for (const FrameKind kind :
       {FrameKind::start_target, FrameKind::end_target, FrameKind::title_target}) {
    SCOPED_TRACE(to_string(kind));
    const auto shown = [&](const Job& j, const Plan& p) {
      std::vector<std::string> texts;
      for (const FilledText& t : target_texts(j, p, frame_of(p, kind))) texts.push_back(t.text);
      return texts;
    };
    EXPECT_THAT(shown(job, sited), ::testing::Contains(kind == FrameKind::title_target
                                                           ? "SITE NLC-B2"
                                                           : "SITE NLC-B2   REEL NLC-B2-R0001"));
    EXPECT_THAT(shown(no_site, plain), ::testing::Not(::testing::Contains(HasSubstr("SITE"))));
    const PlannedFrame& with = frame_of(sited, kind);
    const PlannedFrame& without = frame_of(plain, kind);
    // The addresses are the reel's labels: the frames have the same size.
    ASSERT_EQ(with.placement.frame_width_px, without.placement.frame_width_px);
    ASSERT_EQ(with.placement.frame_height_px, without.placement.frame_height_px);
    // Only the page's text differs: the site's line (and the reel id where it is printed).
    const FrameImage a = render_target(job, sited, with, grey);
    const FrameImage b = render_target(no_site, plain, without, grey);
    EXPECT_NE(a.pixels, b.pixels);
    // The site's own line: the same frame rendered with site "NLC-B2" and a site of the same
    // reel id drawn differently differs in the rows of the site line.
    Job other = job;
    other.site = "NLC-B9";
    const Plan other_plan = target_plan(other);
    const FrameImage c = render_target(other, other_plan, frame_of(other_plan, kind), grey);
    EXPECT_NE(a.pixels, c.pixels);
  }
  // The longest site: every block of the start and end targets still apart from the others.
  job.site = "ABCDEFGHIJKLMNOP";
  const Plan longest = target_plan(job);
  for (const FrameKind kind : {FrameKind::start_target, FrameKind::end_target}) {
    std::vector<DrawnBox> drawn;
    render_target(job, longest, frame_of(longest, kind), grey, &drawn);
    for (std::size_t i = 0; i < drawn.size(); ++i) {
      for (std::size_t j = i + 1; j < drawn.size(); ++j) {
        const DrawnBox& a = drawn[i];
        const DrawnBox& b = drawn[j];
        if (a.x0 == a.x1 || b.x0 == b.x1) continue;
        const bool apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
        EXPECT_TRUE(apart) << to_string(kind) << ": " << a.what << " overlaps " << b.what;
      }
    }
  }
}

TEST(Targets, PlaceholdersAndTemplateErrors) {
  const Job job = target_job(24);
  const Plan plan = target_plan(job);
  const auto fields = target_fields(job, plan, frame_of(plan, FrameKind::start_target));
  EXPECT_EQ(fields.at("reel"), "R0001");
  EXPECT_EQ(fields.at("institution"), "国家图书馆");
  EXPECT_EQ(fields.at("reduction"), "24x");
  EXPECT_EQ(fields.at("frames"), "R0001-D001-0001 – R0001-D001-0001");
  EXPECT_EQ(fill_placeholders("{job_title} / {reel}", fields, "t"), "善本 第一批 / R0001");
  try {
    fill_placeholders("{reel_no}", fields, "start-target.toml text[2]");
    FAIL() << "an unknown placeholder was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    EXPECT_THAT(
        error.what(),
        HasSubstr("start-target.toml text[2]: unknown placeholder "
                  "{reel_no}; known: announced_reduction, blip_levels, continued, continued_from"));
  }

  test::TempDir dir;
  const auto file = dir / "bad.toml";
  test::write_text(file, "[[text]]\ntext = \"x\"\ntop_mm = 10\nsize_mm = \"big\"\n");
  try {
    load_template(file);
    FAIL() << "a bad template loaded";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              file.string() + ":4: text[1].size_mm: expected a number >= 0.1, got \"big\"");
  }
  // Every key goes through base's TOML reader: a typo is named with the key meant, at its line.
  const auto error_of = [&](const std::string& text) {
    test::write_text(file, text);
    try {
      load_template(file);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("[[text]]\ntext = \"x\"\ntop_mm = 10\nsize_mm = 3\nalign = \"left\"\n"),
            file.string() +
                ":5: text[1].align: expected \"start\", \"centre\" or \"end\", got "
                "\"left\"");
  EXPECT_EQ(error_of("border_mm = 1\n\n[[text]]\ntext = \"x\"\ntop_mm = 10\nsiz_mm = 3\n"),
            file.string() + ":6: text[1].siz_mm: unknown key (did you mean \"size_mm\"?)");
  EXPECT_EQ(error_of("bordr_mm = 1\n"),
            file.string() + ":1: bordr_mm: unknown key (did you mean \"border_mm\"?)");
  EXPECT_EQ(error_of("[[text]]\ntext = \"x\"\nsize_mm = 3\n"),
            file.string() + ":1: text[1].top_mm: expected a number >= 0 (required), got nothing");
  EXPECT_EQ(error_of("[chart]\ntop_mm = 1\nfrequencies_lp_per_mm = [1.0]\n[scale]\ntop_mm = 2\n"),
            file.string() +
                ":1: chart: expected [wedge], [patches] and [scale] tables beside it, "
                "got no [wedge], [patches]");
}

// A title of five lines at 10 mm: with the template's flow_gap_mm the document id, the
// metadata and the footer move down below it instead of being drawn over it (the boxes are
// the pixels each block changed), and planning's check lets it through.
TEST(Targets, ALongTitlePushesTheBlocksBelowItDownAndNoTwoBlocksMeet) {
  const auto title_boxes = [](const std::string& title) {
    Job job = target_job(24);
    job.documents[0].title = title;
    Plan plan = target_plan(job);
    EXPECT_NO_THROW(prepare_plan_text(job, plan, TextEngine::load_default())) << title;
    std::vector<DrawnBox> drawn;
    (void)render_target(job, plan, frame_of(plan, FrameKind::title_target),
                        {ImageMode::grey, Polarity::negative, 128}, &drawn);
    return drawn;
  };
  const std::vector<DrawnBox> short_title = title_boxes("论语集注 卷一");
  std::string long_title;
  for (int i = 0; i < 3; ++i) long_title += "钦定四库全书总目提要卷一百二十三子部三十三杂家类七";
  const std::vector<DrawnBox> long_boxes = title_boxes(long_title);
  ASSERT_EQ(long_boxes.size(), short_title.size());
  ASSERT_GE(long_boxes.size(), 4u);  // title, id, metadata, footer (the site's block is empty)
  const double px_per_mm = 1000.0 / (kPitchUm * 24);
  // The title takes five lines: some 70 mm instead of one line's 14.
  EXPECT_GT(long_boxes[0].y1 - long_boxes[0].y0, 50 * px_per_mm);
  for (std::size_t i = 0; i < long_boxes.size(); ++i) {
    const DrawnBox& a = long_boxes[i];
    if (a.x1 <= a.x0) continue;
    SCOPED_TRACE(fmt::format("{}: x {}-{}, y {}-{}", a.what, a.x0, a.x1, a.y0, a.y1));
    for (std::size_t j = 0; j < i; ++j) {
      const DrawnBox& b = long_boxes[j];
      const bool apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
      EXPECT_TRUE(apart) << "overlaps " << b.what << ": y " << b.y0 << "-" << b.y1;
    }
    if (i > 0) {
      // Below the title, 4 mm (flow_gap_mm) or more under the text above it, and lower than
      // with the short title; with the short title every block is at its own top_mm.
      EXPECT_GE(a.y0, long_boxes[i - 1].y1 + 3 * px_per_mm);
      EXPECT_EQ(a.x1 - a.x0, short_title[i].x1 - short_title[i].x0);  // the same text
    }
    if (i == 1 || i == 2) {
      // The id and the metadata move down; the footer at 250 mm still has room where it is.
      EXPECT_GT(a.y0, short_title[i].y0 + 40 * px_per_mm);
    } else if (i == 3) {
      EXPECT_EQ(a.y0, short_title[i].y0);
    }
  }
}

// What cannot fit stops planning (so `filmwriter plan` and convert, before any film is used):
// text pushed past the border, text drawn over text, text drawn over the technical target's
// wedge. The message names the template's block, the frame and the document.
TEST(Targets, TextThatCannotFitStopsPlanningNamingTheBlockTheFrameAndTheDocument) {
  const auto error_of = [](const Job& job, Plan plan) {
    try {
      prepare_plan_text(job, plan, TextEngine::load_default());
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::job);
      return std::string(error.what());
    }
    return std::string("no error");
  };
  Job job = target_job(24);
  for (int i = 0; i < 10; ++i) job.documents[0].title += "钦定四库全书总目提要卷一百二十三子部";
  std::string error = error_of(job, target_plan(job));
  EXPECT_THAT(error, HasSubstr("title-target.toml text["));
  EXPECT_THAT(error, HasSubstr("on title-target R0001-D001-TITLE of document D001 (documents[1])"));
  EXPECT_THAT(error,
              HasSubstr("mm from the top of the 297 mm target, past its border at 295.0 mm"));
  EXPECT_THAT(error, HasSubstr("shorten the text, set it smaller (size_mm)"));
  // Sixteen lines of metadata fit, but push the footer (250 mm) past the border.
  job = target_job(24);
  for (int i = 1; i <= 14; ++i)
    job.documents[0].metadata.emplace_back(fmt::format("题跋{}", i), "有");
  error = error_of(job, target_plan(job));
  EXPECT_THAT(error, HasSubstr("title-target.toml text[4] ({institution}   {job_title}: "
                               "\"国家图书馆   善本 第一批\"): on title-target R0001-D001-TITLE"));
  EXPECT_THAT(error, HasSubstr("(the text above it pushed it down from its top_mm 250 to "));

  // The technical target an institution edited (its blocks do not flow: the chart, wedge,
  // patches and scale stay where they are): a block over the heading, one over the wedge.
  test::TempDir dir;
  std::filesystem::copy(profiles(), dir / "profiles", std::filesystem::copy_options::recursive);
  const auto with_block = [&](const std::string& block) {
    const auto name = std::filesystem::path("targets") / "standard" / "technical-target.toml";
    test::write_text(dir / "profiles" / name, read_file(profiles() / name) + block);
    const Job plain = target_job(24);
    Plan plan = target_plan(plain);
    plan.profiles_dir = dir / "profiles";
    return error_of(plain, plan);
  };
  error = with_block("\n[[text]]\ntext = \"技术标板\"\ntop_mm = 16\nsize_mm = 8\n");
  EXPECT_THAT(error, HasSubstr("technical-target.toml text[1] (TECHNICAL TARGET  技术标板: "
                               "\"TECHNICAL TARGET  技术标板\"): on technical-target R0001-TECH1 "
                               "of document D001 (documents[1]), its lines, "));
  EXPECT_THAT(error, HasSubstr("run into text[7] (\"技术标板\")"));
  error = with_block("\n[[text]]\ntext = \"wedge\"\ntop_mm = 122\nsize_mm = 5\n");
  EXPECT_THAT(error, HasSubstr("technical-target.toml text[7] (wedge: \"wedge\")"));
  EXPECT_THAT(error, HasSubstr("run into the grey wedge at 119.5-134."));
  EXPECT_EQ(with_block(""), "no error");
}

// Ink bounding box of a frame's page area: x0, y0, x1, y1 (exclusive), in frame pixels.
std::array<std::uint32_t, 4> ink_box(const FrameImage& image, const Placement& p) {
  std::array<std::uint32_t, 4> box{image.width, image.height, 0, 0};
  for (std::uint32_t y = p.page_y_px; y < p.page_y_px + p.page_height_px; ++y) {
    for (std::uint32_t x = p.page_x_px; x < p.page_x_px + p.page_width_px; ++x) {
      if (image.pixels[std::size_t(y) * image.width + x] >= 128) continue;
      box = {std::min(box[0], x), std::min(box[1], y), std::max(box[2], x + 1),
             std::max(box[3], y + 1)};
    }
  }
  return box;
}

TEST(Substitutes, EachVariantIsItsOwnTemplate) {
  const Job job = target_job(24);
  const Plan plan = target_plan(job);
  PlannedFrame frame = frame_of(plan, FrameKind::substitute);
  EXPECT_EQ(frame.target, "page-missing");  // the job's default
  const RasterSettings grey{ImageMode::grey, Polarity::negative, 128};
  const FrameImage missing = render_substitute_target(job, plan, frame, "lost", grey);
  frame.target = "original-damaged";
  const FrameImage damaged = render_substitute_target(job, plan, frame, "lost", grey);
  ASSERT_EQ(missing.pixels.size(), damaged.pixels.size());
  // An A4 substitute at 24x and 5 um: 8.33 px per document mm. Only the two heading lines
  // (top 55 mm and 85 mm, 12 mm capitals) differ; document, page and reason are the same.
  const double px_per_mm = 1000.0 / (kPitchUm * 24);
  const std::uint32_t top = frame.placement.page_y_px;
  std::uint32_t first = missing.height, last = 0;
  for (std::uint32_t y = 0; y < missing.height; ++y) {
    for (std::uint32_t x = 0; x < missing.width; ++x) {
      if (missing.pixels[y * missing.width + x] != damaged.pixels[y * missing.width + x]) {
        first = std::min(first, y);
        last = std::max(last, y);
      }
    }
  }
  ASSERT_LT(first, last);
  EXPECT_GT(first, top + 50 * px_per_mm);
  EXPECT_LT(last, top + 110 * px_per_mm);

  frame.target = "coffee-stain";
  try {
    render_substitute_target(job, plan, frame, "lost", grey);
    FAIL() << "a missing template was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::job);
    EXPECT_THAT(error.what(), HasSubstr("substitution target \"coffee-stain\" of document D001: "
                                        "no template"));
  }
}

TEST(Targets, VerticalBlocksSetColumnsTopToBottom) {
  const Job job = target_job(24);
  Plan plan = target_plan(job);
  test::TempDir dir;
  test::write_text(dir / "targets" / "standard" / "title-target.toml", R"(
[[text]]
text = "{document_title}"
vertical = true
align = "start"  # along the column: from its top
top_mm = 40
left_mm = 150
width_mm = 30
size_mm = 8
language = "zh-Hant"
)");
  plan.profiles_dir = dir.path();
  const PlannedFrame& title = frame_of(plan, FrameKind::title_target);
  const FrameImage image =
      render_target(job, plan, title, {ImageMode::grey, Polarity::negative, 128});
  const auto box = ink_box(image, title.placement);
  const double px_per_mm = 1000.0 / (kPitchUm * 24);
  const double x0 = title.placement.page_x_px, y0 = title.placement.page_y_px;
  // One column of seven characters: tall and narrow, right-aligned in the block (150-180 mm),
  // starting at its top (40 mm).
  EXPECT_GT(box[3] - box[1], 4 * (box[2] - box[0]));
  EXPECT_GT(box[0], x0 + 150 * px_per_mm);
  EXPECT_LE(box[2], x0 + 180 * px_per_mm + 1);
  EXPECT_GT(box[2], x0 + 170 * px_per_mm);
  EXPECT_NEAR(box[1], y0 + 40 * px_per_mm, 3 * px_per_mm);
}

}  // namespace
}  // namespace fw::targets_test
