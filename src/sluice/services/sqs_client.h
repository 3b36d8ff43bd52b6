// SQS over AWS JSON 1.0: sluice-watch receives S3 notifications with it, sluice-trigger keeps
// them hidden while their work runs and deletes them when it is done.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/aws/service_client.h"
#include "sluice/util/result.h"

namespace sluice {

class SqsClient {
 public:
  static Result<std::unique_ptr<SqsClient>> Make(std::shared_ptr<const ClientContext> context);

  // Returns the queue URL.
  Result<std::string> CreateQueue(const std::string& name,
                                  const std::map<std::string, std::string>& attributes = {});
  Result<std::string> GetQueueUrl(const std::string& name);
  // Returns the message id.
  Result<std::string> SendMessage(const std::string& queue_url, const std::string& body);

  struct Message {
    std::string message_id;
    std::string receipt_handle;
    std::string body;
    int receive_count = 0;  // ApproximateReceiveCount: 1 on the first delivery
  };
  // Long polling: waits up to `wait_seconds` (0-20) for up to `max_messages` (1-10).
  Result<std::vector<Message>> ReceiveMessage(const std::string& queue_url, int max_messages,
                                              int wait_seconds);
  Status DeleteMessage(const std::string& queue_url, const std::string& receipt_handle);

  // Sets each message's visibility timeout to `seconds` from now (0: visible at once), up to 10
  // messages in one call. Returns the receipt handles SQS refused, each with its reason (a
  // handle of an older delivery, a message already deleted).
  struct VisibilityFailure {
    std::string receipt_handle;
    std::string reason;
  };
  Result<std::vector<VisibilityFailure>> ChangeMessageVisibilityBatch(
      const std::string& queue_url, const std::vector<std::string>& receipt_handles, int seconds);

  ServiceClient& service() { return *client_; }

 private:
  explicit SqsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  std::shared_ptr<ServiceClient> client_;
};

}  // namespace sluice
