#pragma once

#include <string>

namespace acd {

/// A provider's words as they may go into a detail or a message: one line (control characters
/// become spaces), trimmed, at most 200 bytes cut on a UTF-8 boundary with "..." after a cut,
/// "(empty reply)" when nothing is left.
std::string quoteReply(const std::string& text);

} // namespace acd
