#include "sluice/watch/sqs_watch.h"

#include <algorithm>

#include "sluice/event/s3_event_message.h"
#include "sluice/util/exit_codes.h"

namespace sluice {
namespace {

constexpr int kLongPollSeconds = 20;  // SQS's maximum: the fewest empty receives

class SqsMessageQueue : public MessageQueue {
 public:
  SqsMessageQueue(std::shared_ptr<SqsClient> sqs, std::string url)
      : sqs_(std::move(sqs)), url_(std::move(url)) {}
  Result<std::vector<SqsClient::Message>> Receive(int wait_seconds) override {
    return sqs_->ReceiveMessage(url_, 10, wait_seconds);
  }
  Status Delete(const std::string& receipt_handle) override {
    return sqs_->DeleteMessage(url_, receipt_handle);
  }
  const std::string& url() const override { return url_; }

 private:
  std::shared_ptr<SqsClient> sqs_;
  std::string url_;
};

bool InTargets(const std::vector<WatchTarget>& targets, const WatchEvent& event) {
  if (targets.empty()) return true;
  return std::any_of(targets.begin(), targets.end(), [&](const WatchTarget& t) {
    if (t.bucket != event.bucket) return false;
    return t.kind == WatchTarget::kS3Object ? event.key == t.key : event.key.starts_with(t.key);
  });
}

bool IsFatal(const Error& e) {
  if (e.kind == ErrorKind::kCredentials || e.kind == ErrorKind::kConfig) return true;
  return e.kind == ErrorKind::kService &&
         (e.code == "QueueDoesNotExist" || e.code == "AWS.SimpleQueueService.NonExistentQueue" ||
          e.code == "AccessDenied" || e.code == "AccessDeniedException" ||
          e.code == "InvalidAddress" || e.http_status == 403);
}

}  // namespace

std::unique_ptr<MessageQueue> MakeSqsMessageQueue(std::shared_ptr<SqsClient> sqs,
                                                  std::string queue_url) {
  return std::make_unique<SqsMessageQueue>(std::move(sqs), std::move(queue_url));
}

int RunSqsWatch(const WatchOptions& options, MessageQueue& queue,
                const std::vector<WatchTarget>& targets, const WatchDeps& deps) {
  auto last_activity = deps.clock->Now();
  bool announced = false;
  bool failing = false;
  while (true) {
    if (deps.interrupted()) return kExitInterrupted;
    int wait = kLongPollSeconds;
    if (options.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_activity + options.timeout - deps.clock->Now());
      if (left.count() <= 0) return kExitTimeout;
      wait = static_cast<int>(std::min<int64_t>(kLongPollSeconds, (left.count() + 999) / 1000));
    }
    if (!announced) {
      deps.log("watching queue " + queue.url() + " (long polls of " +
               std::to_string(kLongPollSeconds) + "s); " +
               (options.delete_on_emit
                    ? "a message is deleted once its events are written"
                    : "a message is left for the reader of these lines (sluice-trigger) to delete "
                      "when its work is done"));
      announced = true;
    }
    auto messages = queue.Receive(wait);
    if (!messages.ok()) {
      // A signal abandoned the long poll: what it might have brought stays on the queue.
      if (messages.error().kind == ErrorKind::kInterrupted) return kExitInterrupted;
      if (IsFatal(messages.error())) {
        deps.log("cannot read queue " + queue.url() + ": " + messages.error().ToString());
        return kExitFailure;
      }
      if (!failing) {
        deps.log("warning: receiving from " + queue.url() + " failed (" +
                 messages.error().ToString() + "); retrying");
      }
      failing = true;
      if (!deps.sleep(std::chrono::seconds(1))) return kExitInterrupted;
      continue;
    }
    if (failing) deps.log(queue.url() + ": receiving works again");
    failing = false;

    for (const SqsClient::Message& message : *messages) {
      auto parsed = ParseS3EventMessage(message.body);
      if (!parsed.ok()) {
        deps.log("warning: message " + message.message_id + " is not an S3 event (" +
                 parsed.error().message + "); left on the queue for its redrive policy");
        continue;
      }
      std::vector<WatchEvent*> selected;
      for (WatchEvent& event : parsed->events) {
        bool wanted = std::find(options.events.begin(), options.events.end(), event.kind) !=
                      options.events.end();
        if (wanted && KeySelected(options, event.key) && InTargets(targets, event)) {
          selected.push_back(&event);
        }
      }
      SystemTime now = deps.clock->Now();
      for (size_t i = 0; i < selected.size(); ++i) {
        WatchEvent& event = *selected[i];
        event.detected_at = now;
        if (!options.delete_on_emit) {
          event.sqs = SqsMessageRef{queue.url(), message.message_id, message.receipt_handle,
                                    message.receive_count, static_cast<int>(selected.size()),
                                    static_cast<int>(i)};
        }
        if (!deps.emit(ToJson(event))) return kExitSuccess;  // the reader went away
        last_activity = now;
      }
      // A message with nothing for the reader is done here; one with events is done when they
      // are written and flushed (--delete-on-emit) or, by default, when the reader's work is.
      if (selected.empty() || options.delete_on_emit) {
        if (Status deleted = queue.Delete(message.receipt_handle); !deleted.ok()) {
          deps.log("warning: deleting message " + message.message_id + " failed (" +
                   deleted.error().ToString() + "); it will be delivered again");
        }
      }
      if (options.once && !selected.empty()) return kExitSuccess;
    }
  }
}

}  // namespace sluice
