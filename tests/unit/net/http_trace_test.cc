// The shape of the --verbose HTTP trace: secrets redacted in headers, query and body; streamed
// and binary bodies summarised; long bodies cut; nothing at all when not verbose.
#include "sluice/net/http_trace.h"

#include <gtest/gtest.h>

#include <string>

#include "sluice/util/logging.h"
#include "tests/support/stderr_capture.h"

namespace sluice {
namespace {

using ::sluice::testing::StderrCapture;

class HttpTraceTest : public ::testing::Test {
 protected:
  void TearDown() override { SetVerbose(false); }
};

TEST_F(HttpTraceTest, RequestTraceRedactsHeadersQueryAndBody) {
  SetVerbose(true);
  HttpRequest request;
  request.method = "POST";
  request.endpoint = "https://sts.amazonaws.com";
  request.path = "/";
  request.query = "X-Amz-Signature=abc123";
  request.headers = {{"host", "sts.amazonaws.com"},
                     {"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=sig"},
                     {"X-Amz-Security-Token", "tok"}};
  request.body = "Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJsecret";
  StderrCapture capture;
  TraceRequest(request);
  std::string out = capture.Take();
  EXPECT_EQ(out,
            "> POST https://sts.amazonaws.com/?X-Amz-Signature=<redacted>\n"
            "> host: sts.amazonaws.com\n"
            "> Authorization: <redacted>\n"
            "> X-Amz-Security-Token: <redacted>\n"
            "> Action=AssumeRoleWithWebIdentity&WebIdentityToken=<redacted>\n");
}

TEST_F(HttpTraceTest, StreamedRequestBodyIsSummarised) {
  SetVerbose(true);
  HttpRequest request;
  request.method = "PUT";
  request.endpoint = "http://127.0.0.1:1";
  request.path = "/b/k";
  request.body_source = CallbackBody(
      12345, [](char*, size_t) { return Result<size_t>(0); }, nullptr);
  StderrCapture capture;
  TraceRequest(request);
  EXPECT_EQ(capture.Take(), "> PUT http://127.0.0.1:1/b/k\n> <12345 bytes streamed>\n");
}

TEST_F(HttpTraceTest, ResponseTraceShowsStatusTimeHeadersAndCutBody) {
  SetVerbose(true);
  HttpRequest request;
  HttpResponse response;
  response.status = 200;
  response.headers = {{"Content-Type", "application/json"}, {"Set-Cookie", "session=abc"}};
  response.body = "{\"SecretAccessKey\":\"s\",\"pad\":\"" + std::string(5000, 'x') + "\"}";
  StderrCapture capture;
  TraceResponse(request, response, 0.1234);
  std::string out = capture.Take();
  EXPECT_TRUE(
      out.starts_with("< 200 (0.123 s)\n< Content-Type: application/json\n"
                      "< Set-Cookie: <redacted>\n< {\"SecretAccessKey\":\"<redacted>\""))
      << out;
  EXPECT_NE(out.find("bytes in all)"), std::string::npos);
  EXPECT_LT(out.size(), 2300u);
  EXPECT_EQ(out.back(), '\n');
}

TEST_F(HttpTraceTest, BinaryBodyIsSummarised) {
  SetVerbose(true);
  HttpRequest request;
  HttpResponse response;
  response.status = 200;
  response.body = std::string("\x89PNG\r\n\x1a\n\0\0", 10);
  StderrCapture capture;
  TraceResponse(request, response, 0);
  EXPECT_EQ(capture.Take(), "< 200 (0.000 s)\n< <10 bytes of binary data>\n");
}

TEST_F(HttpTraceTest, NothingWhenQuiet) {
  SetVerbose(false);
  HttpRequest request;
  request.headers = {{"Authorization", "x"}};
  StderrCapture capture;
  TraceRequest(request);
  TraceResponse(request, HttpResponse{200, {}, "x"}, 1);
  EXPECT_EQ(capture.Take(), "");
}

}  // namespace
}  // namespace sluice
