#include "sluice/mqtt/mqtt_packet.h"

#include <algorithm>

namespace sluice {
namespace {

constexpr size_t kMaxRemainingLength = 268'435'455;  // four bytes of 7 bits
// The most of an oversized PUBLISH kept: its topic (at most 65,535 bytes) and packet id.
constexpr size_t kOversizedPrefix = 2 + 65'535 + 2;

void AppendUint16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void AppendString(std::string& out, std::string_view s) {
  AppendUint16(out, static_cast<uint16_t>(std::min<size_t>(s.size(), 0xffff)));
  out.append(s.substr(0, 0xffff));
}

std::string Packet(uint8_t first_byte, std::string_view body) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  size_t n = body.size();
  do {
    uint8_t digit = n % 128;
    n /= 128;
    if (n > 0) digit |= 0x80;
    out.push_back(static_cast<char>(digit));
  } while (n > 0);
  out.append(body);
  return out;
}

uint16_t ReadUint16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[at]) << 8) |
                               static_cast<uint8_t>(s[at + 1]));
}

}  // namespace

std::string EncodeConnect(const MqttConnect& connect) {
  std::string body;
  AppendString(body, "MQTT");
  body.push_back(4);  // protocol level: 3.1.1
  uint8_t flags = 0;
  if (connect.clean_session) flags |= 0x02;
  if (connect.username) flags |= 0x80;
  if (connect.password) flags |= 0x40;
  body.push_back(static_cast<char>(flags));
  AppendUint16(body, connect.keep_alive_seconds);
  AppendString(body, connect.client_id);
  if (connect.username) AppendString(body, *connect.username);
  if (connect.password) AppendString(body, *connect.password);
  return Packet(0x10, body);
}

std::string EncodeSubscribe(uint16_t packet_id, std::string_view topic_filter, uint8_t qos) {
  std::string body;
  AppendUint16(body, packet_id);
  AppendString(body, topic_filter);
  body.push_back(static_cast<char>(qos));
  return Packet(0x82, body);  // SUBSCRIBE's flags are 0010 (reserved)
}

std::string EncodePublish(uint16_t packet_id, std::string_view topic, std::string_view payload,
                          uint8_t qos, bool retain, bool dup) {
  std::string body;
  AppendString(body, topic);
  if (qos > 0) AppendUint16(body, packet_id);
  body.append(payload);
  uint8_t first = 0x30 | static_cast<uint8_t>((qos & 3) << 1);
  if (retain) first |= 0x01;
  if (dup && qos > 0) first |= 0x08;
  return Packet(first, body);
}

std::string EncodePuback(uint16_t packet_id) {
  std::string body;
  AppendUint16(body, packet_id);
  return Packet(0x40, body);
}

std::string EncodePingreq() { return Packet(0xc0, ""); }
std::string EncodeDisconnect() { return Packet(0xe0, ""); }

Result<std::optional<MqttPacket>> MqttPacketReader::Next() {
  if (oversized_) {
    size_t dropped = std::min(to_drop_, buffer_.size());
    buffer_.erase(0, dropped);
    to_drop_ -= dropped;
    if (to_drop_ > 0) return std::optional<MqttPacket>();
    std::optional<MqttPacket> done = std::move(oversized_);
    oversized_.reset();
    return done;
  }
  if (buffer_.size() < 2) return std::optional<MqttPacket>();
  size_t length = 0;
  size_t multiplier = 1;
  size_t at = 1;
  while (true) {
    if (at >= buffer_.size()) return std::optional<MqttPacket>();
    if (at > 4) return Error::Parse("malformed MQTT packet: a remaining length over 4 bytes");
    uint8_t digit = static_cast<uint8_t>(buffer_[at++]);
    length += (digit & 0x7f) * multiplier;
    multiplier *= 128;
    if ((digit & 0x80) == 0) break;
  }
  if (length > kMaxRemainingLength) return Error::Parse("malformed MQTT packet length");
  uint8_t first = static_cast<uint8_t>(buffer_[0]);
  uint8_t type = first >> 4;
  if (type == 0 || type == 15) {
    return Error::Parse("malformed MQTT packet: reserved packet type " + std::to_string(type));
  }
  MqttPacket packet;
  packet.type = static_cast<MqttPacketType>(type);
  packet.flags = first & 0x0f;
  packet.length = length;
  if (length > max_body_) {
    // Keep what names the message (for the warning and the PUBACK), then drop the rest as it
    // arrives.
    size_t keep = std::min(length, kOversizedPrefix);
    if (buffer_.size() < at + keep) return std::optional<MqttPacket>();
    packet.body = buffer_.substr(at, keep);
    packet.truncated = true;
    buffer_.erase(0, at + keep);
    oversized_ = std::move(packet);
    to_drop_ = length - keep;
    return Next();
  }
  if (buffer_.size() < at + length) return std::optional<MqttPacket>();
  packet.body = buffer_.substr(at, length);
  buffer_.erase(0, at + length);
  return std::optional<MqttPacket>(std::move(packet));
}

