#include <gtest/gtest.h>

#include "sluice/aws/config/endpoint.h"
#include "sluice/aws/config/region.h"

namespace sluice {
namespace {

Profile MakeProfile(std::map<std::string, std::string, std::less<>> values) {
  return Profile{"dev", std::move(values)};
}

TEST(RegionTest, FollowsTheCliOrder) {
  MapEnvironment env({{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "eu-west-2"}});
  Profile profile = MakeProfile({{"region", "ap-south-1"}});
  EXPECT_EQ(*ResolveRegion("us-west-2", env, &profile), "us-west-2");
  EXPECT_EQ(*ResolveRegion("", env, &profile), "eu-west-1");
  MapEnvironment default_only({{"AWS_DEFAULT_REGION", "eu-west-2"}});
  EXPECT_EQ(*ResolveRegion("", default_only, &profile), "eu-west-2");
  EXPECT_EQ(*ResolveRegion("", MapEnvironment(), &profile), "ap-south-1");
}

TEST(RegionTest, MissingOrInvalidRegionIsAClearError) {
  auto none = ResolveRegion("", MapEnvironment(), nullptr);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kConfig);
  EXPECT_NE(none.error().message.find("--region"), std::string::npos);
  auto bad = ResolveRegion("", MapEnvironment({{"AWS_REGION", "us east 1"}}), nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("AWS_REGION"), std::string::npos);
}

TEST(EndpointTest, DefaultsToTheRegionalAwsEndpoint) {
  auto e = ResolveEndpoint(kEcs, "eu-central-1", "", MapEnvironment(), nullptr);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->url.Endpoint(), "https://ecs.eu-central-1.amazonaws.com");
  EXPECT_FALSE(e->custom);
  EXPECT_EQ(e->signing_region, "eu-central-1");
  EXPECT_EQ(ResolveEndpoint(kEcr, "cn-north-1", "", MapEnvironment(), nullptr)->url.Endpoint(),
            "https://api.ecr.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(ResolveEndpoint(kLogs, "us-east-1", "", MapEnvironment(), nullptr)->url.Endpoint(),
            "https://logs.us-east-1.amazonaws.com");
  auto iam = ResolveEndpoint(kIam, "eu-west-1", "", MapEnvironment(), nullptr);
  EXPECT_EQ(iam->url.Endpoint(), "https://iam.amazonaws.com");
  EXPECT_EQ(iam->signing_region, "us-east-1");
}

TEST(EndpointTest, CustomEndpointsFollowTheCliOrder) {
  MapEnvironment env({{"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5000"},
                      {"AWS_ENDPOINT_URL", "http://localhost:4566"}});
  Profile profile = MakeProfile({{"endpoint_url", "https://profile.example"}});
  auto flag = ResolveEndpoint(kS3, "us-east-1", "http://flag:1", env, &profile);
  EXPECT_EQ(flag->url.Endpoint(), "http://flag:1");
  EXPECT_EQ(flag->source, "--endpoint-url");
  EXPECT_TRUE(flag->custom);
  auto service = ResolveEndpoint(kS3, "us-east-1", "", env, &profile);
  EXPECT_EQ(service->url.Endpoint(), "http://127.0.0.1:5000");
  EXPECT_EQ(service->source, "AWS_ENDPOINT_URL_S3");
  auto global = ResolveEndpoint(kLogs, "us-east-1", "", env, &profile);
  EXPECT_EQ(global->url.Endpoint(), "http://localhost:4566");
  auto from_profile = ResolveEndpoint(kLogs, "us-east-1", "", MapEnvironment(), &profile);
  EXPECT_EQ(from_profile->url.Endpoint(), "https://profile.example");
  MapEnvironment logs_env({{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:7"}});
  EXPECT_EQ(ResolveEndpoint(kLogs, "us-east-1", "", logs_env, nullptr)->url.Endpoint(),
            "http://127.0.0.1:7");
}

TEST(EndpointTest, IgnoreConfiguredEndpointUrlsKeepsOnlyTheFlag) {
  MapEnvironment env({{"AWS_ENDPOINT_URL", "http://localhost:4566"},
                      {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  EXPECT_FALSE(ResolveEndpoint(kSqs, "us-east-1", "", env, nullptr)->custom);
  EXPECT_TRUE(ResolveEndpoint(kSqs, "us-east-1", "http://x:1", env, nullptr)->custom);
}

TEST(EndpointTest, InvalidEndpointUrlNamesItsSource) {
  auto bad = ResolveEndpoint(kSqs, "us-east-1", "",
                             MapEnvironment({{"AWS_ENDPOINT_URL_SQS", "localhost:9324"}}), nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("AWS_ENDPOINT_URL_SQS"), std::string::npos);
}

}  // namespace
}  // namespace sluice
