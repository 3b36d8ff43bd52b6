// The standard retry mode end to end: the real libcurl client against a loopback server that
// fails N times (503 SlowDown, 400 ThrottlingException, a TCP reset, a close without answer)
// and then answers. Sleeping goes through a fake clock, so the test waits for nothing but the
// sockets, and the delays the policy chose are checked against their bounds.
#include <gtest/gtest.h>

#include "sluice/aws/json_protocol.h"
#include "sluice/aws/service_client.h"
#include "sluice/services/default_client_context.h"
#include "sluice/services/s3_client.h"
#include "sluice/util/time_format.h"
#include "tests/support/fake_clock.h"
#include "tests/support/loopback_http_server.h"

namespace sluice {
namespace {

using testing::LoopbackHttpServer;
using testing::ScriptedResponse;


class RetryLoopbackTest : public ::testing::Test {
 protected:
  std::shared_ptr<const ClientContext> Context(const std::string& endpoint, int max_attempts = 3) {
    ClientOptions options;
    options.region = "us-east-1";
    options.endpoint_url = endpoint;
    options.env = &env_;
    options.clock = &clock_;
    options.http = MakeCurlHttpClient({.connect_timeout = std::chrono::seconds(2),
                                       .idle_timeout = std::chrono::seconds(5)});
    options.credentials = StaticCredentials({"AKIDEXAMPLE", "secret", "", {}, "test"});
    options.retry = std::make_shared<RetryPolicy>(
        RetryOptions{.max_attempts = max_attempts, .base_delay = std::chrono::milliseconds(100),
                     .max_backoff = std::chrono::milliseconds(20000)});
    auto context = MakeClientContext(options);
    EXPECT_TRUE(context.ok()) << context.error().ToString();
    return std::move(context).value();
  }

  Result<nlohmann::json> ListClusters(const std::shared_ptr<const ClientContext>& context) {
    auto client = ServiceClient::Make(context, kEcs);
    if (!client.ok()) return client.error();
    return CallJson(**client, kEcsJson, "ListClusters", nlohmann::json::object());
  }

  // Full jitter: each delay is at most base * 2^(attempt-1).
  void ExpectJitteredBackoff() {
    for (size_t i = 0; i < clock_.sleeps.size(); ++i) {
      EXPECT_LE(clock_.sleeps[i].count(), 100 << i) << "delay " << i;
      EXPECT_GE(clock_.sleeps[i].count(), 0);
    }
  }

  MapEnvironment env_{{"HOME", "/nonexistent"}, {"AWS_CONFIG_FILE", "/nonexistent/c"},
                      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/k"}};
  testing::FakeClock clock_{"2026-11-23T10:00:00Z"};
};

ScriptedResponse Ok() { return {.status = 200, .body = R"({"clusterArns":["arn:c"]})"}; }

// --endpoint-url http://host:port/some/prefix: requests go, and are signed, under the prefix
// (S3-compatible gateways and API proxies mounted under a path). Before the fix it was dropped.
TEST_F(RetryLoopbackTest, AnEndpointsPathPrefixIsKeptAndSigned) {
  LoopbackHttpServer server(testing::Script({Ok()}));
  auto out = ListClusters(Context(server.endpoint() + "/gateway/ecs/"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].path, "/gateway/ecs/");
  // The same path through the S3 client, path-style.
  LoopbackHttpServer s3(testing::Script({{.status = 200, .body = "hello"}}));
  auto context = Context(s3.endpoint() + "/storage");
  auto client = S3Client::Make(context);
  ASSERT_TRUE(client.ok());
  auto got = (*client)->GetObject("bucket", "dir/key.txt");
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(s3.requests().at(0).path, "/storage/bucket/dir/key.txt");
}

TEST_F(RetryLoopbackTest, ServerErrorsAndThrottlingAreRetriedUntilSuccess) {
  LoopbackHttpServer server(testing::Script({
      {.status = 503, .body = "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>"},
      {.status = 400, .body = R"({"__type":"ThrottlingException","message":"Rate exceeded"})"},
      Ok(),
  }));
  auto out = ListClusters(Context(server.endpoint()));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ((*out)["clusterArns"][0], "arn:c");
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(clock_.sleeps.size(), 2u);
  ExpectJitteredBackoff();
}

TEST_F(RetryLoopbackTest, ConnectionResetAndCloseAreRetried) {
  LoopbackHttpServer server(testing::Script({
      {.action = ScriptedResponse::kResetConnection},
      {.action = ScriptedResponse::kCloseWithoutResponse},
      Ok(),
  }));
  auto out = ListClusters(Context(server.endpoint()));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(server.request_count(), 3u);
  ExpectJitteredBackoff();
}

TEST_F(RetryLoopbackTest, AttemptsAreBoundedByMaxAttempts) {
  LoopbackHttpServer server(testing::Script({{.status = 500, .body = "{}"}}));
  auto out = ListClusters(Context(server.endpoint(), /*max_attempts=*/5));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(server.request_count(), 5u);
  EXPECT_EQ(clock_.sleeps.size(), 4u);
  ExpectJitteredBackoff();
  EXPECT_NE(out.error().ToString().find("(after 5 attempts)"), std::string::npos)
      << out.error().ToString();
}

TEST_F(RetryLoopbackTest, NonRetryableClientErrorIsNotRetried) {
  LoopbackHttpServer server(testing::Script({
      {.status = 400,
       .headers = {{"x-amzn-RequestId", "req-9"}},
       .body = R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})"},
      Ok(),
  }));
  auto out = ListClusters(Context(server.endpoint()));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_TRUE(clock_.sleeps.empty());
  EXPECT_EQ(out.error().ToString(),
            "ecs ListClusters: ClusterNotFoundException (HTTP 400): Cluster not found. "
            "[request id req-9]");
}

TEST_F(RetryLoopbackTest, RetryAfterIsHonoured) {
  LoopbackHttpServer server(testing::Script({
      {.status = 429, .headers = {{"Retry-After", "3"}}},
      Ok(),
  }));
  auto out = ListClusters(Context(server.endpoint()));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(clock_.sleeps.size(), 1u);
  EXPECT_EQ(clock_.sleeps[0].count(), 3000);
}

TEST_F(RetryLoopbackTest, RetriedS3UploadSendsTheWholeBodyAgain) {
  LoopbackHttpServer server(testing::Script({
      {.status = 503, .body = "<Error><Code>SlowDown</Code></Error>"},
      {.status = 200, .headers = {{"ETag", "\"abc\""}}},
  }));
  auto s3 = S3Client::Make(Context(server.endpoint()));
  ASSERT_TRUE(s3.ok());
  std::string body(100000, 'x');
  auto put = (*s3)->PutObject("bucket", "key.csv", body);
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  EXPECT_EQ(put->etag, "abc");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, body);
  EXPECT_EQ(requests[1].body, body);
}

}  // namespace
}  // namespace sluice
