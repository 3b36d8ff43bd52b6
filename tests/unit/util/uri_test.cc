// Percent-encoding, path normalisation and URL parsing (pure).
#include "sluice/util/uri.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(UriTest, EncodesAllButUnreserved) {
  EXPECT_EQ(UriEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(UriEncode("a b+c/d*e=%"), "a%20b%2Bc%2Fd%2Ae%3D%25");
  EXPECT_EQ(UriEncode("a b/c", /*keep_slash=*/true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4"), "%E1%88%B4");
}

TEST(UriTest, DecodesEscapesAndFormSpaces) {
  EXPECT_EQ(UriDecode("a%20b+c%2B"), "a b+c+");
  EXPECT_EQ(FormDecode("a+b%2Bc.csv"), "a b+c.csv");
  EXPECT_EQ(UriDecode("bad%zzescape%"), "bad%zzescape%");  // kept as they are
  EXPECT_EQ(UriDecode("%E1%88%b4"), "\xE1\x88\xB4");
}

TEST(UriTest, NormalizesPathsLikeBotocore) {
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("//example//"), "/example/");
  EXPECT_EQ(NormalizePath("/./example"), "/example");
  EXPECT_EQ(NormalizePath("/example/.."), "/");
  EXPECT_EQ(NormalizePath("/a/b/../c/"), "/a/c/");
  EXPECT_EQ(NormalizePath("/a/b/.."), "/a");
  EXPECT_EQ(NormalizePath("/../../a"), "/a");
}

TEST(UriTest, BuildsQueriesInOrder) {
  EXPECT_EQ(BuildQuery({{"list-type", "2"}, {"prefix", "a b/c"}}), "list-type=2&prefix=a%20b%2Fc");
  EXPECT_EQ(BuildQuery({}), "");
}

TEST(UriTest, ParsesUrls) {
  ParsedUrl u;
  ASSERT_TRUE(ParseUrl("HTTP://127.0.0.1:4566", &u));
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 4566);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.Endpoint(), "http://127.0.0.1:4566");
  ASSERT_TRUE(ParseUrl("https://s3.amazonaws.com:443/prefix?x=1#frag", &u));
  EXPECT_EQ(u.HostHeader(), "s3.amazonaws.com");
  EXPECT_EQ(u.path, "/prefix");
  EXPECT_EQ(u.query, "x=1");
  ASSERT_TRUE(ParseUrl("http://[fd00:ec2::254]/latest", &u));
  EXPECT_EQ(u.host, "fd00:ec2::254");
  EXPECT_EQ(u.HostHeader(), "[fd00:ec2::254]");
  for (const char* bad : {"ftp://x", "127.0.0.1:80", "http://", "http://:80", "http://h:0",
                          "http://h:99999", "http://user:pw@host", "http://h:8o", "http://[::1"}) {
    EXPECT_FALSE(ParseUrl(bad, &u)) << bad;
  }
}

}  // namespace
}  // namespace sluice
