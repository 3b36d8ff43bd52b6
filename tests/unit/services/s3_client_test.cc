#include "sluice/services/s3_client.h"

#include <gtest/gtest.h>

#include "sluice/services/default_client_context.h"
#include "sluice/util/time_format.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/stderr_capture.h"

namespace sluice {
namespace {

ResolvedEndpoint Aws(std::string region) {
  ResolvedEndpoint e;
  e.url.scheme = "https";
  e.url.host = "s3." + region + ".amazonaws.com";
  e.url.path = "/";
  e.signing_region = region;
  return e;
}

ResolvedEndpoint Custom() {
  ResolvedEndpoint e;
  e.url.scheme = "http";
  e.url.host = "127.0.0.1";
  e.url.port = 5000;
  e.url.path = "/";
  e.custom = true;
  return e;
}

TEST(S3AddressTest, VirtualHostedOnAws) {
  S3Address a = AddressS3(Aws("eu-west-1"), "my-bucket", "dir/a b+c.csv", false);
  EXPECT_EQ(a.endpoint, "https://my-bucket.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(a.path, "/dir/a%20b%2Bc.csv");
}

// An S3-compatible gateway mounted under a path: before the fix the prefix was dropped.
TEST(S3AddressTest, ACustomEndpointsPathPrefixIsKept) {
  ResolvedEndpoint gateway = Custom();
  gateway.url.path = "/gateway/s3/";
  S3Address a = AddressS3(gateway, "b", "k/x y", false);
  EXPECT_EQ(a.endpoint, "http://127.0.0.1:5000");
  EXPECT_EQ(a.path, "/gateway/s3/b/k/x%20y");
  EXPECT_EQ(AddressS3(gateway, "b", "", false).path, "/gateway/s3/b");
}

TEST(S3AddressTest, PathStyleForCustomEndpointsDotsAndWhenForced) {
  EXPECT_EQ(AddressS3(Custom(), "b", "k/x", false).endpoint, "http://127.0.0.1:5000");
  EXPECT_EQ(AddressS3(Custom(), "b", "k/x", false).path, "/b/k/x");
  S3Address dotted = AddressS3(Aws("us-east-1"), "my.bucket", "k", false);
  EXPECT_EQ(dotted.endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(dotted.path, "/my.bucket/k");
  EXPECT_EQ(AddressS3(Aws("us-east-1"), "bucket", "k", true).path, "/bucket/k");
  EXPECT_EQ(AddressS3(Custom(), "bucket", "", false).path, "/bucket");
  EXPECT_EQ(AddressS3(Aws("us-east-1"), "bucket", "", false).path, "/");
}

TEST(S3AddressTest, KeysAreEncodedOnceAndNeverNormalised) {
  EXPECT_EQ(AddressS3(Custom(), "b", "a//b/../c", false).path, "/b/a//b/../c");
  EXPECT_EQ(AddressS3(Custom(), "b", "\xE1\x88\xB4~*=", false).path, "/b/%E1%88%B4~%2A%3D");
}

TEST(ListObjectsV2Test, ParsesPagesAndDecodesUrlEncodedKeys) {
  auto page = ParseListObjectsV2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>up</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
  <NextContinuationToken>tok+1/=</NextContinuationToken>
  <Contents><Key>up/a+b%2Bc.csv</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified>
    <ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>up/%E1%88%B4</Key><LastModified>2024-05-01T10:00:01Z</LastModified>
    <ETag>"def-2"</ETag><Size>0</Size></Contents>
</ListBucketResult>)");
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "up/a b+c.csv");
  EXPECT_EQ(page->objects[0].etag, "abc");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(FormatIso8601(page->objects[0].last_modified), "2024-05-01T10:00:00Z");
  EXPECT_EQ(page->objects[1].key, "up/\xE1\x88\xB4");
  EXPECT_EQ(page->objects[1].etag, "def-2");
  EXPECT_EQ(page->next_continuation_token, "tok+1/=");
}

TEST(ListObjectsV2Test, RejectsBrokenResponses) {
  EXPECT_FALSE(ParseListObjectsV2("not xml").ok());
  EXPECT_FALSE(ParseListObjectsV2("<Other/>").ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
          .ok());
  auto last = ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->next_continuation_token.empty());
}

// S3Client against a recording fake: what real S3 answers a request for a bucket in another
// region, and a HEAD that fails without a body.
class S3ClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<S3Client> Client() {
    ClientOptions options;
    options.region = "us-east-1";
    options.env = &env_;
    options.http = http_;
    options.credentials = StaticCredentials({"AKIDEXAMPLE", "secret", "", {}, "test"});
    options.retry = std::make_shared<RetryPolicy>(RetryOptions{.max_attempts = 1}, [] { return 0.0; });
    auto context = MakeClientContext(options);
    EXPECT_TRUE(context.ok()) << context.error().ToString();
    auto client = S3Client::Make(std::move(context).value());
    EXPECT_TRUE(client.ok()) << client.error().ToString();
    return std::move(client).value();
  }
  static std::string ScopeOf(const HttpRequest& request) {
    const std::string* auth = FindHeader(request.headers, "authorization");
    if (auth == nullptr) return "";
    size_t at = auth->find("Credential=");
    return auth->substr(at, auth->find(',', at) - at);
  }
  static std::string S3Error(const std::string& code, const std::string& message,
                             const std::string& extra = "") {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
           message + "</Message>" + extra + "<RequestId>R1</RequestId></Error>";
  }

