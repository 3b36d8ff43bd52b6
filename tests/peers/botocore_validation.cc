#include "tests/peers/botocore_validation.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/peers/peers.h"

namespace sluice::testing {
namespace {

// Reads JSON lines {target, body}; prints one line per problem, then "checked N".
constexpr const char* kValidator = R"PY(
import json, sys
try:
    import botocore.session
    from botocore.validate import ParamValidator
except Exception as e:
    print("botocore is not importable by python3 (%s): pip install boto3" % e)
    sys.exit(0)
prefixes = {"AmazonEC2ContainerServiceV20141113": "ecs",
            "AmazonEC2ContainerRegistry_V20150921": "ecr",
            "Logs_20140328": "logs", "AmazonSQS": "sqs"}
session = botocore.session.get_session()
models = {}
checked = 0
for line in open(sys.argv[1]):
    call = json.loads(line)
    prefix, _, operation = call["target"].partition(".")
    service = prefixes.get(prefix)
    if service is None:
        print("unknown X-Amz-Target %s" % call["target"])
        continue
    if service not in models:
        models[service] = session.get_service_model(service)
    try:
        shape = models[service].operation_model(operation).input_shape
    except Exception:
        print("%s has no operation %s" % (service, operation))
        continue
    report = ParamValidator().validate(json.loads(call["body"] or "{}"), shape)
    if report.has_errors():
        print("%s %s: %s" % (service, operation, report.generate_report().replace("\n", "; ")))
    checked += 1
print("checked %d" % checked)
)PY";

}  // namespace

std::vector<std::string> BotocoreProblems(const std::vector<JsonCall>& calls) {
  std::string dir = MakeTempDir("sluice-botocore-");
  {
    std::ofstream script(dir + "/validate.py");
    script << kValidator;
    std::ofstream lines(dir + "/calls.jsonl");
    for (const JsonCall& call : calls) {
      lines << nlohmann::json{{"target", call.target}, {"body", call.body}}.dump() << "\n";
    }
  }
  std::string output;
  FILE* pipe = ::popen(("python3 " + dir + "/validate.py " + dir + "/calls.jsonl 2>&1").c_str(), "r");
  if (pipe != nullptr) {
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    ::pclose(pipe);
  }
  RemoveTree(dir);
  std::vector<std::string> problems;
  std::stringstream lines(output);
  std::string line;
  bool finished = false;
  while (std::getline(lines, line)) {
    if (line == "checked " + std::to_string(calls.size())) {
      finished = true;
    } else if (!line.empty()) {
      problems.push_back(line);
    }
  }
  if (!finished && problems.empty()) problems.push_back("the botocore check did not run: " + output);
  return problems;
}

}  // namespace sluice::testing
