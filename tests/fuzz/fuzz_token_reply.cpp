// net/OAuthClientCredentials: the token replies of Entra ID, Emarsys and the managed identity
// endpoints (readTokenReply), and the keeping of what they give (TokenKeeper). Input: two bytes
// of HTTP status, then the body.
#include "FuzzCheck.h"
#include "net/HttpClient.h"
#include "net/OAuthClientCredentials.h"

namespace {

const std::string Secret = "s3cr3t+value/=";
const std::string SecretEncoded = "s3cr3t%2Bvalue%2F%3D";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2)
        return 0;
    acd::HttpResponse response;
    const long statuses[] = {200, 200, 200, 400, 401, 403, 429, 500, 503};
    response.status = data[0] < 9 ? statuses[data[0]] : 100 + (data[0] << 8 | data[1]) % 500;
    response.body.assign(reinterpret_cast<const char*>(data) + 2, size - 2);
    const acd::Timestamp now = acd::Timestamp::fromUnixSeconds(1'795'000'000); // Nov 2026

    acd::IssuedToken issued;
    try
    {
        issued = acd::readTokenReply(response, "token request to https://login.example.com", now, {Secret});
    }
    catch (const acd::TokenError& e)
    {
        const std::string message = e.what();
        FUZZ_CHECK(message.find(Secret) == std::string::npos &&
                       message.find(SecretEncoded) == std::string::npos,
                   "the secret is in the message: " + message);
        FUZZ_CHECK(message.find('\n') == std::string::npos, "a message of two lines: " + message);
        FUZZ_CHECK(response.status != 429 || e.kind() == acd::RemoteFailure::Throttled, message);
        FUZZ_CHECK(response.status < 500 || e.kind() == acd::RemoteFailure::Unreachable, message);
        return 0;
    }
    FUZZ_CHECK(response.status == 200, "a token from HTTP " + std::to_string(response.status));
    FUZZ_CHECK(!issued.value.empty() && issued.lifetimeSeconds > 0, "an unusable token accepted");

    // Whatever lifetime the reply claimed, the token is kept until shortly before it ends: asked
    // again at once, the keeper hands out the same token without fetching another.
    acd::TokenKeeperOptions options;
    options.what = "fuzz";
    options.clock = [now] { return now; };
    acd::TokenKeeper keeper(std::move(options));
    int fetches = 0;
    const auto fetch = [&](acd::Timestamp) {
        ++fetches;
        return issued;
    };
    FUZZ_CHECK(keeper.token(fetch) == issued.value, "another token handed out");
    (void)keeper.token(fetch);
    FUZZ_CHECK(fetches == 1, "fetched again at once, lifetime " + std::to_string(issued.lifetimeSeconds));
    return 0;
}
