// Where an MQTT broker is and which topic: mqtt://HOST[:PORT]/TOPIC (port 1883) and
// mqtts://HOST[:PORT]/TOPIC (TLS, port 8883). The topic is the rest of the path, taken as it is
// (`#` and `+` included, no percent-decoding): mqtt://localhost/cache/#. User names and
// passwords never go in the URI (they would show in `ps` and shell history); they come from
// SLUICE_MQTT_USERNAME and SLUICE_MQTT_PASSWORD. Pure.
#pragma once

#include <string>
#include <string_view>

#include "sluice/util/result.h"

namespace sluice {

struct MqttUri {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  int port = 1883;
  std::string topic;
  // The broker as "host:port", for messages.
  std::string Broker() const;
};

Result<MqttUri> ParseMqttUri(std::string_view text);
bool IsMqttUri(std::string_view text);

// MQTT's rules for a subscription's filter: not empty, `+` alone in its level, `#` alone in the
// last level. An error says what is wrong.
Status CheckTopicFilter(std::string_view filter);
// A topic to publish to: not empty, no wildcards.
Status CheckTopicName(std::string_view topic);

}  // namespace sluice
