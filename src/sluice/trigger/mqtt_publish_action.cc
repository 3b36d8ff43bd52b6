#include "sluice/trigger/mqtt_publish_action.h"

#include <mutex>

namespace sluice {
namespace {

class MqttPublishAction : public TriggerAction {
 public:
  explicit MqttPublishAction(MqttPublishOptions options) : options_(std::move(options)) {}

  std::string_view name() const override { return "publish"; }

  Status Connect() {
    auto transport = options_.connect();
    if (!transport.ok()) return transport.error();
    auto session =
        MqttSession::Open(std::move(transport).value(), options_.session, options_.timeout);
    if (!session.ok()) return session.error();
    session_ = std::move(session).value();
    return Status::Ok();
  }

  ActionOutcome Run(const TriggerEvent& event, int attempt, const std::atomic<bool>&) override {
    auto topic = options_.topic.Expand(event, attempt);
    if (!topic.ok()) return FailedAttempt(topic.error().message, false);
    if (Status ok = CheckTopicName(*topic); !ok.ok()) {
      return FailedAttempt("cannot publish this event: " + ok.error().message, false);
    }
    std::string payload = MqttEventPayload(event);
    std::lock_guard lock(mutex_);
    // One reconnect within the attempt: a broker that dropped an idle connection (keep-alive)
    // or restarted is the common case, and needs no --retries.
    Status published = Error::Network("not connected");
    for (int tries = 0; tries < 2; ++tries) {
      if (!session_) {
        if (Status connected = Connect(); !connected.ok()) {
          published = connected;
          break;
        }
      }
      published = session_->Publish(*topic, payload, 1, options_.retain, options_.timeout);
      if (published.ok()) break;
      session_.reset();
    }
    if (!published.ok()) {
      const Error& e = published.error();
      return FailedAttempt(
          "publishing to mqtt://" + options_.broker + "/" + *topic + ": " + e.message,
          e.kind != ErrorKind::kCredentials && e.kind != ErrorKind::kConfig);
    }
    ActionOutcome outcome;
    outcome.succeeded = true;
    outcome.fields = nlohmann::json{{"topic", *topic}};
    return outcome;
  }

 private:
  MqttPublishOptions options_;
  std::mutex mutex_;
  std::unique_ptr<MqttSession> session_;
};

}  // namespace

std::string MqttEventPayload(const TriggerEvent& event) {
  nlohmann::json fields = event.fields;
  fields.erase("sqs");
  return fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<MqttPublishOptions> MakeMqttPublishOptions(std::string_view text, const Environment& env) {
  auto uri = ParseMqttUri(text);
  if (!uri.ok()) return uri.error();
  auto topic = EventTemplate::Parse(uri->topic);
  if (!topic.ok()) return Error::InvalidArgument("--publish: " + topic.error().message);
  if (!topic->has_placeholders()) {
    if (Status ok = CheckTopicName(uri->topic); !ok.ok()) return ok.error();
  }
  MqttPublishOptions options{.broker = uri->Broker(), .topic = std::move(topic).value()};
  options.session.client_id = RandomMqttClientId("sluice-trigger");
  options.session.clean_session = true;
  if (Status ok = SetMqttCredentials(env, options.session); !ok.ok()) return ok.error();
  MqttUri where = *uri;
  auto timeout = options.timeout;
  options.connect = [where, timeout] { return ConnectMqtt(where, timeout); };
  return options;
}

Result<std::unique_ptr<TriggerAction>> MakeMqttPublishAction(MqttPublishOptions options) {
  auto action = std::make_unique<MqttPublishAction>(std::move(options));
  if (Status connected = action->Connect(); !connected.ok()) return connected.error();
  return std::unique_ptr<TriggerAction>(std::move(action));
}

}  // namespace sluice
