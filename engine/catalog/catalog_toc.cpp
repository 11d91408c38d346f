// The catalog's tables of contents: each entry with where its page is on film
// (Catalog::toc), and `catalog find --title`'s entries narrowed by the query's other filters.
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "base/unicode.hpp"
#include "catalog/catalog_sql.hpp"

namespace fw {

using catalog_sql::kCurrentAttempts;
using catalog_sql::kReelStatus;
using catalog_sql::like_anywhere;
using catalog_sql::Statement;

std::vector<CatalogTocPlace> Catalog::find_toc(const FrameQuery& query) const {
  std::vector<CatalogTocPlace> places = toc(query.job_id, query.title);
  FrameQuery rest = query;
  rest.title.clear();
  const bool about_frames = !rest.source_file.empty() || !rest.sha256.empty();
  if (!about_frames && rest.document_id.empty() && rest.metadata.empty() && rest.text.empty()) {
    return places;
  }
  if (places.empty()) return places;
  // The frames the other filters match: their documents, and the frames themselves by reel.
  std::set<std::pair<std::string, std::string>> documents;
  std::map<std::tuple<std::string, std::string, std::uint32_t>, std::set<std::uint32_t>> frames;
  for (const CatalogFrame& f : find(rest)) {
    if (f.reel_target()) continue;
    documents.emplace(f.job_id, f.row.document_id);
    frames[{f.job_id, f.reel_id, f.attempt}].insert(f.row.frame);
  }
  std::vector<CatalogTocPlace> kept;
  for (CatalogTocPlace& place : places) {
    // An entry whose page is not on film has no frames to match: --document alone names it.
    const bool not_on_film_but_named = place.reel_id.empty() && !about_frames &&
                                       rest.metadata.empty() && rest.text.empty() &&
                                       canonically_equal(place.document_id, rest.document_id);
    if (!not_on_film_but_named && !documents.contains({place.job_id, place.document_id})) {
      continue;
    }
    if (about_frames) {
      const auto on_reel = frames.find({place.job_id, place.reel_id, place.attempt});
      if (place.reel_id.empty() || on_reel == frames.end()) continue;
      const auto hit = on_reel->second.lower_bound(place.frame);
      if (hit == on_reel->second.end() || *hit > std::max(place.last_frame, place.frame)) continue;
    }
    kept.push_back(std::move(place));
  }
  return kept;
}

std::vector<CatalogTocPlace> Catalog::toc(const std::string& job_id,
                                          const std::string& title) const {
  Statement select(*db_,
                   "SELECT t.job_id, t.document_id, d.title, t.entry, t.title, t.page, t.level, "
                   "t.metadata FROM toc t JOIN documents d ON d.job_id = t.job_id AND d.id = "
                   "t.document_id WHERE (?1 = '' OR t.job_id = ?1) AND (?2 = '' OR t.title LIKE "
                   "?3 ESCAPE '\\') ORDER BY t.job_id, d.rowid, t.entry");
  select.bind(1, job_id).bind(2, title).bind(3, like_anywhere(title));
  std::vector<CatalogTocPlace> out;
  while (select.step()) {
    CatalogTocPlace place;
    place.job_id = select.text(0);
    place.document_id = select.text(1);
    place.document_title = select.text(2);
    place.entry = static_cast<std::uint32_t>(select.integer(3));
    place.toc.title = select.text(4);
    place.toc.page = static_cast<std::uint32_t>(select.integer(5));
    place.toc.level = static_cast<int>(select.integer(6));
    place.toc.metadata = catalog_sql::metadata_pairs(select.text(7));
    out.push_back(std::move(place));
  }
  // Each entry's page on the current reels: its first frame (a colour page filmed as
  // separations has three), the blips before it on its reel, and the last frame of its pages
  // there: up to the next page an entry of its level or a higher one starts (a 卷 holds its
  // 篇), or the document's end.
  Statement first(*db_,
                  "SELECT f.reel_id, f.attempt, f.frame, f.address, " + std::string(kReelStatus) +
                      ", f.source_file, f.source_page, (SELECT COUNT(*) FROM frames b WHERE "
                      "b.job_id = f.job_id AND b.reel_id = f.reel_id AND b.attempt = f.attempt "
                      "AND b.frame <= f.frame AND b.blip <> 'none') FROM frames f JOIN reels r "
                      "ON r.job_id = f.job_id AND r.id = f.reel_id AND r.attempt = f.attempt " +
                      kCurrentAttempts +
                      "AND f.job_id = ?1 AND f.document_id = ?2 AND f.page = ?3 AND f.kind IN "
                      "('page', 'substitute') ORDER BY f.frame LIMIT 1");
  Statement last(*db_,
                 "SELECT MAX(frame) FROM frames WHERE job_id = ?1 AND reel_id = ?2 AND attempt = "
                 "?3 AND document_id = ?4 AND page >= ?5 AND page < ?6 AND kind IN ('page', "
                 "'substitute')");
  Statement next_page(*db_,
                      "SELECT MIN(page) FROM toc WHERE job_id = ?1 AND document_id = ?2 AND "
                      "page > ?3 AND level <= ?4");
  for (CatalogTocPlace& place : out) {
    first.bind(1, place.job_id).bind(2, place.document_id).bind(3, std::int64_t{place.toc.page});
    if (first.step()) {
      place.reel_id = first.text(0);
      place.attempt = static_cast<std::uint32_t>(first.integer(1));
      place.frame = static_cast<std::uint32_t>(first.integer(2));
      place.address = first.text(3);
      place.reel_status = first.text(4);
      place.source_file = first.text(5);
      place.source_page = static_cast<std::uint32_t>(first.integer(6));
      place.blips = static_cast<std::uint32_t>(first.integer(7));
    }
    first.reset();
    if (place.reel_id.empty()) continue;
    next_page.bind(1, place.job_id)
        .bind(2, place.document_id)
        .bind(3, std::int64_t{place.toc.page})
        .bind(4, std::int64_t{place.toc.level});
    std::int64_t end_page = INT64_MAX;
    if (next_page.step() && !next_page.is_null(0)) end_page = next_page.integer(0);
    next_page.reset();
    last.bind(1, place.job_id)
        .bind(2, place.reel_id)
        .bind(3, std::int64_t{place.attempt})
        .bind(4, place.document_id)
        .bind(5, std::int64_t{place.toc.page})
        .bind(6, end_page);
    place.last_frame =
        last.step() && !last.is_null(0) ? static_cast<std::uint32_t>(last.integer(0)) : place.frame;
    last.reset();
  }
  return out;
}

}  // namespace fw
