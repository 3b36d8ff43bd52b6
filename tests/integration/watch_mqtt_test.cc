// sluice-watch mqtt://, the real binary against a real mosquitto started here: a persistent
// session keeps what was published while the watcher was stopped, a broker restart loses
// nothing it kept, bad and oversized payloads are warnings, retained messages, and mqtts://
// with a verified certificate and a password from the environment. mosquitto_pub publishes.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <thread>

#include "tests/peers/examples.h"
#include "tests/peers/mosquitto_broker.h"
#include "tests/peers/tool_run.h"
#include "tests/support/child_process.h"

namespace sluice {
namespace {

using testing::Contains;
using testing::MosquittoBroker;
using testing::ToolRun;
using testing::WaitFor;

class MqttWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-watch-mqtt-");
    broker_ = MosquittoBroker::Start({.tls = true});
    ASSERT_NE(broker_, nullptr) << "mosquitto did not start";
  }
  void TearDown() override {
    runs_.clear();
    broker_.reset();
    testing::RemoveTree(dir_);
  }

  std::map<std::string, std::string> Env(const std::map<std::string, std::string>& extra = {}) {
    return testing::MqttClientEnv(dir_, extra);
  }

  ToolRun& Watch(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {}) {
    runs_.push_back(std::make_unique<ToolRun>("sluice-watch", dir_, Env(env), args));
    return *runs_.back();
  }

  static std::vector<std::string> Keys(const ToolRun& run) {
    std::vector<std::string> keys;
    for (const nlohmann::json& e : run.Results()) keys.push_back(e.value("key", ""));
    return keys;
  }
  static bool HasEvents(const ToolRun& run, size_t n) {
    return testing::CountLines(run.Stdout()) >= n;
  }

  std::string dir_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::vector<std::unique_ptr<ToolRun>> runs_;
};

TEST_F(MqttWatchTest, MessagesPublishedWhileStoppedArriveAfterARestartAndNoneTwice) {
  ToolRun& first = Watch({broker_->uri("cache/#"), "--client-id", "worker-1"});
  ASSERT_TRUE(testing::WaitUntilWatching(first)) << first.Stderr();
  ASSERT_TRUE(broker_->Publish("cache/a", "/cache/a.parquet"));
  ASSERT_TRUE(WaitFor([&] { return HasEvents(first, 1); })) << first.Stderr();
  first.Signal(SIGINT);
  EXPECT_EQ(first.ExitCode(), 130);
  EXPECT_TRUE(Contains(first.Stderr(), "client id worker-1: a persistent session, new"))
      << first.Stderr();

  // Published while no watcher runs: the broker keeps them for worker-1's session.
  for (const char* key : {"b", "c", "d"}) {
    ASSERT_TRUE(broker_->Publish(std::string("cache/") + key, std::string("/cache/") + key));
  }
  ASSERT_TRUE(broker_->Publish("elsewhere/x", "/elsewhere/x"));

  ToolRun& second = Watch({broker_->uri("cache/#"), "--client-id", "worker-1"});
  ASSERT_TRUE(WaitFor([&] { return HasEvents(second, 3); })) << second.Stderr();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nothing more should come
  second.Signal(SIGINT);
  EXPECT_EQ(second.ExitCode(), 130);
  EXPECT_EQ(Keys(first), (std::vector<std::string>{"/cache/a.parquet"}));
  EXPECT_EQ(Keys(second), (std::vector<std::string>{"/cache/b", "/cache/c", "/cache/d"}));
  EXPECT_TRUE(Contains(second.Stderr(), "a persistent session, resumed")) << second.Stderr();
  for (const nlohmann::json& e : second.Results()) {
    EXPECT_EQ(e["source"], "mqtt");
    EXPECT_EQ(e["event"], "created");
    EXPECT_TRUE(e["topic"].get<std::string>().starts_with("cache/"));
  }

  // Without a client id the session is clean: what is published meanwhile is not kept.
  ToolRun& anonymous = Watch({broker_->uri("cache/#"), "--once", "--timeout", "2s"});
  ASSERT_TRUE(testing::WaitUntilWatching(anonymous)) << anonymous.Stderr();
  EXPECT_TRUE(Contains(anonymous.Stderr(), "no --client-id")) << anonymous.Stderr();
  EXPECT_EQ(anonymous.ExitCode(), 124);
}

