#pragma once

#include "core/Timestamp.h"

#include <functional>
#include <string>

namespace acd {

/// Entra's certificate credentials: a maker of client assertions (RS256 JWTs naming the
/// certificate by its x5t thumbprint, for `tokenUrl`, valid 10 minutes) from a PEM file holding
/// the certificate and its RSA private key. OAuthClientCredentials sends them in place of a
/// secret. Throws SecretError naming the file and what is wrong with it.
std::function<std::string(Timestamp now)> clientCertificateAssertion(const std::string& certificatePath,
                                                                     const std::string& password,
                                                                     const std::string& clientId,
                                                                     const std::string& tokenUrl);

} // namespace acd
