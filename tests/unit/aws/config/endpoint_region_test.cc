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

// Before the fix every region outside China got amazonaws.com.
TEST(EndpointTest, EachPartitionHasItsOwnDnsSuffix) {
  struct Case {
    const char* region;
    const char* endpoint;
  };
  for (const Case& c : std::vector<Case>{
           {"us-east-1", "https://ecs.us-east-1.amazonaws.com"},
           {"us-gov-west-1", "https://ecs.us-gov-west-1.amazonaws.com"},
           {"cn-northwest-1", "https://ecs.cn-northwest-1.amazonaws.com.cn"},
           {"us-iso-east-1", "https://ecs.us-iso-east-1.c2s.ic.gov"},
           {"us-isob-east-1", "https://ecs.us-isob-east-1.sc2s.sgov.gov"},
           {"us-isof-south-1", "https://ecs.us-isof-south-1.csp.hci.ic.gov"},
           {"eu-isoe-west-1", "https://ecs.eu-isoe-west-1.cloud.adc-e.uk"},
           {"eusc-de-east-1", "https://ecs.eusc-de-east-1.amazonaws.eu"},
       }) {
    EXPECT_EQ(ResolveEndpoint(kEcs, c.region, "", MapEnvironment(), nullptr)->url.Endpoint(),
              c.endpoint);
  }
}

// The profile key is ignore_configured_endpoint_urls (sluice read a misspelling), and "true"
// is accepted in any case, from the environment as from the profile.
TEST(EndpointTest, IgnoreConfiguredEndpointUrlsFromTheProfileInAnyCase) {
  MapEnvironment env({{"AWS_ENDPOINT_URL", "http://localhost:4566"}});
  for (const char* value : {"true", "TRUE", "True", "tRuE"}) {
    Profile profile = MakeProfile({{"ignore_configured_endpoint_urls", value}});
    EXPECT_FALSE(ResolveEndpoint(kSqs, "us-east-1", "", env, &profile)->custom) << value;
    MapEnvironment ignoring({{"AWS_ENDPOINT_URL", "http://localhost:4566"},
                             {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", value}});
    EXPECT_FALSE(ResolveEndpoint(kSqs, "us-east-1", "", ignoring, nullptr)->custom) << value;
  }
  Profile no = MakeProfile({{"ignore_configured_endpoint_urls", "false"}});
  EXPECT_TRUE(ResolveEndpoint(kSqs, "us-east-1", "", env, &no)->custom);
}

// services = NAME and a [services NAME] section: per-service endpoint_url, between the
// environment and the profile's own endpoint_url, for every service sluice calls.
TEST(EndpointTest, AServicesSectionSetsPerServiceEndpoints) {
  SharedConfig config = SharedConfig::Parse(
      "[profile local]\nservices = local-stack\nendpoint_url = http://fallback:1\n"
      "[services local-stack]\n"
      "s3 =\n  endpoint_url = http://127.0.0.1:9000\n"
      "sqs =\n  endpoint_url = http://127.0.0.1:9324\n"
      "sts =\n  endpoint_url = http://127.0.0.1:9001\n"
      "ecr =\n  endpoint_url = http://127.0.0.1:9002\n"
      "ecs =\n  endpoint_url = http://127.0.0.1:9003\n"
      "cloudwatch_logs =\n  endpoint_url = http://127.0.0.1:9004\n",
      "");
  const Profile* profile = config.FindProfile("local");
  ASSERT_NE(profile, nullptr);
  const Profile* services = config.FindServices("local-stack");
  ASSERT_NE(services, nullptr);
  struct Case {
    const AwsService* service;
    const char* endpoint;
  };
  for (const Case& c : std::vector<Case>{{&kS3, "http://127.0.0.1:9000"},
                                         {&kSqs, "http://127.0.0.1:9324"},
                                         {&kSts, "http://127.0.0.1:9001"},
                                         {&kEcr, "http://127.0.0.1:9002"},
                                         {&kEcs, "http://127.0.0.1:9003"},
                                         {&kLogs, "http://127.0.0.1:9004"},
                                         {&kIam, "http://fallback:1"}}) {
    auto e = ResolveEndpoint(*c.service, "us-east-1", "", MapEnvironment(), profile, services);
    ASSERT_TRUE(e.ok()) << e.error().ToString();
    EXPECT_EQ(e->url.Endpoint(), c.endpoint) << c.service->env_id;
  }
  auto s3 = ResolveEndpoint(kS3, "us-east-1", "", MapEnvironment(), profile, services);
  EXPECT_EQ(s3->source, "[services local-stack] s3.endpoint_url");
  // The environment still comes first.
  MapEnvironment env({{"AWS_ENDPOINT_URL_S3", "http://env:1"}});
  EXPECT_EQ(ResolveEndpoint(kS3, "us-east-1", "", env, profile, services)->url.Endpoint(),
            "http://env:1");
}

TEST(EndpointTest, ACustomEndpointKeepsItsPathPrefix) {
  auto e = ResolveEndpoint(kS3, "us-east-1", "http://127.0.0.1:9000/storage/s3/", MapEnvironment(),
                           nullptr);
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  EXPECT_EQ(PathPrefix(*e), "/storage/s3");
  EXPECT_EQ(PathPrefix(*ResolveEndpoint(kS3, "us-east-1", "http://127.0.0.1:9000",
                                        MapEnvironment(), nullptr)),
            "");
  EXPECT_EQ(PathPrefix(*ResolveEndpoint(kS3, "us-east-1", "", MapEnvironment(), nullptr)), "");
}

}  // namespace
}  // namespace sluice
