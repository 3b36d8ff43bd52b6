// What sluice-push tells a person while it works: one line per finished blob ("pushed",
// "exists", "compressed") and, on a terminal, a status line redrawn in place with bytes sent,
// the total and the rate. Fed BlobEvents from the upload threads; renders text, the tool writes
// it to stderr. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "sluice/push/image_push.h"

namespace sluice {

std::string FormatBytes(uint64_t bytes);  // "512 B", "1.50 KB", "12.3 MB", "2.00 GB"

class PushProgress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `line` gets finished-blob lines (without a newline).
  PushProgress(std::function<void(const std::string&)> line, Clock clock = nullptr);

  void OnBlob(const BlobEvent& event);
  // "2/9 blobs · 120.5 MB of 500.0 MB · 45.2 MB/s · 3 uploading" (for a redrawn status line).
  std::string StatusLine() const;

 private:
  struct Blob {
    uint64_t size = 0;
    uint64_t sent = 0;
    bool done = false;
    std::chrono::steady_clock::time_point started;
  };
  std::function<void(const std::string&)> line_;
  Clock clock_;
  std::chrono::steady_clock::time_point start_;
  mutable std::mutex mutex_;
  std::map<std::string, Blob> blobs_;  // guarded by mutex_
  int finished_ = 0;                   // guarded by mutex_
};

}  // namespace sluice
