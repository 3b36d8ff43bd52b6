// The examples/ folder as the integration tests use it: each example's script runs as a user
// would run it (the tools just built first on PATH, only the test's peers reachable), its JSON
// with the ${NAME} placeholders filled in, and its IAM policy turned into what moto can evaluate,
// so that the example runs with no permission but those its policy grants.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/aws/credentials/credentials.h"
#include "tests/peers/peers.h"

namespace sluice::testing {

// examples/`relative`, absolute.
std::string ExamplePath(const std::string& relative);

// The text of examples/`relative` with each ${NAME} replaced by vars[NAME]; a placeholder not in
// `vars` fails the test (and stays as it was).
std::string ExampleText(const std::string& relative, const std::map<std::string, std::string>& vars);

// PATH with the built tools first, then the system's (for bash, jq and the AWS CLI).
std::string ToolsFirstPath();

// The environment an example script runs in: AwsEnv for `moto` with `credentials`, and PATH with
// the built tools first (then the system's, for bash, jq and the AWS CLI).
std::map<std::string, std::string> ExampleEnv(const std::string& dir, const MotoServer& moto,
                                              const Credentials& credentials);

// An example's IAM policy as moto 5 can evaluate it, which differs from IAM in four ways:
//   - it evaluates no condition keys (a statement with a Condition would deny): conditions go;
//   - it checks resources only for S3 (bucket and object ARNs) and SQS (queue ARNs) and matches
//     every other call against "*": the resources of other services' statements become "*";
//   - it asks for s3:HeadBucket, where IAM asks for s3:ListBucket: ListBucket brings HeadBucket;
//   - it asks for an SQS batch call by its own name (sqs:ChangeMessageVisibilityBatch), where IAM
//     asks for the single call's permission: that brings the batch name.
// So a run under it proves that the policy's actions are enough, and for S3 and SQS its
// resources too; the rest of the scoping is IAM's to check.
nlohmann::json PolicyForMoto(nlohmann::json policy);

// A user in `moto` with the example's policy (examples/`relative`, placeholders from `vars`)
// as moto can evaluate it; its key, or a test failure and empty credentials.
Credentials ExamplePolicyUser(MotoServer& moto, const std::string& name, const std::string& relative,
                              const std::map<std::string, std::string>& vars);

class ToolRun;
// Waits (up to 30 s) until the run's sluice-watch says it is watching: its baseline is taken.
// False when the run ended first.
bool WaitUntilWatching(ToolRun& run);

// Polls `done` every 50 ms for up to `timeout_ms`; its last answer.
bool WaitFor(const std::function<bool()>& done, int timeout_ms = 30000);

}  // namespace sluice::testing
