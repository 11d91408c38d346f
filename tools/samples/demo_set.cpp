// The demo set (make_demo_set): sample pages in several formats and the jobs that film them.
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/sha256.hpp"
#include "samples/file_edits.hpp"
#include "samples/samples.hpp"

namespace fw::samples {
namespace {

using vips::VImage;

std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void make_demo_set(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  constexpr double a4_w = 210, a4_h = 297, a5_w = 148, a5_h = 210;
  auto marked = [](double width, double height, double dpi, int bands, std::string label) {
    PageSpec spec;
    spec.width_mm = width;
    spec.height_mm = height;
    spec.dpi = dpi;
    spec.bands = bands;
    spec.label = std::move(label);
    // Corner marks show placement and orientation on film; the off-centre one shows mirroring.
    spec.marks = {
        {15, 15, 10}, {width - 25, 15, 10}, {15, height - 45, 10}, {width / 3, height / 3, 20}};
    return spec;
  };

  const fs::path d001 = dir / "D001";
  fs::create_directories(d001);
  // Natural order p1, p2, p3, p10; a plain sort would put p10 second.
  save_page(make_page(marked(a4_w, a4_h, 300, 1, "D001 p1")), d001 / "p1.tif", Encoding::tiff_lzw,
            300);
  save_page(make_page(marked(a4_w, a4_h, 200, 3, "D001 p2")), d001 / "p2.jpg", Encoding::jpeg, 200);
  save_page(make_page(marked(a5_w, a5_h, 250, 1, "D001 p3")), d001 / "p3.png", Encoding::png, 250);
  // JPEG 2000 files carry no resolution libvips can read: the document's dpi (200) applies.
  save_page(make_page(marked(a5_w, a5_h, 200, 1, "D001 p10")), d001 / "p10.jp2", Encoding::jp2,
            200);

  std::vector<VImage> bitonal;
  for (int page = 1; page <= 3; ++page) {
    bitonal.push_back(make_page(marked(a4_w, a4_h, 300, 1, fmt::format("D002 p{}", page))));
  }
  save_multipage_tiff(bitonal, dir / "D002.tif", 300, Encoding::tiff_g4);

  save_pdf({marked(a4_w, a4_h, 200, 1, "D003 p1"), marked(a5_w, a5_h, 200, 3, "D003 p2")},
           dir / "D003.pdf");
  // The supplier's checksums of the delivery, as sha256sum writes them: the demo job (its
  // `checksums` key) checks every page file against them before it films, and each reel's
  // METS has the check as an event.
  std::string sums;
  for (const char* file :
       {"D001/p1.tif", "D001/p2.jpg", "D001/p3.png", "D001/p10.jp2", "D002.tif", "D003.pdf"}) {
    sums += fmt::format("{}  {}\n", sha256_file(dir / file), file);
  }
  write_bytes(dir / "SHA256SUMS", sums);

  const std::string job = fmt::format(
      R"toml(# filmwriter demo job, made by fw-samples. Run: filmwriter convert {job}
version = 1
id = "demo"
title = {title}
institution = "filmwriter demo"
# The operator who declares the filming: each reel closes with the declaration target
# (摄制声明) naming them, after the records (docs/formats.md#what-is-on-a-reel).
operator = "李华"
# A reel contents list (卷内目录) after each reel's technical target: every document on the reel with
# its frames and first and last page (docs/formats.md#what-is-on-a-reel).
reel_contents = true
output = "out"
checksums = "SHA256SUMS"
format = "16mm-comic-30m"
reduction = 24
mode = "grey"
polarity = "negative"

# The simulated recorder: frames are exposed onto simulated film at the recorder's write
# rate and developed; R0001/film/ holds the developed film (density x 10000) and reel.json.
[recorder]
driver = "sim"

[[documents]]
id = "D001"
title = {d001_title}
pages = {{ dir = "D001" }}
dpi = 200

# Its table of contents (目次), two levels (卷 / 篇), as a cataloguer keeps it: a UTF-8 CSV
# with columns title, page, level. It is filmed on a TOC target after the title target, and
# each entry's page gets the middle blip (docs/job-file.md#table-of-contents-目次).
toc = "toc/D001.csv"

[documents.metadata]
"作者" = "朱熹"
"年代" = "宋"
"卷" = "一"

[[documents]]
id = "D002"
title = "Bitonal letters (multi-page TIFF, CCITT G4)"
pages = {{ tiff = "D002.tif" }}
mode = "bitonal"

[documents.metadata]
"creator" = "filmwriter demo"

[[documents]]
id = "D003"
title = "PDF report"
pages = {{ pdf = "D003.pdf", range = "1-2" }}

[documents.metadata]
"source" = "born-digital PDF"
)toml",
      fmt::arg("job", (dir / "job.toml").string()), fmt::arg("title", toml_string("Demo reel")),
      fmt::arg("d001_title", toml_string("论语集注 卷一")));
  write_bytes(dir / "job.toml", job);
  std::filesystem::create_directories(dir / "toc");
  write_bytes(dir / "toc" / "D001.csv",
              "title,page,level\n"
              "卷一 学而第一,1,1\n"
              "篇一 学而时习之,2,2\n"
              "卷二 为政第二,3,1\n"
              "篇二 为政以德 𠀀,4,2\n");

