#include "sluice/os/line_source.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

namespace sluice {
namespace {

class FdLineSource : public LineSource {
 public:
  FdLineSource(int fd, size_t max_line) : fd_(fd), max_line_(max_line) {}

  Status Next(std::string& line, std::chrono::milliseconds wait) override {
    while (true) {
      if (TakeLine(line)) return Status::kLine;
      if (eof_) {
        if (buffer_.empty()) return Status::kEnd;
        line = std::move(buffer_);  // the last line had no newline
        buffer_.clear();
        discarding_ = false;
        return Status::kLine;
      }
      pollfd fd{fd_, POLLIN, 0};
      int ready = ::poll(&fd, 1, static_cast<int>(wait.count()));
      if (ready == 0) return Status::kIdle;
      if (ready < 0) {
        if (errno == EINTR) return Status::kIdle;  // a signal: let the caller look at it
        eof_ = true;
        continue;
      }
      char chunk[65536];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) return Status::kIdle;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      Append(std::string_view(chunk, static_cast<size_t>(n)));
    }
  }

 private:
  // Moves the first complete line out of the buffer.
  bool TakeLine(std::string& line) {
    if (ready_.empty()) return false;
    line = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }

  void Append(std::string_view data) {
    while (!data.empty()) {
      size_t newline = data.find('\n');
      std::string_view part = data.substr(0, newline);
      if (!discarding_) {
        size_t room = max_line_ + 1 - std::min(max_line_ + 1, buffer_.size());
        buffer_.append(part.substr(0, room));
        if (part.size() > room) discarding_ = true;  // keep limit + 1 bytes: "too long"
      }
      if (newline == std::string_view::npos) return;
      ready_.push_back(std::move(buffer_));
      buffer_.clear();
      discarding_ = false;
      data.remove_prefix(newline + 1);
    }
  }

  int fd_;
  size_t max_line_;
  std::string buffer_;
  std::deque<std::string> ready_;
  bool discarding_ = false;
  bool eof_ = false;
};

class VectorLineSource : public LineSource {
 public:
  explicit VectorLineSource(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  Status Next(std::string& line, std::chrono::milliseconds) override {
    if (next_ == lines_.size()) return Status::kEnd;
    line = lines_[next_++];
    return Status::kLine;
  }

 private:
  std::vector<std::string> lines_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<LineSource> MakeFdLineSource(int fd, size_t max_line) {
  return std::make_unique<FdLineSource>(fd, max_line);
}

std::unique_ptr<LineSource> MakeVectorLineSource(std::vector<std::string> lines) {
  return std::make_unique<VectorLineSource>(std::move(lines));
}

}  // namespace sluice
