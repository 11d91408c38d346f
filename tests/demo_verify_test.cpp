// The film the defaults make passes QC: the demo's four jobs (a 16 mm reel, the same pages on
// short reels, an A6 fiche, pages with their masters as data frames) and a one-line conversion of
// generated A4 pages, each filmed on the simulated recorder at its real 2.5 um pitch through its
// factory calibration, then checked by `filmwriter verify`: verdict pass. Full-size frames: this is
// one of the few integration tests at the real pitch (left out of the sanitizer pass in
// tools/test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "api/restore.hpp"
#include "base/files.hpp"
#include "samples/samples.hpp"
#include "support/test_support.hpp"

namespace fw::demo_verify_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// As fast as the host goes: the write rate is the sim's business, not this test's.
const std::vector<std::string> kFast = {"-O", "rate=0"};

test::CliResult run(std::vector<std::string> args, const std::vector<std::string>& extra) {
  args.insert(args.end(), extra.begin(), extra.end());
  return test::run_cli(args);
}

class DemoVerify : public ::testing::TestWithParam<std::string> {};

TEST_P(DemoVerify, TheDemoJobVerifiesWithVerdictPass) {
  test::TempDir dir;
  samples::make_demo_set(dir / "samples");
  const std::string job = (dir / "samples" / (GetParam() + ".toml")).string();
  const std::vector<std::string> out{"--out", (dir / "out").string()};
  std::vector<std::string> options = out;
  options.insert(options.end(), kFast.begin(), kFast.end());
  const auto converted = run({"convert", job}, options);
  ASSERT_EQ(converted.exit_code, 0) << converted.out << converted.err;
  EXPECT_THAT(converted.out, HasSubstr("calibration sim-default-negative sha256:"));
  const auto verified = run({"verify", job}, options);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("verdict: pass"));
  EXPECT_THAT(verified.out, ::testing::Not(HasSubstr("FAILED")));
  if (GetParam() != "data") return;
  // As tools/demo does: the masters back from the developed film, byte-identical.
  EXPECT_THAT(verified.out, HasSubstr("R0001 data: "));
  const api::RestoreResult restored =
      api::restore({{dir / "out" / "demo-data"}, dir / "restored", dir / "out" / "catalog.sqlite"});
  ASSERT_TRUE(restored.ok()) << restored.text();
  EXPECT_THAT(restored.text(), HasSubstr("files: 3 recovered, 0 not"));
  for (const auto& [master, document] : std::vector<std::pair<std::string, std::string>>{
           {"D001/p2.jpg", "D001"}, {"D001/p1.tif", "D001"}, {"D003.pdf", "D003"}}) {
    EXPECT_EQ(read_file(dir / "restored" / document / master), read_file(dir / "samples" / master))
        << master;
  }
}

INSTANTIATE_TEST_SUITE_P(Jobs, DemoVerify, ::testing::Values("job", "reels", "fiche", "data"));

TEST(OneLineVerify, GeneratedA4PagesVerifyWithVerdictPass) {
  test::TempDir dir;
  fs::create_directories(dir / "scans");
  for (int page = 1; page <= 3; ++page) {
    samples::PageSpec spec;
    spec.label = fmt::format("one-line page {}", page);
    spec.marks = {{20, 30, 8}, {150, 250, 12}, {100.0 + 10 * page, 140, 5}};
    samples::save_page(samples::make_page(spec), dir / "scans" / fmt::format("p{}.png", page),
                       samples::Encoding::png, 300);
  }
  std::vector<std::string> options{"--out", (dir / "out").string()};
  options.insert(options.end(), kFast.begin(), kFast.end());
  const auto converted = run({"convert", (dir / "scans").string()}, options);
  ASSERT_EQ(converted.exit_code, 0) << converted.out << converted.err;
  const auto verified = run({"verify", (dir / "scans").string()}, options);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("R0001: pass"));
  EXPECT_THAT(verified.out, HasSubstr("verdict: pass"));
}

}  // namespace
}  // namespace fw::demo_verify_test
