#include "sluice/os/body_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sluice {
namespace {

std::string ErrnoText(int error) { return std::strerror(error); }

// A range of a file streamed with pread(2), so Rewind() is only resetting a counter. The size is
// fixed when the source is made because it becomes the request's Content-Length; a file that
// shrinks while it is being sent would make the body disagree with that header, so it is
// reported as an error instead of being sent short. For a whole file (FileBody) growing is an
// error too, for the same reason; a tar member may have anything after it change.
class FileRangeSource : public BodySource {
 public:
  // `fd` is an already open descriptor of `path` (owned from now on), or -1 to open it lazily.
  FileRangeSource(std::string path, int fd, uint64_t offset, uint64_t size, bool whole_file)
      : path_(std::move(path)), fd_(fd), offset_(offset), size_(size), whole_file_(whole_file) {}
  ~FileRangeSource() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FileRangeSource(const FileRangeSource&) = delete;
  FileRangeSource& operator=(const FileRangeSource&) = delete;

  uint64_t size() const override { return size_; }

  Result<size_t> Read(char* buffer, size_t n) override {
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) return Error::Io("open " + path_ + ": " + ErrnoText(errno));
    }
    uint64_t remaining = size_ - position_;
    if (remaining == 0) {
      if (!whole_file_) return size_t{0};
      // At the declared end: make sure the file did not grow meanwhile (a log being appended
      // to, say), which would otherwise be silently cut.
      struct stat st;
      if (::fstat(fd_, &st) != 0) return Error::Io(path_ + ": " + ErrnoText(errno));
      if (static_cast<uint64_t>(st.st_size) != size_) return ChangedSize();
      return size_t{0};
    }
    if (n > remaining) n = static_cast<size_t>(remaining);
    while (true) {
      ssize_t got = ::pread(fd_, buffer, n, static_cast<off_t>(offset_ + position_));
      if (got < 0) {
        if (errno == EINTR) continue;
        return Error::Io("read " + path_ + ": " + ErrnoText(errno));
      }
      if (got == 0) return ChangedSize();  // shrank: the end came early
      position_ += static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    }
  }

  Status Rewind() override {
    position_ = 0;
    return Status::Ok();
  }

 private:
  Error ChangedSize() const {
    if (whole_file_) {
      return Error::Io(path_ + " changed size while being sent (it was " + std::to_string(size_) +
                       " bytes when the upload started)");
    }
    return Error::Io(path_ + " changed size while being sent (bytes " + std::to_string(offset_) +
                     " to " + std::to_string(offset_ + size_) + " were to be sent)");
  }

  std::string path_;
  int fd_;
  uint64_t offset_;
  uint64_t size_;
  bool whole_file_;
  uint64_t position_ = 0;  // within the range
};

class CallbackBodySource : public BodySource {
 public:
  CallbackBodySource(uint64_t size, std::function<Result<size_t>(char*, size_t)> read,
                     std::function<Status()> rewind)
      : size_(size), read_(std::move(read)), rewind_(std::move(rewind)) {}

  uint64_t size() const override { return size_; }
  Result<size_t> Read(char* buffer, size_t n) override { return read_(buffer, n); }
  Status Rewind() override {
    if (!rewind_) return Error::Io("this request body cannot be sent again");
    return rewind_();
  }

 private:
  uint64_t size_;
  std::function<Result<size_t>(char*, size_t)> read_;
  std::function<Status()> rewind_;
};

}  // namespace

std::shared_ptr<BodySource> StringBody(std::string bytes, size_t chunk) {
  auto data = std::make_shared<std::string>(std::move(bytes));
  auto position = std::make_shared<size_t>(0);
  return CallbackBody(
      data->size(),
      [data, position, chunk](char* out, size_t n) -> Result<size_t> {
        size_t count = std::min({n, chunk, data->size() - *position});
        std::memcpy(out, data->data() + *position, count);
        *position += count;
        return count;
      },
      [position] {
        *position = 0;
        return Status::Ok();
      });
}

Result<std::shared_ptr<BodySource>> FileBody(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::Io("open " + path + ": " + ErrnoText(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return Error::Io("stat " + path + ": " + ErrnoText(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    // A pipe or a device has no size known up front, and the body needs a Content-Length.
    return Error::Io(path + " is not a regular file");
  }
  return std::shared_ptr<BodySource>(std::make_shared<FileRangeSource>(
      path, fd, 0, static_cast<uint64_t>(st.st_size), /*whole_file=*/true));
}

Result<std::shared_ptr<BodySource>> FileRangeBody(const std::string& path, uint64_t offset,
                                                  uint64_t size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Error::Io("stat " + path + ": " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return Error::Io(path + " is not a regular file");
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (offset > file_size || size > file_size - offset) {
    return Error::InvalidArgument(path + " has " + std::to_string(file_size) +
                                  " bytes, too few for bytes " + std::to_string(offset) + " to " +
                                  std::to_string(offset + size));
  }
  return std::shared_ptr<BodySource>(
      std::make_shared<FileRangeSource>(path, -1, offset, size, /*whole_file=*/false));
}

std::shared_ptr<BodySource> CallbackBody(uint64_t size,
                                         std::function<Result<size_t>(char*, size_t)> read,
                                         std::function<Status()> rewind) {
  return std::make_shared<CallbackBodySource>(size, std::move(read), std::move(rewind));
}

}  // namespace sluice
