// sluice: the umbrella command. `sluice push ...` runs sluice-push with the same arguments (the
// tool beside this binary first, else on PATH), `sluice --version` prints the one version all
// tools share. The table and lookup are in sluice/umbrella/command_dispatch.h.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "sluice/umbrella/command_dispatch.h"
#include "sluice/util/exit_codes.h"

namespace {

// The directory of this executable, so a build tree or install prefix runs its own tools.
std::string SelfDirectory() {
  std::error_code error;
  auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice;
  if (argc < 2) {
    std::fputs(UmbrellaHelp().c_str(), stderr);
    return kExitUsage;
  }
  std::string command = argv[1];
  if (command == "--version" || command == "version") {
    std::printf("sluice %s\n", SLUICE_VERSION);
    return kExitSuccess;
  }
  std::vector<std::string> rest(argv + 2, argv + argc);  // the command's own arguments
  if (command == "--help" || command == "-h" || command == "help") {
    if (command != "help" || argc < 3) {
      std::fputs(UmbrellaHelp().c_str(), stdout);
      return kExitSuccess;
    }
    command = argv[2];  // "sluice help push" is "sluice push --help"
    rest = {"--help"};
  }
  if (!IsValidCommandName(command)) {
    std::fprintf(stderr, "sluice: '%s' is not a command (run sluice --help)\n", command.c_str());
    return kExitUsage;
  }
  std::string arg0 = "sluice-" + command;
  std::vector<char*> args = {arg0.data()};
  for (std::string& arg : rest) args.push_back(arg.data());
  args.push_back(nullptr);
  int last_errno = ENOENT;
  for (const std::string& program : CommandCandidates(command, SelfDirectory())) {
    if (program.find('/') != std::string::npos) {
      ::execv(program.c_str(), args.data());
    } else {
      ::execvp(program.c_str(), args.data());
    }
    if (errno != ENOENT) last_errno = errno;
  }
  if (last_errno == ENOENT) {
    std::fprintf(stderr, "sluice: '%s' is not a command (run sluice --help)\n", command.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "sluice: cannot run sluice-%s: %s\n", command.c_str(), std::strerror(last_errno));
  return kExitFailure;
}
