#include "admin/HashKey.h"

#include "platform/Files.h"
#include "secrets/SecretStore.h"

#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Path.h>
#include <Poco/RandomStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <iomanip>
#include <sstream>
#include <system_error>

namespace acd {

namespace {

constexpr int KeyBytes = 32;

/// SecretStore::get() says "not found in any of" only when every source answered that it does
/// not hold the name; any other SecretError means a source has it but cannot give it now.
bool notFoundAnywhere(const SecretError& e)
{
    return std::string(e.what()).find("not found in any of") != std::string::npos;
}

std::string randomKey()
{
    Poco::RandomInputStream random;
    std::ostringstream hex;
    for (int i = 0; i < KeyBytes; ++i)
        hex << std::hex << std::setw(2) << std::setfill('0') << (random.get() & 0xff);
    return hex.str();
}

std::string readKeyFile(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return Poco::trim(text);
}

} // namespace

std::string hashKeyFilePath(const Settings& settings)
{
    return Poco::Path(settings.ledgerPath).makeAbsolute().parent().setFileName("hash.key").toString();
}

std::string installationHashKey(const Settings& settings, SecretStore& secrets,
                                const std::function<void(const std::string&)>& note)
{
    const std::string& name = settings.hashKeySecretName;
    // The file exists only where an earlier run generated the key and no source could hold it:
    // read first, it keeps working when a remote source (Key Vault) cannot be reached.
    const std::string file = hashKeyFilePath(settings);
    if (Poco::File(file).exists())
    {
        std::string key = readKeyFile(file);
        if (key.empty())
            throw SecretError("the hash key file " + file +
                              " is empty: restore it from a backup (opt-outs are matched through it)");
        return key;
    }
    try
    {
        return secrets.get(name);
    }
    catch (const SecretError& e)
    {
        if (!notFoundAnywhere(e))
            throw;
    }

    const std::string key = randomKey();
    std::string whyNotStored;
    try
    {
        const std::string source = secrets.store(name, key);
        note("privacy: generated this installation's hash key and stored it as secret '" + name + "' in " +
             source + "; back it up: opt-outs and the audit log's customer hashes depend on it");
        return key;
    }
    catch (const SecretError& e)
    {
        whyNotStored = e.what();
    }
    // Keep: of two processes generating at once, both end up with the key published first.
    try
    {
        writeFileAtomically(file, key + '\n', ExistingFile::Keep);
    }
    catch (const std::system_error& e)
    {
        throw SecretError("the hash key '" + name + "' could not be stored (" + whyNotStored +
                          ") nor written to " + file + ": " + e.what());
    }
    const std::string kept = readKeyFile(file);
    note("privacy: generated this installation's hash key and kept it in " + file +
         " (owner-only), as no secret source can be written; back it up with the ledger: opt-outs and "
         "the audit log's customer hashes depend on it");
    return kept;
}

} // namespace acd
