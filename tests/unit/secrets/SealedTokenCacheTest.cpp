#define BOOST_TEST_MODULE SealedTokenCache
#include <boost/test/unit_test.hpp>

#include "SecretsTestSupport.h"
#include "secrets/EncryptedFileSealedStore.h"
#include "secrets/SealedTokenCache.h"
#include "secrets/SecretSource.h"
#include "secrets/Sources.h"

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace acd;
using test::ScopedEnv;
using test::TempDir;

namespace {

const std::string Name = "emarsys-oauth-token";
const std::string Token = "tok-6b1e0d93a7c4-kept";
const std::string Owner = "5f0c2a9e7d31b84c";
const std::string CredentialKey = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
const std::string GivenKey = "installation-derived-key-32-byte";
// Sub-second ticks: the expiry must come back to the tick, not rounded to a later second.
const Timestamp KeptUntil(Timestamp::fromUnixSeconds(1'800'003'300).ticks() + 1'234'567);

void writeFile(const std::filesystem::path& path, const std::string& content)
{
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A cache as one process opens it: a new store object each time, only the directory shared.
SealedTokenCache cacheIn(const TempDir& directory, const std::string& givenKey = GivenKey)
{
    return SealedTokenCache(std::make_unique<EncryptedFileSealedStore>(directory.str(), givenKey), Name);
}

/// Seals `text` where the cache keeps its token, as another version of the program might.
void sealRaw(const TempDir& directory, const std::string& text)
{
    EncryptedFileSealedStore(directory.str(), GivenKey).seal(Name, text);
}

/// True when loading gave no token: nothing, or an error the token's user turns into a fetch.
bool yieldsNoToken(SealedTokenCache& cache)
{
    try
    {
        return !cache.load().has_value();
    }
    catch (const std::runtime_error&)
    {
        return true;
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(a_token_sealed_with_the_given_key_comes_back_in_the_next_process)
{
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    TempDir sealed;
    BOOST_TEST(!cacheIn(sealed).load().has_value());

    cacheIn(sealed).store({Token, KeptUntil, Owner});
    const auto loaded = cacheIn(sealed).load();
    BOOST_REQUIRE(loaded.has_value());
    BOOST_TEST(loaded->value == Token);
    BOOST_TEST(loaded->owner == Owner);
    BOOST_TEST(loaded->expiresAt.ticks() == KeptUntil.ticks());

    // A newer token replaces the kept one.
    cacheIn(sealed).store({Token + "-2", KeptUntil.plusSeconds(3600), Owner});
    const auto replaced = cacheIn(sealed).load();
    BOOST_REQUIRE(replaced.has_value());
    BOOST_TEST(replaced->value == Token + "-2");
    BOOST_TEST(replaced->expiresAt.ticks() == KeptUntil.plusSeconds(3600).ticks());
}

BOOST_AUTO_TEST_CASE(the_token_is_never_in_clear_on_disk)
{
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    TempDir sealed;
    cacheIn(sealed).store({Token, KeptUntil, Owner});

    int files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(sealed.path()))
    {
        if (!entry.is_regular_file())
            continue;
        ++files;
        const std::string bytes = readFile(entry.path());
        BOOST_TEST(bytes.find(Token) == std::string::npos, entry.path());
        BOOST_TEST(bytes.find("acd-token-1") == std::string::npos, entry.path());
        BOOST_TEST(entry.path().extension() == ".sealed", entry.path());
    }
    BOOST_TEST(files == 1);
}

BOOST_AUTO_TEST_CASE(clear_leaves_no_token)
{
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    TempDir sealed;
    cacheIn(sealed).store({Token, KeptUntil, Owner});
    auto cache = cacheIn(sealed);
    cache.clear();
    BOOST_TEST(!cache.load().has_value());
    BOOST_TEST(!cacheIn(sealed).load().has_value());

    // Clearing what was never kept is no error, and a later token is kept again.
    TempDir empty;
    cacheIn(empty).clear();
    BOOST_TEST(!cacheIn(empty).load().has_value());
    cacheIn(empty).store({Token, KeptUntil, Owner});
    BOOST_TEST(cacheIn(empty).load().has_value());
}

BOOST_AUTO_TEST_CASE(a_text_of_another_format_or_cut_short_is_no_token)
{
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    const std::string texts[] = {
        "garbage",
        "acd-token-2\n" + Owner + "\n2027-01-15T10:00:00Z\n" + Token + "\n",
        "acd-token-1\n" + Owner + "\nnext tuesday\n" + Token + "\n",
        "acd-token-1\n" + Owner + "\n2027-01-15T10:00:00Z\n",
        "acd-token-1\n" + Owner + "\n",
        "acd-token-1\n",
        Token,
    };
    for (const auto& text : texts)
    {
        BOOST_TEST_CONTEXT(text)
        {
            TempDir sealed;
            sealRaw(sealed, text);
            BOOST_TEST(!cacheIn(sealed).load().has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_damaged_file_yields_no_token)
{
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    TempDir sealed;
    cacheIn(sealed).store({Token, KeptUntil, Owner});
    const auto path = *std::filesystem::directory_iterator(sealed.path());
    std::string bytes = readFile(path);
    bytes.back() ^= 0x01;
    writeFile(path, bytes);
    auto damaged = cacheIn(sealed);
    BOOST_TEST(yieldsNoToken(damaged));

    writeFile(path, "not a sealed file at all");
    auto replaced = cacheIn(sealed);
    BOOST_TEST(yieldsNoToken(replaced));
}

BOOST_AUTO_TEST_CASE(a_given_key_is_used_with_or_without_the_credential)
{
    // The daemon may have the systemd credential acd-seal-key and a command run from a shell
    // not: both must read the token the other kept.
    TempDir credentials;
    writeFile(credentials.path() / EncryptedFileSealedStore::KeyCredentialName, CredentialKey);
    TempDir sealed;
    {
        ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
        cacheIn(sealed).store({Token, KeptUntil, Owner});
    }
    {
        ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
        const auto loaded = cacheIn(sealed).load();
        BOOST_REQUIRE(loaded.has_value());
        BOOST_TEST(loaded->value == Token);
    }
    // Without a given key, the credential keys the files, and the given key does not open them.
    TempDir sealedWithCredential;
    ScopedEnv env("CREDENTIALS_DIRECTORY", credentials.str());
    EncryptedFileSealedStore(sealedWithCredential.str()).seal(Name, "value");
    BOOST_TEST(EncryptedFileSealedStore(sealedWithCredential.str()).unseal(Name).value_or("") == "value");
    BOOST_CHECK_THROW(EncryptedFileSealedStore(sealedWithCredential.str(), GivenKey).unseal(Name),
                      SecretError);
}

BOOST_AUTO_TEST_CASE(another_given_key_does_not_open_the_file)
{
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    TempDir sealed;
    cacheIn(sealed).store({Token, KeptUntil, Owner});
    auto other = cacheIn(sealed, "another-installation-key-32byte!");
    BOOST_TEST(yieldsNoToken(other));
}

BOOST_AUTO_TEST_CASE(a_given_key_must_be_32_bytes)
{
    TempDir sealed;
    for (const std::size_t size : {1u, 31u, 33u, 64u})
    {
        BOOST_TEST_CONTEXT(size << " bytes")
        {
            BOOST_CHECK_THROW(EncryptedFileSealedStore(sealed.str(), std::string(size, 'k')), SecretError);
        }
    }
    BOOST_CHECK_NO_THROW(EncryptedFileSealedStore(sealed.str(), GivenKey));

    // No given key and no credential: nothing is sealed in clear instead.
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    EncryptedFileSealedStore withoutKey(sealed.str());
    BOOST_CHECK_THROW(withoutKey.seal(Name, Token), SecretError);
    BOOST_TEST(std::filesystem::is_empty(sealed.path()));
}

BOOST_AUTO_TEST_CASE(make_sealed_store_passes_the_key_on)
{
    // Files under the key, even where a keyring could be reached.
    ScopedEnv noCredentials("CREDENTIALS_DIRECTORY", std::nullopt);
    ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", std::string("unix:path=/nonexistent"));
    TempDir sealed;
    auto store = makeSealedStore(sealed.str(), GivenKey);
    BOOST_TEST(store->kind() == "encrypted-file");
    SealedTokenCache cache(std::move(store), Name);
    cache.store({Token, KeptUntil, Owner});
    const auto loaded = cacheIn(sealed).load();
    BOOST_REQUIRE(loaded.has_value());
    BOOST_TEST(loaded->value == Token);
}
