// scripts/demo, the README's first command, run as a user would run it (without install-deps,
// and building into this test's own build directory, which is up to date): it starts its own
// moto_server and docker-registry, runs the five tools, and says what happened on "demo: " lines.
// The test checks what those lines say, not only the exit code:
//   - the image sluice-push pushed is named by its digest, and that exact image is what the task
//     definition revision sluice-deploy registered runs (as moto describes it);
//   - the task sluice-trigger started for the uploaded file carries INPUT_KEY=<its key> (as moto
//     describes it);
//   - sluice-run-once reported exit code 0 for a task of its own;
//   - nothing the demo started is left: its peers and pipeline processes are gone, their ports
//     closed, and its temporary directory removed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/peers/tool_run.h"
#include "tests/support/child_process.h"

namespace sluice {
namespace {

using testing::Contains;
using testing::Lines;
using testing::PortAcceptsConnections;
using testing::ReadFile;

constexpr int kDemoTimeoutMs = 170000;

// The first line matching `pattern` (the whole line); its groups in *match.
bool FindLine(const std::vector<std::string>& lines, const std::string& pattern, std::smatch* match) {
  std::regex re(pattern);
  for (const std::string& line : lines) {
    if (std::regex_match(line, *match, re)) return true;
  }
  return false;
}

// The command line of a running process; "" when there is none with that pid.
std::string CommandLine(int pid) {
  std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  return cmdline;
}

TEST(DemoTest, RunsTheWholeChainAndStopsEverythingItStarted) {
  const std::string root = std::filesystem::canonical(std::string(SLUICE_TEST_DATA_DIR) + "/../..");
  const std::string build_dir = std::filesystem::canonical(std::string(SLUICE_BIN_DIR) + "/..");
  const std::string dir = testing::MakeTempDir("sluice-demo-test");
  const std::string tmp = dir + "/tmp";  // the demo's TMPDIR: it must be empty afterwards
  std::filesystem::create_directory(tmp);
  const std::string log = dir + "/demo.log";

  std::string error;
  auto demo = testing::ChildProcess::Start(
      {root + "/scripts/demo"},
      {{"BUILD_DIR", build_dir}, {"SLUICE_DEMO_SKIP_DEPS", "1"}, {"SLUICE_DEMO_SKIP_BUILD", "1"}, {"TMPDIR", tmp}, {"NO_COLOR", "1"}},
      log, &error);
  ASSERT_NE(demo, nullptr) << error;
  std::optional<int> code = demo->Wait(kDemoTimeoutMs);
  if (!code) demo->Stop();  // SIGTERM: the demo's trap stops what it started
  const std::string output = ReadFile(log);
  const std::vector<std::string> lines = Lines(output);

  // Whatever happened, find what it started, and make sure none of it outlives the test.
  std::smatch m;
  std::map<int, std::string> started;  // pid -> what
  std::vector<int> ports;
  if (FindLine(lines, R"(demo: peers moto_server pid=(\d+) port=(\d+) docker-registry pid=(\d+) port=(\d+))", &m)) {
    started[std::stoi(m[1])] = "moto_server";
    started[std::stoi(m[3])] = "docker-registry";
    ports = {std::stoi(m[2]), std::stoi(m[4])};
  }
  if (FindLine(lines, R"(demo: pipeline sluice-watch pid=(\d+) sluice-trigger pid=(\d+))", &m)) {
    started[std::stoi(m[1])] = "sluice-watch";
    started[std::stoi(m[2])] = "sluice-trigger";
  }
  std::vector<std::string> left;
  for (const auto& [pid, what] : started) {
    if (Contains(CommandLine(pid), what)) left.push_back(what + " pid " + std::to_string(pid));
  }
  std::vector<int> open_ports;
  for (int port : ports) {
    if (PortAcceptsConnections(port)) open_ports.push_back(port);
  }
  for (const auto& [pid, what] : started) {
    if (Contains(CommandLine(pid), what)) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
  }

  ASSERT_TRUE(code.has_value()) << "scripts/demo did not finish in " << kDemoTimeoutMs / 1000
                                << " s:\n" << output;
  ASSERT_EQ(*code, 0) << output;
  EXPECT_TRUE(Contains(output, "demo: all steps passed")) << output;

  // 1. push: the image is named by the digest of what was pushed.
  ASSERT_TRUE(FindLine(lines, R"(demo: pushed image=(\S+) digest=(sha256:[0-9a-f]{64}))", &m)) << output;
  const std::string image = m[1], digest = m[2];
  EXPECT_EQ(image, "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo/app@" + digest);

  // 2. deploy: the new revision runs exactly that image.
  ASSERT_TRUE(FindLine(lines, R"(demo: deployed task_definition=(\S+) image=(\S+))", &m)) << output;
  EXPECT_EQ(m[1], "arn:aws:ecs:us-east-1:123456789012:task-definition/demo-app:2") << output;
  const std::string deployed_image = m[2];
  EXPECT_EQ(deployed_image, image);
  EXPECT_EQ(deployed_image.substr(deployed_image.find('@') + 1), digest);

  // 3. trigger: a task for the uploaded file, with its key in INPUT_KEY.
  ASSERT_TRUE(FindLine(lines, R"(demo: uploaded s3://demo-uploads/(\S+))", &m)) << output;
  const std::string key = m[1];
  EXPECT_EQ(key.rfind("uploads/", 0), 0u) << key;
  ASSERT_TRUE(FindLine(lines, R"(demo: triggered task=(arn:aws:ecs:us-east-1:123456789012:task/demo/\S+) INPUT_KEY=(\S+))", &m))
      << output;
  const std::string triggered_task = m[1];
  EXPECT_EQ(m[2], key) << output;

  // 4. run-once: a task of its own, exit code 0.
  ASSERT_TRUE(FindLine(lines, R"(demo: run-once exit_code=(\S+) task=(arn:aws:ecs:\S+))", &m)) << output;
  EXPECT_EQ(m[1], "0") << output;
  EXPECT_NE(m[2], triggered_task);

  // 5. Everything stopped: each process said to be stopped, gone, its port closed; no state left.
  ASSERT_EQ(started.size(), 4u) << output;
  EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left) << "\n" << output;
  for (const auto& [pid, what] : started) {
    EXPECT_TRUE(Contains(output, "demo: stopped " + what + " pid=" + std::to_string(pid)))
        << what << "\n" << output;
  }
  EXPECT_EQ(ports.size(), 2u) << output;
  EXPECT_TRUE(open_ports.empty()) << "still listening: " << ::testing::PrintToString(open_ports);
  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << "the demo left files in its TMPDIR";

  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace sluice
