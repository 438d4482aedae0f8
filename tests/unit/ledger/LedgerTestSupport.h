#pragma once

#include "core/Timestamp.h"
#include "core/Types.h"

#include <Poco/Path.h>
#include <Poco/File.h>
#include <SQLiteCpp/Database.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace acd::test {

/// A fresh directory under the system temp dir, removed with everything in it at the end.
/// mkdtemp, not Poco's pid-based names: a folder left by an earlier process with the same pid
/// must never be reused.
class TempDir
{
public:
    TempDir()
    {
        std::string pattern = Poco::Path(Poco::Path::temp()).append("acd-unit-XXXXXX").toString();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot create a temporary folder from " + pattern);
        _path = pattern;
    }
    ~TempDir()
    {
        try
        {
            Poco::File(_path).remove(true);
        }
        catch (...)
        {}
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(const std::string& name) const
    {
        return Poco::Path(Poco::Path(_path).makeDirectory(), name).toString();
    }

private:
    std::string _path;
};

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
