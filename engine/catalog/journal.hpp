// journal.jsonl: a job's append-only record of what was exposed, the source of truth for
// resume. One JSON object per line, appended with one write() and fsync'ed before the frame
// counts as done, so a crash (kill -9, power loss) loses at most the line being written,
// which replay ignores. Index, manifest and catalog are all rebuilt from it.
//
// Events, in order: "start" (job id, plan sha256, frames planned), "reel_loaded",
// "frame" (one per frame the recorder accepted), "reel_closed", "reel_spoiled",
// "reel_rewound" (the device's film ends before the reel's last journaled frames: they died
// in its buffer and are exposed again), "replanned" (resume accepted a plan that differs only
// in frames not on film yet), "resume", "finished".
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/files.hpp"
#include "catalog/index.hpp"

namespace fw {

// Appends records durably. Opening it cuts a torn last line left by a crash.
class Journal {
 public:
  explicit Journal(std::filesystem::path file);
  // One line, written with a single write() and fdatasync'ed before returning.
  void append(const nlohmann::json& record);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  AppendFile log_;
};

struct JournalReel {
  std::string id;             // "R0001"
  std::uint32_t attempt = 1;  // 2 after one respool, ...
  std::uint64_t first_sequence = 0;
  std::vector<IndexRow> rows;  // frames of the current attempt, in order
  // The run that exposed each of rows: 0 the first, n the job's n-th resume
  // (resume_records[n - 1]).
  std::vector<std::uint32_t> row_runs;
  bool closed = false;
  bool complete = false;
  bool spoiled = false;  // its film was spoiled and it has not been loaded again yet
  double film_used_m = 0;
};

struct SpoiledReel {
  std::string id;
  std::uint32_t attempt = 1;
  std::uint32_t frames = 0;  // frames exposed on the spoiled film
  std::string moved_to;      // where its files went, relative to the job folder
};

// The journal replayed: what is on film.
struct JournalState {
  std::string job_id;
  std::string plan_sha256;
  std::uint64_t frames_planned = 0;
  nlohmann::json start;            // the "start" record as written
  std::vector<JournalReel> reels;  // in the order they were first loaded
  std::vector<SpoiledReel> spoiled;
  std::uint64_t next_sequence = 0;  // the first planned frame not on film
  bool finished = false;
  std::uint32_t resumes = 0;
  std::vector<nlohmann::json> resume_records;  // each "resume" record as written, in order

  // The reel the job stopped on, if it is not complete: still loaded after a crash, or closed
  // early by an interrupt or a device error. Resume applies its policy to this reel.
  const JournalReel* in_recorder() const;
  const JournalReel* find(const std::string& reel_id) const;
};

// True when the journal holds its "start" record (a crash can leave it empty: then nothing
// was exposed and the job starts afresh).
bool journal_started(const std::filesystem::path& file);

// Reads and checks the journal: frames must arrive in plan order, each exactly once.
// A last line without its newline (a write cut by a crash) is ignored. Throws Error(job)
// naming "journal.jsonl:LINE" when a record is malformed or out of order.
JournalState read_journal(const std::filesystem::path& file);

// The "frame" record of an accepted frame, and back.
nlohmann::json frame_record(const std::string& reel_id, std::uint64_t sequence,
                            const IndexRow& row);

}  // namespace fw
