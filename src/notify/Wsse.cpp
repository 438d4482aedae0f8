#include "notify/Wsse.h"

#include "core/Base64.h"

#include <Poco/DigestEngine.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA1Engine.h>

#include <stdexcept>

namespace acd {

std::string wssePasswordDigest(const std::string& nonce, const std::string& created,
                               const std::string& secret)
{
    Poco::SHA1Engine sha1;
    sha1.update(nonce);
    sha1.update(created);
    sha1.update(secret);
    return base64(Poco::DigestEngine::digestToHex(sha1.digest()));
}

std::string makeWsseHeader(const std::string& user, const std::string& secret, const std::string& nonce,
                           const std::string& created)
{
    return "UsernameToken Username=\"" + user + "\", PasswordDigest=\"" +
           wssePasswordDigest(nonce, created, secret) + "\", Nonce=\"" + nonce + "\", Created=\"" + created +
           "\"";
}

std::string makeNonce()
{
    Poco::RandomInputStream random;
    Poco::DigestEngine::Digest bytes(16);
    random.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (random.gcount() != static_cast<std::streamsize>(bytes.size()))
        throw std::runtime_error("could not read 16 bytes from the system random source for a WSSE nonce");
    return Poco::DigestEngine::digestToHex(bytes);
}

} // namespace acd
