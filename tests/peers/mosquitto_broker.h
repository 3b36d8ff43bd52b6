// MosquittoBroker: a real MQTT broker (Debian's mosquitto) on a free 127.0.0.1 port with a
// generated config: anonymous access, persistence in a temp dir (sessions and queued QoS 1
// messages survive Restart()), and optionally a second listener with TLS (a certificate for
// 127.0.0.1 and localhost from a test CA made with openssl) and a password file. mosquitto_pub
// and mosquitto_sub are the reference clients. A missing mosquitto is a test failure that says
// how to install it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace sluice::testing {

// The environment of an MQTT client run from a test: no AWS settings (MQTT needs none), no
// MQTT credentials or CA file from the developer's shell, HOME in `dir`; `extra` on top.
std::map<std::string, std::string> MqttClientEnv(const std::string& dir,
                                                 const std::map<std::string, std::string>& extra = {});

class MosquittoBroker {
 public:
  struct Options {
    bool tls = false;  // a second listener: TLS with a user name and password
    std::string username = "sluice";
    std::string password = "test-password";
  };
  static std::unique_ptr<MosquittoBroker> Start(const Options& options);
  ~MosquittoBroker();

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  std::string uri(const std::string& topic) const {
    return "mqtt://127.0.0.1:" + std::to_string(port_) + "/" + topic;
  }
  std::string tls_uri(const std::string& topic, const std::string& host = "127.0.0.1") const {
    return "mqtts://" + host + ":" + std::to_string(tls_port_) + "/" + topic;
  }
  // The test CA's certificate (PEM), for SSL_CERT_FILE.
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  const Options& options() const { return options_; }

  // Stops the broker (SIGTERM: it saves its persistence file) and starts it again on the same
  // ports; false when it did not come back.
  bool Restart();
  // Stops it until Resume().
  void Stop();
  bool Resume();

  // Publishes with mosquitto_pub on the plain listener (QoS 1 unless told); false on failure.
  bool Publish(const std::string& topic, const std::string& payload, int qos = 1,
               bool retain = false);
  // Publishes the contents of a file (mosquitto_pub -f), for payloads too big for an argument.
  bool PublishFile(const std::string& topic, const std::string& path);
  std::string LogTail() const { return process_ ? process_->LogTail() : ""; }

 private:
  MosquittoBroker() = default;
  bool Launch();

  Options options_;
  int port_ = 0;
  int tls_port_ = 0;
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace sluice::testing
