// sluice-trigger --publish mqtt://HOST[:PORT]/TOPIC-TEMPLATE: forwards each event to an MQTT
// broker as one sluice-watch event line (its "sqs" field left out: that message is
// sluice-trigger's to acknowledge), with QoS 1, waiting for the broker's PUBACK. The topic is a
// template ({key}, {basename}, ...). So `sluice-watch cache/ | sluice-trigger --publish
// mqtt://localhost/artifacts/{basename}` mirrors the creation of each artifact to the broker,
// where `sluice-watch mqtt://localhost/artifacts/#` picks it up. One connection, shared by the
// worker threads, opened again when lost; an attempt whose PUBACK did not come fails and is
// retried with --retries (the broker may then get the event twice: at least once).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "sluice/mqtt/mqtt_session.h"
#include "sluice/mqtt/mqtt_transport.h"
#include "sluice/mqtt/mqtt_uri.h"
#include "sluice/trigger/event_template.h"
#include "sluice/trigger/trigger_action.h"

namespace sluice {

struct MqttPublishOptions {
  std::string broker;  // "host:port", for messages
  EventTemplate topic;
  bool retain = false;
  MqttSessionOptions session;
  std::chrono::milliseconds timeout{10000};  // for the CONNACK and each PUBACK
  std::function<Result<std::unique_ptr<MqttTransport>>()> connect;
};

// Parses the URI and the topic template, and takes credentials from `env`; an error
// (kInvalidArgument) is a usage error.
Result<MqttPublishOptions> MakeMqttPublishOptions(std::string_view uri, const Environment& env);

// Connects once, so that a wrong host, password or certificate fails at start (exit 1) rather
// than once per event.
Result<std::unique_ptr<TriggerAction>> MakeMqttPublishAction(MqttPublishOptions options);

// The message for an event (pure): its fields without "sqs", as one line of JSON.
std::string MqttEventPayload(const TriggerEvent& event);

}  // namespace sluice
