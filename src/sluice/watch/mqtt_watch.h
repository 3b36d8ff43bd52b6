// sluice-watch mqtt://HOST[:PORT]/FILTER: events from messages an MQTT broker delivers
// (event/mqtt_message.h says which payloads), instead of polling. Subscribes with QoS 1. A
// message's PUBACK is sent only after its events have been written and flushed, so a watcher
// killed at any point loses nothing the broker handed over: the broker sends unacknowledged
// messages again when the client comes back. With a client id (--client-id) the session is
// persistent: messages published while the watcher is down wait at the broker. A lost
// connection is reopened with backoff; a bad payload is a one-line warning with its topic and
// is acknowledged (dropped), as is a payload over the size limit.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/mqtt/mqtt_session.h"
#include "sluice/mqtt/mqtt_transport.h"
#include "sluice/mqtt/mqtt_uri.h"
#include "sluice/util/environment.h"
#include "sluice/watch/watch_loop.h"

namespace sluice {

struct MqttWatchConfig {
  std::string broker;                // "host:port", for messages
  std::vector<std::string> filters;  // topic filters on that broker
  MqttSessionOptions session;        // client id, clean session, credentials, payload limit
  // Opens a connection to the broker (a new one after each loss).
  std::function<Result<std::unique_ptr<MqttTransport>>()> connect;
};

// The config for these mqtt:// targets (one broker, one or more filters): credentials from
// SLUICE_MQTT_USERNAME and SLUICE_MQTT_PASSWORD in `env`; a persistent session when `client_id`
// is given, else a clean one with a generated id. An error (kInvalidArgument) is a usage error.
Result<MqttWatchConfig> MakeMqttWatchConfig(const std::vector<std::string>& targets,
                                            const std::string& client_id, const Environment& env);

// Runs until --once, --timeout, an interrupt, the reader going away, or a fatal error (the
// broker refused the credentials, the client id or the subscription; its certificate does not
// verify); returns the exit code as RunWatch does.
int RunMqttWatch(const WatchOptions& options, const MqttWatchConfig& config, const WatchDeps& deps);

}  // namespace sluice