Result<MqttConnack> ParseConnack(const MqttPacket& packet) {
  if (packet.type != MqttPacketType::kConnack || packet.body.size() != 2) {
    return Error::Parse("the broker's answer to CONNECT is not a CONNACK");
  }
  return MqttConnack{(packet.body[0] & 0x01) != 0, static_cast<uint8_t>(packet.body[1])};
}

std::string ConnackRefusal(uint8_t return_code) {
  switch (return_code) {
    case 1:
      return "the broker does not speak MQTT 3.1.1";
    case 2:
      return "the broker rejected the client id (try another --client-id)";
    case 3:
      return "the broker is unavailable";
    case 4:
      return "bad user name or password (SLUICE_MQTT_USERNAME, SLUICE_MQTT_PASSWORD)";
    case 5:
      return "not authorised: the broker refuses this client (set SLUICE_MQTT_USERNAME and "
             "SLUICE_MQTT_PASSWORD, or check its ACL)";
    default:
      return "refused with return code " + std::to_string(return_code);
  }
}

Result<MqttPublish> ParsePublish(const MqttPacket& packet) {
  if (packet.type != MqttPacketType::kPublish) return Error::Parse("not a PUBLISH packet");
  MqttPublish publish;
  publish.qos = (packet.flags >> 1) & 3;
  publish.retain = (packet.flags & 1) != 0;
  publish.dup = (packet.flags & 8) != 0;
  publish.truncated = packet.truncated;
  if (publish.qos == 3) return Error::Parse("malformed PUBLISH: QoS 3");
  const std::string& b = packet.body;
  if (b.size() < 2) return Error::Parse("malformed PUBLISH: no topic");
  size_t topic_length = ReadUint16(b, 0);
  size_t at = 2 + topic_length;
  if (b.size() < at) return Error::Parse("malformed PUBLISH: a topic longer than the packet");
  publish.topic = b.substr(2, topic_length);
  if (publish.qos > 0) {
    if (b.size() < at + 2) return Error::Parse("malformed PUBLISH: no packet id");
    publish.packet_id = ReadUint16(b, at);
    at += 2;
  }
  if (packet.length < at) return Error::Parse("malformed PUBLISH");
  publish.payload_length = packet.length - at;
  if (!packet.truncated) publish.payload = b.substr(at);
  return publish;
}

Result<MqttSuback> ParseSuback(const MqttPacket& packet) {
  if (packet.type != MqttPacketType::kSuback || packet.body.size() < 3) {
    return Error::Parse("malformed SUBACK");
  }
  MqttSuback suback;
  suback.packet_id = ReadUint16(packet.body, 0);
  for (size_t i = 2; i < packet.body.size(); ++i) {
    suback.return_codes.push_back(static_cast<uint8_t>(packet.body[i]));
  }
  return suback;
}

Result<uint16_t> ParsePacketId(const MqttPacket& packet) {
  if (packet.body.size() < 2) return Error::Parse("malformed MQTT packet: no packet id");
  return ReadUint16(packet.body, 0);
}

}  // namespace sluice
