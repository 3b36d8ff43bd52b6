#include "sluice/services/sqs_client.h"

#include "sluice/aws/json_protocol.h"

namespace sluice {

Result<std::unique_ptr<SqsClient>> SqsClient::Make(std::shared_ptr<const ClientContext> context) {
  auto client = ServiceClient::Make(std::move(context), kSqs);
  if (!client.ok()) return client.error();
  return std::unique_ptr<SqsClient>(new SqsClient(std::move(client).value()));
}

Result<std::string> SqsClient::CreateQueue(const std::string& name,
                                           const std::map<std::string, std::string>& attributes) {
  nlohmann::json input{{"QueueName", name}};
  if (!attributes.empty()) input["Attributes"] = attributes;
  auto output = CallJson(*client_, kSqsJson, "CreateQueue", input);
  if (!output.ok()) return output.error();
  return output->value("QueueUrl", "");
}

Result<std::string> SqsClient::GetQueueUrl(const std::string& name) {
  auto output = CallJson(*client_, kSqsJson, "GetQueueUrl", {{"QueueName", name}});
  if (!output.ok()) return output.error();
  return output->value("QueueUrl", "");
}

Result<std::string> SqsClient::SendMessage(const std::string& queue_url, const std::string& body) {
  auto output = CallJson(*client_, kSqsJson, "SendMessage",
                         {{"QueueUrl", queue_url}, {"MessageBody", body}});
  if (!output.ok()) return output.error();
  return output->value("MessageId", "");
}

Result<std::vector<SqsClient::Message>> SqsClient::ReceiveMessage(const std::string& queue_url,
                                                                  int max_messages,
                                                                  int wait_seconds) {
  auto output = CallJson(*client_, kSqsJson, "ReceiveMessage",
                         {{"QueueUrl", queue_url},
                          {"MaxNumberOfMessages", max_messages},
                          {"WaitTimeSeconds", wait_seconds},
                          {"AttributeNames", {"ApproximateReceiveCount"}}});
  if (!output.ok()) return output.error();
  std::vector<Message> messages;
  auto list = output->find("Messages");
  if (list == output->end() || !list->is_array()) return messages;
  for (const auto& m : *list) {
    if (!m.is_object()) continue;
    Message message{m.value("MessageId", ""), m.value("ReceiptHandle", ""), m.value("Body", "")};
    if (auto attributes = m.find("Attributes"); attributes != m.end() && attributes->is_object()) {
      std::string count = attributes->value("ApproximateReceiveCount", "");
      if (!count.empty() && count.size() < 9 &&
          count.find_first_not_of("0123456789") == std::string::npos) {
        message.receive_count = std::stoi(count);
      }
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

Status SqsClient::DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) {
  auto output = CallJson(*client_, kSqsJson, "DeleteMessage",
                         {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}});
  if (!output.ok()) return output.error();
  return Status::Ok();
}

Result<std::vector<SqsClient::VisibilityFailure>> SqsClient::ChangeMessageVisibilityBatch(
    const std::string& queue_url, const std::vector<std::string>& receipt_handles, int seconds) {
  std::vector<VisibilityFailure> failures;
  // Ten entries a call is SQS's limit; an entry's Id only has to be unique within its call.
  for (size_t first = 0; first < receipt_handles.size(); first += 10) {
    nlohmann::json entries = nlohmann::json::array();
    for (size_t i = first; i < receipt_handles.size() && i < first + 10; ++i) {
      entries.push_back({{"Id", "m" + std::to_string(i)},
                         {"ReceiptHandle", receipt_handles[i]},
                         {"VisibilityTimeout", seconds}});
    }
    auto output = CallJson(*client_, kSqsJson, "ChangeMessageVisibilityBatch",
                           {{"QueueUrl", queue_url}, {"Entries", entries}});
    if (!output.ok()) return output.error();
    auto failed = output->find("Failed");
    if (failed == output->end() || !failed->is_array()) continue;
    for (const auto& f : *failed) {
      std::string id = f.is_object() ? f.value("Id", "") : "";
      if (id.size() < 2 || id.size() > 9 || id.find_first_not_of("0123456789", 1) != std::string::npos) continue;
      size_t index = std::stoul(id.substr(1));
      if (index >= receipt_handles.size()) continue;
      failures.push_back({receipt_handles[index],
                          f.value("Code", "") + ": " + f.value("Message", "")});
    }
  }
  return failures;
}

}  // namespace sluice
