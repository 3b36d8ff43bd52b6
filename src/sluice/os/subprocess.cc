#include "sluice/os/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "sluice/util/duration.h"

extern char** environ;

namespace sluice {
namespace {

struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  bool Open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
};

// posix_spawn's file actions and attributes, with what every child of a sluice tool gets:
// default handling of SIGPIPE/SIGINT/SIGTERM (even if this process ignores SIGPIPE) and an empty
// signal mask.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;

  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, flags);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  void RedirectStdinFromDevNull() {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  void NewProcessGroup() {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, flags);
  }
};

// argv as the char* array exec wants (pointing into `argv`, which must outlive it).
class ArgvPointers {
 public:
  explicit ArgvPointers(const std::vector<std::string>& argv) {
    for (const std::string& a : argv) pointers_.push_back(const_cast<char*>(a.c_str()));
    pointers_.push_back(nullptr);
  }
  char** data() { return pointers_.data(); }

 private:
  std::vector<char*> pointers_;
};

// This process's environment with `overrides` set on top (the last of same-named overrides
// wins), as "NAME=value" strings.
std::vector<std::string> MergedEnvironment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  auto overridden = [&](std::string_view name) {
    for (const auto& [k, v] : overrides) {
      if (k == name) return true;
    }
    return false;
  };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!overridden(entry.substr(0, entry.find('=')))) env.emplace_back(entry);
  }
  for (size_t i = 0; i < overrides.size(); ++i) {
    bool later = false;
    for (size_t j = i + 1; j < overrides.size(); ++j) later = later || overrides[j].first == overrides[i].first;
    if (!later) env.push_back(overrides[i].first + "=" + overrides[i].second);
  }
  return env;
}

int DecodeStatus(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace

std::string LastOutputLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  if (size_t nl = text.rfind('\n'); nl != std::string::npos) text = text.substr(nl + 1);
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

Result<CapturedRun> RunAndCapture(const std::vector<std::string>& argv,
                                  const CaptureOptions& options) {
  if (argv.empty()) return Error::InvalidArgument("no program to run");
  Pipe out, err;
  if (!out.Open() || !err.Open()) return Error::Io(std::string("pipe: ") + std::strerror(errno));

  SpawnSetup setup;
  setup.RedirectStdinFromDevNull();
  posix_spawn_file_actions_adddup2(&setup.actions, out.write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err.write, STDERR_FILENO);
  ArgvPointers args(argv);
  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, args.data()[0], &setup.actions, &setup.attr, args.data(),
                               environ);
  if (spawned != 0) {
    return Error::Io("cannot run " + argv[0] + ": " + std::strerror(spawned));
  }
  ::close(out.write);
  ::close(err.write);
  out.write = err.write = -1;

  CapturedRun run;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = false;
  pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
  std::string* sinks[2] = {&run.out, &run.err};
  int open_streams = 2;
  char buffer[16384];
  while (open_streams > 0) {
    int wait_ms = -1;
    if (options.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int ready = ::poll(fds, 2, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        size_t room = options.max_output - std::min(options.max_output, sinks[i]->size());
        sinks[i]->append(buffer, std::min(room, static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_streams;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Error::Timeout(argv[0] + " did not finish within " + FormatDuration(options.timeout));
  }
  run.signaled = WIFSIGNALED(status);
  run.exit_code = DecodeStatus(status);
  return run;
}

Result<Process> Process::Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) return Error::InvalidArgument("no program to run");
  SpawnSetup setup;
  setup.RedirectStdinFromDevNull();
  if (options.stdout_to_stderr) {
    posix_spawn_file_actions_adddup2(&setup.actions, STDERR_FILENO, STDOUT_FILENO);
  }
  if (options.own_process_group) setup.NewProcessGroup();
  std::vector<std::string> env = MergedEnvironment(options.env);
  ArgvPointers args(argv);
  ArgvPointers envp(env);
  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, args.data()[0], &setup.actions, &setup.attr, args.data(),
                               envp.data());
  if (spawned != 0) {
    return Error::Io("cannot run " + argv[0] + ": " + std::strerror(spawned));
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  return Process(pid, pidfd, options.own_process_group);
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_), pidfd_(other.pidfd_), group_(other.group_), status_(other.status_) {
  other.pid_ = -1;
  other.pidfd_ = -1;
}

Process::~Process() {
  if (pid_ > 0 && !status_) {
    Signal(SIGKILL);
    Wait(std::chrono::milliseconds(-1));
  }
  if (pidfd_ >= 0) ::close(pidfd_);
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  if (status_ || pid_ <= 0) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto poll_interval = std::chrono::milliseconds(1);
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = DecodeStatus(status);
      return status_;
    }
    if (done < 0 && errno != EINTR) {
      status_ = 255;  // not our child any more (reaped elsewhere): report a failure, never hang
      return status_;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (timeout.count() >= 0 && left.count() <= 0) return std::nullopt;
    int wait_ms = timeout.count() < 0 ? -1 : static_cast<int>(left.count());
    if (pidfd_ >= 0) {
      pollfd fd{pidfd_, POLLIN, 0};
      ::poll(&fd, 1, wait_ms);  // EINTR or a wake-up: check again
    } else {
      // Without pidfd: poll the child, 1 ms at first, backing off to 50 ms.
      auto nap = wait_ms < 0 ? poll_interval
                             : std::min(poll_interval, std::chrono::milliseconds(wait_ms));
      std::this_thread::sleep_for(nap);
      poll_interval = std::min(poll_interval * 2, std::chrono::milliseconds(50));
    }
  }
}

void Process::Signal(int signal) {
  if (pid_ <= 0 || status_) return;
  // The group, when the child leads one, so that whatever it started stops too.
  if (group_) {
    ::kill(-pid_, signal);
  } else {
    ::kill(pid_, signal);
  }
}

Completion WaitOrTerminate(Process& process, const CompletionOptions& options) {
  constexpr std::chrono::milliseconds kCheck{100};
  auto started = std::chrono::steady_clock::now();
  Completion completion;
  while (true) {
    if (auto status = process.Wait(kCheck)) {
      completion.exit_code = *status;
      return completion;
    }
    completion.timed_out = options.timeout.count() > 0 &&
                           std::chrono::steady_clock::now() - started >= options.timeout;
    completion.stopped = !completion.timed_out && options.should_stop && options.should_stop();
    if (completion.timed_out || completion.stopped) break;
  }
  process.Signal(SIGTERM);
  std::optional<int> status = process.Wait(options.kill_grace);
  if (!status) {
    process.Signal(SIGKILL);
    status = process.Wait(std::chrono::milliseconds(-1));
  }
  completion.exit_code = status.value_or(128 + SIGKILL);
  return completion;
}

}  // namespace sluice
