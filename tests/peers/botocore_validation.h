// A guard on request shapes: the request bodies sluice sent to a JSON-protocol AWS service (ECS,
// ECR, CloudWatch Logs, SQS) checked against botocore's service models with
// botocore.validate.ParamValidator, the check the AWS CLI makes before it sends anything. moto
// accepts a lot that AWS refuses (a wrong type, an unknown member, a missing required one);
// botocore's models are AWS's own description of what it accepts.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sluice::testing {

struct JsonCall {
  std::string target;  // X-Amz-Target: "AmazonEC2ContainerServiceV20141113.RunTask"
  std::string body;
};

// One line per problem ("ecs RunTask: Unknown parameter in input: ..."); empty when every call
// is valid. Python 3 with botocore (which moto brings) must be on PATH: without it the one
// problem says so, so that a missing guard fails rather than passes.
std::vector<std::string> BotocoreProblems(const std::vector<JsonCall>& calls);

}  // namespace sluice::testing
