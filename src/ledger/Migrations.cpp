#include "ledger/Migrations.h"

#include "ledger/LedgerStore.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace acd {

std::vector<Migration> loadMigrations(const std::string& dir)
{
    namespace fs = std::filesystem;
    static const std::regex namePattern("([0-9]{4})_[A-Za-z0-9_]+\\.sql");

    std::vector<Migration> migrations;
    std::error_code error;
    fs::directory_iterator it(fs::path(dir), error);
    if (error)
        throw LedgerError("migrations directory " + dir + " cannot be read: " + error.message());
    for (const fs::directory_entry& entry : it)
    {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".sql")
            continue;
        std::smatch match;
        if (!std::regex_match(name, match, namePattern))
            throw LedgerError("migration " + dir + "/" + name +
                              ": expected a name like 0001_description.sql");
        std::ifstream in(entry.path(), std::ios::binary);
        if (!in)
            throw LedgerError("migration " + dir + "/" + name + " cannot be read");
        std::ostringstream text;
        text << in.rdbuf();
        migrations.push_back({std::stoi(match[1].str()), name, text.str()});
    }
    std::sort(migrations.begin(), migrations.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (std::size_t i = 0; i < migrations.size(); ++i)
    {
        if (migrations[i].version != static_cast<int>(i + 1))
            throw LedgerError("migration " + dir + "/" + migrations[i].fileName + ": expected number " +
                              std::to_string(i + 1) +
                              ", migrations must be numbered 1, 2, 3, ... without gaps");
    }
    if (migrations.empty())
        throw LedgerError("migrations directory " + dir + " holds no NNNN_description.sql file");
    return migrations;
}

} // namespace acd
