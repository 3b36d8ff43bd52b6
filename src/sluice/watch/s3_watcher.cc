#include "sluice/watch/s3_watcher.h"

namespace sluice {
namespace {

// Last-Modified to the second: HEAD reports whole seconds, listings ".000Z", and the state file
// keeps seconds; a finer time would make every object look changed after a restart.
ObjectVersion VersionOf(const S3Object& o) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(o.last_modified);
  return ObjectVersion{o.etag, o.size, SystemTime(seconds), o.version_id};
}

// What both S3 watchers share: the target. Each checks it with the call its polls make, so that
// the permissions a poll needs are the only ones the check needs too.
class S3Watcher : public Watcher {
 public:
  S3Watcher(std::shared_ptr<S3Client> s3, WatchTarget target)
      : s3_(std::move(s3)), target_(std::move(target)) {}
  std::string CheckScope() const override { return target_.uri; }
  const WatchTarget& target() const override { return target_; }
  std::string_view source() const override { return "poll"; }

 protected:
  std::shared_ptr<S3Client> s3_;
  WatchTarget target_;
};

class S3ObjectWatcher : public S3Watcher {
 public:
  using S3Watcher::S3Watcher;

  // A HEAD of the object; a 404 (a missing key or a missing bucket: neither has a body) is told
  // apart with HeadBucket, which the caller may then do: S3 answers 404, not 403, only to a
  // caller who may list the bucket.
  Status Check() override {
    auto head = s3_->HeadObject(target_.bucket, target_.key);
    if (head.ok()) return Status::Ok();
    if (head.error().http_status == 404) return s3_->HeadBucket(target_.bucket);
    return head.error();
  }

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

  // One page of the listing the polls make, not HeadBucket: HeadBucket needs s3:ListBucket on
  // the whole bucket, and the usual policy for uploads/{user-id}/ allows it only with an
  // s3:prefix condition.
  Status Check() override {
    ListObjectsParams params;
    params.prefix = target_.key;
    params.max_keys = 1;
    auto page = s3_->ListObjectsV2(target_.bucket, params);
    if (page.ok()) return Status::Ok();
    Error e = page.error();
    if (e.code == "AccessDenied") {
      e.message = "no permission to list " + target_.uri + " with the credentials in use: it "
                  "needs s3:ListBucket on the bucket" +
                  (target_.key.empty() ? std::string()
                                       : ", allowed for the prefix " + target_.key) +
                  (e.message.empty() ? "" : " (" + e.message + ")");
    } else if (e.code == "NoSuchBucket") {
      e.message = "bucket " + target_.bucket + " does not exist (check the name, the region and "
                  "the endpoint)";
    }
    return e;
  }

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
