#include "tests/peers/mosquitto_broker.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace sluice::testing {
namespace {

constexpr int kStartTimeoutMs = 20000;

bool Shell(const std::string& command, std::string* output = nullptr) {
  std::string line = command + " 2>&1";
  FILE* p = popen(line.c_str(), "r");
  if (p == nullptr) return false;
  char buf[512];
  std::string out;
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  int rc = pclose(p);
  if (output) *output = out;
  if (rc != 0) ADD_FAILURE() << command << " failed:\n" << out;
  return rc == 0;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::map<std::string, std::string> MqttClientEnv(const std::string& dir,
                                                 const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env = {{"HOME", dir},
                                            {"AWS_CONFIG_FILE", dir + "/none"},
                                            {"AWS_REGION", ""},
                                            {"SLUICE_MQTT_USERNAME", ""},
                                            {"SLUICE_MQTT_PASSWORD", ""},
                                            {"SSL_CERT_FILE", ""}};
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

std::unique_ptr<MosquittoBroker> MosquittoBroker::Start(const Options& options) {
  for (const char* program : {"mosquitto", "mosquitto_pub", "mosquitto_passwd"}) {
    if (!OnPath(program) && access((std::string("/usr/sbin/") + program).c_str(), X_OK) != 0) {
      ADD_FAILURE() << program
                    << " is not on PATH: install it with `apt-get install mosquitto "
                       "mosquitto-clients`, then run the tests again.";
      return nullptr;
    }
  }
  std::unique_ptr<MosquittoBroker> broker(new MosquittoBroker());
  broker->options_ = options;
  broker->dir_ = MakeTempDir("sluice-mosquitto-");
  broker->port_ = FreeLoopbackPort();
  const std::string& d = broker->dir_;
  std::string user = getpwuid(getuid()) ? getpwuid(getuid())->pw_name : "root";
  std::string config =
      "per_listener_settings true\n"
      "persistence true\n"
      "persistence_location " +
      d +
      "/\n"
      "user " +
      user +
      "\n"  // as root, mosquitto would switch to a user that cannot read d
      "log_dest stderr\n"
      "log_type error\nlog_type warning\nlog_type notice\n"
      "max_queued_messages 100000\n"
      "listener " +
      std::to_string(broker->port_) +
      " 127.0.0.1\n"
      "allow_anonymous true\n";
  if (options.tls) {
    broker->tls_port_ = FreeLoopbackPort();
    WriteFile(d + "/san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    if (!Shell("cd " + d + " && openssl req -x509 " + ec +
               " -keyout ca.key -out ca.pem -days 2 -subj /CN=sluice-test-ca") ||
        !Shell("cd " + d + " && openssl req " + ec +
               " -keyout server.key -out server.csr -subj /CN=localhost") ||
        !Shell("cd " + d +
               " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
               "-CAcreateserial -out server.pem -days 2 -extfile san.ext") ||
        !Shell("mosquitto_passwd -b -c " + d + "/passwords " + Quote(options.username) + " " +
               Quote(options.password))) {
      return nullptr;
    }
    config += "listener " + std::to_string(broker->tls_port_) +
              " 127.0.0.1\n"
              "allow_anonymous false\n"
              "password_file " +
              d +
              "/passwords\n"
              "cafile " +
              d +
              "/ca.pem\n"
              "certfile " +
              d +
              "/server.pem\n"
              "keyfile " +
              d + "/server.key\n";
  }
  WriteFile(d + "/mosquitto.conf", config);
  if (!broker->Launch()) return nullptr;
  return broker;
}

bool MosquittoBroker::Launch() {
  std::string error;
  std::string program = OnPath("mosquitto") ? "mosquitto" : "/usr/sbin/mosquitto";
  process_ = ChildProcess::Start({program, "-c", dir_ + "/mosquitto.conf"}, {},
                                 dir_ + "/mosquitto.log", &error);
  if (!process_) {
    ADD_FAILURE() << error;
    return false;
  }
  for (int port : {port_, tls_port_}) {
    if (port != 0 && !WaitForPort(port, kStartTimeoutMs, process_.get())) {
      ADD_FAILURE() << "mosquitto did not start on port " << port << ":\n" << process_->LogTail();
      return false;
    }
  }
  return true;
}

void MosquittoBroker::Stop() {
  if (process_) process_->Stop();
  process_.reset();
}

bool MosquittoBroker::Resume() { return Launch(); }

bool MosquittoBroker::Restart() {
  Stop();
  return Launch();
}

bool MosquittoBroker::Publish(const std::string& topic, const std::string& payload, int qos,
                              bool retain) {
  return Shell("mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port_) + " -q " +
               std::to_string(qos) + (retain ? " -r" : "") + " -t " + Quote(topic) + " -m " +
               Quote(payload));
}

bool MosquittoBroker::PublishFile(const std::string& topic, const std::string& path) {
  return Shell("mosquitto_pub -h 127.0.0.1 -p " + std::to_string(port_) + " -q 1 -t " +
               Quote(topic) + " -f " + Quote(path));
}

MosquittoBroker::~MosquittoBroker() {
  Stop();
  RemoveTree(dir_);
}

}  // namespace sluice::testing