  MapEnvironment env_{{"HOME", "/nonexistent"}, {"AWS_CONFIG_FILE", "/nonexistent/c"},
                      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/k"}};
  std::shared_ptr<testing::FakeHttpClient> http_ = std::make_shared<testing::FakeHttpClient>();
};

// Before the fix the 301 was the error: "PermanentRedirect (HTTP 301)" and the watcher stopped.
TEST_F(S3ClientTest, ABodylessHead301IsFollowedToTheBucketsRegionAndRemembered) {
  auto s3 = Client();
  http_->Enqueue(301, "", {{"x-amz-bucket-region", "eu-west-1"}});
  http_->Enqueue(200, "", {{"etag", "\"e1\""}, {"content-length", "3"}});
  http_->Enqueue(200, "", {{"etag", "\"e1\""}, {"content-length", "3"}});
  testing::StderrCapture err;
  auto first = s3->HeadObject("data-eu", "k.csv");
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->object.etag, "e1");
  ASSERT_TRUE(s3->HeadObject("data-eu", "k.csv").ok());
  std::string said = err.Take();

  auto requests = http_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].endpoint, "https://data-eu.s3.us-east-1.amazonaws.com");
  EXPECT_NE(ScopeOf(requests[0]).find("/us-east-1/s3/"), std::string::npos);
  for (size_t i : {1u, 2u}) {
    EXPECT_EQ(requests[i].endpoint, "https://data-eu.s3.eu-west-1.amazonaws.com");
    EXPECT_NE(ScopeOf(requests[i]).find("/eu-west-1/s3/"), std::string::npos) << ScopeOf(requests[i]);
  }
  EXPECT_EQ(s3->LearntRegion("data-eu"), "eu-west-1");
  EXPECT_EQ(std::count(said.begin(), said.end(), '\n'), 1) << said;
  EXPECT_NE(said.find("s3://data-eu is in region eu-west-1"), std::string::npos) << said;
}

TEST_F(S3ClientTest, AuthorizationHeaderMalformedWithARegionIsResignedThere) {
  auto s3 = Client();
  http_->Enqueue(400, S3Error("AuthorizationHeaderMalformed",
                              "the region 'us-east-1' is wrong; expecting 'ap-south-1'",
                              "<Region>ap-south-1</Region>"));
  http_->Enqueue(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  testing::StderrCapture err;
  ASSERT_TRUE(s3->ListObjectsV2("b-in-mumbai", {.prefix = "up/"}).ok());
  auto requests = http_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].endpoint, "https://b-in-mumbai.s3.ap-south-1.amazonaws.com");
  EXPECT_NE(ScopeOf(requests[1]).find("/ap-south-1/s3/"), std::string::npos);
  EXPECT_EQ(requests[1].query, requests[0].query);
  EXPECT_NE(err.Take().find("ap-south-1"), std::string::npos);
}