TEST_F(MqttWatchTest, ABrokerRestartMidRunLosesNothingTheBrokerKept) {
  ToolRun& run = Watch({broker_->uri("jobs/+/done"), "--client-id", "restart-test"});
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  ASSERT_TRUE(broker_->Publish("jobs/1/done", "s3://results/1.json"));
  ASSERT_TRUE(WaitFor([&] { return HasEvents(run, 1); })) << run.Stderr();

  // Down: the watcher retries. Back up: a message published before the watcher reconnects
  // waits in its persistent session (mosquitto saved it to disk at shutdown).
  broker_->Stop();
  ASSERT_TRUE(WaitFor([&] { return Contains(run.Stderr(), "lost the connection"); }))
      << run.Stderr();
  ASSERT_TRUE(broker_->Resume()) << broker_->LogTail();
  ASSERT_TRUE(broker_->Publish("jobs/2/done", "s3://results/2.json"));
  ASSERT_TRUE(broker_->Publish("jobs/3/done", "s3://results/3.json"));
  ASSERT_TRUE(WaitFor([&] { return HasEvents(run, 3); })) << run.Stderr();
  // And once more with the watcher connected: a restart it sees only as a lost connection.
  ASSERT_TRUE(broker_->Restart()) << broker_->LogTail();
  ASSERT_TRUE(broker_->Publish("jobs/4/done", "s3://results/4.json"));
  ASSERT_TRUE(WaitFor([&] { return HasEvents(run, 4); }, 60000)) << run.Stderr();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  run.Signal(SIGINT);
  EXPECT_EQ(run.ExitCode(), 130);
  EXPECT_EQ(Keys(run), (std::vector<std::string>{"1.json", "2.json", "3.json", "4.json"}));
  EXPECT_TRUE(Contains(
      run.Stderr(), "connected to mqtt://127.0.0.1:" + std::to_string(broker_->port()) + " again"))
      << run.Stderr();
}

TEST_F(MqttWatchTest, BadAndOversizedPayloadsAreWarningsWithTheTopicAndTheWatchGoesOn) {
  ToolRun& run = Watch({broker_->uri("in/#"), "--client-id", "bad-payloads"});
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  ASSERT_TRUE(broker_->Publish("in/junk", "this is not an event"));
  ASSERT_TRUE(broker_->Publish("in/json", "{\"broken\": "));
  // Over the 256 KiB limit: mosquitto_pub reads it from a file.
  testing::WriteFile(dir_ + "/big", std::string(300 * 1024, 'x'));
  ASSERT_TRUE(broker_->PublishFile("in/big", dir_ + "/big"));
  ASSERT_TRUE(broker_->Publish("in/ok", R"({"event":"updated","uri":"s3://b/k","etag":"e2"})"));
  ASSERT_TRUE(WaitFor([&] { return HasEvents(run, 1); })) << run.Stderr();
  EXPECT_TRUE(run.Running()) << run.Stderr();
  run.Signal(SIGINT);
  EXPECT_EQ(run.ExitCode(), 130);
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["event"], "updated");
  EXPECT_EQ(results[0]["etag"], "e2");
  std::string err = run.Stderr();
  EXPECT_TRUE(Contains(err, "message on topic in/junk is not an event")) << err;
  EXPECT_TRUE(Contains(err, "message on topic in/json is not an event")) << err;
  EXPECT_TRUE(Contains(err, "message on topic in/big: a payload of 307200 bytes is over the limit"))
      << err;

  // Dropped means acknowledged: a new watcher with the same session gets none of them again.
  ToolRun& again = Watch({broker_->uri("in/#"), "--client-id", "bad-payloads", "--timeout", "2s"});
  EXPECT_EQ(again.ExitCode(), 124);
  EXPECT_FALSE(Contains(again.Stderr(), "warning")) << again.Stderr();
}

TEST_F(MqttWatchTest, ARetainedMessageIsAnEventMarkedRetained) {
  ASSERT_TRUE(broker_->Publish("status/u1", "s3://status/u1.json", 1, /*retain=*/true));
  ToolRun& run = Watch({broker_->uri("status/+"), "--once"});
  EXPECT_EQ(run.ExitCode(), 0) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["retained"], true);
  EXPECT_EQ(results[0]["key"], "u1.json");
}

