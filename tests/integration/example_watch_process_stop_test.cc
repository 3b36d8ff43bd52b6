// examples/watch-process-stop/entrypoint.sh, run as the container would run it, against moto with
// no permission but those of its iam-policy.json (S3 signatures and object ARNs checked for real):
//   - it waits while the object stays as it was, and when a new version is uploaded runs the
//     processing once, for that version (process.sh counts its rows with the AWS CLI), and exits 0;
//   - INITIAL=1 processes the object as it is and stops;
//   - WAIT_TIMEOUT with no change: exit 124, nothing processed;
//   - a SIGTERM to the script alone (how ECS stops a task) while waiting: exit 130, at once;
//   - a failing processing command: exit 1, its exit code in the result line.
// Its taskdef.json is checked to be a task definition ECS accepts.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "sluice/services/s3_client.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/examples.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;
using testing::ReadFile;

class WatchProcessStopExampleTest : public testing::MotoSuiteTest</*kVerifySignatures=*/true> {
 protected:
  void SetUp() override {
    MotoSuiteTest::SetUp();
    dir_ = testing::MakeTempDir("sluice-example-wps-");
    bucket_ = "example-data-" + std::to_string(++counter_);
    vars_ = {{"ACCOUNT_ID", moto_->account_id()}, {"REGION", "us-east-1"}, {"BUCKET", bucket_},
             {"KEY", "data.csv"}, {"IMAGE", "sluice:latest"}};
    auto s3 = S3Client::Make(moto_->Context());
    ASSERT_TRUE(s3.ok());
    s3_ = std::move(*s3);
    ASSERT_TRUE(s3_->CreateBucket(bucket_).ok());
    auto put = s3_->PutObject(bucket_, "data.csv", "id,amount\n1,10\n2,20\n");
    ASSERT_TRUE(put.ok());
    first_etag_ = put->etag;
    Credentials task_role = testing::ExamplePolicyUser(*moto_, "watch-process-stop-" + std::to_string(counter_),
                                                       "watch-process-stop/iam-policy.json", vars_);
    env_ = testing::ExampleEnv(dir_, *moto_, task_role);
    env_.insert({{"WATCH_URI", "s3://" + bucket_ + "/data.csv"},
                 {"INTERVAL", "1s"},
                 {"OUTPUT", dir_ + "/processed.jsonl"}});
  }

  testing::ToolRun Start(const std::vector<std::string>& args = {}) {
    return testing::ToolRun(testing::ExamplePath("watch-process-stop/entrypoint.sh"), dir_, env_, args,
                            {.in_dir = true});
  }
  std::vector<std::string> Processed() const { return testing::Lines(ReadFile(dir_ + "/processed.jsonl")); }

  static inline int counter_ = 0;
  std::string dir_, bucket_, first_etag_;
  std::map<std::string, std::string> vars_, env_;
  std::unique_ptr<S3Client> s3_;
};

TEST_F(WatchProcessStopExampleTest, ProcessesTheNewVersionOnceAndStops) {
  testing::ToolRun run = Start();
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two polls: no change, no processing
  EXPECT_TRUE(run.Running()) << run.Stderr();
  EXPECT_TRUE(Processed().empty());
  auto put = s3_->PutObject(bucket_, "data.csv", "id,amount\n1,10\n2,20\n3,30\n4,40\n5,50\n");
  ASSERT_TRUE(put.ok());
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  EXPECT_EQ(run.Stderr().find("AccessDenied"), std::string::npos) << run.Stderr();

  ASSERT_EQ(Processed().size(), 1u);
  json processed = json::parse(Processed()[0]);
  EXPECT_EQ(processed["uri"], "s3://" + bucket_ + "/data.csv");
  EXPECT_EQ(processed["etag"], put->etag);
  EXPECT_NE(processed["etag"], first_etag_);
  EXPECT_EQ(processed["rows"], 5) << processed;  // the new version's rows, read with the policy's s3:GetObject
  auto results = run.Results();  // sluice-trigger's line
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  EXPECT_EQ(results[0]["status"], "succeeded");
  EXPECT_EQ(results[0]["event"]["event"], "updated");
}

