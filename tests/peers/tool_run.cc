#include "tests/peers/tool_run.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/peers/peers.h"

namespace sluice::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

std::map<std::string, std::string> AwsEnv(const std::string& dir, const std::string& endpoint,
                                          const std::string& key, const std::string& secret) {
  return {{"HOME", dir},
          {"DOCKER_CONFIG", dir + "/.docker"},
          {"XDG_CACHE_HOME", dir + "/.cache"},
          {"AWS_CONFIG_FILE", dir + "/none"},
          {"AWS_SHARED_CREDENTIALS_FILE", dir + "/none"},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_PROFILE", ""},
          {"AWS_MAX_ATTEMPTS", ""},
          {"AWS_SESSION_TOKEN", ""},
          {"AWS_ENDPOINT_URL_ECS", ""},
          {"AWS_ENDPOINT_URL_ECR", ""},
          {"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", ""},
          {"AWS_DEFAULT_REGION", ""},
          {"AWS_REGION", endpoint.empty() ? "" : "us-east-1"},
          {"AWS_ENDPOINT_URL", endpoint},
          {"AWS_ACCESS_KEY_ID", key},
          {"AWS_SECRET_ACCESS_KEY", secret}};
}

std::map<std::string, std::string> AwsEnv(const std::string& dir, const MotoServer& moto) {
  return AwsEnv(dir, moto.endpoint(), moto.credentials().access_key_id,
                moto.credentials().secret_access_key);
}

ToolRun::ToolRun(const std::string& tool, const std::string& dir,
                 const std::map<std::string, std::string>& env,
                 const std::vector<std::string>& args, const std::optional<std::string>& stdin_text)
    : ToolRun(tool, dir, env, args, Options{.stdin_text = stdin_text}) {}

ToolRun::ToolRun(const std::string& tool, const std::string& dir,
                 const std::map<std::string, std::string>& env,
                 const std::vector<std::string>& args, const Options& options)
    : out_(dir + "/" + tool.substr(tool.rfind('/') + 1) + ".out." + std::to_string(++counter_)),
      err_(out_ + ".err"),
      in_(options.stdin_text || options.stdin_pipe ? out_ + ".in" : "/dev/null") {
  if (options.stdin_text) WriteFile(in_, *options.stdin_text);
  if (options.stdin_pipe) {
    // ChildProcess gives its children /dev/null, and dash cannot redirect an inherited pipe above
    // fd 9: the shell opens a FIFO instead.
    signal(SIGPIPE, SIG_IGN);  // a run that exits early makes a write fail, not the test die
    if (mkfifo(in_.c_str(), 0600) != 0) {
      ADD_FAILURE() << "mkfifo " << in_ << ": " << std::strerror(errno);
      return;
    }
  }
  std::string script = "exec \"$0\" \"$@\" 2>\"$SLUICE_TEST_ERR\" <\"$SLUICE_TEST_IN\"";
  if (options.in_dir) script = "cd \"$SLUICE_TEST_DIR\" && " + script;
  std::vector<std::string> argv = {"/bin/sh", "-c", script,
                                   tool.starts_with('/') ? tool : std::string(SLUICE_BIN_DIR) + "/" + tool};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> full_env = env;
  full_env["SLUICE_TEST_ERR"] = err_;
  full_env["SLUICE_TEST_IN"] = in_;
  if (options.in_dir) full_env["SLUICE_TEST_DIR"] = dir;
  std::string error;
  process_ = ChildProcess::Start(argv, full_env, out_, &error);
  EXPECT_NE(process_, nullptr) << error;
  if (process_ != nullptr && options.stdin_pipe) OpenInput();
}

// Opens the write end once the child's shell has opened the read end: until then a non-blocking
// open for writing fails with ENXIO (the shell's open waits for this one). Opening earlier and
// closing before the shell opened would leave the shell waiting for a writer. O_CLOEXEC: no later
// child may hold a write end, or this run would never see the end of its input.
void ToolRun::OpenInput() {
  for (int i = 0; i < 1500; ++i) {
    input_.fd = open(in_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (input_.fd >= 0) {
      fcntl(input_.fd, F_SETFL, 0);  // blocking writes from here on
      return;
    }
    if (errno != ENXIO || !process_->Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "the tool's shell did not open its input " << in_ << ": "
                << std::strerror(errno) << "\n" << Stderr();
}

ToolRun::InputEnd::~InputEnd() {
  if (fd >= 0) close(fd);
}

bool ToolRun::Write(const std::string& text) {
  return input_.fd >= 0 &&
         write(input_.fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

void ToolRun::CloseInput() {
  if (input_.fd >= 0) close(input_.fd);
  input_.fd = -1;
}

void ToolRun::Feed(const std::string& text) {
  Write(text);
  CloseInput();
}

std::optional<int> ToolRun::Wait(int timeout_ms) {
  return process_ ? process_->Wait(timeout_ms) : std::nullopt;
}

int ToolRun::ExitCode() {
  std::optional<int> code = Wait(120000);
  EXPECT_TRUE(code.has_value()) << "the tool did not finish in two minutes\n" << Stderr();
  return code.value_or(-1);
}

void ToolRun::Signal(int signal) {
  if (process_) process_->Signal(signal);
}

void ToolRun::SignalGroup(int signal) {
  if (process_ && process_->Running()) kill(-process_->pid(), signal);
}

bool ToolRun::Running() { return process_ && process_->Running(); }

std::vector<nlohmann::json> ToolRun::Results() const {
  std::vector<nlohmann::json> results;
  for (const std::string& line : Lines(Stdout())) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON on stdout: " << line;
    results.push_back(j);
  }
  return results;
}

}  // namespace sluice::testing
