// The catalog's read side: frames found by document, title, metadata, free text, source file
// or checksum, and a job's reels, documents and the jobs themselves.
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "base/unicode.hpp"
#include "catalog/catalog_sql.hpp"
#include "core/error.hpp"

namespace fw {

namespace catalog_sql {

std::string like_literal(const std::string& text) {
  std::string pattern;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern;
}

std::vector<std::pair<std::string, std::string>> metadata_pairs(const std::string& json) {
  std::vector<std::pair<std::string, std::string>> pairs;
  // Held in a variable: a range-for over parse(...).items() would read a destroyed temporary.
  const auto metadata = nlohmann::ordered_json::parse(json);
  for (const auto& [key, value] : metadata.items())
    pairs.emplace_back(key, value.get<std::string>());
  return pairs;
}

}  // namespace catalog_sql

using catalog_sql::kCurrentAttempts;
using catalog_sql::kReelStatus;
using catalog_sql::like_anywhere;
using catalog_sql::Statement;

namespace {

// The current (highest) attempt of each reel: frames of spoiled attempts and of superseded runs
// are not answers, unless every attempt is asked for (FrameQuery::all_attempts).
const std::string kFrameSelect =
    "SELECT f.job_id, f.reel_id, f.frame, f.kind, f.document_id, f.page, f.address, f.blip, "
    "f.source_file, f.source_page, f.source_sha256, f.frame_sha256, d.title, f.orientation, "
    "f.calibration, " +
    std::string(kReelStatus) +
    ", f.attempt FROM frames f JOIN reels r ON r.job_id = f.job_id AND r.id = f.reel_id AND "
    "r.attempt = f.attempt JOIN documents d ON d.job_id = f.job_id AND d.id = f.document_id ";
constexpr const char* kEveryAttempt = "WHERE 1 = 1 ";

// The SQL list of the frame kinds that belong to the reel, not to a document.
constexpr const char* kReelTargetKinds =
    "('start-target', 'technical-target', 'reel-contents', 'declaration', 'end-target')";

std::vector<CatalogFrame> read_frames(Statement& select) {
  std::vector<CatalogFrame> out;
  while (select.step()) {
    CatalogFrame f;
    f.job_id = select.text(0);
    f.reel_id = select.text(1);
    f.row.frame = static_cast<std::uint32_t>(select.integer(2));
    f.row.kind = select.text(3);
    f.row.document_id = select.text(4);
    f.row.page = static_cast<std::uint32_t>(select.integer(5));
    f.row.address = select.text(6);
    f.row.blip = select.text(7);
    f.row.source_file = select.text(8);
    f.row.source_page = static_cast<std::uint32_t>(select.integer(9));
    f.row.source_sha256 = select.text(10);
    f.row.frame_sha256 = select.text(11);
    f.title = select.text(12);
    f.row.orientation = static_cast<std::uint32_t>(select.integer(13));
    f.row.calibration = select.text(14);
    f.reel_status = select.text(15);
    f.attempt = static_cast<std::uint32_t>(select.integer(16));
    if (f.reel_target()) f.title.clear();  // the reel's, not the document's
    out.push_back(std::move(f));
  }
  return out;
}

// The last component of f.source_file, written exactly as in the index frames_by_source_name
// (SQLite uses an index on an expression only for the same expression): rtrim strips the
// trailing characters that are not '/', which leaves the folder part.
constexpr const char* kSourceName =
    "substr(f.source_file, length(rtrim(f.source_file, replace(f.source_file, '/', ''))) + 1)";

// The words of a free-text search: split at white space, the ideographic space included.
std::vector<std::string> search_words(const std::string& text) {
  std::string spaced = text;
  for (std::size_t at; (at = spaced.find("\u3000")) != std::string::npos;) {
    spaced.replace(at, 3, " ");
  }
  std::vector<std::string> words;
  std::istringstream in(spaced);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// The spellings of the document id `id` that the catalog holds (those of job `job_id` only,
// unless it is ""): every id canonically equivalent to it (base/unicode.hpp), so that a
// document is found however either side spells it: typed with an IME in NFC, pasted from a
// macOS folder name in NFD, or stored with a compatibility ideograph of a KS X 1001 conversion
// (豈 U+F900), which neither the NFC nor the NFD of the query spells. The catalog keeps ids as
// filmed and has no column of their NFC (that would take a migration of every catalog):
// an id in NFC is looked up by index, and the ids with a character past ASCII, the only ones
// that can be in another form, are compared in NFC here. That reads the documents' ids (the
// covering index documents_by_id; 100,000 Hangul ids: 60 ms of CPU, bench/catalog_bench.cpp),
// never the frames, and only for an id that has other spellings: "D001" has none. Nothing
// found: just `id`.
std::vector<std::string> spellings_of_document_id(db::Connection& db, const std::string& job_id,
                                                  const std::string& id) {
  const std::string normal = nfc(id);
  if (has_one_spelling(normal)) return {normal};
  const bool sqlite = db.dialect() == db::Dialect::sqlite;
  Statement select(db, std::string("SELECT DISTINCT id FROM documents WHERE (?1 = '' OR job_id = "
                                   "?1) AND (id = ?2 OR ") +
                           (sqlite ? "id GLOB '*[^ -~]*'" : "octet_length(id) <> char_length(id)") +
                           ")");
  select.bind(1, job_id).bind(2, normal);
  std::vector<std::string> spellings;
  while (select.step()) {
    std::string stored = select.text(0);
    if (stored == normal || nfc(stored) == normal) spellings.push_back(std::move(stored));
  }
  if (spellings.empty()) spellings.push_back(id);
  return spellings;
}

// The SELECT of Catalog::find and the values of its ?N parameters; `document_ids` the
// spellings of q.document_id to look for.
std::pair<std::string, std::vector<std::string>> find_query(
    const FrameQuery& q, const std::vector<std::string>& document_ids) {
  std::string sql = kFrameSelect + (q.all_attempts ? kEveryAttempt : kCurrentAttempts);
  std::vector<std::string> values;
  // `clause` with each {} replaced by the number of a new parameter holding `value`.
  auto param = [&](const std::string& value) {
    values.push_back(value);
    return fmt::format("?{}", values.size());
  };
  auto where = [&](const std::string& clause, const std::string& value) {
    sql += fmt::format("AND {} ", fmt::format(fmt::runtime(clause), param(value)));
  };
  if (!q.job_id.empty()) where("f.job_id = {}", q.job_id);
  if (!q.operator_name.empty()) {
    where("f.job_id IN (SELECT id FROM jobs WHERE operator_name = {})", nfc(q.operator_name));
  }
  if (!q.document_id.empty()) {
    std::string ids;
    for (const std::string& id : document_ids) ids += (ids.empty() ? "" : ", ") + param(id);
    sql += "AND f.document_id IN (" + ids + ") ";
  }
  // Title, metadata and free text are questions to the documents: documents first (title from
  // the covering index documents_by_title, metadata from its JSON), then their frames through
  // frames_by_document; a plain join condition on d would have SQLite scan every frame.
  std::vector<std::string> about_document;
  if (!q.title.empty()) {
    about_document.push_back("title LIKE " + param(like_anywhere(q.title)) + " ESCAPE '\\'");
  }
  for (const auto& [key, value] : q.metadata) {
    about_document.push_back(
        fmt::format("EXISTS (SELECT 1 FROM json_each(documents.metadata) m WHERE lower(m.key) = "
                    "lower({}) AND m.value LIKE {} ESCAPE '\\')",
                    param(key), param(like_anywhere(value))));
  }
  for (const auto& word : search_words(q.text)) {
    const std::string p = param(like_anywhere(word));
    about_document.push_back(
        fmt::format("(title LIKE {0} ESCAPE '\\' OR EXISTS (SELECT 1 FROM "
                    "json_each(documents.metadata) m WHERE m.value LIKE {0} ESCAPE '\\'))",
                    p));
  }
  if (!about_document.empty()) {
    std::string condition;
    for (const auto& c : about_document) condition += (condition.empty() ? "" : " AND ") + c;
    sql += "AND (f.job_id, f.document_id) IN (SELECT job_id, id FROM documents WHERE " + condition +
           ") ";
  }
  // A question about documents is not answered with the reel's own targets (start, technical,
  // end), which the index files under the reel's first document.
  if (!q.document_id.empty() || !about_document.empty()) {
    sql += fmt::format("AND f.kind NOT IN {} ", kReelTargetKinds);
  }
  if (!q.source_file.empty()) {
    // The whole path, or its trailing components ("D001/p3.png"); both end in the same file
    // name, which the index finds.
    const auto slash = q.source_file.find_last_of('/');
    where(fmt::format("{} = {{}}", kSourceName),
          slash == std::string::npos ? q.source_file : q.source_file.substr(slash + 1));
    const std::string whole = param(q.source_file);
    const std::string tail = param("%/" + catalog_sql::like_literal(q.source_file));
    sql +=
        fmt::format("AND (f.source_file = {} OR f.source_file LIKE {} ESCAPE '\\') ", whole, tail);
  }
  if (!q.sha256.empty()) {
    // Checksums are stored in lower case; an operator may paste them in upper case.
    const std::string p = param(normalize_sha256(q.sha256));
    sql += fmt::format("AND (f.source_sha256 = {0} OR f.frame_sha256 = {0}) ", p);
  }
  sql += q.all_attempts ? "ORDER BY f.job_id, f.reel_id, f.attempt, f.frame"
                        : "ORDER BY f.job_id, f.reel_id, f.frame";
  return {sql, values};
}

}  // namespace

bool is_reel_target(const std::string& kind) {
  return kind == "start-target" || kind == "technical-target" || kind == "reel-contents" ||
         kind == "declaration" || kind == "end-target";
}

std::string normalize_sha256(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw Error(ErrorKind::usage,
                  fmt::format("--sha256: expected hexadecimal digits, got \"{}\"", text));
    }
    out += c;
  }
  if (out.size() != 64) {
    throw Error(ErrorKind::usage,
                fmt::format("--sha256: expected 64 hexadecimal digits, got {} in \"{}\"",
                            out.size(), text));
  }
  return out;
}

