// The MQTT mode of sluice-watch against a scripted broker: a PUBACK only after the event is
// written, bad and oversized payloads, --once, the reader going away, reconnects, and a
// message sent again after a lost PUBACK written once.
#include "sluice/watch/mqtt_watch.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <set>
#include <thread>

#include "sluice/mqtt/mqtt_packet.h"
#include "sluice/util/exit_codes.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

struct Message {
  std::string topic;
  std::string payload;
  uint16_t id = 0;
  bool sent = false;  // sent on some connection and not acknowledged yet
};

// The broker's side: a persistent session that keeps unacknowledged messages and sends them
// again (DUP) on the next connection, as MQTT 3.1.1 requires.
struct FakeBroker {
  bool session_exists = false;
  std::deque<Message> queue;
  std::vector<uint16_t> pubacks;
  int connects = 0;
  int subscribes = 0;
  int empty_reads = 0;
  int refuse_connections = 0;  // the next N connections fail (broker down)
  uint8_t connack_code = 0;
  bool fail_next_puback = false;  // the connection breaks as the next PUBACK is written
  bool lose_next_puback = false;  // the next PUBACK is written but never arrives; the
                                  // connection is found closed at the next read
  int drop_after_connack = 0;     // the next N connections close right after their CONNACK
  std::string last_client_id;
  uint16_t next_id = 1;

  void Publish(std::string topic, std::string payload) {
    queue.push_back({std::move(topic), std::move(payload), next_id++, false});
  }
  bool Acknowledged(uint16_t id) const {
    return std::find(pubacks.begin(), pubacks.end(), id) != pubacks.end();
  }
};

class FakeBrokerTransport : public MqttTransport {
 public:
  explicit FakeBrokerTransport(FakeBroker* broker) : broker_(broker), reader_(1 << 20) {}

  Result<std::string> Read(std::chrono::milliseconds wait) override {
    if (closed_) return Error::Network("closed");
    if (!out_.empty()) return std::exchange(out_, "");
    if (drop_ || lost_) {
      closed_ = true;
      return Error::Network("the MQTT broker closed the connection");
    }
    if (connected_) {
      std::string bytes;
      for (Message& m : broker_->queue) {
        if (m.sent && !resent_.insert(m.id).second) continue;
        bytes += EncodePublish(m.id, m.topic, m.payload, 1, false, /*dup=*/m.sent);
        m.sent = true;
        resent_.insert(m.id);
      }
      if (!bytes.empty()) return bytes;
    }
    // Nothing to send: a short wait, as a socket's poll would take.
    ++broker_->empty_reads;
    std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(5)));
    return std::string();
  }

  Status Write(std::string_view bytes) override {
    if (closed_) return Error::Network("closed");
    reader_.Feed(bytes);
    while (true) {
      auto packet = reader_.Next();
      EXPECT_TRUE(packet.ok());
      if (!packet.ok() || !*packet) break;
      switch ((*packet)->type) {
        case MqttPacketType::kConnect: {
          ++broker_->connects;
          bool clean = ((*packet)->body[7] & 0x02) != 0;
          size_t id_length = static_cast<uint8_t>((*packet)->body[10]) << 8 |
                             static_cast<uint8_t>((*packet)->body[11]);
          broker_->last_client_id = (*packet)->body.substr(12, id_length);
          if (clean) broker_->session_exists = false;
          std::string connack = {0x20, 2, static_cast<char>(broker_->session_exists ? 1 : 0),
                                 static_cast<char>(broker_->connack_code)};
          out_ += connack;
          connected_ = broker_->connack_code == 0 && broker_->session_exists;
          if (broker_->drop_after_connack > 0) {
            --broker_->drop_after_connack;
            drop_ = true;
          }
          if (!clean) broker_->session_exists = broker_->connack_code == 0;
          break;
        }
        case MqttPacketType::kSubscribe: {
          ++broker_->subscribes;
          std::string suback = {static_cast<char>(0x90), 3, (*packet)->body[0], (*packet)->body[1],
                                1};
          out_ += suback;
          connected_ = true;
          break;
        }
        case MqttPacketType::kPuback: {
          if (broker_->fail_next_puback) {
            broker_->fail_next_puback = false;
            closed_ = true;
            return Error::Network("connection reset");
          }
          if (broker_->lose_next_puback) {
            broker_->lose_next_puback = false;
            lost_ = true;
            break;
          }
          uint16_t id = *ParsePacketId(**packet);
          broker_->pubacks.push_back(id);
          std::erase_if(broker_->queue, [id](const Message& m) { return m.id == id; });
          break;
        }
        case MqttPacketType::kPingreq:
          out_ += std::string{static_cast<char>(0xd0), 0};
          break;
        default:
          break;
      }
    }
    return Status::Ok();
  }

 private:
  FakeBroker* broker_;
  MqttPacketReader reader_;
  std::string out_;
  bool connected_ = false;
  bool closed_ = false;
  bool drop_ = false;
  bool lost_ = false;
  std::set<uint16_t> resent_;
};

