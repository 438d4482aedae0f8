#pragma once

#include "Harness.h" // TempDir
#include "core/Timestamp.h"
#include "core/Types.h"

#include <SQLiteCpp/Database.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace acd::test {

inline std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeBytes(const std::string& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

/// Today's writes move the counts of notification_counts (migration 0008), which a ledger of an
/// older schema does not have: the table is lent for `write` and dropped after, leaving the rows
/// that binary would have written.
template <class Write> void writeAsAnOlderBinary(SQLite::Database& db, Write write)
{
    db.exec("CREATE TABLE notification_counts (status TEXT NOT NULL, provider TEXT NOT NULL, reason TEXT NOT "
            "NULL, "
            "count INTEGER NOT NULL, PRIMARY KEY (status, provider, reason)) WITHOUT ROWID");
    write();
    db.exec("DROP TABLE notification_counts");
}

inline Timestamp at(const std::string& iso)
{
    const std::optional<Timestamp> parsed = Timestamp::parse(iso);
    if (!parsed)
        throw std::invalid_argument("test timestamp " + iso);
    return *parsed;
}

inline Cart makeCart(const std::string& id, const std::string& customerId, const std::string& modifiedIso)
{
    Cart cart;
    cart.id = id;
    cart.customerId = customerId;
    cart.modifiedDateTime = at(modifiedIso);
    cart.cartTypeValue = 1;
    cart.channelId = 5637144592;
    cart.totalAmount = "41.5";
    cart.lines.push_back({"line-1", 68719476740, "0001", "2", "12.5"});
    cart.lines.push_back({"line-2", 68719476741, "0002", "1", "16.5"});
    return cart;
}

inline std::int64_t count(SQLite::Database& db, const std::string& sql)
{
    return db.execAndGet(sql).getInt64();
}

} // namespace acd::test
