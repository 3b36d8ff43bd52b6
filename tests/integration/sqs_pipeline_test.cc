// sluice-watch --sqs-queue | sluice-trigger against moto's SQS, with the queue doing what Step
// Functions' retry-and-catch would: two pipelines on one queue share the work and none runs a
// message's work twice; a command that takes longer than the queue's visibility timeout keeps
// its message hidden (sluice-trigger's heartbeat) and runs once; a command that keeps failing
// leaves its message to the queue, which moves it to the dead-letter queue after
// maxReceiveCount deliveries; and the queue is empty at the end: each message was deleted when
// its work was done, not when it was read.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/services/sqs_client.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/examples.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;

std::string Notification(const std::string& key) {
  return json{{"Records",
               {{{"eventVersion", "2.1"},
                 {"eventSource", "aws:s3"},
                 {"awsRegion", "us-east-1"},
                 {"eventTime", "2026-12-03T10:00:00.000Z"},
                 {"eventName", "ObjectCreated:Put"},
                 {"s3",
                  {{"bucket", {{"name", "uploads"}}},
                   {"object", {{"key", key}, {"size", 5}, {"eTag", "etag-" + key}, {"sequencer", "0A"}}}}}}}}}
      .dump();
}

// Each line of the files the commands appended to ("KEY PIPELINE"), counted per key.
std::map<std::string, int> RunsPerKey(const std::string& dir, std::map<std::string, int>* per_pipeline) {
  std::map<std::string, int> runs;
  std::istringstream lines(testing::ReadFile(dir + "/runs"));
  std::string key, pipeline;
  while (lines >> key >> pipeline) {
    ++runs[key];
    if (per_pipeline) ++(*per_pipeline)[pipeline];
  }
  return runs;
}

class SqsPipelineTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-sqs-pipeline-");
    auto sqs = SqsClient::Make(moto_->Context());
    ASSERT_TRUE(sqs.ok());
    sqs_ = std::move(sqs).value();
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // A queue whose messages are hidden for 2 s when received and go to a dead-letter queue after
  // their second delivery.
  void MakeQueues(const std::string& name) {
    auto dlq = sqs_->CreateQueue(name + "-dlq");
    ASSERT_TRUE(dlq.ok()) << dlq.error().ToString();
    dlq_url_ = *dlq;
    std::string dlq_arn = "arn:aws:sqs:us-east-1:" + moto_->account_id() + ":" + name + "-dlq";
    auto url = sqs_->CreateQueue(
        name, {{"VisibilityTimeout", "2"},
               {"RedrivePolicy", json{{"deadLetterTargetArn", dlq_arn}, {"maxReceiveCount", "2"}}.dump()}});
    ASSERT_TRUE(url.ok()) << url.error().ToString();
    url_ = *url;
  }

  // One pipeline, as a user writes it: its command records "KEY NAME", sleeps 4 s for keys
  // starting with "slow" (twice the queue's visibility timeout) and fails for "bad" ones.
  std::unique_ptr<testing::ToolRun> Pipeline(const std::string& name) {
    std::string script =
        "sluice-watch --sqs-queue \"$QUEUE\" | sluice-trigger --max-parallel 4 "
        "--visibility-timeout 3s --exec -- sh -c '"
        "echo \"$SLUICE_KEY $PIPELINE\" >> \"$DIR/runs\"; "
        "case $SLUICE_KEY in slow*) sleep 4;; bad*) exit 3;; esac' > \"$DIR/results-$PIPELINE\"";
    auto env = testing::ExampleEnv(dir_, *moto_, moto_->credentials());
    env.insert({{"QUEUE", url_}, {"DIR", dir_}, {"PIPELINE", name}});
    return std::make_unique<testing::ToolRun>("/bin/sh", dir_, env, std::vector<std::string>{"-c", script});
  }

  size_t Visible(const std::string& url) {
    auto messages = sqs_->ReceiveMessage(url, 10, 0);
    return messages.ok() ? messages->size() : 1000;
  }

  std::string dir_;
  std::unique_ptr<SqsClient> sqs_;
  std::string url_, dlq_url_;
};

