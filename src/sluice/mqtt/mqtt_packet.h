// MQTT 3.1.1 packets (OASIS standard, protocol level 4): what a subscriber with QoS 1 and a
// publisher with QoS 1 need, encoded to bytes and decoded from them. Pure: no I/O.
//
// sluice speaks MQTT itself rather than through libmosquitto or Paho because both, as Debian
// ships them (libmosquitto 2.0.11, Paho C 1.3.12), send a QoS 1 message's PUBACK before the
// application sees the message: a watcher killed while its output pipe is full would lose
// messages the broker had already handed over. Here the PUBACK follows the event's write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/util/result.h"

namespace sluice {

enum class MqttPacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
};

struct MqttConnect {
  std::string client_id;
  bool clean_session = true;
  uint16_t keep_alive_seconds = 60;
  std::optional<std::string> username;
  std::optional<std::string> password;
};

std::string EncodeConnect(const MqttConnect& connect);
std::string EncodeSubscribe(uint16_t packet_id, std::string_view topic_filter, uint8_t qos);
std::string EncodePublish(uint16_t packet_id, std::string_view topic, std::string_view payload,
                          uint8_t qos, bool retain, bool dup);
std::string EncodePuback(uint16_t packet_id);
std::string EncodePingreq();
std::string EncodeDisconnect();

// One packet as read off the wire: its type, the fixed header's flags and its body (variable
// header and payload). A packet longer than the reader's limit keeps only the start of its body
// (enough for a PUBLISH's topic and packet id) and says how long it was.
struct MqttPacket {
  MqttPacketType type = MqttPacketType::kConnect;
  uint8_t flags = 0;
  std::string body;
  bool truncated = false;
  size_t length = 0;  // the body's length on the wire
};

// Splits a byte stream into packets. A packet whose body is longer than `max_body` is not kept
// whole: its first bytes are, the rest is read and dropped, so a huge message costs no memory.
class MqttPacketReader {
 public:
  explicit MqttPacketReader(size_t max_body) : max_body_(max_body) {}
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole packet, nullopt when more bytes are needed; an error (kParse) when the stream
  // is not MQTT (a remaining length over 4 bytes, a reserved packet type).
  Result<std::optional<MqttPacket>> Next();

 private:
  size_t max_body_;
  std::string buffer_;
  // While dropping the rest of an oversized packet: the packet so far, and what is left to drop.
  std::optional<MqttPacket> oversized_;
  size_t to_drop_ = 0;
};

struct MqttConnack {
  bool session_present = false;
  uint8_t return_code = 0;  // 0 accepted
};
Result<MqttConnack> ParseConnack(const MqttPacket& packet);
// What a CONNACK's refusal means, for a one-line error.
std::string ConnackRefusal(uint8_t return_code);

struct MqttPublish {
  std::string topic;
  uint16_t packet_id = 0;  // 0 for QoS 0
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::string payload;        // empty when the packet was truncated
  size_t payload_length = 0;  // on the wire
  bool truncated = false;
};
Result<MqttPublish> ParsePublish(const MqttPacket& packet);

struct MqttSuback {
  uint16_t packet_id = 0;
  std::vector<uint8_t> return_codes;  // granted QoS, or 0x80 for a refused filter
};
Result<MqttSuback> ParseSuback(const MqttPacket& packet);

// The packet id of a PUBACK (or any packet whose body is only an id).
Result<uint16_t> ParsePacketId(const MqttPacket& packet);

}  // namespace sluice
