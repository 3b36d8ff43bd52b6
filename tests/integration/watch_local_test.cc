// sluice-watch on local files, the real binary: the same events as for S3 without AWS (no
// region, no credentials, no peer), woken by inotify.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/child_process.h"

namespace sluice {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LocalWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("sluice-watch-local-"); }
  void TearDown() override {
    if (process_) process_->Stop();
    testing::RemoveTree(dir_);
  }

  void Start(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/bin/sh", "-c",
                                     "cd \"$SLUICE_TEST_DIR\" && exec \"$0\" \"$@\" 2>err.txt",
                                     std::string(SLUICE_BIN_DIR) + "/sluice-watch"};
    argv.insert(argv.end(), args.begin(), args.end());
    // No AWS settings at all: local watching must not need them.
    std::map<std::string, std::string> env = {{"SLUICE_TEST_DIR", dir_},
                                              {"HOME", dir_},
                                              {"AWS_CONFIG_FILE", dir_ + "/none"},
                                              {"AWS_REGION", ""},
                                              {"AWS_DEFAULT_REGION", ""}};
    std::string error;
    process_ = testing::ChildProcess::Start(argv, env, dir_ + "/out.jsonl", &error);
    ASSERT_NE(process_, nullptr) << error;
    for (int i = 0; i < 500 && ReadFile(dir_ + "/err.txt").find("watching") == std::string::npos;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_NE(ReadFile(dir_ + "/err.txt").find("watching"), std::string::npos)
        << ReadFile(dir_ + "/err.txt");
  }

  std::vector<nlohmann::json> WaitForEvents(size_t n) {
    std::vector<nlohmann::json> events;
    for (int i = 0; i < 500; ++i) {
      events.clear();
      std::stringstream lines(ReadFile(dir_ + "/out.jsonl"));
      std::string line;
      while (std::getline(lines, line)) events.push_back(nlohmann::json::parse(line));
      if (events.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return events;
  }

  void Write(const std::string& relative, const std::string& body) {
    std::ofstream(dir_ + "/" + relative) << body;
  }

  std::string dir_;
  std::unique_ptr<testing::ChildProcess> process_;
};

TEST_F(LocalWatchTest, DirectoryEventsHaveTheS3Schema) {
  std::filesystem::create_directories(dir_ + "/in");
  // A 60 s interval: only inotify can make these events arrive within the test's wait.
  Start({"--interval", "60s", "in/"});
  Write("in/a.csv", "hello");
  auto events = WaitForEvents(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"], "created");
  EXPECT_EQ(events[0]["key"], "in/a.csv");
  EXPECT_EQ(events[0]["uri"], "file://" + dir_ + "/in/a.csv");
  EXPECT_EQ(events[0]["size"], 5);
  EXPECT_EQ(events[0]["source"], "inotify");
  EXPECT_EQ(events[0]["bucket"], "");

  std::filesystem::create_directories(dir_ + "/in/sub");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Write("in/sub/b.csv", "b");
  events = WaitForEvents(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["key"], "in/sub/b.csv");

  Write("in/a.csv", "hello again");
  events = WaitForEvents(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2]["event"], "updated");
  EXPECT_EQ(events[2]["size"], 11);

  std::filesystem::remove(dir_ + "/in/a.csv");
  events = WaitForEvents(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3]["event"], "deleted");

  process_->Signal(SIGINT);
  EXPECT_EQ(process_->Wait(10000), 130);
}

TEST_F(LocalWatchTest, OneFileWithOnceForAJobThatWaitsForItsInput) {
  Start({"--once", "--interval", "60s", "input.csv"});
  Write("other.csv", "x");
  Write("input.csv.tmp", "data");
  std::filesystem::rename(dir_ + "/input.csv.tmp", dir_ + "/input.csv");  // as editors save
  EXPECT_EQ(process_->Wait(20000), 0) << ReadFile(dir_ + "/err.txt");
  auto events = WaitForEvents(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["key"], "input.csv");
  EXPECT_EQ(events[0]["event"], "created");
}

TEST_F(LocalWatchTest, MissingDirectoryIsExit1) {
  std::string error;
  process_ = testing::ChildProcess::Start(
      {std::string(SLUICE_BIN_DIR) + "/sluice-watch", dir_ + "/no/such/dir/file.csv"}, {},
      dir_ + "/out.txt", &error);
  ASSERT_NE(process_, nullptr);
  EXPECT_EQ(process_->Wait(10000), 1);
  EXPECT_NE(ReadFile(dir_ + "/out.txt").find("no such directory"), std::string::npos)
      << ReadFile(dir_ + "/out.txt");
}

}  // namespace
}  // namespace sluice
