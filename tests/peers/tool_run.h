// Running a sluice tool binary from an integration test the way a script would: stdout (the JSON
// result lines) and stderr (progress and errors) go to separate files the test reads, stdin comes
// from a given text, a pipe the test writes to while the tool runs, or /dev/null, and the
// environment reaches only the peers the test names. The shell execs the tool, so signals sent to
// the run reach the tool directly.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"

namespace sluice::testing {

std::string ReadFile(const std::string& path);
std::vector<std::string> Lines(const std::string& text);
inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
// The number of newline-terminated lines.
inline size_t CountLines(const std::string& text) {
  return std::count(text.begin(), text.end(), '\n');
}

class MotoServer;

// An environment that reaches only `endpoint` with the given key: nothing from the developer's
// ~/.aws or ~/.docker, profile, retry settings or per-service endpoints leaks in (ChildProcess
// passes the test's own environment on). An empty endpoint gives a run with no AWS settings.
std::map<std::string, std::string> AwsEnv(const std::string& dir, const std::string& endpoint,
                                          const std::string& key, const std::string& secret);
// The same for `moto`'s endpoint and credentials.
std::map<std::string, std::string> AwsEnv(const std::string& dir, const MotoServer& moto);

class ToolRun {
 public:
  struct Options {
    // When given, the whole of the standard input.
    std::optional<std::string> stdin_text;
    // The standard input is a pipe the test writes with Write() and ends with CloseInput() (or
    // Feed()), so lines can arrive over time and the input stay open, as in a pipeline.
    bool stdin_pipe = false;
    // The tool runs in `dir` rather than in the test's own working directory.
    bool in_dir = false;
  };

  // Starts build/bin/`tool` (or `tool` itself when it is an absolute path, such as an example
  // script) with `args`; `stdin_text`, when given, is its standard input.
  ToolRun(const std::string& tool, const std::string& dir,
          const std::map<std::string, std::string>& env, const std::vector<std::string>& args,
          const std::optional<std::string>& stdin_text = std::nullopt);
  ToolRun(const std::string& tool, const std::string& dir,
          const std::map<std::string, std::string>& env, const std::vector<std::string>& args,
          const Options& options);

  // With stdin_pipe: writes `text` to the tool's input; false when the run no longer reads it
  // (it exited: a usage error may end it before any input).
  bool Write(const std::string& text);
  // With stdin_pipe: the end of the input.
  void CloseInput();
  // With stdin_pipe: all of `text` as the whole input, written, then the end of input.
  void Feed(const std::string& text);

  std::optional<int> Wait(int timeout_ms);
  // Waits up to two minutes; -1 when it did not end (a failed expectation is recorded).
  int ExitCode();
  void Signal(int signal);
  // `signal` to the run's whole process group, as a terminal's Ctrl-C reaches every process of a
  // pipeline.
  void SignalGroup(int signal);
  bool Running();
  // The process started (for a shell running a pipeline, the shell).
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::string Stdout() const { return ReadFile(out_); }
  std::string Stderr() const { return ReadFile(err_); }
  // Every stdout line, each checked to be JSON.
  std::vector<nlohmann::json> Results() const;

 private:
  // The write end of the input pipe, closed when the run goes away.
  struct InputEnd {
    int fd = -1;
    InputEnd() = default;
    InputEnd(InputEnd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
    InputEnd& operator=(InputEnd&& other) noexcept {
      std::swap(fd, other.fd);
      return *this;
    }
    ~InputEnd();
  };
  void OpenInput();

  static inline int counter_ = 0;
  std::string out_, err_, in_;
  std::unique_ptr<ChildProcess> process_;
  InputEnd input_;  // after process_: the input ends before the tool is stopped
};

}  // namespace sluice::testing
