// Pipelines under kill -9: sluice-watch --state | sluice-trigger --journal (the same with both in
// S3, and with --sqs-queue), against
// moto through AwsRealismProxy (which honours RunTask's clientToken as ECS does and counts the
// tasks moto really starts). 100 rounds: start the same command line, write objects, SIGKILL one
// of the two processes (chosen at random) at a random moment, stop the other with SIGTERM as an
// operator would, start again. At the end every object version started a task, and none
// started two. The counts are printed for the note.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "sluice/services/s3_client.h"
#include "sluice/services/sqs_client.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/ecs_moto.h"
#include "tests/peers/examples.h"
#include "tests/peers/peers.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using nlohmann::json;

// The children of `parent` named `name` (from /proc): the tools of a shell's pipeline.
std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& name) {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && comm == name.substr(0, 15) && state != 'Z') found.push_back(pid);
  }
  closedir(proc);
  return found;
}

class PipelineChaosTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-chaos-");
    // Tests share the suite's moto: each has a cluster and a bucket of its own.
    suffix_ = std::to_string(++counter_);
    cluster_ = "chaos-" + suffix_;
    bucket_ = "chaos-uploads-" + suffix_;
    ASSERT_TRUE(ecs_.Start(*moto_, cluster_));
    ecs_.RegisterTaskDefinition("chaos-job", json::array({testing::EcsMoto::Container("app", "busybox")}));
    auto s3 = S3Client::Make(moto_->Context());
    ASSERT_TRUE(s3.ok());
    s3_ = std::move(s3).value();
    ASSERT_TRUE(s3_->CreateBucket(bucket_).ok());
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // The polling pipeline by default; `command` replaces it (the SQS one).
  std::unique_ptr<testing::ToolRun> Pipeline(const testing::AwsRealismProxy& proxy,
                                             const std::string& command = "") {
    std::string script =
        !command.empty()
            ? command
            : "sluice-watch --state \"$DIR/watch.state\" --interval 200ms s3://$BUCKET/in/ | "
              "sluice-trigger --journal \"$DIR/trigger.journal\" --cluster $CLUSTER --task-definition "
              "chaos-job --launch-type FARGATE --env INPUT_KEY={key} >> \"$DIR/results\"";
    auto env = testing::AwsEnv(dir_, proxy.endpoint(), moto_->credentials().access_key_id,
                               moto_->credentials().secret_access_key);
    env["PATH"] = testing::ExampleEnv(dir_, *moto_, moto_->credentials()).at("PATH");
    env["DIR"] = dir_;
    env["BUCKET"] = bucket_;
    env["CLUSTER"] = cluster_;
    return std::make_unique<testing::ToolRun>("/bin/sh", dir_, env, std::vector<std::string>{"-c", script});
  }

  // Both tools of the pipeline, once they run; empty when they did not start.
  static std::map<std::string, pid_t> Tools(testing::ToolRun& run) {
    std::map<std::string, pid_t> tools;
    testing::WaitFor([&] {
      for (const char* name : {"sluice-watch", "sluice-trigger"}) {
        auto pids = ChildrenNamed(run.pid(), name);
        if (!pids.empty()) tools[name] = pids[0];
      }
      return tools.size() == 2;
    }, 10000);
    return tools;
  }

  static bool Gone(pid_t pid) { return kill(pid, 0) != 0; }

  static inline int counter_ = 0;
  std::string dir_, suffix_, cluster_, bucket_;
  testing::EcsMoto ecs_;
  std::unique_ptr<S3Client> s3_;

  // Rounds of start, write, SIGKILL one tool, SIGTERM the other; then a last start that runs
  // until every object's task was asked for. Checks and prints the counts.
  // With `claim_each_round`, each round writes its objects once sluice-watch watches again
  // (with a state in S3: once it has taken the state over).
  void Chaos(const std::string& mode, const std::string& command, bool wait_for_baseline,
             int rounds = 100, bool claim_each_round = false);
};

TEST_F(PipelineChaosTest, KillNineOfEitherToolLosesNoObjectAndStartsNoTaskTwice) {
  Chaos("polling", "", /*wait_for_baseline=*/true);
}

// The same with S3 Event Notifications through SQS, and --wait: a message is deleted by
// sluice-trigger once its task has stopped, so kills mostly catch tasks being waited for; what
// a killed tool held comes back when its visibility timeout ends, and its RunTask's clientToken
// gives back the task already started.
TEST_F(PipelineChaosTest, KillNineOfEitherToolInSqsModeLosesNoObjectAndStartsNoTaskTwice) {
  auto sqs = SqsClient::Make(moto_->Context());
  ASSERT_TRUE(sqs.ok());
  auto url = (*sqs)->CreateQueue("chaos-events-" + suffix_, {{"VisibilityTimeout", "2"}});
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  ASSERT_TRUE(s3_->NotifyQueue(bucket_, "arn:aws:sqs:us-east-1:" + moto_->account_id() +
                                           ":chaos-events-" + suffix_).ok());
  // S3's test event, sent when notifications are configured, must not count as an object.
  Chaos("SQS", "sluice-watch --sqs-queue " + *url + " --include 'in/**' | sluice-trigger "
        "--visibility-timeout 3s --cluster $CLUSTER --task-definition chaos-job --launch-type FARGATE "
        "--wait --max-parallel 8 --grace-period 500ms --env INPUT_KEY={key} >> \"$DIR/results\"", /*wait_for_baseline=*/false);
}

