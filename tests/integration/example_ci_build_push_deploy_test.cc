// examples/ci-build-push-deploy: setup.sh run once as an administrator (the ECR repository, its
// policy and lifecycle policy, in moto), then ci.sh three times with three docker-archives, as the
// CI role with no permission but those of its iam-policy.json, the registry traffic going to a
// docker-registry that takes moto's ECR token (through EcrRegistryProxy, which registers each
// pushed manifest in moto's ECR API, as ECR's one store does), the AWS traffic through
// AwsRealismProxy (Lambda versions keep their image). Checked: each version is in the registry
// under its tag (read back with skopeo, digest for digest), the service and the Lambda function's
// alias run the last pushed digest, old revisions and versions go down to KEEP_REVISIONS and
// KEEP_VERSIONS, and the image of v1 is deleted from ECR only once neither the service's kept
// revisions nor the function's versions name it; the audit log holds a push and two deploy lines
// per run with who and what. A broken archive leaves a failed push line, no deploy, and the
// service as it was.
// The ECR registry's own permissions (ecr:PutImage and the layer calls) are not checked: that
// registry is docker-registry, not ECR. moto never completes a rollout, hence WAIT=no.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sluice/services/ecr_client.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/ecr_registry_proxy.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/lambda_moto.h"
#include "tests/peers/examples.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"
#include "tests/support/child_process.h"
#include "tests/support/test_image.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::ReadFile;

class CiBuildPushDeployExampleTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {};

