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
                          {"WaitTimeSeconds", wait_seconds}});
  if (!output.ok()) return output.error();
  std::vector<Message> messages;
  auto list = output->find("Messages");
  if (list == output->end() || !list->is_array()) return messages;
  for (const auto& m : *list) {
    if (!m.is_object()) continue;
    messages.push_back({m.value("MessageId", ""), m.value("ReceiptHandle", ""), m.value("Body", "")});
  }
  return messages;
}

Status SqsClient::DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) {
  auto output = CallJson(*client_, kSqsJson, "DeleteMessage",
                         {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}});
  if (!output.ok()) return output.error();
  return Status::Ok();
}

}  // namespace sluice
