// fw-data-roundtrip: the full-size round trip of issue 23 (bench/README.md, "Data frames").
// Generates a document's masters at realistic size (a colour JPEG scan, an uncompressed grey
// TIFF scan, a PDF of scanned pages: about 30 MB), films them with `filmwriter convert` as
// data frames (`data_frames = true`) on the simulated recorder at its default pitch (2.5 um,
// its spot blur and grain) with its fault options on (scratches and dust), restores them with
// `filmwriter restore` from the developed film and checks them byte for byte. Prints the
// sizes, the times and rates of both commands (wall and CPU), the data frames and the least
// margin. Exit 0 when every master came back byte-identical.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <vips/vips8>

#include "samples/samples.hpp"

namespace {

namespace fs = std::filesystem;
using vips::VImage;

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// A scanned page: the sample page (type, marks) on paper with scanner noise, so that the
// encoders meet a scan's entropy and not a clean white page's.
VImage scanned(double width_mm, double height_mm, double dpi, int bands, int seed,
               const std::string& label) {
  fw::samples::PageSpec spec;
  spec.width_mm = width_mm;
  spec.height_mm = height_mm;
  spec.dpi = dpi;
  spec.bands = bands;
  spec.label = label;
  spec.marks = {{20, 20, 5}, {width_mm - 30, height_mm - 30, 5}};
  VImage page = fw::samples::make_page(spec);
  VImage noise =
      VImage::gaussnoise(page.width(), page.height(),
                         VImage::option()->set("sigma", 7.0)->set("mean", 0.0)->set("seed", seed));
  // Each colour band its own noise (the same field turned and flipped): a scanner's sensor.
  if (bands == 3) {
    noise = VImage::bandjoin({noise, noise.rot180(), noise.flip(VIPS_DIRECTION_HORIZONTAL)});
  }
  page = (page.linear(0.85, 20) + noise).cast(VIPS_FORMAT_UCHAR);
  return page.copy(VImage::option()->set("xres", dpi / 25.4)->set("yres", dpi / 25.4));
}

// A PDF of scanned pages, each a JPEG image filling its A4 page (as a scanner's PDF is).
void save_scanned_pdf(const fs::path& file, int pages, double dpi) {
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  const auto begin_object = [&](std::size_t number) {
    offsets.push_back(pdf.size());
    pdf += fmt::format("{} 0 obj\n", number);
  };
  begin_object(1);
  pdf += "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
  begin_object(2);
  pdf += "<< /Type /Pages /Kids [";
  for (int i = 0; i < pages; ++i) pdf += fmt::format(" {} 0 R", 3 + 3 * i);
  pdf += fmt::format(" ] /Count {} >>\nendobj\n", pages);
  const double width_pt = 210 * 72 / 25.4, height_pt = 297 * 72 / 25.4;
  for (int i = 0; i < pages; ++i) {
    const VImage image = scanned(210, 297, dpi, 3, 100 + i, fmt::format("report page {}", i + 1));
    VipsBlob* blob = image.jpegsave_buffer(VImage::option()->set("Q", 85));
    std::size_t size = 0;
    const void* bytes = vips_blob_get(blob, &size);
    const std::string jpeg(static_cast<const char*>(bytes), size);
    vips_area_unref(VIPS_AREA(blob));
    const std::string content =
        fmt::format("q\n{:.4f} 0 0 {:.4f} 0 0 cm\n/Im0 Do\nQ\n", width_pt, height_pt);
    const std::size_t page = 3 + 3 * i;
    begin_object(page);
    pdf += fmt::format(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.4f} {:.4f}] /Contents {} 0 R "
        "/Resources << /XObject << /Im0 {} 0 R >> >> >>\nendobj\n",
        width_pt, height_pt, page + 1, page + 2);
    begin_object(page + 1);
    pdf +=
        fmt::format("<< /Length {} >>\nstream\n{}\nendstream\nendobj\n", content.size(), content);
    begin_object(page + 2);
    pdf += fmt::format(
        "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB "
        "/BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
        image.width(), image.height(), jpeg.size());
    pdf += jpeg;
    pdf += "\nendstream\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += fmt::format("xref\n0 {}\n0000000000 65535 f \n", offsets.size() + 1);
  for (std::size_t offset : offsets) pdf += fmt::format("{:010d} 00000 n \n", offset);
  pdf += fmt::format("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{}\n%%EOF\n",
                     offsets.size() + 1, xref);
  write_bytes(file, pdf);
}

