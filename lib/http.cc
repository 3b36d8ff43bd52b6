#include "lib/http.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace sluice {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// A file streamed with read(2). The size is taken once, when the file is opened, because it
// becomes the request's Content-Length; a file that grows or shrinks while it is being sent
// would make the body disagree with that header, so it is reported as an error instead of
// being sent short or long.
class FileBodySource : public BodySource {
 public:
  FileBodySource(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~FileBodySource() override { ::close(fd_); }
  FileBodySource(const FileBodySource&) = delete;
  FileBodySource& operator=(const FileBodySource&) = delete;

  uint64_t size() const override { return size_; }

  Result<size_t> Read(char* buffer, size_t n) override {
    uint64_t remaining = size_ - offset_;
    if (remaining == 0) {
      // At the declared end: make sure the file did not grow meanwhile (a log being appended
      // to, say), which would otherwise be silently cut.
      struct stat st;
      if (::fstat(fd_, &st) != 0) return Error::Io(path_ + ": " + ErrnoText(errno));
      if (static_cast<uint64_t>(st.st_size) != size_) return ChangedSize();
      return size_t{0};
    }
    if (n > remaining) n = static_cast<size_t>(remaining);
    while (true) {
      ssize_t got = ::read(fd_, buffer, n);
      if (got < 0) {
        if (errno == EINTR) continue;
        return Error::Io("read " + path_ + ": " + ErrnoText(errno));
      }
      if (got == 0) return ChangedSize();  // shrank: the end came early
      offset_ += static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    }
  }

  Status Rewind() override {
    if (::lseek(fd_, 0, SEEK_SET) != 0) return Error::Io("seek " + path_ + ": " + ErrnoText(errno));
    offset_ = 0;
    return Status::Ok();
  }

 private:
  Error ChangedSize() const {
    return Error::Io(path_ + " changed size while being sent (it was " + std::to_string(size_) +
                     " bytes when the upload started)");
  }

  std::string path_;
  int fd_;
  uint64_t size_;
  uint64_t offset_ = 0;
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

const std::string* FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const HttpHeader& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return &header.value;
  }
  return nullptr;
}

void SetHeader(HttpHeaders& headers, std::string_view name, std::string value) {
  // The first header of that name keeps its position (and its spelling is replaced by the
  // caller's), so a trace reads in the order headers were first added.
  bool placed = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (!EqualsIgnoreCase(it->name, name)) {
      ++it;
    } else if (!placed) {
      it->name = std::string(name);
      it->value = std::move(value);
      placed = true;
      ++it;
    } else {
      it = headers.erase(it);
    }
  }
  if (!placed) headers.push_back({std::string(name), std::move(value)});
}

void RemoveHeader(HttpHeaders& headers, std::string_view name) {
  std::erase_if(headers, [&](const HttpHeader& h) { return EqualsIgnoreCase(h.name, name); });
}

std::string HttpRequest::Url() const {
  std::string url = endpoint + path;
  if (!query.empty()) url += "?" + query;
  return url;
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
  return std::shared_ptr<BodySource>(
      std::make_shared<FileBodySource>(path, fd, static_cast<uint64_t>(st.st_size)));
}

std::shared_ptr<BodySource> CallbackBody(uint64_t size,
                                         std::function<Result<size_t>(char*, size_t)> read,
                                         std::function<Status()> rewind) {
  return std::make_shared<CallbackBodySource>(size, std::move(read), std::move(rewind));
}

}  // namespace sluice
