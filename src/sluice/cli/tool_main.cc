#include "sluice/cli/tool_main.h"

#include "sluice/util/exit_codes.h"
#include "sluice/util/logging.h"

namespace sluice {

void AddCommonFlags(CLI::App& app, CommonFlags& flags) {
  app.add_option("--region", flags.region, "AWS region (default: AWS_REGION, the profile's region)");
  app.add_option("--endpoint-url", flags.endpoint_url,
                 "send AWS API calls to this URL (default: AWS_ENDPOINT_URL[_SERVICE])");
  app.add_option("--profile", flags.profile, "profile from ~/.aws/config (default: AWS_PROFILE)");
  app.add_flag("-v,--verbose", flags.verbose,
               "trace every request and response on stderr (secrets redacted)");
  app.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
}

ClientOptions ToClientOptions(const CommonFlags& flags) {
  ClientOptions options;
  options.region = flags.region;
  options.endpoint_url = flags.endpoint_url;
  options.profile = flags.profile;
  return options;
}

int RunToolMain(CLI::App& app, int argc, char** argv, const std::function<int()>& run) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return PrintUsageError(app.get_name(), e.what());
  }
  return run();
}

int PrintUsageError(std::string_view tool, std::string_view message) {
  std::string name(tool);
  LogLine(name + ": " + std::string(message) + " (run " + name + " --help)");
  return kExitUsage;
}

void PrintError(std::string_view tool, const Error& error) {
  LogLine(std::string(tool) + ": " + error.ToString());
}

}  // namespace sluice