std::pair<std::string, std::string> parse_meta_query(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(ErrorKind::usage,
                fmt::format("--meta: expected KEY=VALUE (e.g. 作者=朱熹), got \"{}\"", text));
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<std::string> Catalog::document_id_spellings(const FrameQuery& q) const {
  if (q.document_id.empty()) return {};
  return spellings_of_document_id(*db_, q.job_id, q.document_id);
}

std::vector<CatalogFrame> Catalog::find(const FrameQuery& q) const {
  const auto [sql, values] = find_query(q, document_id_spellings(q));
  Statement select(*db_, sql);
  for (std::size_t i = 0; i < values.size(); ++i) select.bind(static_cast<int>(i + 1), values[i]);
  return read_frames(select);
}

std::vector<std::string> Catalog::explain_find(const FrameQuery& q) const {
  const auto [sql, values] = find_query(q, document_id_spellings(q));
  const bool sqlite = db_->dialect() == db::Dialect::sqlite;
  Statement explain(*db_, (sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + sql);
  for (std::size_t i = 0; i < values.size(); ++i) explain.bind(static_cast<int>(i + 1), values[i]);
  std::vector<std::string> steps;
  // SQLite's columns: id, parent, 0, detail; PostgreSQL's: one line of the plan per row.
  while (explain.step()) steps.push_back(explain.text(sqlite ? 3 : 0));
  return steps;
}

std::vector<CatalogFrame> Catalog::frames(const std::string& job_id, bool all_attempts) const {
  FrameQuery query;
  query.job_id = job_id;
  query.all_attempts = all_attempts;
  return find(query);
}

std::vector<CatalogReel> Catalog::reels(const std::string& job_id, bool all_runs) const {
  Statement select(*db_, ("SELECT r.job_id, r.id, r.attempt, " + std::string(kReelStatus) +
                          ", r.frames, r.film_used_m, r.index_sha256, r.manifest_sha256, j.dir, "
                          "r.run, r.superseded_at FROM reels r JOIN jobs j ON j.id = r.job_id "
                          "WHERE (?1 = '' OR r.job_id = ?1) AND (?2 = 1 OR r.superseded_at = '') "
                          "ORDER BY r.job_id, r.id, r.attempt"));
  select.bind(1, job_id).bind(2, std::int64_t{all_runs ? 1 : 0});
  std::vector<CatalogReel> out;
  while (select.step()) {
    out.push_back({select.text(0), select.text(1), static_cast<std::uint32_t>(select.integer(2)),
                   select.text(3), static_cast<std::uint32_t>(select.integer(4)), select.real(5),
                   select.text(6), select.text(7), select.text(8),
                   static_cast<std::uint32_t>(select.integer(9)), select.text(10)});
  }
  return out;
}

std::vector<CatalogDocument> Catalog::documents(const std::string& job_id) const {
  Statement select(*db_,
                   "SELECT id, title, metadata, source_files FROM documents WHERE job_id = ?1 "
                   "ORDER BY rowid");
  select.bind(1, job_id);
  std::vector<CatalogDocument> out;
  while (select.step()) {
    CatalogDocument doc{select.text(0), select.text(1), {}, {}, {}};
    doc.metadata = catalog_sql::metadata_pairs(select.text(2));
    doc.source_files = nlohmann::json::parse(select.text(3)).get<std::vector<std::string>>();
    out.push_back(std::move(doc));
  }
  return out;
}

std::vector<CatalogJob> Catalog::jobs() const {
  Statement select(*db_,
                   "SELECT id, title, institution, dir, plan_sha256, format, status, "
                   "operator_name FROM jobs ORDER BY id");
  std::vector<CatalogJob> out;
  while (select.step()) {
    CatalogJob job;
    job.id = select.text(0);
    job.title = select.text(1);
    job.institution = select.text(2);
    job.dir = select.text(3);
    job.plan_sha256 = select.text(4);
    job.format = select.text(5);
    job.status = select.text(6);
    job.operator_name = select.text(7);
    out.push_back(std::move(job));
  }
  return out;
}

}  // namespace fw
