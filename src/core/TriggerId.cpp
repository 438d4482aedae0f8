#include "core/TriggerId.h"

#include "core/KeyedHash.h"

namespace acd {

std::string makeTriggerId(const std::string& oun, const std::string& cartId, const std::string& modifiedIso,
                          int stage)
{
    // Each field is length-prefixed so that no choice of field contents can make two
    // different keys hash the same bytes.
    std::string key;
    for (const std::string& field : {oun, cartId, modifiedIso, std::to_string(stage)})
        key.append(std::to_string(field.size())).append(":").append(field);
    return "acd-" + sha256Hex(key).substr(0, 40);
}

} // namespace acd
