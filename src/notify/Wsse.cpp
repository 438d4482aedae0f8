#include "notify/Wsse.h"

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA1Engine.h>

#include <sstream>
#include <stdexcept>

namespace acd {

std::string wssePasswordDigest(const std::string& nonce, const std::string& created,
                               const std::string& secret)
{
    Poco::SHA1Engine sha1;
    sha1.update(nonce);
    sha1.update(created);
    sha1.update(secret);
    const std::string hex = Poco::DigestEngine::digestToHex(sha1.digest());

    std::ostringstream out;
    {
        Poco::Base64Encoder encoder(out);
        // Poco wraps base64 at 72 columns by default; a header value must stay on one line.
        encoder.rdbuf()->setLineLength(0);
        encoder << hex;
        encoder.close();
    }
    return out.str();
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
