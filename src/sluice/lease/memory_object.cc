#include "sluice/lease/memory_object.h"

#include <utility>

namespace sluice {
namespace {

using std::chrono::milliseconds;

Error S3Refusal(int status, std::string code) {
  Error e;
  e.kind = ErrorKind::kService;
  e.service = "s3";
  e.operation = "PutObject";
  e.http_status = status;
  e.code = std::move(code);
  return e;
}

class MemoryObject : public ConditionalObject {
 public:
  MemoryObject(MemoryObjectState* state, Clock* clock, std::string uri)
      : state_(state), clock_(clock), uri_(std::move(uri)) {}

  Result<std::optional<StoredObject>> Get() override {
    if (!state_->body) return std::optional<StoredObject>();
    return std::optional<StoredObject>(StoredObject{
        *state_->body, state_->Etag(),
        std::chrono::duration_cast<milliseconds>(clock_->Now() - state_->written)});
  }

  Result<std::optional<std::string>> CurrentEtag() override {
    ++state_->heads;
    if (!state_->body) return std::optional<std::string>();
    return std::optional<std::string>(state_->Etag());
  }

  Result<std::string> Put(const std::string& body, const std::string& if_match) override {
    ++state_->puts;
    if (auto race = std::exchange(state_->before_next_put, nullptr)) race();
    if (std::exchange(state_->conflict_next, false)) {
      return S3Refusal(409, "ConditionalRequestConflict");
    }
    if (if_match.empty() && state_->body) return S3Refusal(412, "PreconditionFailed");
    if (!if_match.empty() && !state_->body) return S3Refusal(404, "NoSuchKey");
    if (!if_match.empty() && if_match != state_->Etag()) {
      return S3Refusal(412, "PreconditionFailed");
    }
    state_->body = body;
    ++state_->generation;
    state_->written = clock_->Now();
    if (std::exchange(state_->lose_answer_next, false)) {
      return S3Refusal(412, "PreconditionFailed");
    }
    return state_->Etag();
  }

  const std::string& uri() const override { return uri_; }

 private:
  MemoryObjectState* state_;
  Clock* clock_;
  std::string uri_;
};

}  // namespace

StateLease PretendLease(std::string owner, int pid) {
  StateLease lease;
  lease.owner = std::move(owner);
  lease.host = "host-" + std::to_string(pid);
  lease.pid = pid;
  lease.duration = std::chrono::seconds(30);
  return lease;
}

std::unique_ptr<ConditionalObject> MakeMemoryObject(MemoryObjectState* state, Clock* clock,
                                                    std::string uri) {
  return std::make_unique<MemoryObject>(state, clock, std::move(uri));
}

}  // namespace sluice
