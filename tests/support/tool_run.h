// Running a sluice tool binary from an integration test the way a script would: stdout (the JSON
// result lines) and stderr (progress and errors) go to separate files the test reads, stdin comes
// from a given text (or /dev/null), and the environment reaches only the peers the test names.
// The shell execs the tool, so signals sent to the run reach the tool directly.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"

namespace sluice::testing {

std::string ReadFile(const std::string& path);
std::vector<std::string> Lines(const std::string& text);
inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// An environment that reaches only `endpoint` with the given key: nothing from the developer's
// ~/.aws or ~/.docker, profile, retry settings or per-service endpoints leaks in (ChildProcess
// passes the test's own environment on). An empty endpoint gives a run with no AWS settings.
std::map<std::string, std::string> AwsEnv(const std::string& dir, const std::string& endpoint,
                                          const std::string& key, const std::string& secret);

class ToolRun {
 public:
  // Starts build/bin/`tool` with `args`; `stdin_text`, when given, is its standard input.
  ToolRun(const std::string& tool, const std::string& dir,
          const std::map<std::string, std::string>& env, const std::vector<std::string>& args,
          const std::optional<std::string>& stdin_text = std::nullopt);

  std::optional<int> Wait(int timeout_ms);
  // Waits up to two minutes; -1 when it did not end (a failed expectation is recorded).
  int ExitCode();
  void Signal(int signal);
  bool Running();
  std::string Stdout() const { return ReadFile(out_); }
  std::string Stderr() const { return ReadFile(err_); }
  // Every stdout line, each checked to be JSON.
  std::vector<nlohmann::json> Results() const;

 private:
  static inline int counter_ = 0;
  std::string out_, err_, in_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace sluice::testing
