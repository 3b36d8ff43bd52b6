#include "sluice/mqtt/mqtt_uri.h"

#include <charconv>

namespace sluice {
namespace {

constexpr size_t kMaxTopicBytes = 65535;

Error Bad(std::string_view text, std::string_view why) {
  // A URI with an @ may hold a password (mqtt://user:pa/ss@host/t): it is not quoted back.
  if (text.find('@') != std::string_view::npos) {
    return Error::InvalidArgument("invalid MQTT URI: " + std::string(why));
  }
  return Error::InvalidArgument("invalid MQTT URI \"" + std::string(text) +
                                "\": " + std::string(why));
}

}  // namespace

std::string MqttUri::Broker() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool IsMqttUri(std::string_view text) {
  return text.starts_with("mqtt://") || text.starts_with("mqtts://");
}

Result<MqttUri> ParseMqttUri(std::string_view text) {
  MqttUri uri;
  std::string_view rest;
  if (text.starts_with("mqtt://")) {
    rest = text.substr(7);
  } else if (text.starts_with("mqtts://")) {
    uri.tls = true;
    uri.port = 8883;
    rest = text.substr(8);
  } else {
    return Bad(text, "use mqtt://HOST[:PORT]/TOPIC or mqtts://HOST[:PORT]/TOPIC");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    // Not quoted back: what precedes the @ is likely a password.
    return Error::InvalidArgument(
        "an MQTT URI with a user name or password: they would show in `ps` and shell history; "
        "set SLUICE_MQTT_USERNAME and SLUICE_MQTT_PASSWORD instead");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(text, "an unclosed [ in the host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad(text, "expected :PORT after the IPv6 address");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Bad(text, "no host");
  uri.host = std::string(host);
  if (!port.empty() || authority.ends_with(":")) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return Bad(text, "the port must be a number from 1 to 65535");
    }
    uri.port = value;
  }
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    return Bad(text, "no topic: add it after the host, e.g. mqtt://localhost/cache/#");
  }
  uri.topic = std::string(rest.substr(slash + 1));
  return uri;
}

Status CheckTopicFilter(std::string_view filter) {
  if (filter.empty()) return Error::InvalidArgument("an empty MQTT topic filter");
  if (filter.size() > kMaxTopicBytes)
    return Error::InvalidArgument("an MQTT topic over 65535 bytes");
  if (filter.find('\0') != std::string_view::npos) {
    return Error::InvalidArgument("an MQTT topic with a NUL character");
  }
  size_t start = 0;
  while (true) {
    size_t slash = filter.find('/', start);
    std::string_view level = filter.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    bool last = slash == std::string_view::npos;
    if (level.find('#') != std::string_view::npos && (level != "#" || !last)) {
      return Error::InvalidArgument("MQTT topic filter \"" + std::string(filter) +
                                    "\": # must be a level of its own, the last one (a/b/#)");
    }
    if (level.find('+') != std::string_view::npos && level != "+") {
      return Error::InvalidArgument("MQTT topic filter \"" + std::string(filter) +
                                    "\": + must be a level of its own (a/+/c)");
    }
    if (last) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Status CheckTopicName(std::string_view topic) {
  if (topic.find_first_of("#+") != std::string_view::npos) {
    return Error::InvalidArgument("MQTT topic \"" + std::string(topic) +
                                  "\": a topic to publish to cannot hold # or +");
  }
  return CheckTopicFilter(topic);
}

}  // namespace sluice
