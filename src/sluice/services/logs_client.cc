#include "sluice/services/logs_client.h"

#include "sluice/aws/json_protocol.h"

namespace sluice {

Result<std::unique_ptr<LogsClient>> LogsClient::Make(std::shared_ptr<const ClientContext> context) {
  auto client = ServiceClient::Make(std::move(context), kLogs);
  if (!client.ok()) return client.error();
  return std::unique_ptr<LogsClient>(new LogsClient(std::move(client).value()));
}

Result<LogPage> LogsClient::GetLogEvents(const std::string& group, const std::string& stream,
                                         const std::string& token) {
  nlohmann::json input = {{"logGroupName", group}, {"logStreamName", stream}, {"startFromHead", true}};
  if (!token.empty()) input["nextToken"] = token;
  auto output = CallJson(*client_, kLogsJson, "GetLogEvents", input);
  if (!output.ok()) return output.error();
  LogPage page;
  if (!output->is_object()) return Error::Parse("GetLogEvents returned no object");
  for (const auto& e : output->value("events", nlohmann::json::array())) {
    if (!e.is_object()) continue;
    LogEvent event;
    auto ts = e.find("timestamp");
    if (ts != e.end() && ts->is_number()) event.timestamp_ms = ts->get<int64_t>();
    auto message = e.find("message");
    if (message != e.end() && message->is_string()) event.message = message->get<std::string>();
    page.events.push_back(std::move(event));
  }
  auto next = output->find("nextForwardToken");
  if (next != output->end() && next->is_string()) page.next_forward_token = next->get<std::string>();
  return page;
}

Result<size_t> LogFollower::Poll(const std::function<void(const LogEvent&)>& sink, int max_pages) {
  size_t read = 0;
  for (int page = 0; page < max_pages; ++page) {
    auto got = logs_.GetLogEvents(group_, stream_, token_);
    if (!got.ok()) {
      // The awslogs driver creates the stream when the container starts.
      if (got.error().code == "ResourceNotFoundException") return read;
      return got.error();
    }
    for (const LogEvent& event : got->events) sink(event);
    read += got->events.size();
    bool moved = !got->next_forward_token.empty() && got->next_forward_token != token_;
    if (moved) token_ = got->next_forward_token;
    // The same token back means the end for now; a moved token with no events can hide more
    // (a gap in time), so only an unchanged token ends the poll.
    if (!moved) break;
  }
  return read;
}

}  // namespace sluice
