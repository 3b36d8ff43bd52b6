#include "sluice/mqtt/mqtt_publisher.h"

namespace sluice {

Status MqttPublisher::Connect() {
  std::lock_guard lock(mutex_);
  return ConnectLocked();
}

Status MqttPublisher::ConnectLocked() {
  auto transport = connect_();
  if (!transport.ok()) return transport.error();
  auto session = MqttSession::Open(std::move(transport).value(), session_options_, timeout_);
  if (!session.ok()) return session.error();
  session_ = std::move(session).value();
  return Status::Ok();
}

Status MqttPublisher::Publish(std::string_view topic, std::string_view payload, bool retain) {
  std::lock_guard lock(mutex_);
  Status published = Error::Network("not connected");
  for (int tries = 0; tries < 2; ++tries) {
    if (!session_) {
      if (Status connected = ConnectLocked(); !connected.ok()) return connected;
    }
    published = session_->Publish(topic, payload, 1, retain, timeout_);
    if (published.ok()) return published;
    session_.reset();
  }
  return published;
}

}  // namespace sluice
