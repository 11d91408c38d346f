// `filmwriter catalog migrate`: a catalog moved whole from one database to another, typically a
// recorder host's SQLite file into the PostgreSQL catalog several hosts share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fw {

struct TableCount {
  std::string table;
  std::int64_t rows = 0;
};

// Copies every row of every table of catalog `from` (a path or URL; both catalogs are first
// brought to the latest schema) into catalog `to`, which must hold no job yet, in one
// transaction on `to`: all or nothing. Then compares each table's row count and a checksum of
// every frame (job, reel, attempt, frame, frame sha256, in order) on both sides. Returns the
// count of each table. Throws Error(usage) when `from` does not exist, `to` is not empty,
// or `from`'s database holds a table that is not the catalog's (named; the schema version and
// the shared queue's table aside), and Error(internal) naming the table when one of the
// catalog's tables is not in migrate's copy list, or a count or the checksum differs.
std::vector<TableCount> migrate_catalog(const std::filesystem::path& from,
                                        const std::filesystem::path& to);

}  // namespace fw