// Polling with the state and the journal in S3, as an ECS task keeps them (its disk goes with
// it): a restart after a SIGKILL waits out the killed tool's lease (3 s here) and resumes from
// the object. Fewer rounds, for those waits.
TEST_F(PipelineChaosTest, KillNineOfEitherToolWithStateAndJournalInS3LosesNoObjectAndStartsNoTaskTwice) {
  Chaos("polling, state and journal in S3",
        "sluice-watch --state s3://$BUCKET/state/watch.state --state-lease 3s --interval 200ms "
        "s3://$BUCKET/in/ | sluice-trigger --journal s3://$BUCKET/state/trigger.journal "
        "--journal-lease 3s --cluster $CLUSTER --task-definition chaos-job --launch-type FARGATE "
        "--env INPUT_KEY={key} >> \"$DIR/results\"",
        /*wait_for_baseline=*/true, /*rounds=*/20, /*claim_each_round=*/true);
}

void PipelineChaosTest::Chaos(const std::string& mode, const std::string& command,
                              bool wait_for_baseline, int rounds, bool claim_each_round) {
  const int kRounds = rounds;
  const unsigned seed = 20261203;
  std::mt19937 random(seed);
  testing::AwsRealismProxy proxy(moto_->endpoint());
  std::vector<std::string> keys;
  int watch_kills = 0, trigger_kills = 0;

  for (int round = 0; round <= kRounds; ++round) {
    auto run = Pipeline(proxy, command);
    auto tools = Tools(*run);
    ASSERT_EQ(tools.size(), 2u) << run->Stderr();
    if ((round == 0 && wait_for_baseline) || claim_each_round) {
      // The first start takes the baseline: objects count from then on.
      ASSERT_TRUE(testing::WaitFor([&] { return run->Stderr().find("watching ") != std::string::npos; }, 20000))
          << run->Stderr();
    }
    if (round == kRounds) {
      // The last start runs to the end: every key has a "succeeded" result line, in this run
      // or an earlier one (with --wait: its task stopped with success).
      auto succeeded = [&] {
        std::set<std::string> done;
        std::istringstream results(testing::ReadFile(dir_ + "/results"));
        for (std::string line; std::getline(results, line);) {
          json r = json::parse(line, nullptr, false);
          if (r.is_object() && r.value("status", "") == "succeeded") done.insert(r["event"].value("key", ""));
        }
        return std::all_of(keys.begin(), keys.end(), [&](const std::string& k) { return done.count(k) > 0; });
      };
      EXPECT_TRUE(testing::WaitFor(succeeded, 90000)) << run->Stderr();
      run->SignalGroup(SIGTERM);
      run->Wait(30000);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      std::string key = "in/r" + std::to_string(round) + "-" + std::to_string(i) + ".csv";
      ASSERT_TRUE(s3_->PutObject(bucket_, key, "round " + std::to_string(round)).ok());
      keys.push_back(key);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 600)(random)));
    bool kill_watch = std::uniform_int_distribution<int>(0, 1)(random) == 0;
    (kill_watch ? watch_kills : trigger_kills)++;
    pid_t victim = tools[kill_watch ? "sluice-watch" : "sluice-trigger"];
    pid_t survivor = tools[kill_watch ? "sluice-trigger" : "sluice-watch"];
    kill(victim, SIGKILL);
    // The operator stops what is left, then starts the same command line again.
    kill(survivor, SIGTERM);
    ASSERT_TRUE(testing::WaitFor([&] { return Gone(victim) || ChildrenNamed(run->pid(), "sluice-watch").empty(); }, 30000));
    run->Wait(60000);
  }

  // Count per key the distinct client tokens RunTask carried, and the tasks moto started.
  std::map<std::string, std::set<std::string>> tokens;
  int run_task_calls = 0;
  for (const auto& call : proxy.JsonCalls()) {
    if (call.target.find("RunTask") == std::string::npos) continue;
    ++run_task_calls;
    json body = json::parse(call.body, nullptr, false);
    for (const json& e : body["overrides"]["containerOverrides"][0]["environment"]) {
      if (e["name"] == "INPUT_KEY") tokens[e["value"]].insert(body.value("clientToken", ""));
    }
  }
  const size_t with_a_task = tokens.size();
  int twice = 0;
  for (const std::string& key : keys) {
    EXPECT_EQ(tokens[key].size(), 1u) << key << " was asked for with " << tokens[key].size() << " client tokens";
    if (tokens[key].size() > 1) ++twice;
  }
  EXPECT_EQ(proxy.TasksStarted().size(), keys.size()) << "one task per object version";
  EXPECT_EQ(ecs_.ListTasks().size(), keys.size());
  std::cout << "chaos, " << mode << " (seed " << seed << "): " << kRounds << " rounds, " << watch_kills
            << " sluice-watch and " << trigger_kills << " sluice-trigger SIGKILLs; " << keys.size()
            << " objects, " << with_a_task << " with a task, " << proxy.TasksStarted().size()
            << " tasks started in moto, " << run_task_calls << " RunTask calls ("
            << run_task_calls - static_cast<int>(proxy.TasksStarted().size())
            << " answered by their clientToken), " << twice << " objects with two tasks\n";
}

}  // namespace
}  // namespace sluice
