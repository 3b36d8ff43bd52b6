#include "sluice/mqtt/mqtt_uri.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(MqttUriTest, HostPortAndTopicWithWildcards) {
  auto uri = ParseMqttUri("mqtt://localhost/cache/#");
  ASSERT_TRUE(uri.ok());
  EXPECT_FALSE(uri->tls);
  EXPECT_EQ(uri->host, "localhost");
  EXPECT_EQ(uri->port, 1883);
  EXPECT_EQ(uri->topic, "cache/#");
  EXPECT_EQ(uri->Broker(), "localhost:1883");

  auto tls = ParseMqttUri("mqtts://broker.example.com:9883/uploads/+/done");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 9883);
  EXPECT_EQ(tls->topic, "uploads/+/done");
  EXPECT_EQ(ParseMqttUri("mqtts://h/t")->port, 8883);

  auto v6 = ParseMqttUri("mqtt://[::1]:1884/a");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->Broker(), "[::1]:1884");
  // A topic may start with a slash: the first one after the host separates them.
  EXPECT_EQ(ParseMqttUri("mqtt://h//lead")->topic, "/lead");
}

TEST(MqttUriTest, ErrorsSayWhatToDo) {
  auto creds = ParseMqttUri("mqtt://user:secret@localhost/t");
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message.find("SLUICE_MQTT_PASSWORD"), std::string::npos);
  EXPECT_EQ(creds.error().message.find("secret"), std::string::npos) << "a secret is never echoed";
  auto no_topic = ParseMqttUri("mqtt://localhost");
  ASSERT_FALSE(no_topic.ok());
  EXPECT_NE(no_topic.error().message.find("no topic"), std::string::npos);
  EXPECT_FALSE(ParseMqttUri("mqtt://localhost/").ok());
  EXPECT_FALSE(ParseMqttUri("mqtt://localhost:0/t").ok());
  EXPECT_FALSE(ParseMqttUri("mqtt://localhost:99999/t").ok());
  EXPECT_FALSE(ParseMqttUri("mqtt://localhost:x/t").ok());
  EXPECT_FALSE(ParseMqttUri("mqtt://:1883/t").ok());
  EXPECT_FALSE(ParseMqttUri("mqtt://[::1/t").ok());
  EXPECT_FALSE(ParseMqttUri("http://localhost/t").ok());
}

TEST(MqttUriTest, TopicFilterRules) {
  for (const char* good : {"a", "a/b", "#", "a/#", "+", "+/b/+", "a//b", "/"}) {
    EXPECT_TRUE(CheckTopicFilter(good).ok()) << good;
  }
  for (const char* bad : {"", "a#", "a/#/b", "#/a", "a+", "a/b+/c"}) {
    EXPECT_FALSE(CheckTopicFilter(bad).ok()) << bad;
  }
  EXPECT_TRUE(CheckTopicName("artifacts/a.parquet").ok());
  EXPECT_FALSE(CheckTopicName("artifacts/#").ok());
  EXPECT_FALSE(CheckTopicName("a/+/b").ok());
  EXPECT_FALSE(CheckTopicName(std::string("a\0b", 3)).ok());
}

}  // namespace
}  // namespace sluice
