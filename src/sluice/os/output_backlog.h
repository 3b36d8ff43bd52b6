// How much of what this process wrote to a file descriptor its reader has not read yet. For a
// pipe that is the pipe's content (FIONREAD): lines still there are lost if the reader dies, so
// sluice-watch keeps them to send again after a restart. A regular file keeps what was written;
// for anything else (a socket, a terminal) nothing is known.
#pragma once

#include <cstddef>
#include <optional>

namespace sluice {

// 0 for a regular file; the unread bytes for a pipe; nullopt when it cannot be known.
std::optional<size_t> UnreadOutputBytes(int fd);

}  // namespace sluice
