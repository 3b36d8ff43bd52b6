#include "sluice/trigger/sqs_acknowledger.h"

namespace sluice {
namespace {

// A heartbeat whose call failed (a network error) tries again this soon, well within the
// third of the visibility timeout still left.
constexpr std::chrono::seconds kRetryFailedExtension{5};
// A message returned at a signal becomes visible this much later, not at once: the sluice-watch
// feeding this sluice-trigger is stopping too, and a long poll it has not closed yet would take
// the message back, only to lose it with its closed pipe (a delivery wasted, counting towards
// maxReceiveCount). Another reader gets it a few seconds later.
constexpr std::chrono::seconds kReturnDelay{5};

class LazySqsMessageCalls : public SqsMessageCalls {
 public:
  explicit LazySqsMessageCalls(std::function<Result<std::shared_ptr<SqsClient>>()> connect)
      : connect_(std::move(connect)) {}

  Status Delete(const std::string& queue_url, const std::string& receipt_handle) override {
    auto sqs = Client();
    if (!sqs.ok()) return sqs.error();
    return (*sqs)->DeleteMessage(queue_url, receipt_handle);
  }

  Result<std::vector<SqsClient::VisibilityFailure>> ChangeVisibility(
      const std::string& queue_url, const std::vector<std::string>& receipt_handles,
      int seconds) override {
    auto sqs = Client();
    if (!sqs.ok()) return sqs.error();
    return (*sqs)->ChangeMessageVisibilityBatch(queue_url, receipt_handles, seconds);
  }

 private:
  Result<std::shared_ptr<SqsClient>> Client() {
    std::lock_guard lock(mutex_);
    if (!client_) {
      auto made = connect_();
      if (!made.ok()) return made.error();
      client_ = std::move(made).value();
    }
    return client_;
  }

  std::function<Result<std::shared_ptr<SqsClient>>()> connect_;
  std::mutex mutex_;
  std::shared_ptr<SqsClient> client_;
};

}  // namespace

std::unique_ptr<SqsMessageCalls> MakeSqsMessageCalls(
    std::function<Result<std::shared_ptr<SqsClient>>()> connect) {
  return std::make_unique<LazySqsMessageCalls>(std::move(connect));
}

SqsAcknowledger::SqsAcknowledger(SqsMessageCalls& calls, SqsAcknowledgerOptions options)
    : calls_(calls), options_(std::move(options)) {
  if (!options_.log) options_.log = [](const std::string&) {};
}

SqsAcknowledger::~SqsAcknowledger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void SqsAcknowledger::StartHeartbeat() {
  heartbeat_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stop_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      Heartbeat(std::chrono::steady_clock::now());
      lock.lock();
    }
  });
}

void SqsAcknowledger::HoldLocked(const SqsMessageRef& ref) {
  auto [it, inserted] = held_.try_emplace(ref.message_id);
  Held& held = it->second;
  if (inserted) {
    held.queue_url = ref.queue_url;
    held.receipt_handle = ref.receipt_handle;
    held.open.assign(static_cast<size_t>(ref.events), true);
    held.open_count = held.open.size();
    held.next_extension = {};  // at the next heartbeat: the queue's own timeout may be short
  } else if (held.receipt_handle != ref.receipt_handle) {
    // Delivered again (its visibility ran out on the way): SQS honours only the newest handle,
    // and this delivery's timeout is the queue's again.
    held.receipt_handle = ref.receipt_handle;
    held.next_extension = {};
  }
}

void SqsAcknowledger::Hold(const TriggerEvent& event) {
  auto ref = FindSqsMessageRef(event.fields);
  if (!ref) return;
  std::lock_guard lock(mutex_);
  HoldLocked(*ref);
}

bool SqsAcknowledger::Redelivers(const TriggerEvent& event) const {
  return FindSqsMessageRef(event.fields).has_value();
}

void SqsAcknowledger::Settle(const TriggerEvent& event, Settlement settlement) {
  auto ref = FindSqsMessageRef(event.fields);
  if (!ref) return;
  Held done;
  {
    std::lock_guard lock(mutex_);
    // An event settled without being held is held first; one from an older delivery must not
    // bring back its receipt handle.
    if (held_.find(ref->message_id) == held_.end()) HoldLocked(*ref);
    Held& held = held_[ref->message_id];
    auto index = static_cast<size_t>(ref->index);
    if (index >= held.open.size() || !held.open[index]) return;  // settled already
    held.open[index] = false;
    --held.open_count;
    if (settlement == Settlement::kFailed) held.failed = true;
    if (settlement == Settlement::kReturned) held.returned = true;
    if (held.open_count > 0) return;
    done = std::move(held);
    held_.erase(ref->message_id);
  }
  if (done.returned) {
    auto made_visible = calls_.ChangeVisibility(done.queue_url, {done.receipt_handle},
                                               static_cast<int>(kReturnDelay.count()));
    if (!made_visible.ok()) {
      options_.log("warning: returning message " + ref->message_id + " to the queue failed (" +
                   made_visible.error().ToString() + "); it is delivered again when its " +
                   "visibility timeout ends");
    }
  } else if (done.failed) {
    options_.log("message " + ref->message_id + " left on the queue: SQS delivers it again " +
                 "within " + std::to_string(options_.visibility.count()) +
                 "s, or its redrive policy moves it to the dead-letter queue");
  } else if (Status deleted = calls_.Delete(done.queue_url, done.receipt_handle); !deleted.ok()) {
    options_.log("warning: deleting message " + ref->message_id + " failed (" +
                 deleted.error().ToString() + "); it will be delivered again");
  }
}

void SqsAcknowledger::Heartbeat(TimePoint now) {
  std::map<std::string, std::vector<std::string>> due;  // receipt handles by queue
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, held] : held_) {
      if (held.next_extension > now) continue;
      due[held.queue_url].push_back(held.receipt_handle);
      held.next_extension = now + options_.visibility / 3;
    }
  }
  for (const auto& [queue_url, handles] : due) {
    auto extended =
        calls_.ChangeVisibility(queue_url, handles, static_cast<int>(options_.visibility.count()));
    std::lock_guard lock(mutex_);
    if (!extended.ok()) {
      options_.log("warning: keeping " + std::to_string(handles.size()) + " message(s) of " +
                   queue_url + " hidden failed (" + extended.error().ToString() +
                   "); trying again in " + std::to_string(kRetryFailedExtension.count()) + "s");
      for (auto& [id, held] : held_) {
        if (held.queue_url == queue_url) {
          held.next_extension = std::min(held.next_extension, now + kRetryFailedExtension);
        }
      }
      continue;
    }
    for (const SqsClient::VisibilityFailure& failure : *extended) {
      for (auto& [id, held] : held_) {
        // A message settled meanwhile is no longer held: its refusal says nothing.
        if (held.receipt_handle != failure.receipt_handle || held.warned) continue;
        held.warned = true;
        options_.log("warning: message " + id + " cannot be kept hidden (" + failure.reason +
                     "): SQS may deliver it again; sluice-trigger runs the work once per event "
                     "identity in this run");
      }
    }
  }
}

size_t SqsAcknowledger::HeldMessages() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

}  // namespace sluice