  // The same pages on short reels, so that a document splits across reels (continued
  // targets), with rare characters on the targets and substitution targets the job asks for.
  const std::string documents = R"toml(
[[documents]]
id = "D001"
title = "论语集注 卷一 𠀀𪛖"
pages = { dir = "D001" }
dpi = 200

[documents.metadata]
"作者" = "朱熹"
"年代" = "宋"

[[documents]]
id = "D002"
title = "Bitonal letters (multi-page TIFF, CCITT G4)"
pages = { tiff = "D002.tif" }
mode = "bitonal"

[[documents.substitute]]      # page 2 is filmed after a "filmed as found" notice
page = 2
target = "filmed-as-found"
insert = true
note = "ink faded in the original"

[[documents]]
id = "D003"
title = "PDF report"
pages = { pdf = "D003.pdf" }

[[documents.substitute]]      # page 3 of the original was lost before it was scanned
page = 3
target = "page-missing"
insert = true
note = "page 3 lost before scanning"
)toml";
  write_bytes(dir / "reels.toml",
              std::string(R"toml(# filmwriter demo: documents split across short reels.
# Run: filmwriter convert reels.toml
version = 1
id = "demo-reels"
title = "善本 演示 (short reels)"
institution = "filmwriter demo"
output = "out"
reduction = 24
filming_date = 2026-01-15

# 16 mm comic film cut to 14 cm, so that D001 does not fit one reel and continues on the next.
[format]
description = "demo: 16 mm comic roll cut to 14 cm"
film_width_mm = 16.0
image_area_across_mm = 12.5
frame_length_mm = 0.0
frame_gap_mm = 1.0
margin_mm = 0.05
orientation = "comic"
leader_m = 0.03
trailer_m = 0.03
reel_length_m = 0.14
reel_lengths_m = [0.14]
min_reduction = 7.0
max_reduction = 50.0
blip_track_mm = 1.5
blip_width_mm = 0.7
blip_lengths_mm = [1.0, 2.0, 3.0]
blip_offset_mm = 0.2
address_height_mm = 0.3
)toml") + R"toml(
# The simulated recorder, as fast as the host goes (rate = 0): its developed film is what
# `filmwriter verify reels.toml` checks.
[recorder]
driver = "sim"
[recorder.options]
rate = 0
)toml" + documents);
  write_bytes(dir / "fiche.toml",
              R"toml(# filmwriter demo: the pages on A6 microfiche (98 frames at 24x)
# with eye-legible header strips. Run: filmwriter convert fiche.toml
version = 1
id = "demo-fiche"
title = "善本 演示 (fiche)"
institution = "filmwriter demo"
output = "out"
format = "fiche-a6-98-24x"
reduction = 24
filming_date = 2026-01-15

# The simulated recorder as a step-and-repeat camera: each sheet's cells are exposed at its
# write rate and developed; F0001/film/ holds the developed film (density x 10000) and
# reel.json (each frame's cell on the sheet), which `filmwriter verify fiche.toml` reads.
[recorder]
driver = "sim"
)toml" + documents);
  // The masters on the same reel: a JPEG, a TIFF and a PDF written as data frames behind the
  // pages, which `filmwriter restore` reads back from the developed film.
  write_bytes(dir / "data.toml",
              R"toml(# filmwriter demo: each document's source files (a JPEG, a TIFF, a PDF) filmed
# after its pages as data frames (docs/data-frames.md). Run: filmwriter convert data.toml,
# then filmwriter restore out/demo-data --out restored --catalog out/catalog.sqlite
version = 1
id = "demo-data"
title = "Masters on film (data frames)"
institution = "filmwriter demo"
output = "out"
reduction = 48
filming_date = 2026-01-15
targets = "none"
data_frames = true

# 16 mm film with a 6.5 mm image area, so that the demo's data frames are small (6.4 mm
# square, 2560 px at 2.5 um; 16mm-comic-30m's are 12.4 mm, 4960 px) and the demo quick.
[format]
description = "demo: 16 mm comic roll, 6.5 mm image area"
film_width_mm = 16.0
image_area_across_mm = 6.5
frame_length_mm = 0.0
frame_gap_mm = 1.0
margin_mm = 0.05
orientation = "comic"
leader_m = 0.1
trailer_m = 0.1
reel_length_m = 30.5
reel_lengths_m = [30.5]
min_reduction = 7.0
max_reduction = 50.0
blip_track_mm = 1.5
blip_width_mm = 0.7
blip_lengths_mm = [1.0, 2.0, 3.0]
blip_offset_mm = 0.2
address_height_mm = 0.3

[recorder]
driver = "sim"
[recorder.options]
rate = 0

[[documents]]
id = "D001"
title = "A JPEG and a TIFF master"
pages = { files = ["D001/p2.jpg", "D001/p1.tif"] }
dpi = 200

[[documents]]
id = "D003"
title = "PDF report"
pages = { pdf = "D003.pdf" }
)toml");
}

}  // namespace fw::samples
