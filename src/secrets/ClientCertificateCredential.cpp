#include "secrets/ClientCertificateCredential.h"

#include "core/Json.h"
#include "secrets/SecretSource.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/Exception.h>
#include <Poco/SHA1Engine.h>
#include <Poco/UUIDGenerator.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>

namespace acd {

namespace {

std::string base64Url(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

std::string base64Url(const Poco::DigestEngine::Digest& bytes)
{
    return base64Url(std::string(bytes.begin(), bytes.end()));
}

/// The DER bytes of the first certificate in a PEM text, which the x5t thumbprint hashes.
std::optional<std::string> firstCertificateDer(const std::string& pem)
{
    const std::string begin = "-----BEGIN CERTIFICATE-----";
    const std::string end = "-----END CERTIFICATE-----";
    const auto from = pem.find(begin);
    const auto to = from == std::string::npos ? from : pem.find(end, from);
    if (to == std::string::npos)
        return std::nullopt;
    std::istringstream encoded(pem.substr(from + begin.size(), to - from - begin.size()));
    Poco::Base64Decoder decoder(encoded);
    return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
}

struct SigningMaterial
{
    std::string thumbprint; // x5t: base64url of the SHA-1 of the certificate's DER
    Poco::Crypto::RSAKey key;
};

SigningMaterial loadSigningMaterial(const std::string& path, const std::string& password)
{
    const std::string what = "AZURE_CLIENT_CERTIFICATE_PATH " + path;
    std::ifstream in(path, std::ios::binary);
    const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw SecretError(what + ": cannot read the file");

    const auto der = firstCertificateDer(pem);
    if (!der || der->empty())
        throw SecretError(what + ": no PEM certificate (-----BEGIN CERTIFICATE-----) in the file");
    Poco::SHA1Engine sha1;
    sha1.update(*der);

    try
    {
        std::istringstream certificateText(pem);
        const Poco::Crypto::RSAKey publicKey(Poco::Crypto::X509Certificate{certificateText});
        std::istringstream keyText(pem);
        Poco::Crypto::RSAKey key(nullptr, &keyText, password);
        if (key.modulus() != publicKey.modulus())
            throw SecretError(what + ": the private key does not belong to the certificate");
        return SigningMaterial{base64Url(sha1.digest()), key};
    }
    catch (const Poco::Exception& e)
    {
        throw SecretError(
            what + ": needs the certificate and its RSA private key in PEM" +
            (password.empty() ? " (unencrypted, or set AZURE_CLIENT_CERTIFICATE_PASSWORD)" : "") + ": " +
            e.displayText());
    }
}

/// Signs client assertions: RS256 over header.claims, the certificate named by x5t.
class AssertionSigner
{
public:
    AssertionSigner(const std::string& certificatePath, const std::string& password, std::string clientId,
                    std::string tokenUrl)
        : _url(std::move(tokenUrl)), _clientId(std::move(clientId)),
          _signing(loadSigningMaterial(certificatePath, password))
    {}

    std::string assertion(Timestamp now) const
    {
        std::string header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":";
        appendJsonString(header, _signing.thumbprint);
        header += '}';

        const std::string issuedAt = std::to_string(now.unixSeconds());
        std::string claims = "{\"aud\":";
        appendJsonString(claims, _url);
        claims += ",\"iss\":";
        appendJsonString(claims, _clientId);
        claims += ",\"sub\":";
        appendJsonString(claims, _clientId);
        claims += ",\"jti\":";
        appendJsonString(claims, Poco::UUIDGenerator::defaultGenerator().createRandom().toString());
        claims += ",\"nbf\":" + issuedAt + ",\"iat\":" + issuedAt +
                  ",\"exp\":" + std::to_string(now.unixSeconds() + 600) + "}";

        const std::string signingInput = base64Url(header) + "." + base64Url(claims);
        Poco::Crypto::RSADigestEngine signer(_signing.key, "SHA256");
        signer.update(signingInput);
        return signingInput + "." + base64Url(signer.signature());
    }

private:
    std::string _url;
    std::string _clientId;
    SigningMaterial _signing;
};

} // namespace

std::function<std::string(Timestamp now)> clientCertificateAssertion(const std::string& certificatePath,
                                                                     const std::string& password,
                                                                     const std::string& clientId,
                                                                     const std::string& tokenUrl)
{
    auto signer = std::make_shared<AssertionSigner>(certificatePath, password, clientId, tokenUrl);
    return [signer](Timestamp now) { return signer->assertion(now); };
}

} // namespace acd
