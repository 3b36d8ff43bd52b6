#include "sluice/watch/s3_watcher.h"

namespace sluice {
namespace {

// Last-Modified to the second: HEAD reports whole seconds, listings ".000Z", and the state file
// keeps seconds; a finer time would make every object look changed after a restart.
ObjectVersion VersionOf(const S3Object& o) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(o.last_modified);
  return ObjectVersion{o.etag, o.size, SystemTime(seconds), o.version_id};
}

// What both S3 watchers share: the bucket check and the target.
class S3Watcher : public Watcher {
 public:
  S3Watcher(std::shared_ptr<S3Client> s3, WatchTarget target)
      : s3_(std::move(s3)), target_(std::move(target)) {}
  Status Check() override { return s3_->HeadBucket(target_.bucket); }
  std::string CheckScope() const override { return "s3://" + target_.bucket; }
  const WatchTarget& target() const override { return target_; }
  std::string_view source() const override { return "poll"; }

 protected:
  std::shared_ptr<S3Client> s3_;
  WatchTarget target_;
};

class S3ObjectWatcher : public S3Watcher {
 public:
  using S3Watcher::S3Watcher;

  Result<Snapshot> Poll() override {
    Snapshot snapshot;
    auto head = s3_->HeadObject(target_.bucket, target_.key);
    if (!head.ok()) {
      if (head.error().http_status == 404) return snapshot;  // absent: an empty snapshot
      return head.error();
    }
    snapshot.emplace(target_.key, VersionOf(head->object));
    return snapshot;
  }
};

class S3PrefixWatcher : public S3Watcher {
 public:
  using S3Watcher::S3Watcher;

  Result<Snapshot> Poll() override {
    auto objects = s3_->ListAllObjects(target_.bucket, target_.key);
    if (!objects.ok()) return objects.error();
    Snapshot snapshot;
    for (const S3Object& o : *objects) snapshot.emplace(o.key, VersionOf(o));
    return snapshot;
  }
};

}  // namespace

std::unique_ptr<Watcher> MakeS3ObjectWatcher(std::shared_ptr<S3Client> s3, WatchTarget target) {
  return std::make_unique<S3ObjectWatcher>(std::move(s3), std::move(target));
}

std::unique_ptr<Watcher> MakeS3PrefixWatcher(std::shared_ptr<S3Client> s3, WatchTarget target) {
  return std::make_unique<S3PrefixWatcher>(std::move(s3), std::move(target));
}

}  // namespace sluice
