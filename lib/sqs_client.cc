#include "lib/sqs_client.h"

#include "lib/json_protocol.h"

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

}  // namespace sluice
