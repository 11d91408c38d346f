// The catalog's write side: a job's run started, its documents, reels loaded and closed,
// frames in batches, events and status, and a run's rows rebuilt from its journal (resume).
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <map>
#include <set>
#include <utility>

#include "base/unicode.hpp"
#include "catalog/catalog_sql.hpp"
#include "core/error.hpp"

namespace fw {

using catalog_sql::Statement;

namespace {

// The parameters of one frame row: 15, from ?(first + 1).
constexpr int kFrameColumns = 15;
// Rows in one INSERT of add_frames (a batch of RecordKeeper's; 480 parameters, below SQLite's
// and PostgreSQL's limits).
constexpr std::size_t kFramesPerInsert = 32;

// Binds one frame's row as the parameters first + 1 .. first + 15 of `insert`.
void bind_frame(Statement& insert, int first, const std::string& job_id, const std::string& reel_id,
                std::uint32_t attempt, const IndexRow& row) {
  insert.bind(first + 1, job_id)
      .bind(first + 2, reel_id)
      .bind(first + 3, std::int64_t{attempt})
      .bind(first + 4, std::int64_t{row.frame})
      .bind(first + 5, row.address)
      .bind(first + 6, row.blip)
      .bind(first + 7, row.document_id)
      .bind(first + 8, std::int64_t{row.page})
      .bind(first + 9, row.source_file)
      .bind(first + 10, std::int64_t{row.source_page})
      .bind(first + 11, row.source_sha256)
      .bind(first + 12, row.frame_sha256)
      .bind(first + 13, row.kind)
      .bind(first + 14, std::int64_t{row.orientation})
      .bind(first + 15, row.calibration);
}

void insert_frame(Statement& insert, const std::string& job_id, const std::string& reel_id,
                  std::uint32_t attempt, const IndexRow& row) {
  bind_frame(insert, 0, job_id, reel_id, attempt, row);
  insert.run();
}

// INSERT of `rows` frame rows in one statement (one round trip to a server instead of one a
// frame), a row written again replacing the one it finds.
std::string insert_frames_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO frames(job_id, reel_id, attempt, frame, address, blip, document_id, page, "
      "source_file, source_page, source_sha256, frame_sha256, kind, orientation, calibration) "
      "VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (int c = 1; c <= kFrameColumns; ++c) {
      sql += fmt::format("{}?{}", c == 1 ? "" : ", ", static_cast<int>(r) * kFrameColumns + c);
    }
    sql += ")";
  }
  sql +=
      " ON CONFLICT(job_id, reel_id, attempt, frame) DO UPDATE SET address = excluded.address, "
      "blip = excluded.blip, document_id = excluded.document_id, page = excluded.page, "
      "source_file = excluded.source_file, source_page = excluded.source_page, "
      "source_sha256 = excluded.source_sha256, frame_sha256 = excluded.frame_sha256, "
      "kind = excluded.kind, orientation = excluded.orientation, calibration = "
      "excluded.calibration";
  return sql;
}

const std::string kInsertFrame = insert_frames_sql(1);

// Binds the job's own columns as ?1 .. ?7: id, title, institution, dir, plan_sha256, format,
// operator_name (in NFC, as find --operator compares it).
Statement& bind_job(Statement& statement, const CatalogJob& job) {
  return statement.bind(1, job.id)
      .bind(2, job.title)
      .bind(3, job.institution)
      .bind(4, job.dir.string())
      .bind(5, job.plan_sha256)
      .bind(6, job.format)
      .bind(7, nfc(job.operator_name));
}

// The site prefix of a reel id: "NLC-B2" of "NLC-B2-R0001", "" of "R0001" (and of "F0001").
std::string reel_site(const std::string& reel_id) {
  const auto dash = reel_id.rfind('-');
  return dash == std::string::npos ? std::string() : reel_id.substr(0, dash);
}

}  // namespace

