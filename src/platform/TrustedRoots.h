#pragma once

#include <string>

namespace acd {

/// The certificate authorities this computer trusts, as PEM, for a TLS client that must be
/// handed them to verify a server itself.
///
/// Windows: the certificates of Trusted Root Certification Authorities, the machine's and
/// the account's (what certlm.msc and certmgr.msc show). libcurl's Schannel checks the chain
/// itself against them (its check of the chain's trust status), where Schannel's own
/// validation would be left to the system: Wine's Schannel, which the Windows proof runs on,
/// validates nothing. Roots that Windows would only fetch on demand from Windows Update are
/// not among them. Elsewhere: "", the TLS library knowing the system's store itself.
std::string trustedRootsPem();

} // namespace acd
