// Clean-up tied to what runs, against moto's ECS, ECR (images registered with PutImage, as a
// push leaves them) and Lambda, through AwsRealismProxy for what moto's DescribeTasks leaves out:
// the imageDigest ECS pulled for a running task. Checked with ECR's own DescribeImages after each
// run: an image goes only when the revisions (versions) removed were its only users; a running
// task's pulled digest, another service's tag, a --protect-tag match, a kept revision, a
// remaining Lambda version and --in-use-by keep theirs. --clean-up runs the same without a
// deploy, and --dry-run deletes nothing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sluice/aws/json_protocol.h"
#include "sluice/services/ecr_client.h"
#include "sluice/services/ecs_client.h"
#include "sluice/services/lambda_client.h"
#include "sluice/util/crypto.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/botocore_validation.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/lambda_moto.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

class DeployCleanupTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    MotoSuiteTest::SetUp();
    const std::string n = std::to_string(++counter_);
    dir_ = testing::MakeTempDir("sluice-deploy-cleanup-");
    cluster_ = "cleanup-" + n;
    repository_ = "team/app-" + n;
    host_ = moto_->account_id() + ".dkr.ecr.us-east-1.amazonaws.com";
    ASSERT_TRUE(ecs_.Start(*moto_, cluster_));
    auto ecr = EcrClient::Make(moto_->Context());
    ASSERT_TRUE(ecr.ok());
    ecr_ = std::move(ecr).value();
    ASSERT_TRUE(ecr_->CreateRepository("", repository_).ok());
    proxy_ = std::make_unique<testing::AwsRealismProxy>(moto_->endpoint());
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // Registers an image as a push leaves it (PutImage with the manifest's own digest) under
  // `tag`, moving the tag if another image had it. Its digest.
  std::string PutImage(const std::string& seed, const std::string& tag) {
    json manifest = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                    {"digest", "sha256:" + Sha256Hex(seed + "-config")}, {"size", 2}}},
        {"layers", json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                 {"digest", "sha256:" + Sha256Hex(seed + "-layer")}, {"size", 3}}})}};
    std::string text = manifest.dump();
    std::string digest = "sha256:" + Sha256Hex(text);
    auto put = CallJson(ecr_->service(), kEcrJson, "PutImage",
                        {{"repositoryName", repository_}, {"imageManifest", text},
                         {"imageTag", tag}, {"imageDigest", digest}});
    EXPECT_TRUE(put.ok()) << put.error().ToString();
    return digest;
  }
  // Task definition families are the account's, not the cluster's: each test has its own.
  std::string Family(const std::string& name) const { return name + "-" + std::to_string(counter_); }
  std::string ByDigest(const std::string& digest) const { return host_ + "/" + repository_ + "@" + digest; }
  std::string ByTag(const std::string& tag) const { return host_ + "/" + repository_ + ":" + tag; }
  std::string Revision(const std::string& family, const std::string& image) {
    return ecs_.RegisterTaskDefinition(family, json::array({testing::EcsMoto::Container("app", image)}));
  }
  // The digests ECR still has.
  Strings Digests() {
    auto images = ecr_->DescribeImages("", repository_);
    EXPECT_TRUE(images.ok()) << images.error().ToString();
    Strings out;
    if (images.ok()) {
      for (const EcrImage& image : *images) out.push_back(image.digest);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static Strings Sorted(Strings s) {
    std::sort(s.begin(), s.end());
    return s;
  }
  testing::ToolRun Deploy(const std::vector<std::string>& args) {
    return testing::ToolRun("sluice-deploy", dir_,
                            testing::AwsEnv(dir_, proxy_->endpoint(), moto_->credentials().access_key_id,
                                            moto_->credentials().secret_access_key),
                            args);
  }
  static Strings Field(const json& result, const std::string& name, const std::string& key) {
    Strings out;
    for (const json& item : result.value(name, json::array())) out.push_back(item[key]);
    return out;
  }

  static inline int counter_ = 0;
  std::string dir_, cluster_, repository_, host_;
  testing::EcsMoto ecs_;
  std::unique_ptr<EcrClient> ecr_;
  std::unique_ptr<testing::AwsRealismProxy> proxy_;
};

TEST_F(DeployCleanupTest, ADeployDeletesOnlyImagesNothingThatStaysOrRunsUses) {
  const std::string d1 = PutImage("one", "v1"), d2 = PutImage("two", "v2"),
                    d3 = PutImage("three", "release-1"), d4 = PutImage("four", "v4"),
                    d5 = PutImage("five", "v5"), d6 = PutImage("six", "v6"),
                    d7 = PutImage("seven", "v7"), d8 = PutImage("eight", "v8");
  PutImage("one", "stable");  // stable names d1, for now
  const std::string web1 = Revision(Family("web"), ByDigest(d1));   // its image: only a running task's pull
  const std::string web2 = Revision(Family("web"), ByTag("stable"));  // a task of it runs
  const std::string web3 = Revision(Family("web"), ByDigest(d3));   // tagged release-1: protected
  const std::string web4 = Revision(Family("web"), ByDigest(d4));   // the worker service runs v4
  const std::string web5 = Revision(Family("web"), ByDigest(d5));   // nothing else: goes
  const std::string web6 = Revision(Family("web"), ByTag("v6"));    // by tag: kept (see below)
  const std::string web7 = Revision(Family("web"), ByDigest(d7));   // the current one: the rollback target
  const std::string worker = Revision(Family("worker"), ByTag("v4"));
  ASSERT_FALSE(web7.empty() || worker.empty());
  ecs_.Call("CreateService", {{"cluster", cluster_}, {"serviceName", "web"}, {"taskDefinition", web7},
                              {"desiredCount", 1}});
  ecs_.Call("CreateService", {{"cluster", cluster_}, {"serviceName", "worker"},
                              {"taskDefinition", worker}, {"desiredCount", 1}});
  // A task of web:2 started while stable named d1, and ECS pulled d1 for it; then stable moved.
  proxy_->PullImagesAs(ByTag("stable"), d1);
  json run = ecs_.Call("RunTask", {{"cluster", cluster_}, {"taskDefinition", web2}, {"launchType", "FARGATE"}});
  ASSERT_EQ(run["tasks"].size(), 1u) << run;
  auto through_proxy = EcsClient::Make(moto_->Context(nullptr, proxy_->endpoint()));
  ASSERT_TRUE(through_proxy.ok());
  auto seen = (*through_proxy)->DescribeTasks(cluster_, {run["tasks"][0]["taskArn"]});
  ASSERT_TRUE(seen.ok() && seen->tasks.size() == 1 && seen->tasks[0].containers.size() == 1);
  EXPECT_EQ(seen->tasks[0].containers[0].image_digest, d1);
  PutImage("two", "stable");
  proxy_->PullImagesAs(ByTag("stable"), d2);

  testing::ToolRun deploy = Deploy({"--cluster", cluster_, "--service", "web", "--image", ByDigest(d8),
                                    "--no-wait", "--keep-revisions", "1", "--delete-images",
                                    "--protect-tag", "release-*"});
  ASSERT_EQ(deploy.ExitCode(), 0) << deploy.Stderr();
  ASSERT_EQ(deploy.Results().size(), 1u) << deploy.Stdout();
  json r = deploy.Results()[0];
  EXPECT_EQ(r["status"], "started") << r;
  EXPECT_FALSE(r.contains("cleanup_error")) << r;
  // web:8 is new and kept, web:7 is the rollback target, web:2 a task runs: the rest go.
  EXPECT_EQ(Sorted(r["deregistered"]), Sorted({web1, web3, web4, web5, web6})) << r;
  EXPECT_EQ(Field(r, "deleted_images", "image"), Strings{ByDigest(d5)}) << r;
  std::map<std::string, std::string> kept;
  for (const json& k : r["kept_images"]) kept[k["image"]] = k["reason"];
  ASSERT_EQ(kept.size(), 4u) << r;
  // web:6 named its image by tag, and moto gives no registeredAt to tell whether v6 moved since
  // (ECS does; the rule is unit-tested): kept.
  EXPECT_EQ(kept[ByTag("v6")].find("named by tag v6, which may have moved since"), 0u) << r;
  EXPECT_EQ(kept[ByDigest(d1)].find("in use by task "), 0u) << r;  // the pull of web:2's task
  EXPECT_EQ(kept[ByDigest(d3)], "tag release-1 matches --protect-tag release-*") << r;
  EXPECT_EQ(kept[ByDigest(d4)], "in use by service worker") << r;
  EXPECT_EQ(Digests(), Sorted({d1, d2, d3, d4, d6, d7, d8}));
  // ListServices, DescribeServices, ListTasks, DescribeTasks, DescribeImages, BatchDeleteImage
  // and the rest, as botocore would send them.
  EXPECT_EQ(testing::BotocoreProblems(proxy_->JsonCalls()), Strings{});

  // Run again: nothing more to remove, and no error for it.
  testing::ToolRun again = Deploy({"--cluster", cluster_, "--service", "web", "--clean-up",
                                   "--keep-revisions", "1", "--delete-images", "--protect-tag", "release-*"});
  ASSERT_EQ(again.ExitCode(), 0) << again.Stderr();
  EXPECT_EQ(again.Results()[0]["status"], "cleaned") << again.Stdout();
  EXPECT_EQ(again.Results()[0]["deregistered"], json::array()) << again.Stdout();
  EXPECT_EQ(Digests(), Sorted({d1, d2, d3, d4, d6, d7, d8}));
}

TEST_F(DeployCleanupTest, CleanUpOnItsOwnForAFamilyDryRunFirstAndALambdaFunctionsImageKept) {
  const std::string d1 = PutImage("j1", "j1"), d2 = PutImage("j2", "j2"), d3 = PutImage("j3", "j3");
  const std::string jobs1 = Revision(Family("jobs"), ByDigest(d1));
  const std::string jobs2 = Revision(Family("jobs"), ByDigest(d2));
  const std::string jobs3 = Revision(Family("jobs"), ByDigest(d3));
  ASSERT_FALSE(jobs3.empty());
  testing::LambdaMoto lambda;
  const std::string function = "notify-" + std::to_string(counter_);
  ASSERT_TRUE(lambda.Start(*moto_, function + "-zip"));
  ASSERT_TRUE(lambda.CreateImageFunction(function, ByDigest(d1), {}));

  const std::vector<std::string> args = {"--clean-up", "--cluster", cluster_, "--family", Family("jobs"),
                                         "--keep-revisions", "1", "--delete-images",
                                         "--in-use-by", "lambda:" + function};
  std::vector<std::string> dry = args;
  dry.push_back("--dry-run");
  testing::ToolRun preview = Deploy(dry);
  ASSERT_EQ(preview.ExitCode(), 0) << preview.Stderr();
  json p = preview.Results()[0];
  EXPECT_EQ(p["status"], "dry_run") << p;
  EXPECT_EQ(Sorted(p["deregistered"]), Sorted({jobs1, jobs2})) << p;
  EXPECT_EQ(Field(p, "deleted_images", "image"), Strings{ByDigest(d2)}) << p;
  EXPECT_EQ(Field(p, "kept_images", "reason"), Strings{"in use by lambda " + function + ":$LATEST"}) << p;
  EXPECT_NE(preview.Stderr().find("would delete " + ByDigest(d2)), std::string::npos) << preview.Stderr();
  EXPECT_EQ(Digests(), Sorted({d1, d2, d3}));  // nothing happened
  auto active = ecs_.Call("ListTaskDefinitions", {{"familyPrefix", Family("jobs")}, {"status", "ACTIVE"}});
  EXPECT_EQ(active["taskDefinitionArns"].size(), 3u) << active;

  testing::ToolRun real = Deploy(args);
  ASSERT_EQ(real.ExitCode(), 0) << real.Stderr();
  json r = real.Results()[0];
  EXPECT_EQ(r["status"], "cleaned") << r;
  EXPECT_EQ(r["family"], Family("jobs"));
  EXPECT_EQ(Field(r, "deleted_images", "image"), Strings{ByDigest(d2)}) << r;
  EXPECT_EQ(r["deleted_images"][0]["tags"], json::array({"j2"})) << r;
  EXPECT_EQ(Digests(), Sorted({d1, d3}));
  active = ecs_.Call("ListTaskDefinitions", {{"familyPrefix", Family("jobs")}, {"status", "ACTIVE"}});
  EXPECT_EQ(active["taskDefinitionArns"], json::array({jobs3})) << active;
}

TEST_F(DeployCleanupTest, ALambdaDeployDeletesTheImagesOfTheVersionsItDeletesUnlessAServiceRunsThem) {
  const std::string d1 = PutImage("f1", "f1"), d2 = PutImage("f2", "f2"), d3 = PutImage("f3", "f3"),
                    d4 = PutImage("f4", "f4");
  testing::LambdaMoto setup;
  const std::string function = "resize-" + std::to_string(counter_);
  ASSERT_TRUE(setup.Start(*moto_, function + "-zip"));
  ASSERT_TRUE(setup.CreateImageFunction(function, ByDigest(d1), {}));
  // Through the proxy, which keeps each version's image as Lambda does (moto's versions all
  // show the newest).
  auto lambda = LambdaClient::Make(moto_->Context(nullptr, proxy_->endpoint()));
  ASSERT_TRUE(lambda.ok());
  ASSERT_EQ(*(*lambda)->FunctionImage(function), ByDigest(d1));
  ASSERT_TRUE((*lambda)->PublishVersion(function, "").ok());  // version 1 runs d1
  // The same image runs in an ECS service of the cluster.
  const std::string web = Revision(Family("web"), ByDigest(d1));
  ecs_.Call("CreateService", {{"cluster", cluster_}, {"serviceName", "web"}, {"taskDefinition", web},
                              {"desiredCount", 1}});
  auto deploy = [&](const std::string& digest, bool clean) {
    std::vector<std::string> args = {"--lambda-function", function, "--image", ByDigest(digest),
                                     "--alias", "live"};
    if (clean) {
      args.insert(args.end(), {"--keep-versions", "1", "--delete-images", "--in-use-by", "ecs:" + cluster_});
    }
    return Deploy(args);
  };
  // Versions 2 and 3 (moto reuses a deleted version's number, so nothing is deleted before the
  // last publish).
  for (const std::string& digest : {d2, d3}) ASSERT_EQ(deploy(digest, false).ExitCode(), 0);
  testing::ToolRun last = deploy(d4, true);
  ASSERT_EQ(last.ExitCode(), 0) << last.Stderr();
  ASSERT_EQ(last.Results().size(), 1u) << last.Stdout();
  json r = last.Results()[0];
  EXPECT_EQ(r["status"], "completed") << r;
  EXPECT_EQ(r["version"], "4") << r;
  EXPECT_FALSE(r.contains("cleanup_error")) << r;
  EXPECT_EQ(Sorted(r["deleted_versions"]), Sorted({"1", "2", "3"})) << r;
  // Version 1's d1 stays (the service runs it); d2 and d3 went with theirs.
  EXPECT_EQ(Sorted(Field(r, "deleted_images", "image")), Sorted({ByDigest(d2), ByDigest(d3)})) << r;
  EXPECT_EQ(Field(r, "kept_images", "reason"), Strings{"in use by service web"}) << r;
  EXPECT_EQ(Digests(), Sorted({d1, d4}));
  auto versions = (*lambda)->ListVersions(function);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 2u);  // $LATEST and 4

  // On its own, later: nothing left to delete, and version 4, which live names, stays.
  testing::ToolRun again = Deploy({"--lambda-function", function, "--clean-up", "--keep-versions", "1",
                                   "--delete-images"});
  ASSERT_EQ(again.ExitCode(), 0) << again.Stderr();
  EXPECT_EQ(again.Results()[0]["status"], "cleaned") << again.Stdout();
  EXPECT_EQ(again.Results()[0]["deleted_versions"], json::array()) << again.Stdout();
  EXPECT_EQ(Digests(), Sorted({d1, d4}));
}

