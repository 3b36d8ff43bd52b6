#include "sluice/mqtt/mqtt_session.h"

#include "sluice/util/crypto.h"

namespace sluice {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds Left(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? milliseconds(0) : left;
}

}  // namespace

Status SetMqttCredentials(const Environment& env, MqttSessionOptions& options) {
  options.username = env.GetNonEmpty("SLUICE_MQTT_USERNAME");
  options.password = env.Get("SLUICE_MQTT_PASSWORD");
  if (options.password && !options.username) {
    return Error::InvalidArgument(
        "SLUICE_MQTT_PASSWORD is set without SLUICE_MQTT_USERNAME: "
        "MQTT sends a password only with a user name");
  }
  return Status::Ok();
}

std::string RandomMqttClientId(std::string_view prefix) {
  // MQTT 3.1.1 promises only ids of 1 to 23 letters and digits to be accepted everywhere.
  uint8_t random[8];
  RandomBytes(random, sizeof(random));
  std::string id = std::string(prefix.substr(0, 15)) + HexEncode(random, sizeof(random));
  return id.substr(0, 23);
}

Result<std::unique_ptr<MqttSession>> MqttSession::Open(std::unique_ptr<MqttTransport> transport,
                                                       const MqttSessionOptions& options,
                                                       milliseconds timeout) {
  std::unique_ptr<MqttSession> session(new MqttSession(std::move(transport), options));
  MqttConnect connect;
  connect.client_id = options.client_id;
  connect.clean_session = options.clean_session;
  connect.keep_alive_seconds = static_cast<uint16_t>(options.keep_alive.count());
  connect.username = options.username;
  connect.password = options.password;
  if (Status sent = session->Send(EncodeConnect(connect)); !sent.ok()) return sent.error();
  auto packet = session->Await(MqttPacketType::kConnack, 0, timeout, "CONNACK");
  if (!packet.ok()) return packet.error();
  auto connack = ParseConnack(*packet);
  if (!connack.ok()) return connack.error();
  if (connack->return_code != 0) {
    // Only "unavailable" (3) may pass: the others will be refused again.
    std::string why =
        "the MQTT broker refused the connection: " + ConnackRefusal(connack->return_code);
    switch (connack->return_code) {
      case 3:
        return Error::Network(why);
      case 4:
      case 5:
        return Error::Credentials(why);
      default:
        return Error::Config(why);
    }
  }
  session->session_present_ = connack->session_present;
  return session;
}

Status MqttSession::Send(std::string_view bytes) {
  last_sent_ = SteadyClock::now();
  return transport_->Write(bytes);
}

uint16_t MqttSession::NextPacketId() {
  if (++last_packet_id_ == 0) last_packet_id_ = 1;  // 0 is not a packet id
  return last_packet_id_;
}

Result<std::optional<MqttPacket>> MqttSession::Pump(milliseconds wait) {
  auto deadline = SteadyClock::now() + wait;
  while (true) {
    auto packet = reader_.Next();
    if (!packet.ok()) return packet.error();
    if (*packet) {
      ping_sent_.reset();  // the broker is there
      MqttPacket& p = **packet;
      if (p.type == MqttPacketType::kPublish) {
        auto publish = ParsePublish(p);
        if (!publish.ok()) return publish.error();
        if (publish->qos == 2) {
          // Subscriptions ask for QoS 1 at most, so a broker never sends QoS 2.
          return Error::Parse("the MQTT broker sent a QoS 2 message to a QoS 1 subscription");
        }
        if (publish->payload_length > options_.max_payload) {
          publish->truncated = true;
          publish->payload.clear();
        }
        received_.push_back(std::move(publish).value());
        return std::optional<MqttPacket>();
      }
      if (p.type == MqttPacketType::kPingresp) continue;
      return packet;
    }
    // Keep-alive: a ping after an idle keep-alive period; no answer within another is a dead
    // connection (a broker gone without closing it, a network cut).
    auto now = SteadyClock::now();
    if (options_.keep_alive.count() > 0) {
      if (ping_sent_ && now - *ping_sent_ > options_.keep_alive) {
        return Error::Network("the MQTT broker did not answer a ping for " +
                              std::to_string(options_.keep_alive.count()) + "s");
      }
      if (!ping_sent_ && now - last_sent_ >= options_.keep_alive) {
        if (Status sent = Send(EncodePingreq()); !sent.ok()) return sent.error();
        ping_sent_ = now;
      }
    }
    milliseconds left = Left(deadline);
    if (left.count() == 0) return std::optional<MqttPacket>();
    // Wake in time for the next ping.
    auto until_ping =
        std::chrono::duration_cast<milliseconds>(last_sent_ + options_.keep_alive - now);
    if (options_.keep_alive.count() > 0 && until_ping.count() > 0 && until_ping < left) {
      left = until_ping;
    }
    auto bytes = transport_->Read(left);
    if (!bytes.ok()) return bytes.error();
    reader_.Feed(*bytes);
  }
}

