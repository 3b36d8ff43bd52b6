#include "sluice/push/push_progress.h"

#include <fmt/format.h>

namespace sluice {

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  const char* units[] = {"KB", "MB", "GB", "TB"};
  int unit = -1;
  while (value >= 1000 && unit < 3) {
    value /= 1000;
    ++unit;
  }
  // Rounding may carry into the next unit: 999.96 KB is shown as 1.00 MB, not 1000.0 KB.
  if (value >= 999.95 && unit < 3) {
    value /= 1000;
    ++unit;
  }
  if (value < 9.995) return fmt::format("{:.2f} {}", value, units[unit]);
  return fmt::format("{:.1f} {}", value, units[unit]);
}

PushProgress::PushProgress(std::function<void(const std::string&)> line, Clock clock)
    : line_(std::move(line)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  start_ = clock_();
}

void PushProgress::OnBlob(const BlobEvent& event) {
  std::string message;
  std::string short_digest = event.digest.substr(0, 19);
  if (event.kind == BlobEvent::kCompressing) {
    // Not a blob of the push yet: it is uploaded (or found) under its compressed digest.
    if (line_) line_(fmt::format("compressing {} ({})", short_digest, FormatBytes(event.size)));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Blob& blob = blobs_[event.digest];
    blob.size = event.size;
    switch (event.kind) {
      case BlobEvent::kCompressing:
        break;
      case BlobEvent::kUploading:
        blob.started = clock_();
        break;
      case BlobEvent::kProgress:
        blob.sent = event.sent;
        break;
      case BlobEvent::kPushed: {
        blob.sent = event.size;
        blob.done = true;
        ++finished_;
        double seconds = std::chrono::duration<double>(clock_() - blob.started).count();
        message = fmt::format("pushed {} ({}{})", short_digest, FormatBytes(event.size),
                              seconds > 0.05 ? fmt::format(", {}/s", FormatBytes(static_cast<uint64_t>(
                                                                         event.size / seconds)))
                                             : "");
        break;
      }
      case BlobEvent::kSkipped:
        blob.size = 0;  // nothing to send: the byte counts are of what is uploaded
        blob.done = true;
        ++finished_;
        message = fmt::format("exists {} ({})", short_digest, FormatBytes(event.size));
        break;
      case BlobEvent::kMounted:
        blob.size = 0;
        blob.done = true;
        ++finished_;
        message = fmt::format("mounted {} ({}) from {}", short_digest, FormatBytes(event.size), event.from);
        break;
    }
  }
  if (!message.empty() && line_) line_(message);
}

std::string PushProgress::StatusLine() const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t sent = 0;
  uint64_t total = 0;
  int uploading = 0;
  for (const auto& [digest, blob] : blobs_) {
    sent += blob.sent;
    total += blob.size;
    if (!blob.done && blob.sent > 0) ++uploading;
  }
  double seconds = std::chrono::duration<double>(clock_() - start_).count();
  std::string rate = seconds > 0.1 ? FormatBytes(static_cast<uint64_t>(sent / seconds)) + "/s" : "-";
  return fmt::format("{}/{} blobs · {} of {} · {} · {} uploading", finished_, blobs_.size(),
                     FormatBytes(sent), FormatBytes(total), rate, uploading);
}

}  // namespace sluice
