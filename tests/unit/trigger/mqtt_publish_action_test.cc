// --publish with a scripted broker: the event line as the payload, the topic from its template,
// one reconnect within an attempt, and topics that cannot be published.
#include "sluice/trigger/mqtt_publish_action.h"

#include <gtest/gtest.h>

#include "sluice/mqtt/mqtt_packet.h"

namespace sluice {
namespace {

struct Broker {
  std::vector<MqttPublish> published;
  int connects = 0;
  int break_next_publishes = 0;  // the connection is lost as the next N PUBLISHes are written
  bool refuse_connect = false;
};

class ScriptedBroker : public MqttTransport {
 public:
  explicit ScriptedBroker(Broker* broker) : broker_(broker), reader_(1 << 20) {}
  Result<std::string> Read(std::chrono::milliseconds) override {
    if (broken_) return Error::Network("connection reset");
    return std::exchange(out_, "");
  }
  Status Write(std::string_view bytes) override {
    if (broken_) return Error::Network("connection reset");
    reader_.Feed(bytes);
    while (true) {
      auto packet = reader_.Next();
      if (!packet.ok() || !*packet) break;
      if ((*packet)->type == MqttPacketType::kConnect) {
        ++broker_->connects;
        out_ += std::string{0x20, 2, 0, static_cast<char>(broker_->refuse_connect ? 5 : 0)};
      } else if ((*packet)->type == MqttPacketType::kPublish) {
        if (broker_->break_next_publishes > 0) {
          --broker_->break_next_publishes;
          broken_ = true;
          return Error::Network("connection reset");
        }
        auto publish = ParsePublish(**packet);
        broker_->published.push_back(*publish);
        out_ += EncodePuback(publish->packet_id);
      }
    }
    return Status::Ok();
  }

 private:
  Broker* broker_;
  MqttPacketReader reader_;
  std::string out_;
  bool broken_ = false;
};

TriggerEvent Event(const std::string& key) {
  TriggerEvent event;
  event.fields = {{"event", "created"}, {"uri", "s3://up/" + key},
                  {"bucket", "up"},     {"key", key},
                  {"etag", "e1"},       {"sqs", {{"queue_url", "q"}}}};
  return event;
}

class MqttPublishActionTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<TriggerAction>> Make(const std::string& uri) {
    auto options = MakeMqttPublishOptions(uri, MapEnvironment{});
    if (!options.ok()) return options.error();
    options->timeout = std::chrono::milliseconds(200);
    options->connect = [this]() -> Result<std::unique_ptr<MqttTransport>> {
      return std::unique_ptr<MqttTransport>(std::make_unique<ScriptedBroker>(&broker_));
    };
    return MakeMqttPublishAction(std::move(options).value());
  }
  Broker broker_;
  std::atomic<bool> stop_{false};
};

TEST_F(MqttPublishActionTest, PublishesTheEventLineWithoutItsQueueMessageOnTheTemplatesTopic) {
  auto action = Make("mqtt://localhost/artifacts/{dirname}/{basename}");
  ASSERT_TRUE(action.ok()) << action.error().message;
  ActionOutcome outcome = (*action)->Run(Event("u1/a.csv"), 1, stop_);
  ASSERT_TRUE(outcome.succeeded) << outcome.error;
  EXPECT_EQ(outcome.fields["topic"], "artifacts/u1/a.csv");
  ASSERT_EQ(broker_.published.size(), 1u);
  const MqttPublish& m = broker_.published[0];
  EXPECT_EQ(m.topic, "artifacts/u1/a.csv");
  EXPECT_EQ(m.qos, 1);
  EXPECT_FALSE(m.retain);
  auto payload = nlohmann::json::parse(m.payload);
  EXPECT_EQ(payload["etag"], "e1");
  EXPECT_FALSE(payload.contains("sqs"));
  EXPECT_EQ(broker_.connects, 1) << "connected once, at start";
}

TEST_F(MqttPublishActionTest, ALostConnectionIsOpenedAgainWithinTheAttempt) {
  auto action = Make("mqtt://localhost/a/{basename}");
  ASSERT_TRUE(action.ok());
  broker_.break_next_publishes = 1;
  ActionOutcome outcome = (*action)->Run(Event("x"), 1, stop_);
  EXPECT_TRUE(outcome.succeeded) << outcome.error;
  EXPECT_EQ(broker_.connects, 2);
  EXPECT_EQ(broker_.published.size(), 1u);

  broker_.break_next_publishes = 2;  // lost twice: the attempt fails, worth retrying
  outcome = (*action)->Run(Event("y"), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_TRUE(outcome.retryable);
  EXPECT_NE(outcome.error.find("publishing to mqtt://localhost:1883/a/y"), std::string::npos)
      << outcome.error;
}

TEST_F(MqttPublishActionTest, ATopicThatCannotBeIsAFailureNotWorthRetrying) {
  auto action = Make("mqtt://localhost/a/{key}");
  ASSERT_TRUE(action.ok());
  for (const std::string& key :
       {std::string("u1/+.csv"), std::string("#"), std::string("nul\0", 4)}) {
    ActionOutcome outcome = (*action)->Run(Event(key), 1, stop_);
    EXPECT_FALSE(outcome.succeeded) << key;
    EXPECT_FALSE(outcome.retryable) << key;
  }
  EXPECT_TRUE(broker_.published.empty());
}

TEST_F(MqttPublishActionTest, ARefusedConnectionFailsAtStart) {
  broker_.refuse_connect = true;
  auto action = Make("mqtt://localhost/a");
  ASSERT_FALSE(action.ok());
  EXPECT_EQ(action.error().kind, ErrorKind::kCredentials);
}

TEST(MqttPublishOptionsTest, UsageErrors) {
  EXPECT_FALSE(MakeMqttPublishOptions("mqtt://localhost/a/{kye}", MapEnvironment{}).ok());
  EXPECT_FALSE(MakeMqttPublishOptions("mqtt://localhost/a/#", MapEnvironment{}).ok());
  EXPECT_FALSE(MakeMqttPublishOptions("mqtt://localhost", MapEnvironment{}).ok());
  EXPECT_FALSE(
      MakeMqttPublishOptions("mqtt://localhost/a", MapEnvironment{{"SLUICE_MQTT_PASSWORD", "x"}})
          .ok());
  auto ok =
      MakeMqttPublishOptions("mqtts://h/a/{key}", MapEnvironment{{"SLUICE_MQTT_USERNAME", "u"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->broker, "h:8883");
  EXPECT_EQ(ok->session.username, "u");
  EXPECT_TRUE(ok->session.client_id.starts_with("sluicetrigger"));
}

}  // namespace
}  // namespace sluice