class MqttWatchTest : public ::testing::Test {
 protected:
  int Run(const WatchOptions& options, int empty_reads = 3) {
    config_.broker = "127.0.0.1:1883";
    config_.filters = {"cache/#"};
    config_.session.client_id = "w1";
    config_.session.clean_session = false;
    config_.session.max_payload = 1024;
    config_.connect = [this]() -> Result<std::unique_ptr<MqttTransport>> {
      if (broker_.refuse_connections > 0) {
        --broker_.refuse_connections;
        return Error::Network("cannot connect to MQTT broker 127.0.0.1:1883: Connection refused");
      }
      return std::unique_ptr<MqttTransport>(std::make_unique<FakeBrokerTransport>(&broker_));
    };
    WatchDeps deps;
    deps.clock = &clock_;
    deps.emit = [this](const nlohmann::json& j) {
      events_.push_back(j);
      // Nothing written so far has been acknowledged yet when the event is being written.
      acked_when_written_.push_back(broker_.pubacks.size());
      return reader_present_ && events_.size() <= reader_takes_;
    };
    deps.sleep = [this](std::chrono::milliseconds d) {
      clock_.SleepFor(d);
      return true;
    };
    deps.interrupted = [this, empty_reads] {
      clock_.now += tick_;
      return broker_.empty_reads >= empty_reads;
    };
    deps.log = [this](const std::string& line) { log_.push_back(line); };
    return RunMqttWatch(options, config_, deps);
  }

  std::string Log() const {
    std::string all;
    for (const std::string& l : log_) all += l + "\n";
    return all;
  }

  testing::FakeClock clock_;
  FakeBroker broker_;
  MqttWatchConfig config_;
  bool reader_present_ = true;
  size_t reader_takes_ = SIZE_MAX;     // the reader goes away after this many events
  std::chrono::milliseconds tick_{0};  // how far the clock moves at each check for a signal
  std::vector<nlohmann::json> events_;
  std::vector<size_t> acked_when_written_;
  std::vector<std::string> log_;
};

TEST_F(MqttWatchTest, EachMessageIsAcknowledgedOnlyAfterItsEventIsWritten) {
  broker_.Publish("cache/a", "/cache/a.parquet");
  broker_.Publish("cache/b", R"({"event":"updated","uri":"s3://b/k","etag":"e1","source":"poll"})");
  EXPECT_EQ(Run({}), kExitInterrupted);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0]["uri"], "file:///cache/a.parquet");
  EXPECT_EQ(events_[0]["topic"], "cache/a");
  EXPECT_EQ(events_[0]["source"], "mqtt");
  EXPECT_EQ(events_[1]["event"], "updated");
  EXPECT_EQ(events_[1]["bucket"], "b");
  EXPECT_EQ(events_[1]["etag"], "e1");
  EXPECT_EQ(acked_when_written_, (std::vector<size_t>{0, 0}));
  EXPECT_EQ(broker_.pubacks, (std::vector<uint16_t>{1, 2}));
  EXPECT_EQ(broker_.subscribes, 1);
  EXPECT_EQ(broker_.last_client_id, "w1");
}

TEST_F(MqttWatchTest, BadAndOversizedPayloadsAreOneLineWarningsWithTheTopicAndAreDropped) {
  broker_.Publish("cache/junk", "not a path");
  broker_.Publish("cache/big", std::string(5000, 'x'));
  broker_.Publish("cache/json", "{\"no\": \"uri\"}");
  broker_.Publish("cache/ok", "/cache/ok");
  EXPECT_EQ(Run({}), kExitInterrupted);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["key"], "/cache/ok");
  EXPECT_EQ(broker_.pubacks.size(), 4u) << "a bad message is dropped, not sent again forever";
  std::string log = Log();
  EXPECT_NE(log.find("message on topic cache/junk is not an event"), std::string::npos) << log;
  EXPECT_NE(
      log.find("message on topic cache/big: a payload of 5000 bytes is over the limit of 1024"),
      std::string::npos)
      << log;
  EXPECT_NE(log.find("message on topic cache/json is not an event (no \"uri\""), std::string::npos)
      << log;
}

