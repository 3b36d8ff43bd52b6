#include "sluice/watch/local_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "sluice/os/interrupt.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kEvents = IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM |
                             IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool VersionOf(const std::string& path, ObjectVersion* out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  uint64_t ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ull +
                static_cast<uint64_t>(st.st_mtim.tv_nsec);
  out->etag = Hex(ns) + "-" + Hex(static_cast<uint64_t>(st.st_size));
  out->size = static_cast<uint64_t>(st.st_size);
  // Whole seconds, as the state file keeps them; the etag carries the nanoseconds.
  out->last_modified = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
  return true;
}

class LocalWatcher : public Watcher {
 public:
  explicit LocalWatcher(WatchTarget target) : target_(std::move(target)) {
    std::error_code ec;
    absolute_ = fs::absolute(target_.path, ec).lexically_normal().string();
    if (ec) absolute_ = target_.path;
    target_.uri = target_.path;
  }

  Status Check() override {
    std::error_code ec;
    if (fs::exists(target_.path, ec)) return Status::Ok();
    // A file that does not exist yet may be watched (it will be `created`), but its directory
    // must exist: a typo in the directory would otherwise wait forever.
    fs::path parent = fs::path(absolute_).parent_path();
    if (!fs::is_directory(parent, ec)) {
      return Error::InvalidArgument("no such directory: " + parent.string());
    }
    return Status::Ok();
  }

  Result<Snapshot> Poll() override {
    Snapshot snapshot;
    std::error_code ec;
    auto status = fs::status(target_.path, ec);
    if (ec || !fs::exists(status)) return snapshot;
    ObjectVersion version;
    if (fs::is_regular_file(status)) {
      if (VersionOf(target_.path, &version)) snapshot.emplace(target_.path, version);
      return snapshot;
    }
    if (!fs::is_directory(status)) return snapshot;
    std::string base = target_.path;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    for (auto it = fs::recursive_directory_iterator(
             target_.path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string relative = fs::relative(it->path(), target_.path, ec).string();
      if (ec) continue;
      std::string key = base == "/" ? "/" + relative : base + "/" + relative;
      if (VersionOf(it->path().string(), &version)) snapshot.emplace(std::move(key), version);
    }
    // A file deleted during the walk ends it with an error: report what was seen; the next
    // poll sees the rest.
    return snapshot;
  }

  const WatchTarget& target() const override { return target_; }
  std::string_view source() const override { return "inotify"; }

 private:
  WatchTarget target_;
  std::string absolute_;
};

}  // namespace

std::unique_ptr<Watcher> MakeLocalWatcher(WatchTarget target) {
  return std::make_unique<LocalWatcher>(std::move(target));
}

Result<std::unique_ptr<ChangeWaiter>> ChangeWaiter::Make(const std::vector<WatchTarget>& targets) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Error::Io(std::string("inotify_init1: ") + std::strerror(errno));
  std::vector<std::string> roots;
  for (const WatchTarget& t : targets) {
    if (t.kind != WatchTarget::kLocal) continue;
    std::error_code ec;
    // A file is watched through its directory: editors replace files by renaming over them.
    roots.push_back(fs::is_directory(t.path, ec)
                        ? t.path
                        : fs::absolute(t.path, ec).parent_path().string());
  }
  std::unique_ptr<ChangeWaiter> waiter(new ChangeWaiter(fd, roots));
  for (const std::string& root : waiter->roots_) waiter->WatchTree(root);
  return waiter;
}

ChangeWaiter::~ChangeWaiter() { ::close(fd_); }

void ChangeWaiter::WatchTree(const std::string& dir) {
  ::inotify_add_watch(fd_, dir.c_str(), kEvents);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) ::inotify_add_watch(fd_, it->path().c_str(), kEvents);
  }
}

bool ChangeWaiter::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool changed = false;
  while (!changed) {
    if (Interrupted()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd p{fd_, POLLIN, 0};
    // Short slices so a signal is noticed promptly.
    int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (ready > 0) changed = true;
  }
  // Let a burst of writes settle, then drain; new directories get watches of their own.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  alignas(inotify_event) char buffer[16384];
  while (true) {
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    bool new_dir = false;
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      if ((event->mask & IN_ISDIR) && (event->mask & (IN_CREATE | IN_MOVED_TO))) new_dir = true;
      p += sizeof(inotify_event) + event->len;
    }
    if (new_dir) {
      for (const std::string& root : roots_) WatchTree(root);
    }
  }
  return !Interrupted();
}

}  // namespace sluice
