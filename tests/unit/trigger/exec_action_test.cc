// The --exec action and the process it runs: arguments reach the program as plain text, the
// event arrives in the environment, exit codes, timeouts and stopping.
#include "sluice/trigger/exec_action.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "sluice/os/file_read.h"
#include "sluice/os/subprocess.h"
#include "tests/support/child_process.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;

const char* kHostileKey = "uploads/u1/$(touch pwned) `id`; a b'\"*.csv";

TriggerEvent Event() {
  nlohmann::json fields = {{"event", "created"},
                           {"uri", std::string("s3://b/") + kHostileKey},
                           {"bucket", "b"},
                           {"key", kHostileKey},
                           {"etag", "e1"},
                           {"size", 7}};
  return {fields, 1};
}

// Gone, or a zombie nobody reaped yet (in a container, PID 1 may be slow to reap orphans).
bool ProcessGone(pid_t pid) {
  int error = 0;
  auto stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat", &error);
  if (!stat) return true;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

class ExecActionTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("exec-action"); }
  void TearDown() override { testing::RemoveTree(dir_); }

  std::string Read(const std::string& name) {
    int error = 0;
    return ReadWholeFile(dir_ + "/" + name, &error).value_or("<missing>");
  }

  ActionOutcome RunScript(const std::string& script, std::vector<std::string> args = {},
                          ExecActionOptions options = {}) {
    std::vector<std::string> argv = {"sh", "-c", script, "sh"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& a : argv) options.argv.push_back(*EventTemplate::Parse(a));
    auto action = MakeExecAction(std::move(options));
    return action->Run(Event(), 2, stop_);
  }

  std::string dir_;
  std::atomic<bool> stop_{false};
};

TEST_F(ExecActionTest, AHostileKeyReachesTheCommandAsPlainText) {
  ExecActionOptions options;
  for (const char* a : {"sh", "-c", "printf '%s' \"$1\" > \"$2\"/arg", "sh", "{key}"}) {
    options.argv.push_back(*EventTemplate::Parse(a));
  }
  options.argv.push_back(*EventTemplate::Parse(dir_));
  ActionOutcome ok = MakeExecAction(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_TRUE(ok.succeeded) << ok.error;
  EXPECT_EQ(Read("arg"), kHostileKey);
  EXPECT_EQ(Read("pwned"), "<missing>");
}

TEST_F(ExecActionTest, TheEventIsInTheEnvironment) {
  ExecActionOptions options;
  options.env.emplace_back("INPUT", *EventTemplate::Parse("{bucket}:{basename}"));
  ActionOutcome outcome = RunScript(
      "printf '%s|%s|%s|%s|%s|%s' \"$SLUICE_EVENT\" \"$SLUICE_KEY\" \"$SLUICE_SIZE\" "
      "\"$SLUICE_ATTEMPT\" \"$INPUT\" \"$SLUICE_VERSION_ID\" > \"$1\"/env; "
      "printf '%s' \"$SLUICE_EVENT_JSON\" > \"$1\"/json",
      {dir_}, std::move(options));
  EXPECT_TRUE(outcome.succeeded) << outcome.error;
  EXPECT_EQ(Read("env"), std::string("created|") + kHostileKey + "|7|2|b:$(touch pwned) `id`; a b'\"*.csv|");
  auto json = nlohmann::json::parse(Read("json"));
  EXPECT_EQ(json["key"], kHostileKey);
}

TEST_F(ExecActionTest, ANonZeroExitFails) {
  ActionOutcome outcome = RunScript("exit 3");
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_EQ(outcome.error, "sh exited with 3");
  EXPECT_TRUE(outcome.retryable);
}

TEST_F(ExecActionTest, AMissingProgramFailsWithoutRetry) {
  ExecActionOptions options;
  options.argv.push_back(*EventTemplate::Parse("/nonexistent/program"));
  ActionOutcome outcome = MakeExecAction(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_FALSE(outcome.retryable);
  EXPECT_NE(outcome.error.find("cannot run /nonexistent/program"), std::string::npos);
}

TEST_F(ExecActionTest, AnArgumentNeedingAMissingFieldFailsWithoutRetry) {
  ExecActionOptions options;
  options.argv.push_back(*EventTemplate::Parse("echo"));
  options.argv.push_back(*EventTemplate::Parse("{last_modified}"));
  ActionOutcome outcome = MakeExecAction(std::move(options))->Run(Event(), 1, stop_);
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_FALSE(outcome.retryable);
  EXPECT_NE(outcome.error.find("last_modified"), std::string::npos);
}

TEST_F(ExecActionTest, ATimeoutStopsTheCommandAndItsChildren) {
  ExecActionOptions options;
  options.timeout = milliseconds(200);
  options.kill_grace = milliseconds(2000);
  // The grandchild (sleep) must go too: the whole process group is signalled.
  ActionOutcome outcome =
      RunScript("sleep 30 & echo $! > \"$1\"/pid; wait", {dir_}, std::move(options));
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_EQ(outcome.exit_code, 124);
  EXPECT_NE(outcome.error.find("did not finish within"), std::string::npos) << outcome.error;
  pid_t sleeper = std::stoi(Read("pid"));
  for (int i = 0; i < 100 && !ProcessGone(sleeper); ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(ProcessGone(sleeper)) << "the command's child outlived it";
}

TEST_F(ExecActionTest, StopEndsTheCommand) {
  std::thread stopper([this] {
    std::this_thread::sleep_for(milliseconds(100));
    stop_ = true;
  });
  ActionOutcome outcome = RunScript("sleep 30");
  stopper.join();
  EXPECT_TRUE(outcome.stopped);
  EXPECT_FALSE(outcome.succeeded);
}

TEST_F(ExecActionTest, ACommandIgnoringSigtermIsKilledAfterTheGrace) {
  ExecActionOptions options;
  options.timeout = milliseconds(100);
  options.kill_grace = milliseconds(100);
  ActionOutcome outcome = RunScript("trap '' TERM; sleep 30", {}, std::move(options));
  EXPECT_EQ(outcome.exit_code, 124);
}

TEST(ProcessTest, ReportsExitCodesAndSignals) {
  auto ok = Process::Spawn({"true"}, {});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->Wait(milliseconds(-1)), 0);
  auto killed = Process::Spawn({"sleep", "30"}, {});
  ASSERT_TRUE(killed.ok());
  EXPECT_FALSE(killed->Wait(milliseconds(10)));
  killed->Signal(SIGKILL);
  EXPECT_EQ(killed->Wait(milliseconds(-1)), 128 + SIGKILL);
}

TEST(ProcessTest, LaterEnvironmentOverridesWin) {
  std::string dir = testing::MakeTempDir("process-env");
  SpawnOptions options;
  options.env = {{"HOME", "first"}, {"X_SLUICE", "a"}, {"HOME", "second"}};
  auto p = Process::Spawn({"sh", "-c", "printf '%s %s' \"$HOME\" \"$X_SLUICE\" > " + dir + "/out"},
                          options);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Wait(milliseconds(-1)), 0);
  int error = 0;
  EXPECT_EQ(ReadWholeFile(dir + "/out", &error), "second a");
  testing::RemoveTree(dir);
}

TEST(ProcessTest, DestroyingARunningProcessKillsIt) {
  pid_t pid = 0;
  {
    auto p = Process::Spawn({"sleep", "30"}, {});
    ASSERT_TRUE(p.ok());
    pid = p->pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);  // killed and reaped: no such process
}

}  // namespace
}  // namespace sluice
