// sluice-trigger --publish mqtt://, the real binaries against a real mosquitto: artifact
// creation in a local directory mirrored to the broker by `sluice-watch DIR | sluice-trigger
// --publish`, and picked up by `sluice-watch mqtt://` (services chained by data only); a broker
// restart between events; mqtts with a password; events whose topic cannot be published;
// errors at start.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
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

class MqttPublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-trigger-mqtt-");
    std::filesystem::create_directories(dir_ + "/cache");
    broker_ = MosquittoBroker::Start({.tls = true});
    ASSERT_NE(broker_, nullptr) << "mosquitto did not start";
  }
  void TearDown() override {
    runs_.clear();
    broker_.reset();
    testing::RemoveTree(dir_);
  }

  std::map<std::string, std::string> Env(const std::map<std::string, std::string>& extra = {}) {
    const char* path = std::getenv("PATH");
    auto env = testing::MqttClientEnv(
        dir_, {{"DIR", dir_},
               {"PATH", std::string(SLUICE_BIN_DIR) + ":" + (path ? path : "/usr/bin:/bin")}});
    for (const auto& [k, v] : extra) env[k] = v;
    return env;
  }

  ToolRun& Start(const std::string& tool, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {}) {
    runs_.push_back(std::make_unique<ToolRun>(tool, dir_, Env(env), args));
    return *runs_.back();
  }
  // The producer's side: the cache directory mirrored to the broker.
  ToolRun& Mirror(const std::string& publish_uri,
                  const std::map<std::string, std::string>& env = {},
                  const std::string& extra = "") {
    return Start("/bin/sh",
                 {"-c", "sluice-watch \"$DIR/cache\" | sluice-trigger " + extra + " --publish '" +
                            publish_uri + "' > \"$DIR/published.jsonl\""},
                 env);
  }
  std::vector<nlohmann::json> Published() const {
    std::vector<nlohmann::json> out;
    for (const std::string& line : testing::Lines(testing::ReadFile(dir_ + "/published.jsonl"))) {
      out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::vector<std::unique_ptr<ToolRun>> runs_;
};

TEST_F(MqttPublishTest, ArtifactsWrittenToACacheReachAConsumerThroughTheBroker) {
  ToolRun& consumer =
      Start("sluice-watch", {broker_->uri("artifacts/#"), "--client-id", "consumer"});
  ASSERT_TRUE(testing::WaitUntilWatching(consumer)) << consumer.Stderr();
  ToolRun& mirror = Mirror(broker_->uri("artifacts/{basename}"));
  ASSERT_TRUE(WaitFor([&] { return Contains(mirror.Stderr(), "watching"); })) << mirror.Stderr();

  testing::WriteFile(dir_ + "/cache/a.parquet", "first");
  ASSERT_TRUE(WaitFor([&] { return testing::CountLines(consumer.Stdout()) >= 1; }))
      << mirror.Stderr();
  testing::WriteFile(dir_ + "/cache/b.parquet", "second");
  ASSERT_TRUE(WaitFor([&] { return testing::CountLines(consumer.Stdout()) >= 2; }))
      << mirror.Stderr();
  testing::WriteFile(dir_ + "/cache/a.parquet", "first, rewritten");
  ASSERT_TRUE(WaitFor([&] { return testing::CountLines(consumer.Stdout()) >= 3; }))
      << mirror.Stderr() << consumer.Stderr();

  auto events = consumer.Results();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["event"], "created");
  EXPECT_EQ(events[0]["key"], dir_ + "/cache/a.parquet");
  EXPECT_EQ(events[0]["topic"], "artifacts/a.parquet");
  EXPECT_EQ(events[0]["source"], "mqtt");
  EXPECT_FALSE(events[0]["etag"].get<std::string>().empty()) << "the producer's version is kept";
  EXPECT_EQ(events[1]["key"], dir_ + "/cache/b.parquet");
  EXPECT_EQ(events[2]["event"], "updated");
  EXPECT_NE(events[2]["etag"], events[0]["etag"]);

  auto published = Published();
  ASSERT_EQ(published.size(), 3u);
  for (const nlohmann::json& r : published) {
    EXPECT_EQ(r["action"], "publish");
    EXPECT_EQ(r["status"], "succeeded");
  }
  EXPECT_EQ(published[0]["topic"], "artifacts/a.parquet");
  mirror.SignalGroup(SIGINT);
  consumer.Signal(SIGINT);
  EXPECT_EQ(consumer.ExitCode(), 130);
}