void Catalog::refuse_another_sites_job(const CatalogJob& job) {
  // A job id is the catalog's key: a second site filming a job of the same id would make its
  // run supersede the first site's reels. Hosts that share a catalog give their jobs ids of
  // their own; the reels' site prefixes tell whose a job is.
  Statement reels(*db_, "SELECT id FROM reels WHERE job_id = ?1 ORDER BY id LIMIT 1");
  reels.bind(1, job.id);
  if (!reels.step()) return;
  const std::string reel = reels.text(0);
  const std::string site = reel_site(reel);
  if (site == job.site) return;
  throw Error(
      ErrorKind::job,
      fmt::format("catalog {}: job {} in this catalog was filmed {} (reel {}), and this run "
                  "films as {}: a job id is one job across the hosts that share a "
                  "catalog; give this job an id of its own (--id), or film it with "
                  "the site it was filmed with",
                  db_->name(), job.id,
                  site.empty() ? std::string("without a site") : "by site " + site, reel,
                  job.site.empty() ? std::string("no site") : "site " + job.site));
}

void Catalog::start_job(const CatalogJob& job) {
  db::Transaction transaction(*db_);
  Statement earlier(*db_,
                    "SELECT run, (SELECT COALESCE(max(attempt), 0) FROM reels WHERE job_id = ?1), "
                    "status FROM jobs WHERE id = ?1");
  earlier.bind(1, job.id);
  if (earlier.step()) {
    refuse_another_sites_job(job);
    // Filmed again from the start: the earlier run's reels and frames stay, superseded.
    const std::int64_t run = earlier.integer(0);
    const std::int64_t base = earlier.integer(1);
    const std::string status = earlier.text(2);
    std::string reels;
    {
      Statement current(*db_,
                        "SELECT id, attempt, status FROM reels WHERE job_id = ?1 AND "
                        "superseded_at = '' ORDER BY id, attempt");
      current.bind(1, job.id);
      while (current.step()) {
        reels += fmt::format("{}{} attempt {} ({})", reels.empty() ? "" : ", ", current.text(0),
                             current.integer(1),
                             current.text(2) == "exposing" ? "incomplete" : current.text(2));
      }
    }
    Statement(*db_,
              "UPDATE reels SET superseded_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), status = "
              "CASE WHEN status = 'exposing' THEN 'incomplete' ELSE status END "
              "WHERE job_id = ?1 AND superseded_at = ''")
        .bind(1, job.id)
        .run();
    Statement again(
        *db_,
        "UPDATE jobs SET title = ?2, institution = ?3, dir = ?4, plan_sha256 = ?5, format = "
        "?6, operator_name = ?7, status = 'running', run = ?8, attempt_base = ?9, "
        "started_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), updated_at = "
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1");
    bind_job(again, job).bind(8, run + 1).bind(9, base).run();
    Statement(*db_, "INSERT INTO events(job_id, kind, message) VALUES (?1, 'superseded', ?2)")
        .bind(1, job.id)
        .bind(2, fmt::format("run {} filmed the job again from the start; run {} ({}) is kept "
                             "as superseded: {}",
                             run + 1, run, status, reels.empty() ? "no reel" : reels))
        .run();
  } else {
    Statement insert(*db_,
                     "INSERT INTO jobs(id, title, institution, dir, plan_sha256, format, "
                     "operator_name, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running')");
    bind_job(insert, job).run();
  }
  write_documents(job);
  transaction.commit();
}

void Catalog::write_documents(const CatalogJob& job) {
  // Documents of an earlier run stay (its frames name them); the job's own are brought up to
  // date.
  Statement insert(*db_,
                   "INSERT INTO documents(job_id, id, title, metadata, source_files) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(job_id, id) DO UPDATE SET "
                   "title = excluded.title, metadata = excluded.metadata, "
                   "source_files = excluded.source_files");
  // A document's table of contents is the job's as it is now: an earlier run's is replaced.
  Statement clear_toc(*db_, "DELETE FROM toc WHERE job_id = ?1 AND document_id = ?2");
  Statement insert_toc(*db_,
                       "INSERT INTO toc(job_id, document_id, entry, title, page, level, metadata) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  const auto json_of = [](const std::vector<std::pair<std::string, std::string>>& pairs) {
    // Metadata keeps the job file's order: a JSON object written key by key.
    nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
    for (const auto& [key, value] : pairs) metadata[key] = value;
    return metadata.dump();
  };
  for (const auto& doc : job.documents) {
    insert.bind(1, job.id)
        .bind(2, doc.id)
        .bind(3, doc.title)
        .bind(4, json_of(doc.metadata))
        .bind(5, nlohmann::json(doc.source_files).dump())
        .run();
    clear_toc.bind(1, job.id).bind(2, doc.id).run();
    for (std::size_t i = 0; i < doc.toc.size(); ++i) {
      const CatalogTocEntry& entry = doc.toc[i];
      insert_toc.bind(1, job.id)
          .bind(2, doc.id)
          .bind(3, static_cast<std::int64_t>(i + 1))
          .bind(4, entry.title)
          .bind(5, std::int64_t{entry.page})
          .bind(6, std::int64_t{entry.level})
          .bind(7, json_of(entry.metadata))
          .run();
    }
  }
}

void Catalog::reel_loaded(const std::string& job_id, const std::string& reel_id,
                          std::uint32_t attempt, double film_length_m) {
  Statement(*db_,
            "INSERT INTO reels(job_id, id, attempt, status, format, film_length_m, loaded_at, "
            "run) SELECT id, ?2, attempt_base + ?3, 'exposing', format, ?4, "
            "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), run FROM jobs WHERE id = ?1 "
            "ON CONFLICT(job_id, id, attempt) DO UPDATE SET status = 'exposing'")
      .bind(1, job_id)
      .bind(2, reel_id)
      .bind(3, std::int64_t{attempt})
      .bind(4, film_length_m)
      .run();
}

void Catalog::add_frames(const std::string& job_id, const std::vector<CatalogFrame>& frames) {
  if (frames.empty()) return;
  db::Transaction transaction(*db_);
  Statement attempt(*db_,
                    "SELECT max(attempt) FROM reels WHERE job_id = ?1 AND id = ?2 AND "
                    "superseded_at = ''");
  // A batch is one reel's frames (two across a reel change): its attempt is asked once per
  // reel, and its rows go in one multi-row INSERT of at most 32 rows, one round trip to a
  // server rather than one a frame (bench/README.md). A frame given twice in a batch starts
  // another statement: one statement may not write a row twice.
  struct Pending {
    const CatalogFrame* frame;
    std::uint32_t attempt;
  };
  std::vector<Pending> rows;
  std::set<std::pair<std::string, std::uint32_t>> keys;
  std::map<std::size_t, Statement> inserts;  // by the number of rows
  const auto flush = [&] {
    if (rows.empty()) return;
    auto it = inserts.find(rows.size());
    if (it == inserts.end()) {
      it = inserts.try_emplace(rows.size(), *db_, insert_frames_sql(rows.size())).first;
    }
    Statement& insert = it->second;
    int first = 0;
    for (const Pending& p : rows) {
      bind_frame(insert, first, job_id, p.frame->reel_id, p.attempt, p.frame->row);
      first += kFrameColumns;
    }
    insert.run();
    rows.clear();
    keys.clear();
  };
  std::string reel;
  std::uint32_t current = 0;
  for (const auto& f : frames) {
    if (f.reel_id != reel || reel.empty()) {
      attempt.bind(1, job_id).bind(2, f.reel_id);
      if (!attempt.step())
        throw Error(ErrorKind::internal, "catalog: reel " + f.reel_id + " unknown");
      current = static_cast<std::uint32_t>(attempt.integer(0));
      attempt.run();
      reel = f.reel_id;
    }
    if (rows.size() == kFramesPerInsert || keys.contains({f.reel_id, f.row.frame})) flush();
    keys.insert({f.reel_id, f.row.frame});
    rows.push_back({&f, current});
  }
  flush();
  transaction.commit();
}

void Catalog::reel_closed(const std::string& job_id, const CatalogReel& reel) {
  Statement(*db_,
            "UPDATE reels SET status = ?4, frames = ?5, film_used_m = ?6, index_sha256 = ?7, "
            "manifest_sha256 = ?8 WHERE job_id = ?1 AND id = ?2 AND attempt = ?3 + (SELECT "
            "attempt_base FROM jobs WHERE id = ?1)")
      .bind(1, job_id)
      .bind(2, reel.reel_id)
      .bind(3, std::int64_t{reel.attempt})
      .bind(4, reel.status)
      .bind(5, std::int64_t{reel.frames})
      .bind(6, reel.film_used_m)
      .bind(7, reel.index_sha256)
      .bind(8, reel.manifest_sha256)
      .run();
}

void Catalog::add_event(const std::string& job_id, const std::string& kind,
                        const std::string& message) {
  Statement(*db_, "INSERT INTO events(job_id, kind, message) VALUES (?1, ?2, ?3)")
      .bind(1, job_id)
      .bind(2, kind)
      .bind(3, message)
      .run();
}

void Catalog::set_job_status(const std::string& job_id, const std::string& status) {
  Statement(*db_,
            "UPDATE jobs SET status = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
            "WHERE id = ?1")
      .bind(1, job_id)
      .bind(2, status)
      .run();
}

void Catalog::sync_job(const CatalogJob& job, const JournalState& journal) {
  // The job's row, its events and earlier runs stay; the current run's reels and frames are
  // rebuilt from the journal, keeping when each reel was loaded (the film is the same film).
  Statement exists(*db_, "SELECT 1 FROM jobs WHERE id = ?1");
  exists.bind(1, job.id);
  if (!exists.step()) start_job(job);  // a catalog that never saw the job's start
  db::Transaction transaction(*db_);
  Statement keep_loaded(*db_,
                        "SELECT r.id, r.attempt - j.attempt_base, r.loaded_at FROM reels r JOIN "
                        "jobs j ON j.id = r.job_id WHERE r.job_id = ?1 AND r.superseded_at = ''");
  keep_loaded.bind(1, job.id);
  std::map<std::pair<std::string, std::int64_t>, std::string> loaded_at;
  while (keep_loaded.step())
    loaded_at[{keep_loaded.text(0), keep_loaded.integer(1)}] = keep_loaded.text(2);
  Statement keep_started(*db_, "SELECT started_at FROM jobs WHERE id = ?1");
  keep_started.bind(1, job.id);
  const std::string started_at = keep_started.step() ? keep_started.text(0) : std::string();
  auto loaded = [&](const std::string& reel, std::uint32_t attempt) {
    const auto it = loaded_at.find({reel, std::int64_t{attempt}});
    return it != loaded_at.end() && !it->second.empty() ? it->second : started_at;
  };
  Statement(*db_, "DELETE FROM reels WHERE job_id = ?1 AND superseded_at = ''")
      .bind(1, job.id)
      .run();  // and their frames (ON DELETE CASCADE)
  Statement update(*db_,
                   "UPDATE jobs SET title = ?2, institution = ?3, dir = ?4, plan_sha256 = ?5, "
                   "format = ?6, operator_name = ?7, status = 'running', updated_at = "
                   "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1");
  bind_job(update, job).run();
  write_documents(job);
  Statement reel_insert(*db_,
                        "INSERT INTO reels(job_id, id, attempt, status, format, frames, "
                        "film_used_m, film_length_m, loaded_at, run) SELECT ?1, ?2, attempt_base "
                        "+ ?3, ?4, ?5, ?6, ?7, ?8, COALESCE(NULLIF(?9, ''), "
                        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), run FROM jobs WHERE id = ?1");
  for (const auto& spoiled : journal.spoiled) {
    reel_insert.bind(1, job.id)
        .bind(2, spoiled.id)
        .bind(3, std::int64_t{spoiled.attempt})
        .bind(4, std::string("spoiled"))
        .bind(5, job.format)
        .bind(6, std::int64_t{spoiled.frames})
        .bind(7, 0.0)
        .bind(8, job.film_length_m)
        .bind(9, loaded(spoiled.id, spoiled.attempt))
        .run();
  }
  Statement insert(*db_, kInsertFrame);
  Statement base(*db_, "SELECT attempt_base FROM jobs WHERE id = ?1");
  base.bind(1, job.id);
  const auto attempt_base = static_cast<std::uint32_t>(base.step() ? base.integer(0) : 0);
  for (const auto& reel : journal.reels) {
    if (reel.spoiled) continue;  // not loaded again yet
    const std::string status = !reel.closed    ? "exposing"
                               : reel.complete ? "complete"
                                               : "incomplete";
    reel_insert.bind(1, job.id)
        .bind(2, reel.id)
        .bind(3, std::int64_t{reel.attempt})
        .bind(4, status)
        .bind(5, job.format)
        .bind(6, static_cast<std::int64_t>(reel.rows.size()))
        .bind(7, reel.film_used_m)
        .bind(8, job.film_length_m)
        .bind(9, loaded(reel.id, reel.attempt))
        .run();
    for (const auto& row : reel.rows) {
      insert_frame(insert, job.id, reel.id, attempt_base + reel.attempt, row);
    }
  }
  transaction.commit();
}

}  // namespace fw