TEST_F(MqttWatchTest, FiltersApplyToTheEventsKey) {
  broker_.Publish("cache/a", "/cache/a.parquet");
  broker_.Publish("cache/b", "/cache/b.tmp");
  WatchOptions options;
  options.exclude.push_back(*Glob::Parse("*.tmp"));
  EXPECT_EQ(Run(options), kExitInterrupted);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0]["key"], "/cache/a.parquet");
  EXPECT_EQ(broker_.pubacks.size(), 2u);
}

TEST_F(MqttWatchTest, OnceLeavesTheRestUnacknowledgedForTheNextWatcher) {
  broker_.Publish("cache/a", "/cache/a");
  broker_.Publish("cache/b", "/cache/b");
  WatchOptions options;
  options.once = true;
  EXPECT_EQ(Run(options), kExitSuccess);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(broker_.pubacks, (std::vector<uint16_t>{1}));
  ASSERT_EQ(broker_.queue.size(), 1u);
  EXPECT_EQ(broker_.queue[0].topic, "cache/b");
}

TEST_F(MqttWatchTest, AReaderThatWentAwayLeavesTheMessageAtTheBroker) {
  broker_.Publish("cache/a", "/cache/a");
  reader_present_ = false;
  EXPECT_EQ(Run({}), kExitSuccess);
  EXPECT_TRUE(broker_.pubacks.empty());
  EXPECT_EQ(broker_.queue.size(), 1u);
}

TEST_F(MqttWatchTest, WhatTheReaderGotBeforeItWentAwayIsAcknowledged) {
  broker_.Publish("cache/a", "/cache/a");
  broker_.Publish("cache/b", "/cache/b");
  reader_takes_ = 1;
  EXPECT_EQ(Run({}), kExitSuccess);
  EXPECT_EQ(broker_.pubacks, (std::vector<uint16_t>{1}));
  ASSERT_EQ(broker_.queue.size(), 1u);
  EXPECT_EQ(broker_.queue[0].topic, "cache/b");
}

TEST_F(MqttWatchTest, AMessageSentAgainAfterAPubackLostInTransitIsNotWrittenTwice) {
  // The PUBACK's write succeeds, but the broker had closed the connection (a reader that kept
  // the watcher blocked past the keep-alive): the broker sends the message again, DUP set.
  broker_.Publish("cache/a", "/cache/a");
  broker_.lose_next_puback = true;
  EXPECT_EQ(Run({}), kExitInterrupted);
  EXPECT_EQ(events_.size(), 1u) << Log();
  EXPECT_EQ(broker_.connects, 2) << Log();
  EXPECT_EQ(broker_.pubacks, (std::vector<uint16_t>{1}));
}

