// Replacing a small file so that a crash at any moment leaves either the old contents or the new,
// never a mix or an empty file: write a temporary file beside it, fsync, rename over it, fsync the
// directory. Used for --state files and caches.
#pragma once

#include <string>
#include <string_view>

#include "sluice/util/result.h"

namespace sluice {

// On failure an Error::Io naming the step ("write", "rename", ...), the file and strerror; the
// temporary file is removed and the old file left as it was.
Status WriteFileAtomically(const std::string& path, std::string_view data);

}  // namespace sluice