struct Run {
  int exit_code = -1;
  double wall_s = 0, cpu_s = 0, max_rss_mb = 0;
};

// Runs a command (argv), its output to `log`; wall time and the child's CPU (all threads).
Run run(const std::vector<std::string>& argv, const fs::path& log) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::creat(log.c_str(), 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  Run r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
            usage.ru_stime.tv_usec / 1e6;
  r.max_rss_mb = usage.ru_maxrss / 1024.0;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (VIPS_INIT(argv[0])) return 2;
  CLI::App app{"fw-data-roundtrip: masters -> data frames on the sim -> restore, full size"};
  fs::path work = "build/data-roundtrip";
  fs::path filmwriter = fs::path(argv[0]).parent_path() / "filmwriter";
  int scratches = 4, pdf_pages = 5;
  double scratch_um = 10, dust = 20, jpeg_dpi = 600, tiff_dpi = 300, pdf_dpi = 250;
  app.add_option("--work", work, "work folder (emptied first)");
  app.add_option("--filmwriter", filmwriter, "the CLI (default: beside this program)");
  app.add_option("--scratches", scratches, "sim option scratches");
  app.add_option("--scratch-width-um", scratch_um, "sim option scratch_width_um");
  app.add_option("--dust-per-cm2", dust, "sim option dust_per_cm2");
  app.add_option("--jpeg-dpi", jpeg_dpi, "the colour A4 JPEG scan's resolution");
  app.add_option("--tiff-dpi", tiff_dpi, "the grey A4 uncompressed TIFF scan's resolution");
  app.add_option("--pdf-pages", pdf_pages, "pages of the scanned PDF");
  app.add_option("--pdf-dpi", pdf_dpi, "their resolution");
  CLI11_PARSE(app, argc, argv);
  vips_concurrency_set(1);

  fs::remove_all(work);
  const fs::path masters = work / "D001";
  fs::create_directories(masters);
  fmt::print("# fw-data-roundtrip\n\nmasters (document D001's pages, and its data frames):\n");
  scanned(210, 297, jpeg_dpi, 3, 1, "colour scan")
      .jpegsave((masters / "scan-colour.jpg").c_str(), VImage::option()->set("Q", 90));
  scanned(210, 297, tiff_dpi, 1, 2, "grey scan")
      .tiffsave((masters / "scan-grey.tif").c_str(),
                VImage::option()->set("compression", "none")->set("resunit", "inch"));
  save_scanned_pdf(masters / "report.pdf", pdf_pages, pdf_dpi);
  std::uint64_t total = 0;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(masters))
    names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const auto size = fs::file_size(masters / name);
    total += size;
    fmt::print("- {}: {:.2f} MB\n", name, size / 1e6);
  }
  const double mb = total / 1e6;
  fmt::print("- total: {:.2f} MB\n", mb);

  const std::string options =
      fmt::format("rate = 0\nscratches = {}\nscratch_width_um = {}\ndust_per_cm2 = {}\n", scratches,
                  scratch_um, dust);
  write_bytes(work / "job.toml",
              "version = 1\nid = \"roundtrip\"\ntitle = \"Full-size data frame round trip\"\n"
              "data_frames = true\n[recorder]\ndriver = \"sim\"\n[recorder.options]\n" +
                  options +
                  "[[documents]]\nid = \"D001\"\ntitle = \"Masters\"\npages = { dir = \"D001\" "
                  "}\n");
  fmt::print("\nsim (sim-default, 2.5 um, spot 3 um, grain; sim-negative), options:\n{}", options);

  const Run convert = run({filmwriter.string(), "convert", (work / "job.toml").string(), "--out",
                           (work / "out").string()},
                          work / "convert.log");
  if (convert.exit_code != 0) {
    fmt::print("convert failed ({}): see {}\n", convert.exit_code, (work / "convert.log").string());
    return 1;
  }
  const auto plan = nlohmann::json::parse(read_bytes(work / "out/roundtrip/plan.json"));
  std::size_t data_frames = 0, frames = 0;
  for (const auto& f : plan["frames"]) {
    ++frames;
    if (f["kind"] == "data") ++data_frames;
  }
  std::uint64_t film_bytes = 0, specks = 0;
  std::size_t reels = 0, scratch_count = 0;
  std::vector<std::string> film_dirs;
  for (const auto& reel : fs::directory_iterator(work / "out/roundtrip")) {
    const fs::path film = reel.path() / "film";
    if (!fs::exists(film / "reel.json")) continue;
    ++reels;
    film_dirs.push_back(film.string());
    for (const auto& f : fs::directory_iterator(film)) film_bytes += fs::file_size(f.path());
    const auto record = nlohmann::json::parse(read_bytes(film / "reel.json"));
    if (record.contains("damage")) scratch_count = record["damage"]["scratches"].size();
    for (const auto& f : record["frames"]) specks += f.value("dust", 0u);
  }
  fmt::print(
      "\nconvert: {} frames on {} reel(s), {} of them data frames (data and parity), "
      "{:.0f} MB of developed film; {} scratches along the reel, {} dust specks\n",
      frames, reels, data_frames, film_bytes / 1e6, scratch_count, specks);
  fmt::print("- {:.1f} s wall, {:.1f} s CPU, peak RSS {:.0f} MB: {:.3f} MB/s of masters (wall)\n",
             convert.wall_s, convert.cpu_s, convert.max_rss_mb, mb / convert.wall_s);

  std::vector<std::string> restore_args{filmwriter.string(), "restore"};
  if (film_dirs.size() != 1) {
    fmt::print("expected one reel, got {}\n", film_dirs.size());
    return 1;
  }
  restore_args.insert(restore_args.end(), {film_dirs[0], "--out", (work / "restored").string()});
  const Run restore = run(restore_args, work / "restore.log");
  fmt::print("restore: exit {}, {:.1f} s wall, {:.1f} s CPU, peak RSS {:.0f} MB: {:.3f} MB/s\n",
             restore.exit_code, restore.wall_s, restore.cpu_s, restore.max_rss_mb,
             mb / restore.wall_s);
  const auto report = nlohmann::json::parse(read_bytes(work / "restored/restore.json"));
  int least = 1 << 20;
  std::uint64_t corrected = 0, outer = 0;
  for (const auto& f : report["files"]) {
    least = std::min(least, f["min_margin"].get<int>());
    corrected += f["symbol_errors_corrected"].get<std::uint64_t>();
    outer += f.value("outer_code_bytes", std::uint64_t{0});
  }
  fmt::print(
      "- symbol errors corrected: {} (outer code: {} bytes); least margin: {} (of 16: every "
      "codeword could have taken {} more symbol errors)\n",
      corrected, outer, least, least);
  bool identical = restore.exit_code == 0;
  for (const auto& name : names) {
    const fs::path back = work / "restored/D001/D001" / name;
    const bool same = fs::exists(back) && read_bytes(back) == read_bytes(masters / name);
    identical = identical && same;
    fmt::print("- {}: {}\n", name, same ? "byte-identical" : "DIFFERS or missing");
  }
  fmt::print("{}\n", identical ? "round trip: ok" : "round trip: FAIL");
  vips_shutdown();
  return identical ? 0 : 1;
}
