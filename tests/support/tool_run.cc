#include "tests/support/tool_run.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

ToolRun::ToolRun(const std::string& tool, const std::string& dir,
                 const std::map<std::string, std::string>& env,
                 const std::vector<std::string>& args, const std::optional<std::string>& stdin_text)
    : out_(dir + "/" + tool + ".out." + std::to_string(++counter_)),
      err_(out_ + ".err"),
      in_(stdin_text ? out_ + ".in" : "/dev/null") {
  if (stdin_text) WriteFile(in_, *stdin_text);
  std::vector<std::string> argv = {"/bin/sh", "-c",
                                   "exec \"$0\" \"$@\" 2>\"$SLUICE_TEST_ERR\" <\"$SLUICE_TEST_IN\"",
                                   std::string(SLUICE_BIN_DIR) + "/" + tool};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> full_env = env;
  full_env["SLUICE_TEST_ERR"] = err_;
  full_env["SLUICE_TEST_IN"] = in_;
  std::string error;
  process_ = ChildProcess::Start(argv, full_env, out_, &error);
  EXPECT_NE(process_, nullptr) << error;
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
