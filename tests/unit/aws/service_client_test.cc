// The call pipeline (sign, send, classify, retry, correct the clock) with a scripted HTTP client
// and a fake clock: no sockets, no real waiting.
#include "sluice/aws/service_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <mutex>

#include "sluice/aws/json_protocol.h"
#include "sluice/util/time_format.h"
#include "tests/support/fake_clock.h"

namespace sluice {
namespace {

class ScriptedHttp : public HttpClient {
 public:
  void Add(Result<HttpResponse> r) { script_.push_back(std::move(r)); }
  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests.push_back(request);
    if (script_.empty()) return HttpResponse{200, {}, "{}"};
    auto r = std::move(script_.front());
    script_.pop_front();
    return r;
  }
  std::vector<HttpRequest> requests;

 private:
  std::mutex mutex_;
  std::deque<Result<HttpResponse>> script_;
};


class ServiceClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<ServiceClient> Client(int max_attempts = 3) {
    ClientOptions options;
    options.region = "eu-west-1";
    options.env = &env_;
    options.clock = &clock_;
    options.http = http_;
    options.credentials = StaticCredentials({"AKIDEXAMPLE", "secret", "", {}, "test"});
    options.retry = std::make_shared<RetryPolicy>(
        RetryOptions{.max_attempts = max_attempts, .base_delay = std::chrono::milliseconds(100),
                     .max_backoff = std::chrono::milliseconds(1000)},
        [] { return 0.99; });
    auto context = MakeClientContext(options, /*make_sts=*/nullptr);
    EXPECT_TRUE(context.ok()) << context.error().ToString();
    auto client = ServiceClient::Make(std::move(context).value(), kEcs);
    EXPECT_TRUE(client.ok());
    return std::move(client).value();
  }
  static HttpResponse Status(int status, std::string body = "", HttpHeaders headers = {}) {
    return HttpResponse{status, std::move(headers), std::move(body)};
  }

  MapEnvironment env_{{"HOME", "/nonexistent"}, {"AWS_CONFIG_FILE", "/nonexistent/c"},
                      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/k"}};
  testing::FakeClock clock_{"2024-03-01T12:00:00Z"};
  std::shared_ptr<ScriptedHttp> http_ = std::make_shared<ScriptedHttp>();
};

TEST_F(ServiceClientTest, SignsAndAddressesTheRequest) {
  auto client = Client();
  auto out = CallJson(*client, kEcsJson, "ListClusters", nlohmann::json::object());
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(http_->requests.size(), 1u);
  const HttpRequest& r = http_->requests[0];
  EXPECT_EQ(r.endpoint, "https://ecs.eu-west-1.amazonaws.com");
  EXPECT_EQ(*FindHeader(r.headers, "host"), "ecs.eu-west-1.amazonaws.com");
  EXPECT_EQ(*FindHeader(r.headers, "x-amz-target"), "AmazonEC2ContainerServiceV20141113.ListClusters");
  EXPECT_EQ(*FindHeader(r.headers, "x-amz-date"), "20240301T120000Z");
  const std::string* auth = FindHeader(r.headers, "authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240301/eu-west-1/ecs/aws4_request", 0), 0u)
      << *auth;
}

TEST_F(ServiceClientTest, RetriesThrottlingAndServerErrorsThenSucceeds) {
  http_->Add(Status(503, "<Error><Code>SlowDown</Code></Error>"));
  http_->Add(Status(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})"));
  http_->Add(Status(200, R"({"clusterArns":[]})"));
  auto client = Client();
  auto out = CallJson(*client, kEcsJson, "ListClusters", {});
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(http_->requests.size(), 3u);
  ASSERT_EQ(clock_.sleeps.size(), 2u);
  EXPECT_LE(clock_.sleeps[0].count(), 100);  // full jitter under base * 2^0
  EXPECT_LE(clock_.sleeps[1].count(), 200);
  // Each attempt carries exactly one signature (re-signing replaces, never appends).
  for (const HttpRequest& r : http_->requests) {
    EXPECT_EQ(std::count_if(r.headers.begin(), r.headers.end(),
                            [](const HttpHeader& h) { return h.name == "Authorization"; }),
              1);
  }
}

