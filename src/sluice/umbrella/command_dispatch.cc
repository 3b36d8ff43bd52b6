#include "sluice/umbrella/command_dispatch.h"

namespace sluice {

const std::vector<CommandInfo>& Commands() {
  static const std::vector<CommandInfo> kCommands = {
      {"watch", "emit a JSON line for each new, changed or deleted S3 object or local file"},
      {"trigger", "turn events into local commands or ECS/Fargate tasks, with retries"},
      {"push", "push an OCI layout or docker/OCI archive to ECR or any registry"},
      {"deploy", "roll an image out to an ECS service, wait, roll back on failure"},
      {"run-once", "run one ECS task to completion, stream its logs, exit with its code"},
  };
  return kCommands;
}

std::string UmbrellaHelp() {
  std::string help =
      "usage: sluice COMMAND [ARGS...]   (the same as sluice-COMMAND [ARGS...])\n"
      "       sluice --version\n\ncommands:\n";
  for (const CommandInfo& c : Commands()) {
    help += "  " + std::string(c.name) + std::string(10 - c.name.size(), ' ') +
            std::string(c.description) + "\n";
  }
  help += "\nsluice COMMAND --help (or man sluice-COMMAND) describes each.\n";
  return help;
}

bool IsValidCommandName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '-') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::vector<std::string> CommandCandidates(std::string_view name, const std::string& self_dir) {
  std::string program = "sluice-" + std::string(name);
  std::vector<std::string> candidates;
  if (!self_dir.empty()) candidates.push_back(self_dir + "/" + program);
  candidates.push_back(program);
  return candidates;
}

}  // namespace sluice