TEST_F(MqttWatchTest, MqttsVerifiesTheBrokerAndTakesThePasswordFromTheEnvironment) {
  std::map<std::string, std::string> good = {{"SSL_CERT_FILE", broker_->ca_file()},
                                             {"SLUICE_MQTT_USERNAME", broker_->options().username},
                                             {"SLUICE_MQTT_PASSWORD", broker_->options().password}};
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    ToolRun& run = Watch({broker_->tls_uri("secure/#", host), "--once"}, good);
    ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
    ASSERT_TRUE(broker_->Publish("secure/x", "/data/x"));  // topics are shared by listeners
    EXPECT_EQ(run.ExitCode(), 0) << run.Stderr();
    ASSERT_EQ(run.Results().size(), 1u) << host;
    EXPECT_EQ(run.Results()[0]["key"], "/data/x");
  }

  auto bad = good;
  bad["SLUICE_MQTT_PASSWORD"] = "wrong-secret";
  ToolRun& refused = Watch({broker_->tls_uri("secure/#"), "--once"}, bad);
  EXPECT_EQ(refused.ExitCode(), 1);
  EXPECT_TRUE(Contains(refused.Stderr(), "bad user name or password") ||
              Contains(refused.Stderr(), "not authorised"))
      << refused.Stderr();
  EXPECT_FALSE(Contains(refused.Stderr(), "wrong-secret"));

  auto untrusted = good;
  untrusted["SSL_CERT_FILE"] = "";
  ToolRun& unverified = Watch({broker_->tls_uri("secure/#"), "--once"}, untrusted);
  EXPECT_EQ(unverified.ExitCode(), 1);
  EXPECT_TRUE(Contains(unverified.Stderr(), "does not verify")) << unverified.Stderr();
  EXPECT_TRUE(Contains(unverified.Stderr(), "SSL_CERT_FILE")) << unverified.Stderr();

  // The plain listener allows anonymous clients; the TLS one does not.
  ToolRun& anonymous =
      Watch({broker_->tls_uri("secure/#"), "--once"}, {{"SSL_CERT_FILE", broker_->ca_file()}});
  EXPECT_EQ(anonymous.ExitCode(), 1);
  EXPECT_TRUE(Contains(anonymous.Stderr(), "not authorised")) << anonymous.Stderr();
}

TEST_F(MqttWatchTest, UsageErrors) {
  const std::string uri = broker_->uri("a/#");
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string message;
  };
  std::vector<Case> cases = {
      {{uri, "s3://bucket/key"}, {}, "cannot be mixed"},
      {{uri, "--state", dir_ + "/s.json"}, {}, "--state has no use with mqtt://"},
      {{uri, "--initial"}, {}, "--initial has no use with mqtt://"},
      {{"mqtt://user:hunter2@127.0.0.1/a"}, {}, "SLUICE_MQTT_PASSWORD"},
      {{"mqtt://127.0.0.1/a/#/b"}, {}, "# must be a level of its own"},
      {{"mqtt://127.0.0.1"}, {}, "no topic"},
      {{"mqtt://127.0.0.1:1/a", "mqtt://127.0.0.2:1/b"}, {}, "same broker"},
      {{"s3://bucket/key", "--client-id", "x"}, {}, "--client-id needs an mqtt://"},
      {{uri}, {{"SLUICE_MQTT_PASSWORD", "pw"}}, "without SLUICE_MQTT_USERNAME"},
  };
  for (const Case& c : cases) {
    ToolRun& run = Watch(c.args, c.env);
    EXPECT_EQ(run.ExitCode(), 2) << c.message << ": " << run.Stderr();
    EXPECT_TRUE(Contains(run.Stderr(), c.message)) << run.Stderr();
    EXPECT_FALSE(Contains(run.Stderr(), "hunter2")) << run.Stderr();
    EXPECT_EQ(testing::CountLines(run.Stderr()), 1u) << run.Stderr();
  }
}

}  // namespace
}  // namespace sluice