TEST_F(DeployCleanupTest, AWeightedAliasKeepsBothOfItsVersionsAndTheirImages) {
  const std::string d1 = PutImage("w1", "w1"), d2 = PutImage("w2", "w2"), d3 = PutImage("w3", "w3");
  testing::LambdaMoto setup;
  const std::string function = "canary-" + std::to_string(counter_);
  ASSERT_TRUE(setup.Start(*moto_, function + "-zip"));
  ASSERT_TRUE(setup.CreateImageFunction(function, ByDigest(d1), {}));
  auto lambda = LambdaClient::Make(moto_->Context(nullptr, proxy_->endpoint()));
  ASSERT_TRUE(lambda.ok());
  ASSERT_EQ(*(*lambda)->FunctionImage(function), ByDigest(d1));
  for (const std::string& digest : {d1, d2, d3}) {
    if (digest != d1) {
      ASSERT_TRUE((*lambda)->UpdateFunctionImage(function, ByDigest(digest)).ok());
    }
    ASSERT_TRUE((*lambda)->PublishVersion(function, "").ok());
  }
  // live sends 90% of calls to version 3 and 10% to version 1 (a canary the other way round).
  // (sluice has no call for a weighted alias: the AWS CLI makes it.)
  std::string aws;
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  for (size_t begin = 0; aws.empty() && begin <= path.size();) {
    size_t end = std::min(path.find(':', begin), path.size());
    std::string candidate = path.substr(begin, end - begin) + "/aws";
    if (end > begin && access(candidate.c_str(), X_OK) == 0) aws = candidate;
    begin = end + 1;
  }
  ASSERT_FALSE(aws.empty()) << "the AWS CLI is not on PATH: pip install awscli";
  testing::ToolRun alias(aws, dir_,
                         testing::AwsEnv(dir_, proxy_->endpoint(), moto_->credentials().access_key_id,
                                         moto_->credentials().secret_access_key),
                         {"--endpoint-url", proxy_->endpoint(), "--region", "us-east-1", "lambda",
                          "create-alias", "--function-name",
                          function, "--name", "live", "--function-version", "3", "--routing-config",
                          R"({"AdditionalVersionWeights": {"1": 0.1}})"});
  ASSERT_EQ(alias.ExitCode(), 0) << alias.Stderr();
  testing::ToolRun run = Deploy({"--lambda-function", function, "--clean-up", "--keep-versions", "1",
                                 "--delete-images"});
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  json r = run.Results()[0];
  EXPECT_EQ(r["deleted_versions"], json::array({"2"})) << r;
  EXPECT_EQ(Field(r, "deleted_images", "image"), Strings{ByDigest(d2)}) << r;
  EXPECT_EQ(Digests(), Sorted({d1, d3}));
}

