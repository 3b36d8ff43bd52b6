// The byte stream to an MQTT broker: TCP, or TLS over TCP (OpenSSL) with the broker's
// certificate verified against the system's CA store (SSL_CERT_FILE and SSL_CERT_DIR replace it,
// as for every OpenSSL program) and its name checked against the host. Behind an interface so
// the MQTT session is tested over scripted bytes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/mqtt/mqtt_uri.h"
#include "sluice/util/result.h"

namespace sluice {

class MqttTransport {
 public:
  virtual ~MqttTransport() = default;
  // What has arrived, waiting up to `wait` for something: "" when nothing came in time; an error
  // (kNetwork) when the connection closed or failed.
  virtual Result<std::string> Read(std::chrono::milliseconds wait) = 0;
  // Writes all of `bytes`; an error when the connection failed or stayed blocked for 30 s.
  virtual Status Write(std::string_view bytes) = 0;
  // Ends our side (TLS close_notify, then a TCP half-close) and reads until the peer closes or
  // `wait` passes. Closing a socket with unread data makes Linux send a reset, which can drop
  // what was written last.
  virtual void Finish(std::chrono::milliseconds) {}
};

// Connects to the broker `uri` names (TLS for mqtts://), giving up after `timeout`.
Result<std::unique_ptr<MqttTransport>> ConnectMqtt(const MqttUri& uri,
                                                   std::chrono::milliseconds timeout);

}  // namespace sluice
