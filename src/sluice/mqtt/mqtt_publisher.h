// Publishing with QoS 1 over one connection shared by several threads: opened on first use (or
// by Connect), opened again when lost, once per Publish, so a broker that dropped an idle
// connection or restarted costs no message. A PUBACK lost with a connection means the message
// is sent again on the new one: at least once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "sluice/mqtt/mqtt_session.h"
#include "sluice/mqtt/mqtt_transport.h"

namespace sluice {

class MqttPublisher {
 public:
  using Connector = std::function<Result<std::unique_ptr<MqttTransport>>()>;
  MqttPublisher(MqttSessionOptions session, Connector connect, std::chrono::milliseconds timeout)
      : session_options_(std::move(session)), connect_(std::move(connect)), timeout_(timeout) {}

  // Opens the connection now: a wrong host, password or certificate is seen at start.
  Status Connect();
  // Publishes with QoS 1 and waits for the broker's PUBACK.
  Status Publish(std::string_view topic, std::string_view payload, bool retain);

 private:
  Status ConnectLocked();

  MqttSessionOptions session_options_;
  Connector connect_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::unique_ptr<MqttSession> session_;
};

}  // namespace sluice
