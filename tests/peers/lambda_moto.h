// A Lambda function on the suite's moto_server for one integration test. moto runs functions
// without Docker once told so (POST /moto-api/config {"lambda": {"use_docker": false}}): Invoke
// then answers from a queue of responses the test sets (/moto-api/static/lambda-simple/response),
// and echoes the payload once the queue is empty. A function that fails is AwsRealismProxy's
// (FailLambdaInvocations), beside moto.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/peers/peers.h"

namespace sluice::testing {

class LambdaMoto {
 public:
  // Creates function `name` (a zip function with an execution role of its own); false (and a
  // test failure saying why) when moto refused.
  bool Start(const MotoServer& moto, const std::string& name);
  // A container-image function `name` running `image` with `env`, on the same role: moto stores
  // it (and cannot invoke it). False (and a test failure) when moto refused.
  bool CreateImageFunction(const std::string& name, const std::string& image,
                           const std::map<std::string, std::string>& env);
  // What the next invocations return, in order (moto's queue is per region, not per function).
  bool QueueResponses(const std::vector<std::string>& responses);
  const std::string& arn() const { return arn_; }

 private:
  // CreateFunction with this document, less Role, which is the one Start made; its ARN.
  std::string Create(nlohmann::json function);

  const MotoServer* moto_ = nullptr;
  std::string role_arn_;
  std::string arn_;
};

}  // namespace sluice::testing
