#pragma once

#include <string>

namespace acd {

/// Creates `path` as an empty file that only its owner can read and write, so that a file
/// which will hold personal data is never readable by others, not even for a moment.
/// An existing file is left as it is. Throws std::system_error naming the path.
/// On Windows this does nothing: the installer's ACL on the data directory protects it.
void createOwnerOnlyFile(const std::string& path);

/// Removes group and other access from `path` when it exists (a missing file is fine).
/// Throws std::system_error naming the path when the mode cannot be changed.
void restrictToOwner(const std::string& path);

/// True when `path` exists and nobody but its owner has any access to it
/// (on Windows: when it exists, as access there is governed by the directory ACL).
bool isOwnerOnly(const std::string& path);

} // namespace acd