TEST_F(SqsPipelineTest, TwoPipelinesShareAQueueAndEachMessageIsWorkedOnceOrDeadLettered) {
  MakeQueues("shared-work");
  std::vector<std::string> keys = {"slow-1", "slow-2", "bad-1"};
  for (int i = 0; i < 20; ++i) keys.push_back("k" + std::to_string(i));
  auto a = Pipeline("a");
  auto b = Pipeline("b");
  // Both long-polling before the first message: a receive returns as soon as it has one, so
  // messages sent one by one reach both.
  ASSERT_TRUE(testing::WaitFor([&] {
    return a->Stderr().find("watching") != std::string::npos && b->Stderr().find("watching") != std::string::npos;
  }, 30000)) << a->Stderr() << b->Stderr();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const std::string& key : keys) ASSERT_TRUE(sqs_->SendMessage(url_, Notification(key)).ok());
  // Done when every good key ran and the bad one reached the dead-letter queue: after its
  // first delivery failed it became visible again (2 s: no heartbeat once it failed), then
  // after its second the queue moved it.
  auto done = [&] {
    auto runs = RunsPerKey(dir_, nullptr);
    size_t good = 0;
    for (const std::string& key : keys) good += key != "bad-1" && runs.count(key);
    return good == keys.size() - 1 && runs["bad-1"] >= 2;
  };
  ASSERT_TRUE(testing::WaitFor(done, 60000)) << testing::ReadFile(dir_ + "/runs") << a->Stderr() << b->Stderr();
  // The dead-letter queue gets it on the receive after the second delivery.
  ASSERT_TRUE(testing::WaitFor([&] {
    auto dead = sqs_->ReceiveMessage(dlq_url_, 10, 1);
    return dead.ok() && dead->size() == 1 && (*dead)[0].body.find("bad-1") != std::string::npos;
  }, 30000)) << a->Stderr() << b->Stderr();
  // Longer than a visibility timeout and a heartbeat: anything not deleted would show again.
  std::this_thread::sleep_for(std::chrono::seconds(4));

  std::map<std::string, int> per_pipeline;
  auto runs = RunsPerKey(dir_, &per_pipeline);
  for (const std::string& key : keys) {
    if (key == "bad-1") {
      EXPECT_EQ(runs[key], 2) << "one run per delivery, two deliveries (maxReceiveCount)";
    } else {
      EXPECT_EQ(runs[key], 1) << key << " ran " << runs[key] << " times\n" << testing::ReadFile(dir_ + "/runs");
    }
  }
  // Both pipelines took work (each receives up to 10 messages at a time).
  EXPECT_GT(per_pipeline["a"], 0) << testing::ReadFile(dir_ + "/runs");
  EXPECT_GT(per_pipeline["b"], 0) << testing::ReadFile(dir_ + "/runs");
  // The slow ones outlived the queue's visibility timeout twice over and were not redelivered.
  EXPECT_EQ(runs["slow-1"] + runs["slow-2"], 2);

  // The shell dies of the signal; the tools stop cleanly (their summaries are on stderr).
  a->SignalGroup(SIGTERM);
  b->SignalGroup(SIGTERM);
  a->Wait(30000);
  b->Wait(30000);
  EXPECT_EQ(Visible(url_), 0u) << "every message was deleted once its work was done";
}