TEST_F(DeployCleanupTest, WhenWhatRunsCannotBeReadNoImageIsDeleted) {
  const std::string d1 = PutImage("e1", "e1"), d2 = PutImage("e2", "e2");
  const std::string jobs1 = Revision(Family("jobs"), ByDigest(d1));
  ASSERT_FALSE(Revision(Family("jobs"), ByDigest(d2)).empty());
  testing::ToolRun run = Deploy({"--clean-up", "--cluster", cluster_, "--family", Family("jobs"),
                                 "--keep-revisions", "1", "--delete-images", "--in-use-by",
                                 "ecs:no-such-cluster"});
  EXPECT_EQ(run.ExitCode(), 1) << run.Stderr();
  ASSERT_EQ(run.Results().size(), 1u) << run.Stdout();
  json r = run.Results()[0];
  EXPECT_EQ(r["status"], "failed") << r;
  EXPECT_NE(r["error"].get<std::string>().find("--in-use-by ecs:no-such-cluster"), std::string::npos) << r;
  EXPECT_NE(r["error"].get<std::string>().find("no image deleted"), std::string::npos) << r;
  EXPECT_EQ(r["deregistered"], json::array({jobs1})) << r;  // safe: ECS runs INACTIVE revisions
  EXPECT_EQ(Digests(), Sorted({d1, d2}));
}