// STATE=s3://… as taskdef.json sets it, with the policy's access to sluice-state/: a version
// uploaded while no task ran is processed by the next task at once; an unchanged object is not
// processed again.
TEST_F(WatchProcessStopExampleTest, WithItsStateInS3TheNextTaskProcessesWhatChangedBetweenTasks) {
  env_["STATE"] = "s3://" + bucket_ + "/sluice-state/data.csv.state";
  {
    testing::ToolRun run = Start();
    ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
    ASSERT_TRUE(s3_->PutObject(bucket_, "data.csv", "id,amount\n1,10\n2,20\n3,30\n").ok());
    ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  }
  auto between = s3_->PutObject(bucket_, "data.csv", "id,amount\n1,10\n");  // no task running
  ASSERT_TRUE(between.ok());
  {
    testing::ToolRun run = Start();
    ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
    EXPECT_EQ(run.Stderr().find("waiting"), std::string::npos) << run.Stderr();  // released
  }
  ASSERT_EQ(Processed().size(), 2u);
  json processed = json::parse(Processed()[1]);
  EXPECT_EQ(processed["etag"], between->etag);
  EXPECT_EQ(processed["rows"], 1);
  env_["WAIT_TIMEOUT"] = "2s";  // nothing changed since: nothing to do
  testing::ToolRun run = Start();
  EXPECT_EQ(run.ExitCode(), 124) << run.Stderr();
  EXPECT_EQ(Processed().size(), 2u);
}

TEST_F(WatchProcessStopExampleTest, InitialProcessesWhatIsThereAndStops) {
  env_["INITIAL"] = "1";
  testing::ToolRun run = Start();
  ASSERT_EQ(run.ExitCode(), 0) << run.Stderr();
  ASSERT_EQ(Processed().size(), 1u);
  json processed = json::parse(Processed()[0]);
  EXPECT_EQ(processed["etag"], first_etag_);
  EXPECT_EQ(processed["rows"], 2);
}

TEST_F(WatchProcessStopExampleTest, NoChangeWithinTheTimeoutExits124) {
  env_["WAIT_TIMEOUT"] = "2s";
  testing::ToolRun run = Start();
  EXPECT_EQ(run.ExitCode(), 124) << run.Stderr();
  EXPECT_TRUE(Processed().empty());
  EXPECT_EQ(run.Stdout(), "");
}

TEST_F(WatchProcessStopExampleTest, SigtermWhileWaitingExits130AtOnce) {
  testing::ToolRun run = Start();
  ASSERT_TRUE(testing::WaitUntilWatching(run)) << run.Stderr();
  run.Signal(SIGTERM);  // to the script alone, as ECS stops a task
  std::optional<int> code = run.Wait(5000);
  ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM: " << run.Stderr();
  EXPECT_EQ(*code, 130) << run.Stderr();
  EXPECT_TRUE(Processed().empty());
}

TEST_F(WatchProcessStopExampleTest, AFailedProcessingExits1WithItsCodeInTheResult) {
  env_["INITIAL"] = "1";
  testing::ToolRun run = Start({"sh", "-c", "exit 3"});
  EXPECT_EQ(run.ExitCode(), 1) << run.Stderr();
  auto results = run.Results();
  ASSERT_EQ(results.size(), 1u) << run.Stdout();
  EXPECT_EQ(results[0]["status"], "failed");
  EXPECT_EQ(results[0]["exit_code"], 3);
}

TEST_F(WatchProcessStopExampleTest, ItsTaskDefinitionIsOneEcsAccepts) {
  testing::EcsMoto ecs;
  ASSERT_TRUE(ecs.Start(*moto_, "example-wps"));
  json registered = ecs.Call("RegisterTaskDefinition",
                             json::parse(testing::ExampleText("watch-process-stop/taskdef.json", vars_)));
  EXPECT_EQ(registered["taskDefinition"].value("family", ""), "watch-process-stop") << registered;
}

}  // namespace
}  // namespace sluice
