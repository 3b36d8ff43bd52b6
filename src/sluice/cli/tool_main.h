// What every tool's main shares: the common AWS flags (--region, --endpoint-url, --profile,
// -v/--verbose), --version, parsing with CLI11 (bad flags: one line and exit 2), and printing a
// failure as one "sluice-TOOL: ..." line on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "sluice/aws/client_context.h"
#include "sluice/util/error.h"

namespace sluice {

struct CommonFlags {
  std::string region;
  std::string endpoint_url;
  std::string profile;
  bool verbose = false;
};

void AddCommonFlags(CLI::App& app, CommonFlags& flags);
ClientOptions ToClientOptions(const CommonFlags& flags);

// Parses argv into `app`; on --help/--version prints and returns 0; on a usage error prints one
// line (plus "run TOOL --help") and returns 2; otherwise runs `run` and returns its exit code.
int RunToolMain(CLI::App& app, int argc, char** argv, const std::function<int()>& run);

// "sluice-watch: MESSAGE (run sluice-watch --help)" on stderr; returns the usage exit code (2),
// as RunToolMain does for CLI11's own parse errors.
int PrintUsageError(std::string_view tool, std::string_view message);

// "sluice-watch: s3 HeadObject: AccessDenied (HTTP 403): ..." on stderr.
void PrintError(std::string_view tool, const Error& error);

}  // namespace sluice