TEST_F(MqttPublishTest, ABrokerRestartBetweenEventsCostsNoEvent) {
  ToolRun& mirror = Mirror(broker_->uri("artifacts/{basename}"));
  ASSERT_TRUE(WaitFor([&] { return Contains(mirror.Stderr(), "watching"); })) << mirror.Stderr();
  ToolRun& consumer = Start("sluice-watch", {broker_->uri("artifacts/#"), "--client-id", "c2"});
  ASSERT_TRUE(testing::WaitUntilWatching(consumer)) << consumer.Stderr();
  testing::WriteFile(dir_ + "/cache/1", "x");
  ASSERT_TRUE(WaitFor([&] { return testing::CountLines(consumer.Stdout()) >= 1; }))
      << mirror.Stderr();
  ASSERT_TRUE(broker_->Restart()) << broker_->LogTail();
  // The consumer reconnects in its own time; the producer's next publish opens a new connection.
  testing::WriteFile(dir_ + "/cache/2", "y");
  ASSERT_TRUE(WaitFor([&] { return testing::CountLines(consumer.Stdout()) >= 2; }, 60000))
      << mirror.Stderr() << consumer.Stderr();
  auto published = Published();
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[1]["status"], "succeeded") << published[1].dump();
  EXPECT_EQ(published[1]["attempts"], 1);
  mirror.SignalGroup(SIGINT);
}

TEST_F(MqttPublishTest, MqttsWithAPasswordAndEventsWhoseTopicCannotBePublished) {
  ToolRun& consumer = Start("sluice-watch", {broker_->uri("secure/#"), "--client-id", "c3"});
  ASSERT_TRUE(testing::WaitUntilWatching(consumer)) << consumer.Stderr();
  std::map<std::string, std::string> env = {{"SSL_CERT_FILE", broker_->ca_file()},
                                            {"SLUICE_MQTT_USERNAME", broker_->options().username},
                                            {"SLUICE_MQTT_PASSWORD", broker_->options().password}};
  std::string lines =
      R"({"event":"created","uri":"s3://up/u1/a.csv","etag":"e1","sqs":{"queue_url":"q","receipt_handle":"r"}})"
      "\n"
      R"({"event":"created","uri":"s3://up/u1/b+c.csv"})"
      "\n";
  testing::WriteFile(dir_ + "/in.jsonl", lines);
  ToolRun& run = Start("/bin/sh",
                       {"-c", "sluice-trigger --publish '" + broker_->tls_uri("secure/{key}") +
                                  "' < \"$DIR/in.jsonl\""},
                       env);
  EXPECT_EQ(run.ExitCode(), 1) << run.Stderr();  // one event failed
  auto results = run.Results();
  ASSERT_EQ(results.size(), 2u) << run.Stderr();
  EXPECT_EQ(results[0]["status"], "succeeded");
  EXPECT_EQ(results[0]["topic"], "secure/u1/a.csv");
  EXPECT_EQ(results[1]["status"], "failed");
  EXPECT_EQ(results[1]["attempts"], 1) << "a topic that cannot be is not retried";
  EXPECT_TRUE(Contains(results[1]["error"].get<std::string>(), "cannot hold # or +"))
      << results[1].dump();

  ASSERT_TRUE(WaitFor([&] { return testing::CountLines(consumer.Stdout()) >= 1; }))
      << consumer.Stderr();
  auto events = consumer.Results();
  EXPECT_EQ(events[0]["key"], "u1/a.csv");
  EXPECT_EQ(events[0]["etag"], "e1");
  EXPECT_FALSE(events[0].contains("sqs")) << "the queue's message is not the consumer's";
  EXPECT_FALSE(Contains(run.Stderr(), broker_->options().password));
}

TEST_F(MqttPublishTest, ProblemsAtStartFailOnceBeforeAnyEvent) {
  // Nothing listens there.
  int closed_port = testing::FreeLoopbackPort();
  ToolRun& down =
      Start("sluice-trigger",
            {"--publish", "mqtt://127.0.0.1:" + std::to_string(closed_port) + "/a/{key}"});
  EXPECT_EQ(down.ExitCode(), 1);
  EXPECT_TRUE(Contains(down.Stderr(), "cannot connect to MQTT broker")) << down.Stderr();

  ToolRun& wrong = Start("sluice-trigger", {"--publish", broker_->tls_uri("a/{key}")},
                         {{"SSL_CERT_FILE", broker_->ca_file()},
                          {"SLUICE_MQTT_USERNAME", "sluice"},
                          {"SLUICE_MQTT_PASSWORD", "not-it"}});
  EXPECT_EQ(wrong.ExitCode(), 1);
  EXPECT_TRUE(Contains(wrong.Stderr(), "user name or password") ||
              Contains(wrong.Stderr(), "not authorised"))
      << wrong.Stderr();
  EXPECT_FALSE(Contains(wrong.Stderr(), "not-it"));

  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--publish", broker_->uri("a/{kye}")}, "kye"},
           {{"--publish", broker_->uri("a/#")}, "cannot hold # or +"},
           {{"--publish", "mqtt://u:pw@127.0.0.1/a"}, "SLUICE_MQTT_PASSWORD"},
           {{"--publish", broker_->uri("a"), "--exec", "--", "true"}, "choose one action"},
           {{"--retain", "--exec", "--", "true"}, "--retain needs --publish"},
       }) {
    ToolRun& run = Start("sluice-trigger", args);
    EXPECT_EQ(run.ExitCode(), 2) << message << ": " << run.Stderr();
    EXPECT_TRUE(Contains(run.Stderr(), message)) << run.Stderr();
  }
}

}  // namespace
}  // namespace sluice
