// Watching local files with the same events as S3, so a pipeline runs on a laptop without AWS:
// a file target is one "object", a directory target every regular file below it. Snapshots come
// from stat(2) (a directory walk); inotify only wakes the watch loop as soon as something
// changes, instead of at the next interval. Event fields: uri "file:///abs/path", bucket "",
// key = the path as given plus the file's path below it, etag "<mtime ns>-<size>" in hex (a
// change token, not a content hash), size, last_modified, source "inotify".
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sluice/watch/watcher.h"

namespace sluice {

std::unique_ptr<Watcher> MakeLocalWatcher(WatchTarget target);

// Waits for inotify events on the watched paths (directories recursively; a file through its
// directory). Thread-compatible: one waiter, used by the loop's thread.
class ChangeWaiter {
 public:
  static Result<std::unique_ptr<ChangeWaiter>> Make(const std::vector<WatchTarget>& targets);
  ~ChangeWaiter();
  ChangeWaiter(const ChangeWaiter&) = delete;
  ChangeWaiter& operator=(const ChangeWaiter&) = delete;

  // Returns when something changed (after a short settling pause, so that a burst of writes is
  // one poll), when `timeout` passes, or when interrupted; false only when interrupted.
  bool Wait(std::chrono::milliseconds timeout);

 private:
  ChangeWaiter(int fd, std::vector<std::string> roots) : fd_(fd), roots_(std::move(roots)) {}
  void WatchTree(const std::string& dir);
  int fd_;
  std::vector<std::string> roots_;
};

}  // namespace sluice
