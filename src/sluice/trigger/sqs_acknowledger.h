// Acknowledges events that sluice-watch read from an SQS queue (their "sqs" field): while an
// event waits or runs, its message is kept hidden from other readers by extending its
// visibility timeout (a heartbeat: every third of --visibility-timeout, batched ten to a call);
// when every event of the message is done the message is deleted. A message whose work failed
// is left alone: it becomes visible again when the last extension ends and, after the queue's
// maxReceiveCount deliveries, its redrive policy moves it to the dead-letter queue. One
// returned because sluice-trigger is stopping is made visible again 5 s later, for another
// reader (at once, the stopping sluice-watch's last long poll could take it back).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/event/sqs_message_ref.h"
#include "sluice/services/sqs_client.h"
#include "sluice/trigger/event_acknowledger.h"

namespace sluice {

// The two calls the acknowledger makes, behind an interface so it is tested without SQS.
class SqsMessageCalls {
 public:
  virtual ~SqsMessageCalls() = default;
  virtual Status Delete(const std::string& queue_url, const std::string& receipt_handle) = 0;
  virtual Result<std::vector<SqsClient::VisibilityFailure>> ChangeVisibility(
      const std::string& queue_url, const std::vector<std::string>& receipt_handles,
      int seconds) = 0;
};

// Connects on first use, so that sluice-trigger needs AWS only when its input holds SQS events.
std::unique_ptr<SqsMessageCalls> MakeSqsMessageCalls(
    std::function<Result<std::shared_ptr<SqsClient>>()> connect);

struct SqsAcknowledgerOptions {
  std::chrono::seconds visibility{120};  // each extension hides a message this long
  std::function<void(const std::string&)> log;
};

class SqsAcknowledger : public EventAcknowledger {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  SqsAcknowledger(SqsMessageCalls& calls, SqsAcknowledgerOptions options);
  ~SqsAcknowledger() override;  // stops the heartbeat

  void Hold(const TriggerEvent& event) override;
  void Settle(const TriggerEvent& event, Settlement settlement) override;
  bool Redelivers(const TriggerEvent& event) const override;

  // Extends every held message whose extension is due at `now`. The heartbeat thread calls it
  // once a second; tests call it with the times they choose.
  void Heartbeat(TimePoint now);
  void StartHeartbeat();
  size_t HeldMessages() const;

 private:
  struct Held {
    std::string queue_url;
    std::string receipt_handle;
    std::vector<bool> open;  // per event of the message: not settled yet
    size_t open_count = 0;
    bool failed = false;
    bool returned = false;
    bool warned = false;  // a refused extension is said once
    TimePoint next_extension{};
  };
  void HoldLocked(const SqsMessageRef& ref);

  SqsMessageCalls& calls_;
  SqsAcknowledgerOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Held> held_;  // by message id
  std::condition_variable stop_wake_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace sluice