// A 301 that names no region: one HeadBucket learns it, as botocore does.
TEST_F(S3ClientTest, ARedirectWithoutARegionAsksHeadBucket) {
  auto s3 = Client();
  http_->Enqueue(301, S3Error("PermanentRedirect", "use the right endpoint"));
  http_->Enqueue(200, "", {{"x-amz-bucket-region", "eu-central-1"}});
  http_->Enqueue(200, "body");
  testing::StderrCapture err;
  auto got = s3->GetObject("bkt", "k");
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, "body");
  auto requests = http_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].method, "HEAD");
  EXPECT_EQ(requests[1].path, "/");
  EXPECT_EQ(requests[1].endpoint, "https://bkt.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(requests[2].endpoint, "https://bkt.s3.eu-central-1.amazonaws.com");
  EXPECT_NE(err.Take().find("eu-central-1"), std::string::npos);
}

TEST_F(S3ClientTest, ARedirectToTheSameRegionOrAnInvalidNameIsNotFollowed) {
  auto s3 = Client();
  http_->Enqueue(301, "", {{"x-amz-bucket-region", "us-east-1"}});
  auto same = s3->HeadBucket("b");
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().http_status, 301);
  http_->Enqueue(400, S3Error("AuthorizationHeaderMalformed", "x", "<Region>evil.example.com/</Region>"));
  auto odd = s3->GetObject("b", "k");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(http_->request_count(), 2u);
}

// Before the fix a wrong secret read "no permission to read bucket (s3:ListBucket)".
TEST_F(S3ClientTest, ABodyless403ToAHeadLearnsItsRealCodeFromOneGet) {
  auto s3 = Client();
  http_->Enqueue(403);
  http_->Enqueue(403, S3Error("SignatureDoesNotMatch", "The request signature we calculated does not match"));
  auto bucket = s3->HeadBucket("b");
  ASSERT_FALSE(bucket.ok());
  EXPECT_EQ(bucket.error().code, "SignatureDoesNotMatch");
  EXPECT_NE(bucket.error().message.find("check the secret access key"), std::string::npos)
      << bucket.error().message;
  auto requests = http_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].query, "location=");

  http_->Enqueue(403);
  http_->Enqueue(403, S3Error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist"));
  auto object = s3->HeadObject("b", "k");
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.error().code, "InvalidAccessKeyId");
  HttpRequest probe = http_->last_request();
  EXPECT_EQ(probe.method, "GET");
  ASSERT_NE(FindHeader(probe.headers, "range"), nullptr);
  EXPECT_EQ(*FindHeader(probe.headers, "range"), "bytes=0-0");

  http_->Enqueue(403);
  http_->Enqueue(403, S3Error("AccessDenied", "Access Denied"));
  auto denied = s3->HeadObject("b", "k");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDenied");
  EXPECT_NE(denied.error().message.find("s3:GetObject"), std::string::npos);
}

// Before the fix an SSE-C object's 400 was "BadRequest", retried every interval for ever.
TEST_F(S3ClientTest, AnSseCObjectsBodyless400IsNamed) {
  auto s3 = Client();
  http_->Enqueue(400);
  http_->Enqueue(400, S3Error("InvalidRequest",
                              "The object was stored using a form of Server Side Encryption. The "
                              "correct parameters must be provided to retrieve the object."));
  auto head = s3->HeadObject("b", "secret.bin");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.error().code, "SSECustomerKeyRequired");
  EXPECT_EQ(head.error().http_status, 400);
  EXPECT_NE(head.error().message.find("SSE-C"), std::string::npos) << head.error().message;
  EXPECT_EQ(http_->request_count(), 2u);
}

TEST_F(S3ClientTest, AMissingKeysBodyless404IsLeftAsItIs) {
  auto s3 = Client();
  http_->Enqueue(404);
  auto head = s3->HeadObject("b", "gone");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.error().http_status, 404);
  EXPECT_EQ(http_->request_count(), 1u);
}

}  // namespace
}  // namespace sluice
