#include "sluice/os/file_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sluice {
namespace {

// Writes all of `data`, through short writes and signals.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Error StepFailed(const std::string& step, int error) {
  return Error::Io(step + ": " + std::strerror(error));
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  // Beside the target, so the rename stays within one file system and is atomic; the pid keeps
  // two processes that write the same file from writing into one temp file.
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return StepFailed("create " + temp, errno);
  auto fail = [&](const std::string& step, int error) {
    ::unlink(temp.c_str());
    return StepFailed(step, error);
  };
  if (!WriteAll(fd, data)) {
    int error = errno;
    ::close(fd);
    return fail("write " + temp, error);
  }
  // Without the fsync, a crash soon after the rename can leave the new name on an empty file.
  if (::fsync(fd) != 0) {
    int error = errno;
    ::close(fd);
    return fail("fsync " + temp, error);
  }
  // close() is where some network file systems report a failed write.
  if (::close(fd) != 0) return fail("close " + temp, errno);
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("rename " + temp, errno);

  // The rename itself is durable only once the directory is synced.
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return StepFailed("open directory " + directory, errno);
  int sync_error = ::fsync(dir_fd) != 0 ? errno : 0;
  ::close(dir_fd);
  // Some file systems (certain network and FUSE ones) cannot sync a directory and say EINVAL;
  // the rename is then as durable as they make it, and failing every save would stop the caller.
  if (sync_error != 0 && sync_error != EINVAL) {
    return StepFailed("fsync directory " + directory, sync_error);
  }
  return Status::Ok();
}

}  // namespace sluice
