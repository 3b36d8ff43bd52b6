// The umbrella `sluice COMMAND ARGS...` (as git does): the table of commands, and how a command
// name becomes the program to run — `sluice-COMMAND` beside the `sluice` binary itself (so a
// build tree or an install prefix uses its own tools), else on PATH. Pure; the exec is the
// tool's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct CommandInfo {
  std::string_view name;         // "push"
  std::string_view description;  // one line for `sluice --help`
};

// The five tools, in pipeline order.
const std::vector<CommandInfo>& Commands();

// "sluice --help": usage, the table, and how to get each command's help.
std::string UmbrellaHelp();

// True for a name that can only be a command (lower-case letters, digits and '-'), so that
// `sluice ../../bin/sh` cannot run anything but a sluice-* program.
bool IsValidCommandName(std::string_view name);

// The programs to try, in order: <self_dir>/sluice-NAME (when self_dir is known), then
// "sluice-NAME" for a PATH search.
std::vector<std::string> CommandCandidates(std::string_view name, const std::string& self_dir);

}  // namespace sluice
