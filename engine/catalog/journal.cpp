#include "catalog/journal.hpp"

#include <fmt/format.h>

#include "base/files.hpp"
#include "base/json_fields.hpp"
#include "core/error.hpp"

namespace fw {
namespace {

Error journal_error(const std::filesystem::path& file, std::size_t line, const std::string& what) {
  return Error(ErrorKind::job, fmt::format("{}:{}: {}", file.string(), line, what));
}

// Cuts a last line without its newline: the write a crash interrupted never counted.
void cut_torn_tail(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return;
  const std::string text = read_file(file);
  if (text.empty() || text.back() == '\n') return;
  const auto keep = text.rfind('\n');
  std::filesystem::resize_file(file, keep == std::string::npos ? 0 : keep + 1);
}

std::filesystem::path without_torn_tail(std::filesystem::path file) {
  cut_torn_tail(file);
  return file;
}

IndexRow row_from(const nlohmann::json& r) {
  IndexRow row;
  row.frame = json_get<std::uint32_t>(r, "frame");
  row.kind = r.at("kind").get<std::string>();
  row.document_id = r.at("document").get<std::string>();
  row.page = json_get<std::uint32_t>(r, "page");
  row.address = r.at("address").get<std::string>();
  row.blip = r.at("blip").get<std::string>();
  row.source_file = r.at("source_file").get<std::string>();
  row.source_page = json_get<std::uint32_t>(r, "source_page");
  row.source_sha256 = r.at("source_sha256").get<std::string>();
  row.frame_sha256 = r.at("frame_sha256").get<std::string>();
  // Journals written before orientation and calibration were recorded have neither.
  row.orientation = json_get(r, "orientation", 1u);
  row.calibration = r.value("calibration", std::string());
  return row;
}

}  // namespace

Journal::Journal(std::filesystem::path file)
    : file_(without_torn_tail(std::move(file))), log_(file_) {}

void Journal::append(const nlohmann::json& record) {
  log_.append(record.dump() + "\n");
}

nlohmann::json frame_record(const std::string& reel_id, std::uint64_t sequence,
                            const IndexRow& row) {
  return {{"event", "frame"},
          {"seq", sequence},
          {"reel", reel_id},
          {"frame", row.frame},
          {"kind", row.kind},
          {"document", row.document_id},
          {"page", row.page},
          {"address", row.address},
          {"blip", row.blip},
          {"source_file", row.source_file},
          {"source_page", row.source_page},
          {"source_sha256", row.source_sha256},
          {"frame_sha256", row.frame_sha256},
          {"orientation", row.orientation},
          {"calibration", row.calibration}};
}

const JournalReel* JournalState::in_recorder() const {
  if (reels.empty()) return nullptr;
  const JournalReel& last = reels.back();
  return last.complete || last.spoiled ? nullptr : &last;
}

const JournalReel* JournalState::find(const std::string& reel_id) const {
  for (const auto& reel : reels) {
    if (reel.id == reel_id) return &reel;
  }
  return nullptr;
}

bool journal_started(const std::filesystem::path& file) {
  return std::filesystem::exists(file) && read_file(file).find('\n') != std::string::npos;
}

JournalState read_journal(const std::filesystem::path& file) {
  JournalState state;
  const std::string text = read_file(file);
  std::size_t line_number = 0;
  std::size_t begin = 0;
  auto reel_named = [&](const std::string& id) -> JournalReel& {
    for (auto& reel : state.reels) {
      if (reel.id == id) return reel;
    }
    throw journal_error(file, line_number, "reel " + id + " was never loaded");
  };
  while (begin < text.size()) {
    const auto end = text.find('\n', begin);
    if (end == std::string::npos) break;  // torn by a crash: never counted
    ++line_number;
    const std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
      const std::string event = record.at("event").get<std::string>();
      if (line_number == 1 && event != "start") {
        throw journal_error(file, line_number,
                            "expected a \"start\" record, got \"" + event + "\"");
      }
      if (event == "start") {
        if (line_number != 1) throw journal_error(file, line_number, "a second \"start\" record");
        state.start = record;
        state.job_id = record.at("job").get<std::string>();
        state.plan_sha256 = record.at("plan_sha256").get<std::string>();
        state.frames_planned = json_get<std::uint64_t>(record, "frames");
      } else if (event == "reel_loaded") {
        const std::string id = record.at("reel").get<std::string>();
        const auto first_frame = json_get<std::uint32_t>(record, "first_frame");
        JournalReel* reel = nullptr;
        for (auto& r : state.reels) {
          if (r.id == id) reel = &r;
        }
        if (!reel) {
          JournalReel loaded;
          loaded.id = id;
          loaded.first_sequence = state.next_sequence;
          state.reels.push_back(std::move(loaded));
          reel = &state.reels.back();
        }
        if (first_frame != reel->rows.size() + 1) {
          throw journal_error(file, line_number,
                              fmt::format("reel {} loaded at frame {} but it holds {} frames", id,
                                          first_frame, reel->rows.size()));
        }
        reel->closed = false;
        reel->spoiled = false;
      } else if (event == "frame") {
        const auto sequence = json_get<std::uint64_t>(record, "seq");
        JournalReel& reel = reel_named(record.at("reel").get<std::string>());
        IndexRow row = row_from(record);
        if (sequence != state.next_sequence || row.frame != reel.rows.size() + 1 || reel.closed) {
          throw journal_error(
              file, line_number,
              fmt::format("frame {} of reel {} (sequence {}) out of order: expected sequence {}, "
                          "frame {}",
                          row.frame, reel.id, sequence, state.next_sequence, reel.rows.size() + 1));
        }
        reel.rows.push_back(std::move(row));
        reel.row_runs.push_back(state.resumes);
        ++state.next_sequence;
      } else if (event == "reel_closed") {
        JournalReel& reel = reel_named(record.at("reel").get<std::string>());
        reel.closed = true;
        reel.complete = record.at("complete").get<bool>();
        reel.film_used_m = record.at("film_used_m").get<double>();
      } else if (event == "reel_spoiled") {
        JournalReel& reel = reel_named(record.at("reel").get<std::string>());
        state.spoiled.push_back({reel.id, reel.attempt,
                                 static_cast<std::uint32_t>(reel.rows.size()),
                                 record.at("moved_to").get<std::string>()});
        // The reel's frames are to be exposed again on fresh film, from its first frame.
        state.next_sequence = reel.first_sequence;
        reel.rows.clear();
        reel.row_runs.clear();
        reel.closed = true;
        reel.complete = false;
        reel.spoiled = true;
        ++reel.attempt;
      } else if (event == "reel_rewound") {
        // The device's film ends before the journal's last frames of this reel: they were in
        // its buffer when it stopped, and are exposed again.
        JournalReel& reel = reel_named(record.at("reel").get<std::string>());
        const auto frames = json_get<std::uint32_t>(record, "frames");
        if (&reel != &state.reels.back() || frames > reel.rows.size()) {
          throw journal_error(file, line_number,
                              fmt::format("reel {} rewound to {} frames but it holds {}", reel.id,
                                          frames, reel.rows.size()));
        }
        reel.rows.resize(frames);
        reel.row_runs.resize(frames);
        state.next_sequence = reel.first_sequence + frames;
      } else if (event == "replanned") {
        // Resume accepted a plan that differs only in frames not on film yet.
        state.plan_sha256 = record.at("plan_sha256").get<std::string>();
        state.frames_planned = json_get<std::uint64_t>(record, "frames");
        if (record.contains("rendering")) state.start["rendering"] = record.at("rendering");
      } else if (event == "resume") {
        ++state.resumes;
        state.resume_records.push_back(std::move(record));
      } else if (event == "finished") {
        state.finished = true;
      } else {
        throw journal_error(file, line_number, "unknown event \"" + event + "\"");
      }
    } catch (const nlohmann::json::exception& e) {
      throw journal_error(file, line_number, std::string("malformed record: ") + e.what());
    }
  }
  if (line_number == 0) throw journal_error(file, 1, "empty journal (no \"start\" record)");
  return state;
}

}  // namespace fw
