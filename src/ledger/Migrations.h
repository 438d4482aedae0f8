#pragma once

#include <string>
#include <vector>

namespace acd {

/// One schema step, from migrations/NNNN_description.sql; `version` is NNNN.
struct Migration
{
    int version = 0;
    std::string fileName;
    std::string sql;
};

/// The migrations compiled into this binary, in version order (generated from migrations/
/// at build time by EmbedMigrations.cmake).
const std::vector<Migration>& embeddedMigrations();

/// Reads NNNN_description.sql files from `dir` in version order. Throws LedgerError when the
/// directory cannot be read, a .sql file is misnamed, or the numbers do not run 1, 2, 3, ...
std::vector<Migration> loadMigrations(const std::string& dir);

} // namespace acd