TEST_F(MqttWatchTest, AFieldOfTheWrongTypeIsNoCrash) {
  broker_.Publish("cache/a", R"({"uri":"file:///a","key":null,"event":"created"})");
  broker_.Publish("cache/b", R"({"uri":"file:///b","key":7})");
  EXPECT_EQ(Run({}), kExitInterrupted);
  EXPECT_EQ(events_.size(), 2u);
  EXPECT_EQ(broker_.pubacks.size(), 2u);
}

TEST_F(MqttWatchTest, TheFirstConnectionSubscribesEvenToASessionTheBrokerKept) {
  // An earlier run's session, with other filters or a subscription cut short: this run's
  // filters are subscribed; a reconnect within the run is not.
  broker_.session_exists = true;
  broker_.Publish("cache/a", "/cache/a");
  broker_.fail_next_puback = true;
  EXPECT_EQ(Run({}), kExitInterrupted);
  EXPECT_EQ(broker_.connects, 2);
  EXPECT_EQ(broker_.subscribes, 1);
}

TEST_F(MqttWatchTest, ASessionThatEndsAsSoonAsItOpensIsRetriedWithBackoff) {
  // Another client taking over the same client id, say.
  broker_.drop_after_connack = 2;
  broker_.Publish("cache/a", "/cache/a");
  EXPECT_EQ(Run({}), kExitInterrupted);
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(clock_.sleeps, (std::vector<std::chrono::milliseconds>{
                               std::chrono::milliseconds(500), std::chrono::milliseconds(1000)}));
}

TEST_F(MqttWatchTest, ARefusedClientIdEndsTheWatch) {
  broker_.connack_code = 2;
  EXPECT_EQ(Run({}), kExitFailure);
  EXPECT_NE(Log().find("rejected the client id"), std::string::npos) << Log();
}

TEST_F(MqttWatchTest, AMessageSentAgainAfterALostPubackIsNotWrittenTwice) {
  broker_.Publish("cache/a", "/cache/a");
  broker_.fail_next_puback = true;
  EXPECT_EQ(Run({}), kExitInterrupted);
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(broker_.connects, 2) << Log();
  EXPECT_EQ(broker_.pubacks, (std::vector<uint16_t>{1})) << "acknowledged on the new connection";
  EXPECT_EQ(broker_.subscribes, 1) << "the resumed session keeps its subscription";
  EXPECT_NE(Log().find("before acknowledging"), std::string::npos) << Log();
}

TEST_F(MqttWatchTest, ABrokerThatIsDownIsRetriedWithBackoff) {
  broker_.refuse_connections = 3;
  broker_.Publish("cache/a", "/cache/a");
  EXPECT_EQ(Run({}), kExitInterrupted);
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(clock_.sleeps, (std::vector<std::chrono::milliseconds>{
                               std::chrono::milliseconds(500), std::chrono::milliseconds(1000),
                               std::chrono::milliseconds(2000)}));
  std::string log = Log();
  EXPECT_NE(log.find("Connection refused; retrying with backoff"), std::string::npos) << log;
  EXPECT_NE(log.find("connected to mqtt://127.0.0.1:1883 again"), std::string::npos) << log;
}

TEST_F(MqttWatchTest, RefusedCredentialsEndTheWatch) {
  broker_.connack_code = 4;
  EXPECT_EQ(Run({}), kExitFailure);
  EXPECT_NE(Log().find("bad user name or password"), std::string::npos) << Log();
}

TEST_F(MqttWatchTest, TimeoutCountsFromTheLastEvent) {
  WatchOptions options;
  options.timeout = std::chrono::milliseconds(1000);
  tick_ = std::chrono::milliseconds(300);
  broker_.Publish("cache/a", "/cache/a");
  EXPECT_EQ(Run(options, 1000), kExitTimeout);
  EXPECT_EQ(events_.size(), 1u);
}

TEST(MqttWatchConfigTest, CredentialsComeFromTheEnvironmentAndTargetsShareOneBroker) {
  MapEnvironment env{{"SLUICE_MQTT_USERNAME", "svc"}, {"SLUICE_MQTT_PASSWORD", "pw"}};
  auto config = MakeMqttWatchConfig({"mqtt://localhost:1884/a/#", "mqtt://localhost:1884/b/+"},
                                    "worker-1", env);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->broker, "localhost:1884");
  EXPECT_EQ(config->filters, (std::vector<std::string>{"a/#", "b/+"}));
  EXPECT_EQ(config->session.client_id, "worker-1");
  EXPECT_FALSE(config->session.clean_session);
  EXPECT_EQ(config->session.username, "svc");
  EXPECT_EQ(config->session.password, "pw");

  auto anonymous = MakeMqttWatchConfig({"mqtt://localhost/a"}, "", MapEnvironment{});
  ASSERT_TRUE(anonymous.ok());
  EXPECT_TRUE(anonymous->session.clean_session);
  EXPECT_TRUE(anonymous->session.client_id.starts_with("sluicewatch"));
  EXPECT_EQ(anonymous->session.client_id.size(), 23u) << "what every MQTT 3.1.1 broker accepts";
  EXPECT_FALSE(anonymous->session.username);

  EXPECT_FALSE(MakeMqttWatchConfig({"mqtt://a/x", "mqtt://b/y"}, "", MapEnvironment{}).ok());
  EXPECT_FALSE(MakeMqttWatchConfig({"mqtt://a/x/#/y"}, "", MapEnvironment{}).ok());
  EXPECT_FALSE(
      MakeMqttWatchConfig({"mqtt://a/x"}, "", MapEnvironment{{"SLUICE_MQTT_PASSWORD", "pw"}}).ok());
}

}  // namespace
}  // namespace sluice