TEST_F(SqsPipelineTest, AStoppedPipelineReturnsWhatItHadNotStartedForTheNextOne) {
  MakeQueues("handed-back");
  // One at a time and each slow: most of the batch is still waiting when the pipeline stops.
  std::vector<std::string> keys = {"slow-a", "slow-b", "slow-c", "slow-d"};
  for (const std::string& key : keys) ASSERT_TRUE(sqs_->SendMessage(url_, Notification(key)).ok());
  std::string script =
      "sluice-watch --sqs-queue \"$QUEUE\" | sluice-trigger --grace-period 30s "
      "--visibility-timeout 1m --exec -- sh -c 'echo \"$SLUICE_KEY first\" >> \"$DIR/runs\"; sleep 1'";
  auto env = testing::ExampleEnv(dir_, *moto_, moto_->credentials());
  env.insert({{"QUEUE", url_}, {"DIR", dir_}});
  testing::ToolRun first("/bin/sh", dir_, env, {"-c", script});
  ASSERT_TRUE(testing::WaitFor([&] { return !testing::ReadFile(dir_ + "/runs").empty(); }, 30000))
      << first.Stderr();
  first.SignalGroup(SIGTERM);
  // The shell dies of the signal at once; sluice-trigger's summary says when it has stopped.
  ASSERT_TRUE(testing::WaitFor([&] { return first.Stderr().find("event(s):") != std::string::npos; }, 30000))
      << first.Stderr();
  EXPECT_NE(first.Stderr().find("cancelled"), std::string::npos) << first.Stderr();
  auto after_first = RunsPerKey(dir_, nullptr);
  ASSERT_LT(after_first.size(), keys.size()) << "the test needs work left when the first stops";

  // The rest is visible again within seconds (not after the 1-minute visibility timeout) to
  // the next one, and the first one's stopping watch did not take it back: maxReceiveCount is 2.
  auto second = Pipeline("second");
  ASSERT_TRUE(testing::WaitFor([&] { return RunsPerKey(dir_, nullptr).size() == keys.size(); }, 30000))
      << testing::ReadFile(dir_ + "/runs") << first.Stderr() << second->Stderr();
  for (const auto& [key, count] : RunsPerKey(dir_, nullptr)) EXPECT_EQ(count, 1) << key;
  second->SignalGroup(SIGTERM);
  second->Wait(30000);
}

// An ECS task that fails, with --wait, through AwsRealismProxy (clientToken honoured as ECS does,
// every stopped task failing as one whose image cannot be pulled): each delivery of the message
// starts a task of its own, and after maxReceiveCount (2) the message is dead-lettered. Before,
// the second delivery's RunTask carried the first's clientToken and ECS gave back the failed task:
// no second task was ever started.
TEST_F(SqsPipelineTest, EachDeliveryOfAMessageWhoseTaskFailedStartsANewTask) {
  MakeQueues("failing-task");
  testing::EcsMoto ecs;
  ASSERT_TRUE(ecs.Start(*moto_, "sqs-failing"));
  ecs.RegisterTaskDefinition("sqs-job", json::array({testing::EcsMoto::Container("app", "busybox")}));
  testing::AwsRealismProxy proxy(moto_->endpoint());
  proxy.StopTasksWith("TaskFailedToStart", "CannotPullContainerError: pull access denied");
  auto env = testing::AwsEnv(dir_, proxy.endpoint(), moto_->credentials().access_key_id,
                             moto_->credentials().secret_access_key);
  env["PATH"] = testing::ExampleEnv(dir_, *moto_, moto_->credentials()).at("PATH");
  env["QUEUE"] = url_;
  env["DIR"] = dir_;
  testing::ToolRun run("/bin/sh", dir_, env,
                       {"-c", "sluice-watch --sqs-queue \"$QUEUE\" | sluice-trigger "
                              "--visibility-timeout 3s --cluster sqs-failing --task-definition sqs-job "
                              "--launch-type FARGATE --wait --env INPUT_KEY={key} > \"$DIR/results\""});
  ASSERT_TRUE(sqs_->SendMessage(url_, Notification("image.tar")).ok());
  ASSERT_TRUE(testing::WaitFor([&] {
    auto dead = sqs_->ReceiveMessage(dlq_url_, 10, 1);
    return dead.ok() && dead->size() == 1;
  }, 60000)) << run.Stderr();
  run.SignalGroup(SIGTERM);
  run.Wait(30000);
  EXPECT_EQ(proxy.TasksStarted().size(), 2u) << "one task per delivery\n" << run.Stderr();
  std::set<std::string> tokens;
  for (const std::string& token : proxy.ClientTokens()) tokens.insert(token);
  EXPECT_EQ(tokens.size(), 2u) << "the first delivery's token, then the next link of its chain";
  EXPECT_NE(run.Stderr().find("an earlier delivery of its message started it and it failed"),
            std::string::npos)
      << run.Stderr();
  auto results = testing::Lines(testing::ReadFile(dir_ + "/results"));
  ASSERT_EQ(results.size(), 2u) << run.Stderr();
  for (const std::string& line : results) EXPECT_EQ(json::parse(line)["status"], "failed") << line;
}

}  // namespace
}  // namespace sluice
