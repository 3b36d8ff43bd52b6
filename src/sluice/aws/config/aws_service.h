// What the library needs to know about each AWS service it talks to: the name used in
// AWS_ENDPOINT_URL_<ID>, the SigV4 signing name, and the hostname prefix of its AWS endpoint.
#pragma once

#include <string_view>

namespace sluice {

struct AwsService {
  std::string_view env_id;           // AWS_ENDPOINT_URL_<env_id>: "S3", "CLOUDWATCH_LOGS"
  std::string_view config_id;        // the services-section key: "s3", "cloudwatch_logs"
  std::string_view signing_name;     // "s3", "logs"
  std::string_view endpoint_prefix;  // "s3", "logs", "api.ecr"
  bool global = false;               // one endpoint for all regions, signed for us-east-1 (IAM)
};

inline constexpr AwsService kS3{"S3", "s3", "s3", "s3"};
inline constexpr AwsService kSqs{"SQS", "sqs", "sqs", "sqs"};
inline constexpr AwsService kSts{"STS", "sts", "sts", "sts"};
inline constexpr AwsService kEcr{"ECR", "ecr", "ecr", "api.ecr"};
inline constexpr AwsService kEcs{"ECS", "ecs", "ecs", "ecs"};
inline constexpr AwsService kLogs{"CLOUDWATCH_LOGS", "cloudwatch_logs", "logs", "logs"};
inline constexpr AwsService kIam{"IAM", "iam", "iam", "iam", /*global=*/true};
inline constexpr AwsService kLambda{"LAMBDA", "lambda", "lambda", "lambda"};

}  // namespace sluice
