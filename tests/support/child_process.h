// ChildProcess: a program the tests start (moto_server, docker-registry), with its output sent to
// a log file, stopped with SIGTERM (then SIGKILL) when the object goes away, so no test leaves a
// server behind.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::testing {

class ChildProcess {
 public:
  // Starts `argv[0]` (looked up on PATH) with the current environment plus `extra_env`; a name
  // with an empty value in `extra_env` is removed (so AWS_PROFILE= means no profile, also to the
  // AWS CLI, which takes an empty AWS_PROFILE for a profile's name).
  // Returns null when it could not be started; `error` then says why.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             const std::map<std::string, std::string>& extra_env,
                                             const std::string& log_path, std::string* error);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();  // false once it exited
  void Stop();     // SIGTERM, wait up to 5 s, then SIGKILL
  // Waits for it to exit; its exit code (128 + signal when a signal ended it), or nullopt when
  // it is still running after `timeout_ms`.
  std::optional<int> Wait(int timeout_ms);
  void Signal(int signal);  // to the process itself, not its group
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  bool reaped_ = false;
  int exit_code_ = -1;
};

// True when `program` is found on PATH.
bool OnPath(const std::string& program);
// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();
// Whether something accepts TCP connections on 127.0.0.1:port now.
bool PortAcceptsConnections(int port);
// Waits until something accepts TCP connections on 127.0.0.1:port.
bool WaitForPort(int port, int timeout_ms, ChildProcess* process);
// A fresh temporary directory (removed by the caller with RemoveTree).
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace sluice::testing
