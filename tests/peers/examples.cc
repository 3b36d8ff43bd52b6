#include "tests/peers/examples.h"

#include <algorithm>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tests/peers/tool_run.h"

namespace sluice::testing {

using nlohmann::json;

std::string ExamplePath(const std::string& relative) {
  static const std::string root =
      std::filesystem::canonical(std::string(SLUICE_TEST_DATA_DIR) + "/../../examples").string();
  return root + "/" + relative;
}

std::string ExampleText(const std::string& relative, const std::map<std::string, std::string>& vars) {
  const std::string text = ReadFile(ExamplePath(relative));
  EXPECT_FALSE(text.empty()) << "examples/" << relative << " is missing or empty";
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find("${", pos);
    size_t end = start == std::string::npos ? start : text.find('}', start);
    if (end == std::string::npos) break;
    const std::string name = text.substr(start + 2, end - start - 2);
    out += text.substr(pos, start - pos);
    auto it = vars.find(name);
    if (it != vars.end()) {
      out += it->second;
    } else {
      ADD_FAILURE() << "examples/" << relative << ": no value for ${" << name << "}";
      out += text.substr(start, end + 1 - start);
    }
    pos = end + 1;
  }
  return out + text.substr(pos);
}

std::string ToolsFirstPath() {
  const char* path = std::getenv("PATH");
  return std::string(SLUICE_BIN_DIR) + ":" + (path ? path : "/usr/bin:/bin");
}

std::map<std::string, std::string> ExampleEnv(const std::string& dir, const MotoServer& moto,
                                              const Credentials& credentials) {
  auto env = AwsEnv(dir, moto.endpoint(), credentials.access_key_id, credentials.secret_access_key);
  env["PATH"] = ToolsFirstPath();
  env["AWS_DEFAULT_REGION"] = "us-east-1";  // the AWS CLI v1 reads only this one
  return env;
}

json PolicyForMoto(json policy) {
  json& statements = policy["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  for (json& statement : statements) {
    statement.erase("Condition");
    json actions = statement["Action"].is_array() ? statement["Action"] : json::array({statement["Action"]});
    bool scoped_by_moto = true;
    bool lists_bucket = false;
    for (const json& action : actions) {
      const std::string name = action.get<std::string>();
      if (!name.starts_with("s3:") && !name.starts_with("sqs:")) scoped_by_moto = false;
      if (name == "s3:ListBucket") lists_bucket = true;
    }
    if (lists_bucket) actions.push_back("s3:HeadBucket");
    for (const char* single : {"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:SendMessage"}) {
      if (std::find(actions.begin(), actions.end(), single) != actions.end()) {
        actions.push_back(std::string(single) + "Batch");
      }
    }
    statement["Action"] = actions;
    if (!scoped_by_moto) statement["Resource"] = "*";
  }
  return policy;
}

Credentials ExamplePolicyUser(MotoServer& moto, const std::string& name, const std::string& relative,
                              const std::map<std::string, std::string>& vars) {
  json policy = json::parse(ExampleText(relative, vars), nullptr, false);
  if (policy.is_discarded()) {
    ADD_FAILURE() << "examples/" << relative << " is not JSON";
    return {};
  }
  auto user = moto.CreateUser(name, PolicyForMoto(policy).dump());
  if (!user.ok()) {
    ADD_FAILURE() << "moto refused the policy in examples/" << relative << ": " << user.error().ToString();
    return {};
  }
  return *user;
}

bool WaitUntilWatching(ToolRun& run) {
  return WaitFor([&] { return run.Stderr().find("watching") != std::string::npos || !run.Running(); }) &&
         run.Running();
}

bool WaitFor(const std::function<bool()>& done, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace sluice::testing
