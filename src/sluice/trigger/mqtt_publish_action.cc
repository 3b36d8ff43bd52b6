#include "sluice/trigger/mqtt_publish_action.h"

#include "sluice/mqtt/mqtt_publisher.h"

namespace sluice {
namespace {

class MqttPublishAction : public TriggerAction {
 public:
  explicit MqttPublishAction(MqttPublishOptions options)
      : options_(std::move(options)),
        publisher_(options_.session, options_.connect, options_.timeout) {}

  std::string_view name() const override { return "publish"; }
  Status Connect() { return publisher_.Connect(); }

  ActionOutcome Run(const TriggerEvent& event, int attempt, const std::atomic<bool>&) override {
    auto topic = options_.topic.Expand(event, attempt);
    if (!topic.ok()) return FailedAttempt(topic.error().message, false);
    if (Status ok = CheckTopicName(*topic); !ok.ok()) {
      return FailedAttempt("cannot publish this event: " + ok.error().message, false);
    }
    if (Status published = publisher_.Publish(*topic, MqttEventPayload(event), options_.retain);
        !published.ok()) {
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
  MqttPublisher publisher_;
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
  if (!topic.ok()) return topic.error();
  if (!topic->has_placeholders()) {
    if (Status ok = CheckTopicName(uri->topic); !ok.ok()) return ok.error();
  }
  MqttPublishOptions options{.broker = uri->Broker(), .topic = std::move(topic).value()};
  options.session.client_id = RandomMqttClientId("sluicetrigger");
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
