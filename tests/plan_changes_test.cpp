// What resume and verify say when the plan made now is not the one filmed: compare_plans on
// plan.json documents made by hand (catalog/resume.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "catalog/resume.hpp"

namespace fw::plan_changes_test {
namespace {

using ::testing::ElementsAre;
using Json = nlohmann::json;

Json plan_of(Json frames, std::size_t pages) {
  return {{"job", {{"id", "j"}}},
          {"reels", Json::array({{{"id", "R0001"}, {"pages", pages}}})},
          {"frames", std::move(frames)}};
}

Json page(const char* address, const char* file) {
  return {{"address", address},
          {"document", "D1"},
          {"page", 1},
          {"kind", "page"},
          {"source", {{"file", file}}}};
}

// A page that no longer decodes (its folder gone) says why before what else differs, and the
// frames after it no longer line up.
TEST(ComparePlans, APageThatBecameASubstituteSaysWhyFirst) {
  // Json::array, not braces: a braced list of one JSON value is that value to some compilers.
  const Json filmed = plan_of(Json::array({page("R0001-D1-0001", "s/p1.jpg")}), 1);
  Json now = plan_of(Json::array({Json{{"address", "R0001-D1-0001"},
                                       {"document", "D1"},
                                       {"page", 1},
                                       {"kind", "substitute"},
                                       {"reason", "s: no such folder"}}}),
                     1);
  const PlanChanges changes = compare_plans(filmed, now);
  ASSERT_EQ(changes.lines.size(), 1u);
  EXPECT_THAT(changes.lines[0], ::testing::StartsWith("frame R0001-D1-0001 (document D1, page 1, "
                                                      "s/p1.jpg): now a substitute: s: no such "
                                                      "folder; "));
  EXPECT_TRUE(changes.frames_moved);  // another kind of frame in the page's place
  EXPECT_EQ(changes.first_frame, 0u);

  now = plan_of(Json::array({page("R0001-D1-0001", "s/p1.jpg"), page("R0001-D1-0002", "s/p2.jpg")}),
                2);
  EXPECT_TRUE(compare_plans(filmed, now).frames_moved);  // a frame more
}

// The same frames, but the reel counts its pages otherwise (its end target films the count):
// named, where before nothing was and resume blamed the rendering choices.
TEST(ComparePlans, AReelsPagesThatDifferWhileTheFramesDoNotAreNamed) {
  const Json frames = Json::array({page("R0001-D1-0001-R", "s/p1.jpg")});
  const PlanChanges changes = compare_plans(plan_of(frames, 3), plan_of(frames, 1));
  EXPECT_THAT(changes.lines, ElementsAre("reels[0].pages: 3 → 1"));
  EXPECT_FALSE(changes.frames_moved);
  EXPECT_TRUE(compare_plans(plan_of(frames, 1), plan_of(frames, 1)).lines.empty());
}

}  // namespace
}  // namespace fw::plan_changes_test
