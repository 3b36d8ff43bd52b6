#include "sluice/aws/aws_error_parser.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

HttpResponse Response(int status, std::string body, HttpHeaders headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

TEST(AwsErrorParserTest, JsonProtocolErrors) {
  Error e = ParseErrorResponse(
      Response(400,
               R"({"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."})",
               {{"x-amzn-RequestId", "req-1"}}),
      "ecs", "DescribeServices");
  EXPECT_EQ(e.code, "ClusterNotFoundException");
  EXPECT_EQ(e.message, "Cluster not found.");
  EXPECT_EQ(e.request_id, "req-1");
  EXPECT_EQ(e.ToString(),
            "ecs DescribeServices: ClusterNotFoundException (HTTP 400): Cluster not found. "
            "[request id req-1]");
  Error sqs = ParseErrorResponse(
      Response(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","Message":"gone"})"), "sqs",
      "GetQueueUrl");
  EXPECT_EQ(sqs.code, "QueueDoesNotExist");
  EXPECT_EQ(sqs.message, "gone");
}

TEST(AwsErrorParserTest, RestXmlErrors) {
  Error e = ParseErrorResponse(
      Response(404,
               "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified "
               "bucket does not exist</Message><RequestId>ABC</RequestId></Error>"),
      "s3", "ListObjectsV2");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.request_id, "ABC");
  EXPECT_EQ(e.http_status, 404);
}

TEST(AwsErrorParserTest, QueryErrors) {
  Error e = ParseErrorResponse(
      Response(403,
               "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
               "<Message>The request signature we calculated does not match</Message></Error>"
               "<RequestId>r-9</RequestId></ErrorResponse>"),
      "sts", "GetCallerIdentity");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.request_id, "r-9");
}

TEST(AwsErrorParserTest, BodylessResponsesGetACodeFromTheStatus) {
  EXPECT_EQ(ParseErrorResponse(Response(404, ""), "s3", "HeadObject").code, "NotFound");
  EXPECT_EQ(ParseErrorResponse(Response(403, ""), "s3", "HeadObject").code, "Forbidden");
  EXPECT_EQ(ParseErrorResponse(Response(503, ""), "s3", "HeadObject").code, "ServiceUnavailable");
  Error typed = ParseErrorResponse(
      Response(400, "", {{"X-Amzn-ErrorType", "ThrottlingException:http://internal"}}), "logs",
      "GetLogEvents");
  EXPECT_EQ(typed.code, "ThrottlingException");
}

TEST(AwsErrorParserTest, GarbageBodiesDoNotCrashAndMessagesStayOneLine) {
  Error e = ParseErrorResponse(Response(502, "Bad gateway\nfrom proxy\n"), "ecs", "RunTask");
  EXPECT_EQ(e.code, "BadGateway");
  EXPECT_EQ(e.ToString().find('\n'), std::string::npos);
  ParseErrorResponse(Response(500, "{not json"), "ecs", "RunTask");
  ParseErrorResponse(Response(500, "<unclosed"), "s3", "GetObject");
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(AwsErrorParserTest, QueryErrorsWrappedInErrors) {
  HttpResponse response{403, {}, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors>"
                                 "<Error><Code>SignatureDoesNotMatch</Code><Message>bad "
                                 "signature</Message><Type>Sender</Type></Error></Errors>"
                                 "</ErrorResponse>"};
  Error e = ParseErrorResponse(response, "sts", "GetCallerIdentity");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "bad signature");
}

}  // namespace
}  // namespace sluice
