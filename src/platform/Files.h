#pragma once

#include <string>
#include <string_view>

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

/// What writeFileAtomically() does when `path` exists already.
enum class ExistingFile
{
    Replace, ///< the new content takes its place
    Keep,    ///< it stays as it is: of two processes writing the same new file, the first one wins
};

/// Writes `content` to `path` so that nobody ever sees part of it: a reader, or the next run
/// after a crash, finds the whole earlier file (or none) or the whole new one. The bytes go
/// to temporaryFileFor(path) first, owner-only from its creation (the files hold addresses,
/// keys and secrets), and that file then takes the real name. Writers of the same path, in
/// this process or another, take turns; a temporary file left by a crash is taken over.
/// Nothing is flushed to the disk: this guards against a crash of the process, and the
/// file system's own ordering decides what a power cut leaves.
///
/// Returns false only with ExistingFile::Keep when `path` existed (its content untouched).
/// Throws std::system_error naming the path; no temporary file is left behind then.
bool writeFileAtomically(const std::string& path, std::string_view content,
                         ExistingFile existing = ExistingFile::Replace);

/// The temporary file writeFileAtomically() uses for `path`: in the same folder, so that
/// publishing it is a rename, hidden (a leading dot) and ending in .tmp, so that programs
/// collecting the folder's files pass it by. Whoever deletes `path` for good deletes it too.
std::string temporaryFileFor(const std::string& path);

} // namespace acd
