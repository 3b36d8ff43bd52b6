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

TEST(SplitFunctionQualifierTest, SplitsANameButNotAnArn) {
  EXPECT_EQ(SplitFunctionQualifier("thumbs"), (std::pair<std::string, std::string>{"thumbs", ""}));
  EXPECT_EQ(SplitFunctionQualifier("thumbs:live"),
            (std::pair<std::string, std::string>{"thumbs", "live"}));
  std::string arn = "arn:aws:lambda:eu-west-1:123456789012:function:thumbs:3";
  EXPECT_EQ(SplitFunctionQualifier(arn), (std::pair<std::string, std::string>{arn, ""}));
}

}  // namespace
}  // namespace sluice
