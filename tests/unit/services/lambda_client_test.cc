// LambdaClient with a recording fake HTTP client: the Invoke request (path with the function
// encoded once, qualifier, invocation type, payload), how it reads a function's error apart from
// a failed call, and NAME:QUALIFIER splitting.
#include "sluice/services/lambda_client.h"

#include <gtest/gtest.h>

#include "sluice/services/default_client_context.h"
#include "tests/support/fake_http_client.h"

namespace sluice {
namespace {

using ::sluice::testing::FakeHttpClient;

class LambdaClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<LambdaClient> Client() {
    ClientOptions options;
    options.region = "eu-west-1";
    options.env = &env_;
    options.http = http_;
    options.credentials = StaticCredentials({"AKIDEXAMPLE", "secret", "", {}, "test"});
    options.retry = std::make_shared<RetryPolicy>(RetryOptions{.max_attempts = 1},
                                                  [] { return 0.0; });
    auto context = MakeClientContext(options);
    EXPECT_TRUE(context.ok()) << context.error().ToString();
    auto client = LambdaClient::Make(std::move(context).value());
    EXPECT_TRUE(client.ok()) << client.error().ToString();
    return std::move(client).value();
  }

  MapEnvironment env_{{"HOME", "/nonexistent"}, {"AWS_CONFIG_FILE", "/nonexistent/c"},
                      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/k"}};
  std::shared_ptr<FakeHttpClient> http_ = std::make_shared<FakeHttpClient>();
};

TEST_F(LambdaClientTest, InvokeSendsThePayloadToTheFunctionsInvocations) {
  http_->Enqueue(200, R"({"ok":true})", {{"X-Amz-Executed-Version", "7"}});
  InvokeRequest request;
  request.function = "arn:aws:lambda:eu-west-1:123456789012:function:thumbs";
  request.qualifier = "live";
  request.payload = R"({"key":"a.jpg"})";
  request.answer_within = std::chrono::seconds(960);  // a 15-minute function, and a minute
  auto result = Client()->Invoke(request);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->payload, R"({"ok":true})");
  EXPECT_EQ(result->executed_version, "7");
  EXPECT_TRUE(result->function_error.empty());
  HttpRequest sent = http_->last_request();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.endpoint, "https://lambda.eu-west-1.amazonaws.com");
  EXPECT_EQ(sent.path,
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Athumbs/"
            "invocations");
  EXPECT_EQ(sent.query, "Qualifier=live");
  EXPECT_EQ(*FindHeader(sent.headers, "x-amz-invocation-type"), "RequestResponse");
  EXPECT_EQ(sent.body, R"({"key":"a.jpg"})");
  EXPECT_EQ(sent.idle_timeout, std::chrono::seconds(960));
  EXPECT_NE(FindHeader(sent.headers, "authorization")->find("/eu-west-1/lambda/aws4_request"),
            std::string::npos);
}

TEST_F(LambdaClientTest, AFunctionErrorIsAResultAndAFailedCallIsAnError) {
  http_->Enqueue(200, R"({"errorType":"ValueError","errorMessage":"no"})",
                 {{"X-Amz-Function-Error", "Unhandled"}});
  auto failed = Client()->Invoke({"thumbs", "", "{}"});
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->function_error, "Unhandled");

  http_->Enqueue(404, R"({"Type":"User","message":"Function not found: thumbs"})",
                 {{"x-amzn-ErrorType", "ResourceNotFoundException"}});
  auto missing = Client()->Invoke({"thumbs", "", "{}"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
  EXPECT_EQ(missing.error().message, "Function not found: thumbs");
}

TEST_F(LambdaClientTest, TheDeployCallsSendWhatBotocoreSends) {
  auto client = Client();
  http_->Enqueue(200, R"({"FunctionName":"fn","LastUpdateStatus":"InProgress","RevisionId":"r2"})");
  auto updated = client->UpdateFunctionImage("fn", "1.dkr.ecr.eu-west-1.amazonaws.com/fn@sha256:ab", "r1");
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  EXPECT_EQ(updated->last_update_status, "InProgress");
  HttpRequest sent = http_->last_request();
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.path, "/2015-03-31/functions/fn/code");
  EXPECT_EQ(nlohmann::json::parse(sent.body),
            (nlohmann::json{{"ImageUri", "1.dkr.ecr.eu-west-1.amazonaws.com/fn@sha256:ab"}, {"RevisionId", "r1"}}));

  http_->Enqueue(201, R"({"FunctionName":"fn","Version":"4"})");
  auto published = client->PublishVersion("fn", "c0ffee");
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->version, "4");
  EXPECT_EQ(http_->last_request().path, "/2015-03-31/functions/fn/versions");
  EXPECT_EQ(nlohmann::json::parse(http_->last_request().body), (nlohmann::json{{"CodeSha256", "c0ffee"}}));

  http_->Enqueue(200, R"({"Name":"live","FunctionVersion":"4","RevisionId":"a1"})");
  auto alias = client->UpdateAlias("fn", "live", "4");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(http_->last_request().method, "PUT");
  EXPECT_EQ(http_->last_request().path, "/2015-03-31/functions/fn/aliases/live");

  http_->Enqueue(200, R"({"Versions":[{"FunctionName":"fn","Version":"$LATEST"}],"NextMarker":"m2"})");
  http_->Enqueue(200, R"({"Versions":[{"FunctionName":"fn","Version":"1"}]})");
  auto versions = client->ListVersions("fn");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 2u);
  EXPECT_EQ(http_->last_request().query, "Marker=m2");

  http_->Enqueue(204, "");
  ASSERT_TRUE(client->DeleteVersion("fn", "1").ok());
  EXPECT_EQ(http_->last_request().method, "DELETE");
  EXPECT_EQ(http_->last_request().query, "Qualifier=1");
}

TEST(ParseLambdaFunctionConfigTest, ReadsWhatADeployNeedsAndRefusesNonsense) {
  auto c = ParseLambdaFunctionConfig(nlohmann::json::parse(R"({
      "FunctionName": "fn", "FunctionArn": "arn:aws:lambda:eu-west-1:1:function:fn", "Version": "$LATEST",
      "State": "Active", "LastUpdateStatus": "Failed", "LastUpdateStatusReason": "image not found",
      "LastUpdateStatusReasonCode": "ImageAccessDenied", "CodeSha256": "abc", "RevisionId": "r",
      "PackageType": "Image", "Timeout": 900, "Environment": {"Variables": {"B": "2", "A": "1"}}})"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->last_update_status, "Failed");
  EXPECT_EQ(c->last_update_status_reason_code, "ImageAccessDenied");
  EXPECT_EQ(c->timeout_seconds, 900);
  EXPECT_EQ(c->environment, (std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "2"}}));
  EXPECT_FALSE(ParseLambdaFunctionConfig(nlohmann::json::array()).ok());
  EXPECT_FALSE(ParseLambdaFunctionConfig(nlohmann::json{{"Version", "1"}}).ok());
}

TEST(SplitFunctionQualifierTest, SplitsANameButNotAnArn) {
  EXPECT_EQ(SplitFunctionQualifier("thumbs"), (std::pair<std::string, std::string>{"thumbs", ""}));
  EXPECT_EQ(SplitFunctionQualifier("thumbs:live"),
            (std::pair<std::string, std::string>{"thumbs", "live"}));
  std::string arn = "arn:aws:lambda:eu-west-1:123456789012:function:thumbs:3";
  EXPECT_EQ(SplitFunctionQualifier(arn), (std::pair<std::string, std::string>{arn, ""}));
}

}  // namespace
}  // namespace sluice
