#pragma once

#include <string>

namespace acd {

/// Emarsys's variant of the WS-Security digest (DESIGN §4):
/// base64( lowercase-hex( SHA1(nonce + created + secret) ) ). The base64 is taken of the
/// 40-character hex text, not of the 20 raw bytes as plain WSSE would.
std::string wssePasswordDigest(const std::string& nonce, const std::string& created,
                               const std::string& secret);

/// The X-WSSE header value:
/// `UsernameToken Username="<user>", PasswordDigest="<digest>", Nonce="<nonce>", Created="<created>"`.
std::string makeWsseHeader(const std::string& user, const std::string& secret, const std::string& nonce,
                           const std::string& created);

/// 32 lowercase hex characters from the system's cryptographic random source.
std::string makeNonce();

} // namespace acd
