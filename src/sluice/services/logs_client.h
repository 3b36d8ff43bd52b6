// CloudWatch Logs over AWS JSON 1.1: reading one log stream forward (what sluice-run-once needs
// to stream a task's output).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/aws/service_client.h"
#include "sluice/util/result.h"

namespace sluice {

struct LogEvent {
  int64_t timestamp_ms = 0;
  std::string message;
};

struct LogPage {
  std::vector<LogEvent> events;
  std::string next_forward_token;  // unchanged from the request's when nothing new arrived
};

class LogsClient {
 public:
  static Result<std::unique_ptr<LogsClient>> Make(std::shared_ptr<const ClientContext> context);

  // GetLogEvents with startFromHead=true, from `token` (empty: the start of the stream). A stream
  // that does not exist yet is an Error with code ResourceNotFoundException.
  Result<LogPage> GetLogEvents(const std::string& group, const std::string& stream,
                               const std::string& token);

 private:
  explicit LogsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}
  std::shared_ptr<ServiceClient> client_;
};

// Follows one stream forward: each Poll writes what arrived since the last one, in order, once.
class LogFollower {
 public:
  LogFollower(LogsClient& logs, std::string group, std::string stream)
      : logs_(logs), group_(std::move(group)), stream_(std::move(stream)) {}

  // Reads pages until the forward token stops moving (at most `max_pages`), handing each event
  // to `sink`. Returns how many events were read; a stream that does not exist yet has none.
  Result<size_t> Poll(const std::function<void(const LogEvent&)>& sink, int max_pages = 50);

  const std::string& group() const { return group_; }
  const std::string& stream() const { return stream_; }

 private:
  LogsClient& logs_;
  std::string group_, stream_;
  std::string token_;
};

}  // namespace sluice
