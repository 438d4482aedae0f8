#pragma once

#include "core/Timestamp.h"

#include <optional>
#include <string>

namespace acd {

/// A file name that stands for the secret name alone: letters, digits, '-' and '_' are kept,
/// every other byte becomes %XX, so no name can reach outside the directory it is used in.
std::string secretFileName(const std::string& secretName);

/// When the file at `path` was last written; nothing when it does not exist or cannot be read.
std::optional<Timestamp> fileWrittenAt(const std::string& path);

} // namespace acd
