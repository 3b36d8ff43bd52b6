// sluice-watch --sqs-queue: S3 Event Notifications (direct, through SNS, or from EventBridge)
// read from an SQS queue with long polling instead of polling S3. A message is deleted only
// after every event in it has been written and flushed, so a crash repeats a message but never
// loses one. A message that is not an S3 event is reported on stderr and left on the queue,
// where its redrive policy (a dead-letter queue) takes care of it; the watch goes on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/services/sqs_client.h"
#include "sluice/watch/watch_loop.h"
#include "sluice/watch/watch_target.h"

namespace sluice {

// The queue, behind an interface so the loop is tested without SQS.
class MessageQueue {
 public:
  virtual ~MessageQueue() = default;
  virtual Result<std::vector<SqsClient::Message>> Receive(int wait_seconds) = 0;
  virtual Status Delete(const std::string& receipt_handle) = 0;
  virtual const std::string& url() const = 0;
};

std::unique_ptr<MessageQueue> MakeSqsMessageQueue(std::shared_ptr<SqsClient> sqs,
                                                  std::string queue_url);

// Runs until --once, --timeout, an interrupt or a fatal error (the queue does not exist, access
// denied); returns the exit code as RunWatch does. `targets`, when not empty, narrows the events
// to those objects and prefixes. A signal is noticed when the current long poll returns (up to
// 20 s); a second Ctrl-C exits at once.
int RunSqsWatch(const WatchOptions& options, MessageQueue& queue,
                const std::vector<WatchTarget>& targets, const WatchDeps& deps);

}  // namespace sluice
