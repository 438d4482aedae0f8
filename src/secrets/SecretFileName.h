#pragma once

#include <string>

namespace acd {

/// A file name that stands for the secret name alone: letters, digits, '-' and '_' are kept,
/// every other byte becomes %XX, so no name can reach outside the directory it is used in.
std::string secretFileName(const std::string& secretName);

} // namespace acd
