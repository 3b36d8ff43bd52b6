#include "sluice/mqtt/mqtt_packet.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(MqttPacketTest, ConnectIsMqtt311WithTheFlagsOfItsFields) {
  MqttConnect connect;
  connect.client_id = "w1";
  connect.clean_session = false;
  connect.keep_alive_seconds = 60;
  connect.username = "u";
  connect.password = "p";
  EXPECT_EQ(EncodeConnect(connect), Bytes({0x10, 20, 0, 4,   'M', 'Q', 'T', 'T', 4, 0xc0, 0,
                                           60,   0,  2, 'w', '1', 0,   1,   'u', 0, 1,    'p'}));
  connect.clean_session = true;
  connect.username.reset();
  connect.password.reset();
  EXPECT_EQ(EncodeConnect(connect),
            Bytes({0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 2, 'w', '1'}));
}

TEST(MqttPacketTest, SubscribePubackPingAndDisconnect) {
  EXPECT_EQ(EncodeSubscribe(7, "a/#", 1), Bytes({0x82, 8, 0, 7, 0, 3, 'a', '/', '#', 1}));
  EXPECT_EQ(EncodePuback(0x1234), Bytes({0x40, 2, 0x12, 0x34}));
  EXPECT_EQ(EncodePingreq(), Bytes({0xc0, 0}));
  EXPECT_EQ(EncodeDisconnect(), Bytes({0xe0, 0}));
}

TEST(MqttPacketTest, RemainingLengthsAtEachBoundaryRoundTrip) {
  for (size_t payload : {0u, 120u, 121u, 122u, 16370u, 16380u, 16400u, 2'100'000u}) {
    std::string bytes = EncodePublish(9, "t/x", std::string(payload, 'p'), 1, true, true);
    MqttPacketReader reader(4'000'000);
    reader.Feed(bytes);
    auto packet = reader.Next();
    ASSERT_TRUE(packet.ok() && *packet) << payload;
    auto publish = ParsePublish(**packet);
    ASSERT_TRUE(publish.ok()) << publish.error().message;
    EXPECT_EQ(publish->topic, "t/x");
    EXPECT_EQ(publish->packet_id, 9);
    EXPECT_EQ(publish->qos, 1);
    EXPECT_TRUE(publish->retain);
    EXPECT_TRUE(publish->dup);
    EXPECT_EQ(publish->payload.size(), payload);
    EXPECT_EQ(publish->payload_length, payload);
  }
}

TEST(MqttPacketTest, QosZeroHasNoPacketIdAndNoDupFlag) {
  std::string bytes = EncodePublish(9, "t", "hi", 0, false, true);
  EXPECT_EQ(bytes, Bytes({0x30, 5, 0, 1, 't', 'h', 'i'}));
}

TEST(MqttPacketTest, TheReaderWaitsForWholePacketsFedOneByteAtATime) {
  std::string stream =
      EncodePuback(1) + EncodePublish(2, "a", "xyz", 1, false, false) + Bytes({0xd0, 0});
  MqttPacketReader reader(1024);
  std::vector<MqttPacketType> types;
  for (char c : stream) {
    reader.Feed(std::string(1, c));
    while (true) {
      auto packet = reader.Next();
      ASSERT_TRUE(packet.ok());
      if (!*packet) break;
      types.push_back((*packet)->type);
    }
  }
  EXPECT_EQ(types, (std::vector<MqttPacketType>{MqttPacketType::kPuback, MqttPacketType::kPublish,
                                                MqttPacketType::kPingresp}));
}

TEST(MqttPacketTest, AnOversizedPublishKeepsItsTopicAndIdAndDropsTheRest) {
  std::string big = EncodePublish(5, "up/big", std::string(100'000, 'x'), 1, false, false);
  std::string next = EncodePublish(6, "up/small", "ok", 1, false, false);
  MqttPacketReader reader(1000);
  // In pieces, as a socket delivers it.
  std::string stream = big + next;
  std::vector<MqttPublish> got;
  for (size_t at = 0; at < stream.size(); at += 4096) {
    reader.Feed(std::string_view(stream).substr(at, 4096));
    while (true) {
      auto packet = reader.Next();
      ASSERT_TRUE(packet.ok());
      if (!*packet) break;
      auto publish = ParsePublish(**packet);
      ASSERT_TRUE(publish.ok());
      got.push_back(*publish);
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].truncated);
  EXPECT_EQ(got[0].topic, "up/big");
  EXPECT_EQ(got[0].packet_id, 5);
  EXPECT_EQ(got[0].payload_length, 100'000u);
  EXPECT_TRUE(got[0].payload.empty());
  EXPECT_FALSE(got[1].truncated);
  EXPECT_EQ(got[1].payload, "ok");
}

TEST(MqttPacketTest, NotMqttIsAnError) {
  MqttPacketReader reader(1024);
  reader.Feed(Bytes({0x30, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_FALSE(reader.Next().ok());
  MqttPacketReader reserved(1024);
  reserved.Feed(Bytes({0xf0, 0}));
  EXPECT_FALSE(reserved.Next().ok());
  MqttPacket truncated_topic{MqttPacketType::kPublish, 2, Bytes({0, 9, 'a'}), false, 3};
  EXPECT_FALSE(ParsePublish(truncated_topic).ok());
  MqttPacket qos3{MqttPacketType::kPublish, 6, Bytes({0, 1, 'a', 0, 1}), false, 5};
  EXPECT_FALSE(ParsePublish(qos3).ok());
}

TEST(MqttPacketTest, ConnackAndSuback) {
  auto ok = ParseConnack({MqttPacketType::kConnack, 0, Bytes({1, 0}), false, 2});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->session_present);
  EXPECT_EQ(ok->return_code, 0);
  auto refused = ParseConnack({MqttPacketType::kConnack, 0, Bytes({0, 5}), false, 2});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->return_code, 5);
  EXPECT_NE(ConnackRefusal(5).find("SLUICE_MQTT_USERNAME"), std::string::npos);
  EXPECT_FALSE(ParseConnack({MqttPacketType::kSuback, 0, Bytes({0, 0}), false, 2}).ok());
  auto suback = ParseSuback({MqttPacketType::kSuback, 0, Bytes({0, 7, 1, 0x80}), false, 4});
  ASSERT_TRUE(suback.ok());
  EXPECT_EQ(suback->packet_id, 7);
  EXPECT_EQ(suback->return_codes, (std::vector<uint8_t>{1, 0x80}));
}

}  // namespace
}  // namespace sluice