TEST_F(ServiceClientTest, NetworkErrorsAreRetried) {
  http_->Add(Error::Network("connection reset by peer"));
  http_->Add(Status(200, "{}"));
  auto out = CallJson(*Client(), kEcsJson, "ListClusters", {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(http_->requests.size(), 2u);
}

TEST_F(ServiceClientTest, GivesUpAfterMaxAttemptsAndSaysSo) {
  for (int i = 0; i < 5; ++i) http_->Add(Status(503, ""));
  auto out = CallJson(*Client(4), kEcsJson, "ListClusters", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(http_->requests.size(), 4u);
  EXPECT_EQ(clock_.sleeps.size(), 3u);
  EXPECT_EQ(out.error().http_status, 503);
  EXPECT_EQ(out.error().ToString(),
            "ecs ListClusters: ServiceUnavailable (HTTP 503): (after 4 attempts)");
}

TEST_F(ServiceClientTest, NonRetryableErrorsFailAtOnce) {
  http_->Add(Status(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})",
                    {{"x-amzn-RequestId", "r-1"}}));
  auto out = CallJson(*Client(), kEcsJson, "DescribeClusters", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(http_->requests.size(), 1u);
  EXPECT_TRUE(clock_.sleeps.empty());
  EXPECT_EQ(out.error().ToString(),
            "ecs DescribeClusters: ClusterNotFoundException (HTTP 400): Cluster not found. "
            "[request id r-1]");
}

TEST_F(ServiceClientTest, HonoursRetryAfter) {
  http_->Add(Status(429, "", {{"Retry-After", "7"}}));
  auto out = CallJson(*Client(), kEcsJson, "ListClusters", {});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(clock_.sleeps.size(), 1u);
  EXPECT_EQ(clock_.sleeps[0].count(), 7000);
  // The retry is signed afresh, with the time of that attempt.
  ASSERT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(*FindHeader(http_->requests[0].headers, "x-amz-date"), "20240301T120000Z");
  EXPECT_EQ(*FindHeader(http_->requests[1].headers, "x-amz-date"), "20240301T120007Z");
}

TEST_F(ServiceClientTest, CorrectsClockSkewFromTheServersDate) {
  // Our clock is an hour behind the server's.
  SystemTime server = clock_.now + std::chrono::hours(1);
  http_->Add(Status(403, R"({"__type":"InvalidSignatureException","message":"Signature expired"})",
                    {{"Date", FormatHttpDate(server)}}));
  auto client = Client();
  auto out = CallJson(*client, kEcsJson, "ListClusters", {});
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(*FindHeader(http_->requests[1].headers, "x-amz-date"), "20240301T130000Z");
  // Later calls keep the correction.
  ASSERT_TRUE(CallJson(*client, kEcsJson, "ListClusters", {}).ok());
  EXPECT_EQ(*FindHeader(http_->requests[2].headers, "x-amz-date"), "20240301T130000Z");
}

TEST_F(ServiceClientTest, ASignatureErrorWithoutSkewIsNotRetriedAndNamesTheFix) {
  http_->Add(Status(403, R"({"__type":"InvalidSignatureException","message":"bad signature"})",
                    {{"Date", FormatHttpDate(clock_.now)}}));
  auto out = CallJson(*Client(), kEcsJson, "ListClusters", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(http_->requests.size(), 1u);
  EXPECT_NE(out.error().message.find("check the secret access key of the credentials from test"),
            std::string::npos)
      << out.error().message;
}

TEST_F(ServiceClientTest, ABodylessForbiddenHeadSaysWhichPermissionsToCheck) {
  http_->Add(Status(403, ""));
  HttpRequest request;
  request.method = "HEAD";
  auto out = Client()->Call("HeadObject", request);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "Forbidden");
  EXPECT_NE(out.error().message.find("a HEAD response gives no reason: check that the credentials from test"),
            std::string::npos)
      << out.error().ToString();
}

TEST_F(ServiceClientTest, CredentialErrorsStopTheCall) {
  ClientOptions options;
  options.region = "eu-west-1";
  options.env = &env_;
  options.clock = &clock_;
  options.http = http_;
  options.credentials = StaticCredentials({});
  auto context = MakeClientContext(options, /*make_sts=*/nullptr);
  ASSERT_TRUE(context.ok());
  auto client = ServiceClient::Make(*context, kEcs);
  ASSERT_TRUE(client.ok());
  auto out = CallJson(**client, kEcsJson, "ListClusters", {});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(http_->requests.empty());
}

}  // namespace
}  // namespace sluice