Result<MqttPacket> MqttSession::Await(MqttPacketType type, uint16_t packet_id, milliseconds timeout,
                                      std::string_view what) {
  auto deadline = SteadyClock::now() + timeout;
  while (true) {
    auto packet = Pump(Left(deadline));
    if (!packet.ok()) return packet.error();
    if (*packet) {
      if ((*packet)->type != type) {
        // A late answer to a request that timed out earlier.
        if ((*packet)->type == MqttPacketType::kPuback ||
            (*packet)->type == MqttPacketType::kSuback) {
          continue;
        }
        return Error::Parse("the MQTT broker sent packet type " +
                            std::to_string(static_cast<int>((*packet)->type)) + " where " +
                            std::string(what) + " was expected");
      }
      if (type == MqttPacketType::kConnack) return std::move(**packet);
      auto id = ParsePacketId(**packet);
      if (!id.ok()) return id.error();
      if (*id == packet_id) return std::move(**packet);
      continue;  // an answer to an earlier request that timed out
    }
    if (Left(deadline).count() == 0) {
      return Error::Timeout("no " + std::string(what) + " from the MQTT broker within " +
                            std::to_string(timeout.count()) + "ms");
    }
  }
}

Result<uint8_t> MqttSession::Subscribe(std::string_view filter, uint8_t qos, milliseconds timeout) {
  uint16_t id = NextPacketId();
  if (Status sent = Send(EncodeSubscribe(id, filter, qos)); !sent.ok()) return sent.error();
  auto packet = Await(MqttPacketType::kSuback, id, timeout, "SUBACK");
  if (!packet.ok()) return packet.error();
  auto suback = ParseSuback(*packet);
  if (!suback.ok()) return suback.error();
  if (suback->return_codes.empty() || suback->return_codes[0] > 2) {
    return Error::Credentials("the MQTT broker refused the subscription to \"" +
                              std::string(filter) + "\" (not allowed by its ACL?)");
  }
  return suback->return_codes[0];
}

Result<std::optional<MqttPublish>> MqttSession::Receive(milliseconds wait) {
  auto deadline = SteadyClock::now() + wait;
  while (received_.empty()) {
    auto packet = Pump(Left(deadline));
    if (!packet.ok()) return packet.error();
    // Other packets (a late SUBACK or PUBACK) need nothing more.
    if (!*packet && received_.empty() && Left(deadline).count() == 0) {
      return std::optional<MqttPublish>();
    }
  }
  MqttPublish next = std::move(received_.front());
  received_.pop_front();
  return std::optional<MqttPublish>(std::move(next));
}

Status MqttSession::Acknowledge(const std::vector<uint16_t>& packet_ids) {
  if (packet_ids.empty()) return Status::Ok();
  std::string bytes;
  for (uint16_t id : packet_ids) bytes += EncodePuback(id);
  return Send(bytes);
}

Status MqttSession::Publish(std::string_view topic, std::string_view payload, uint8_t qos,
                            bool retain, milliseconds timeout, bool dup) {
  uint16_t id = qos > 0 ? NextPacketId() : 0;
  if (Status sent = Send(EncodePublish(id, topic, payload, qos, retain, dup)); !sent.ok()) {
    return sent;
  }
  if (qos == 0) return Status::Ok();
  auto ack = Await(MqttPacketType::kPuback, id, timeout, "PUBACK");
  if (!ack.ok()) return ack.error();
  return Status::Ok();
}

void MqttSession::Disconnect() {
  if (Send(EncodeDisconnect()).ok()) transport_->Finish(std::chrono::milliseconds(500));
}

}  // namespace sluice
