#include "sluice/lease/conditional_object.h"

#include "sluice/services/s3_client.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

// A missing bucket is an error to report, not a document to create.
bool IsMissingObject(const Error& e) { return e.http_status == 404 && e.code != "NoSuchBucket"; }

class S3ConditionalObject : public ConditionalObject {
 public:
  S3ConditionalObject(std::shared_ptr<S3Client> client, std::string bucket, std::string key)
      : client_(std::move(client)),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        uri_("s3://" + bucket_ + "/" + key_) {}

  Result<std::optional<StoredObject>> Get() override {
    auto read = client_->ReadObject(bucket_, key_);
    if (!read.ok()) {
      if (IsMissingObject(read.error())) return std::optional<StoredObject>();
      return read.error();
    }
    StoredObject stored;
    stored.body = std::move(read->body);
    stored.etag = read->object.etag;
    if (read->served_at && read->object.last_modified.time_since_epoch().count() != 0) {
      stored.age = std::chrono::duration_cast<milliseconds>(*read->served_at -
                                                             read->object.last_modified);
    }
    return std::optional<StoredObject>(std::move(stored));
  }

  Result<std::optional<std::string>> CurrentEtag() override {
    auto head = client_->HeadObject(bucket_, key_);
    if (!head.ok()) {
      if (IsMissingObject(head.error())) return std::optional<std::string>();
      return head.error();
    }
    return std::optional<std::string>(head->object.etag);
  }

  Result<std::string> Put(const std::string& body, const std::string& if_match) override {
    S3WriteCondition condition;
    condition.if_match = if_match;
    condition.if_none_exists = if_match.empty();
    auto put = client_->PutObject(bucket_, key_, body, "application/json", condition);
    if (!put.ok()) return put.error();
    return put->etag;
  }

  const std::string& uri() const override { return uri_; }

 private:
  std::shared_ptr<S3Client> client_;
  std::string bucket_;
  std::string key_;
  std::string uri_;
};

}  // namespace

bool IsConditionFailure(const Error& e) {
  return e.kind == ErrorKind::kService &&
         (e.http_status == 412 || e.http_status == 409 || IsMissingObject(e));
}

Result<std::unique_ptr<ConditionalObject>> OpenS3ConditionalObject(
    const std::string& uri, const std::string& flag, std::shared_ptr<const ClientContext> context) {
  std::string rest = uri.rfind("s3://", 0) == 0 ? uri.substr(5) : "";
  size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size() || rest.back() == '/') {
    return Error::InvalidArgument(flag + " " + uri + ": name one object, as s3://bucket/key");
  }
  auto client = S3Client::Make(std::move(context));
  if (!client.ok()) return client.error();
  std::shared_ptr<S3Client> shared = std::move(client).value();
  shared->FinishCallsAfterInterrupt();
  return std::unique_ptr<ConditionalObject>(std::make_unique<S3ConditionalObject>(
      std::move(shared), rest.substr(0, slash), rest.substr(slash + 1)));
}

}  // namespace sluice