TEST_F(CiBuildPushDeployExampleTest, PushesDeploysByDigestCleansUpAndKeepsARecord) {
  ASSERT_TRUE(testing::OnPath("skopeo")) << "skopeo is not on PATH: apt-get install skopeo";
  const std::string dir = testing::MakeTempDir("sluice-example-ci-");
  const std::string registry_host = moto_->account_id() + ".dkr.ecr.us-east-1.amazonaws.com";
  const std::map<std::string, std::string> vars = {{"ACCOUNT_ID", moto_->account_id()},
                                                   {"REGION", "us-east-1"},
                                                   {"REPOSITORY", "team/app"},
                                                   {"CLUSTER", "example-prod"},
                                                   {"SERVICE", "web"},
                                                   {"FUNCTION", "thumbnailer"}};

  auto ecr = EcrClient::Make(moto_->Context());
  ASSERT_TRUE(ecr.ok());
  auto token = (*ecr)->GetAuthorizationToken("");
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  auto registry = testing::RegistryServer::Start({.username = "AWS", .password = token->password});
  ASSERT_NE(registry, nullptr);
  testing::EcrRegistryProxy ecr_registry(registry->endpoint());
  ecr_registry.RecordPushesIn(moto_->Context());
  // Lambda on a moto of its own: a signature-checking moto refuses every Lambda request, the AWS
  // CLI's too (SignatureDoesNotMatch), so the policy's Lambda statement is not checked here.
  auto lambda_moto = testing::MotoServer::Start({});
  ASSERT_NE(lambda_moto, nullptr);
  testing::AwsRealismProxy aws(lambda_moto->endpoint());

  // Once, as an administrator.
  auto admin_env = testing::ExampleEnv(dir, *moto_, moto_->credentials());
  admin_env["REPOSITORY"] = "team/app";
  {
    testing::ToolRun setup(testing::ExamplePath("ci-build-push-deploy/setup.sh"), dir, admin_env, {});
    ASSERT_EQ(setup.ExitCode(), 0) << setup.Stderr();
    EXPECT_NE(setup.Stdout().find("team/app"), std::string::npos) << setup.Stdout();
    auto exists = (*ecr)->RepositoryExists(moto_->account_id(), "team/app");
    EXPECT_TRUE(exists.ok() && *exists);
  }
  testing::EcsMoto ecs;
  ASSERT_TRUE(ecs.Start(*moto_, "example-prod"));
  const std::string first = ecs.RegisterTaskDefinition(
      "web", json::array({testing::EcsMoto::Container("app", registry_host + "/team/app:v0")}));
  ASSERT_NE(first, "");
  ecs.Call("CreateService", {{"cluster", "example-prod"}, {"serviceName", "web"}, {"taskDefinition", first},
                             {"desiredCount", 1}});
  testing::LambdaMoto lambda_setup;
  ASSERT_TRUE(lambda_setup.Start(*lambda_moto, "thumbnailer-zip"));
  ASSERT_TRUE(lambda_setup.CreateImageFunction("thumbnailer", registry_host + "/team/app:v0", {}));

  // The CI role.
  Credentials ci = testing::ExamplePolicyUser(*moto_, "ci", "ci-build-push-deploy/iam-policy.json", vars);
  auto env = testing::ExampleEnv(dir, *moto_, ci);
  env["AWS_ENDPOINT_URL_LAMBDA"] = aws.endpoint();
  env.insert({{"REGISTRY", registry_host},
              {"REPOSITORY", "team/app"},
              {"CLUSTER", "example-prod"},
              {"SERVICE", "web"},
              {"REGISTRY_ENDPOINT", ecr_registry.endpoint()},
              {"WAIT", "no"},
              {"KEEP_REVISIONS", "2"},
              {"FUNCTION", "thumbnailer"},
              {"KEEP_VERSIONS", "2"},
              {"AUDIT", dir + "/deploys.jsonl"},
              {"ACTOR", "ci-bot"},
              {"RUN_URL", "https://ci.example/runs/7"}});
  const std::string ci_sh = testing::ExamplePath("ci-build-push-deploy/ci.sh");

  std::vector<std::string> pushed;  // manifest digests, v1..v3
  std::vector<json> deploys, lambda_deploys;
  for (int v = 1; v <= 3; ++v) {
    const std::string archive = dir + "/app-v" + std::to_string(v) + ".tar";
    ASSERT_TRUE(testing::WriteDockerArchiveLegacy(archive, testing::MakeTestImage(100 + v, 2, 8 << 10), "app:ci").ok());
    env["VERSION"] = "v" + std::to_string(v);
    testing::ToolRun run(ci_sh, dir, env, {archive}, {.in_dir = true});
    ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
    EXPECT_EQ(run.Stderr().find("cannot"), std::string::npos) << run.Stderr();
    auto audit = testing::Lines(ReadFile(dir + "/deploys.jsonl"));
    ASSERT_EQ(audit.size(), 3u * v);
    json push = json::parse(audit[audit.size() - 3]);
    json deploy = json::parse(audit[audit.size() - 2]);
    json deploy_lambda = json::parse(audit.back());
    deploys.push_back(deploy);
    lambda_deploys.push_back(deploy_lambda);
    EXPECT_EQ(push["step"], "push");
    EXPECT_EQ(push["status"], "succeeded");
    EXPECT_EQ(push["version"], env["VERSION"]);
    EXPECT_EQ(push["actor"], "ci-bot");
    EXPECT_EQ(push["run"], "https://ci.example/runs/7");
    EXPECT_EQ(push["tags"], json::array({env["VERSION"], "latest"})) << push;
    EXPECT_EQ(push["image"], registry_host + "/team/app@" + push["digest"].get<std::string>());
    pushed.push_back(push["digest"]);
    EXPECT_EQ(deploy["step"], "deploy");
    EXPECT_EQ(deploy["status"], "started") << deploy;
    EXPECT_EQ(deploy["version"], env["VERSION"]);

    // What the service runs now: a revision whose image is that digest.
    json service = ecs.Call("DescribeServices", {{"cluster", "example-prod"}, {"services", {"web"}}});
    const std::string running = service["services"][0].value("taskDefinition", "");
    EXPECT_EQ(running, deploy["task_definition_arn"]);
    json definition = ecs.Call("DescribeTaskDefinition", {{"taskDefinition", running}});
    EXPECT_EQ(definition["taskDefinition"]["containerDefinitions"][0]["image"], push["image"]);
    // And what the function's alias runs: the same digest.
    EXPECT_EQ(deploy_lambda["step"], "deploy-lambda");
    EXPECT_EQ(deploy_lambda["status"], "completed") << deploy_lambda;
    EXPECT_EQ(deploy_lambda["alias"], "live");
    EXPECT_EQ(deploy_lambda["image"], push["image"]);
    EXPECT_FALSE(deploy.contains("cleanup_error")) << deploy;
    EXPECT_FALSE(deploy_lambda.contains("cleanup_error")) << deploy_lambda;
  }
  // The clean-up: by run 3, web:2 (v1) is deregistered but v1 stays for the function's version 1;
  // then the function's version 1 goes, and nothing names v1 any more: it is deleted.
  const std::string v1 = registry_host + "/team/app@" + pushed[0];
  EXPECT_EQ(deploys[2]["deleted_images"], json::array()) << deploys[2];
  ASSERT_EQ(deploys[2]["kept_images"].size(), 1u) << deploys[2];
  EXPECT_EQ(deploys[2]["kept_images"][0]["image"], v1) << deploys[2];
  EXPECT_EQ(deploys[2]["kept_images"][0]["reason"], "in use by lambda thumbnailer:1") << deploys[2];
  EXPECT_EQ(lambda_deploys[2]["deleted_versions"], json::array({"1"})) << lambda_deploys[2];
  ASSERT_EQ(lambda_deploys[2]["deleted_images"].size(), 1u) << lambda_deploys[2];
  EXPECT_EQ(lambda_deploys[2]["deleted_images"][0]["image"], v1) << lambda_deploys[2];
  EXPECT_EQ(lambda_deploys[2]["deleted_images"][0]["tags"], json::array({"v1"})) << lambda_deploys[2];
  auto left = (*ecr)->DescribeImages("", "team/app");
  ASSERT_TRUE(left.ok()) << left.error().ToString();
  std::vector<std::string> digests;
  for (const EcrImage& image : *left) digests.push_back(image.digest);
  std::sort(digests.begin(), digests.end());
  std::vector<std::string> expected = {pushed[1], pushed[2]};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(digests, expected);

  // The registry, read by skopeo: each version under its tag, :latest the last.
  for (int v = 1; v <= 3; ++v) {
    for (std::string tag : {"v" + std::to_string(v), std::string("latest")}) {
      if (tag == "latest" && v != 3) continue;
      testing::ToolRun inspect(
          "/usr/bin/skopeo", dir, env,
          {"inspect", "--tls-verify=false", "--creds", "AWS:" + token->password, "--raw",
           "docker://" + registry->host() + "/team/app:" + tag});
      ASSERT_EQ(inspect.ExitCode(), 0) << inspect.Stderr();
      EXPECT_EQ(testing::DigestOf(inspect.Stdout()), pushed[v - 1]) << tag;
    }
  }
  // KEEP_REVISIONS=2: web:3 and web:4 (v2, v3) are kept; web:2 is deregistered. web:1 stays as
  // well: moto never completes a rollout, so the service still lists its deployment of web:1, and
  // a revision a deployment uses is never deregistered.
  json active = ecs.Call("ListTaskDefinitions", {{"familyPrefix", "web"}, {"status", "ACTIVE"}});
  EXPECT_EQ(active["taskDefinitionArns"], json::array({first, deploys[1]["task_definition_arn"],
                                                        deploys[2]["task_definition_arn"]}))
      << active;
  json deregistered = json::array();
  for (const json& deploy : deploys) deregistered.insert(deregistered.end(), deploy["deregistered"].begin(), deploy["deregistered"].end());
  EXPECT_EQ(deregistered, json::array({deploys[0]["task_definition_arn"]})) << deregistered;

  // A broken archive: a failed push in the record, no deploy, the service untouched.
  json before = ecs.Call("DescribeServices", {{"cluster", "example-prod"}, {"services", {"web"}}});
  testing::WriteFile(dir + "/broken.tar", "this is not a tar archive");
  env["VERSION"] = "v4";
  testing::ToolRun broken(ci_sh, dir, env, {dir + "/broken.tar"}, {.in_dir = true});
  EXPECT_EQ(broken.ExitCode(), 1) << broken.Stderr();
  EXPECT_NE(broken.Stderr().find("sluice-push"), std::string::npos) << broken.Stderr();
  auto audit = testing::Lines(ReadFile(dir + "/deploys.jsonl"));
  ASSERT_EQ(audit.size(), 10u);
  json failed = json::parse(audit.back());
  EXPECT_EQ(failed["step"], "push");
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["version"], "v4");
  json after = ecs.Call("DescribeServices", {{"cluster", "example-prod"}, {"services", {"web"}}});
  EXPECT_EQ(after["services"][0]["taskDefinition"], before["services"][0]["taskDefinition"]);
}

}  // namespace
}  // namespace sluice
