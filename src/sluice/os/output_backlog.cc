#include "sluice/os/output_backlog.h"

#include <sys/ioctl.h>
#include <sys/stat.h>

namespace sluice {

std::optional<size_t> UnreadOutputBytes(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return std::nullopt;
  if (S_ISREG(st.st_mode)) return 0;
  if (!S_ISFIFO(st.st_mode)) return std::nullopt;
  // Linux answers FIONREAD on either end of a pipe with the bytes waiting in it.
  int unread = 0;
  if (::ioctl(fd, FIONREAD, &unread) != 0 || unread < 0) return std::nullopt;
  return static_cast<size_t>(unread);
}

}  // namespace sluice
