// One connection to an MQTT broker as a client: CONNECT, SUBSCRIBE, messages in, PUBACKs out
// when the caller says so, publishing with QoS 1, and keep-alive pings. No reconnecting: a lost
// connection is an error and the caller opens a new session (the broker keeps a persistent
// session's subscriptions and queued messages meanwhile). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/mqtt/mqtt_packet.h"
#include "sluice/mqtt/mqtt_transport.h"
#include "sluice/util/environment.h"
#include "sluice/util/result.h"

namespace sluice {

struct MqttSessionOptions {
  std::string client_id;
  // false: a persistent session. The broker keeps the subscription and the QoS 1 messages that
  // arrive while the client is away, and sends again those it sent but saw no PUBACK for.
  bool clean_session = true;
  std::chrono::seconds keep_alive{60};
  std::optional<std::string> username;
  std::optional<std::string> password;
  // A message whose payload is longer is read and dropped (kept as a truncated MqttPublish, so
  // that it can be reported and acknowledged).
  size_t max_payload = 256 * 1024;
};

// Sets the user name and password from SLUICE_MQTT_USERNAME and SLUICE_MQTT_PASSWORD (never
// from arguments: they would show in `ps`). A password without a user name is an error
// (kInvalidArgument): MQTT 3.1.1 sends one only with the other.
Status SetMqttCredentials(const Environment& env, MqttSessionOptions& options);
// A client id no other client has: PREFIX (up to 15 characters) and random hex digits, 23
// letters and digits in all.
std::string RandomMqttClientId(std::string_view prefix);

class MqttSession {
 public:
  // Sends CONNECT and waits up to `timeout` for the CONNACK; a refusal is an error that says
  // why (kCredentials for a bad user name or password or no authorisation, else kNetwork).
  static Result<std::unique_ptr<MqttSession>> Open(std::unique_ptr<MqttTransport> transport,
                                                   const MqttSessionOptions& options,
                                                   std::chrono::milliseconds timeout);

  // Whether the broker still had this client id's session (CONNACK's session present flag).
  bool session_present() const { return session_present_; }

  // Subscribes and waits for the SUBACK; returns the granted QoS. A refused filter is an error.
  Result<uint8_t> Subscribe(std::string_view filter, uint8_t qos,
                            std::chrono::milliseconds timeout);

  // The next message, waiting up to `wait`; nullopt when none came. Pings the broker when the
  // connection has been idle for the keep-alive, and fails when a ping goes unanswered.
  Result<std::optional<MqttPublish>> Receive(std::chrono::milliseconds wait);

  // Sends the PUBACKs for these QoS 1 messages, in one write.
  Status Acknowledge(const std::vector<uint16_t>& packet_ids);

  // Publishes; with QoS 1 waits up to `timeout` for the broker's PUBACK. Messages that arrive
  // meanwhile are kept for Receive. `dup` marks a message sent again after a reconnect.
  Status Publish(std::string_view topic, std::string_view payload, uint8_t qos, bool retain,
                 std::chrono::milliseconds timeout, bool dup = false);

  // Sends DISCONNECT and waits (briefly) for the broker to close the connection, so that the
  // PUBACKs sent before it are not lost to a reset: the broker then keeps a persistent
  // session's state but ends the connection.
  void Disconnect();

 private:
  MqttSession(std::unique_ptr<MqttTransport> transport, const MqttSessionOptions& options)
      : transport_(std::move(transport)), options_(options), reader_(ReaderLimit(options)) {}
  static size_t ReaderLimit(const MqttSessionOptions& options) {
    return options.max_payload + 2 + 65535 + 2;
  }
  Status Send(std::string_view bytes);
  // Reads until a packet arrives or `wait` passes; PUBLISHes go to received_, PINGRESPs are
  // consumed; any other packet is returned.
  Result<std::optional<MqttPacket>> Pump(std::chrono::milliseconds wait);
  Result<MqttPacket> Await(MqttPacketType type, uint16_t packet_id,
                           std::chrono::milliseconds timeout, std::string_view what);
  uint16_t NextPacketId();

  std::unique_ptr<MqttTransport> transport_;
  MqttSessionOptions options_;
  MqttPacketReader reader_;
  std::deque<MqttPublish> received_;
  bool session_present_ = false;
  uint16_t last_packet_id_ = 0;
  std::chrono::steady_clock::time_point last_sent_ = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> ping_sent_;
};

}  // namespace sluice
