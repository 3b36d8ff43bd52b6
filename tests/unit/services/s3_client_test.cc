#include "sluice/services/s3_client.h"

#include <gtest/gtest.h>

#include "sluice/util/time_format.h"

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

}  // namespace
}  // namespace sluice