TEST_F(DeployCleanupTest, MisusedFlagsAreUsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--cluster", "c", "--service", "s", "--image", "x", "--delete-images"}, "--keep-revisions N"},
      {{"--cluster", "c", "--service", "s", "--image", "x", "--protect-tag", "v*"}, "go with --delete-images"},
      {{"--cluster", "c", "--service", "s", "--image", "x", "--keep-revisions", "2", "--delete-images",
        "--in-use-by", "k8s:x"}, "give ecs:CLUSTER or lambda:FUNCTION"},
      {{"--cluster", "c", "--service", "s", "--image", "x", "--keep-revisions", "2", "--delete-images",
        "--protect-tag", "[v"}, "--protect-tag [v"},
      {{"--clean-up", "--cluster", "c", "--service", "s", "--keep-revisions", "2", "--image", "x"},
       "--clean-up deploys nothing"},
      {{"--clean-up", "--cluster", "c", "--service", "s", "--family", "f", "--keep-revisions", "2"},
       "one of --service S"},
      {{"--clean-up", "--cluster", "c", "--family", "f"}, "--keep-revisions N (N >= 1)"},
      {{"--cluster", "c", "--service", "s", "--image", "x", "--family", "f"}, "--family goes with --clean-up"},
      {{"--lambda-function", "f", "--clean-up"}, "--keep-versions N (N >= 1)"},
      {{"--lambda-function", "f", "--clean-up", "--keep-versions", "1", "--image", "x"}, "deploys nothing"},
  };
  for (const auto& [args, message] : cases) {
    testing::ToolRun run = Deploy(args);
    EXPECT_EQ(run.ExitCode(), 2) << ::testing::PrintToString(args) << run.Stderr();
    EXPECT_NE(run.Stderr().find(message), std::string::npos) << ::testing::PrintToString(args) << run.Stderr();
    EXPECT_EQ(run.Stdout(), "");
  }
}

}  // namespace
}  // namespace sluice
