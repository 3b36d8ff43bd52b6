// Reading a whole (small) file: config files, state files, token files. One place for the
// open/fstat/read loop with its EINTR and directory cases.
#pragma once

#include <optional>
#include <string>

namespace sluice {

// The file's contents, or nullopt with *error_number set: ENOENT (or ENOTDIR) when it does not
// exist, EISDIR for a directory, or whatever open(2)/read(2) said.
std::optional<std::string> ReadWholeFile(const std::string& path, int* error_number);

}  // namespace sluice
