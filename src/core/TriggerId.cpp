#include "core/TriggerId.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace acd {

std::string makeTriggerId(const std::string& oun, const std::string& cartId, const std::string& modifiedIso,
                          int stage)
{
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    // Each field is length-prefixed so that no choice of field contents can make two
    // different keys hash the same bytes.
    for (const std::string& field : {oun, cartId, modifiedIso, std::to_string(stage)})
    {
        const std::string prefix = std::to_string(field.size()) + ":";
        sha.update(prefix);
        sha.update(field);
    }
    return "acd-" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 40);
}

} // namespace acd
