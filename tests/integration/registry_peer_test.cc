// The docker-registry peer the push tests build on: it starts on a free loopback port, demands
// Basic auth when configured, and answers the OCI distribution API's version check.
#include <gtest/gtest.h>

#include "sluice/net/http.h"
#include "sluice/util/crypto.h"
#include "tests/peers/peers.h"

namespace sluice {
namespace {

using testing::RegistryServer;

TEST(RegistryPeerTest, AnswersTheApiVersionCheckWithAndWithoutAuth) {
  auto registry = RegistryServer::Start({.username = "AWS", .password = "token-123"});
  ASSERT_NE(registry, nullptr);
  auto http = MakeCurlHttpClient({});

  HttpRequest request;
  request.endpoint = registry->endpoint();
  request.path = "/v2/";
  request.headers.push_back({"host", registry->host()});
  auto anonymous = http->Send(request);
  ASSERT_TRUE(anonymous.ok()) << anonymous.error().ToString();
  EXPECT_EQ(anonymous->status, 401);
  const std::string* challenge = anonymous->Header("www-authenticate");
  ASSERT_NE(challenge, nullptr);
  EXPECT_EQ(challenge->rfind("Basic", 0), 0u) << *challenge;

  request.headers.push_back({"authorization", "Basic " + Base64Encode("AWS:token-123")});
  auto authorized = http->Send(request);
  ASSERT_TRUE(authorized.ok()) << authorized.error().ToString();
  EXPECT_EQ(authorized->status, 200);
  const std::string* version = authorized->Header("docker-distribution-api-version");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(*version, "registry/2.0");
}

}  // namespace
}  // namespace sluice
