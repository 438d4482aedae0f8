// secrets/KeyVaultSource: what Key Vault answers (DESIGN §5): the secret of a 200, the error
// object of a refusal, the WWW-Authenticate challenge of a 401. The first byte says which.
#include "FuzzCheck.h"
#include "secrets/KeyVaultSource.h"

#include "core/Json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3)
    {
    case 0:
    {
        const acd::BearerChallenge challenge = acd::parseBearerChallenge(text);
        FUZZ_CHECK(challenge.resource.empty() || challenge.resource.back() != '/', challenge.resource);
        FUZZ_CHECK(challenge.authorization.size() < size && challenge.resource.size() < size,
                   "longer than the header");
        break;
    }
    case 1:
    {
        std::string problem;
        if (const auto secret = acd::keyVaultSecretValue(text, problem))
        {
            // The secret is the exact text of the value, which the reply must hold as a JSON object.
            FUZZ_CHECK(acd::parseJsonObject(text) != nullptr, "a secret from a reply that is not an object");
            FUZZ_CHECK(acd::fuzz::isUtf8(*secret), "a secret that is not UTF-8");
        }
        break;
    }
    case 2:
    {
        // Goes into an error message: one line, and short whatever the reply's size.
        const std::string detail = acd::keyVaultErrorDetail(text);
        FUZZ_CHECK(detail.find_first_of("\r\n") == std::string::npos, "a detail of two lines: " + detail);
        FUZZ_CHECK(detail.size() <= 400, "a detail of " + std::to_string(detail.size()) + " bytes");
        break;
    }
    }
    return 0;
}
