#pragma once

#include <string>

namespace acd {

/// Windows DPAPI with CRYPTPROTECT_LOCAL_MACHINE: any process on this machine can unprotect
/// the blob (the service and the admin tool run as different accounts), no other machine
/// can. `entropy` is mixed in so that blobs of other programs do not unprotect as ours.
/// Both throw std::runtime_error naming the Windows error code, never the data.
std::string dpapiProtect(const std::string& plain, const std::string& entropy);
std::string dpapiUnprotect(const std::string& blob, const std::string& entropy);

} // namespace acd
