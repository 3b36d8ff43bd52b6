#include "sluice/ecs/run_task_request.h"

#include <algorithm>
#include <cstdint>

#include "sluice/util/crypto.h"

namespace sluice {

Status CheckClientToken(const std::string& token) {
  if (token.size() > 64 ||
      std::any_of(token.begin(), token.end(), [](char c) { return c < 33 || c > 126; })) {
    return Error::InvalidArgument("--client-token: at most 64 printable ASCII characters, no spaces");
  }
  return Status::Ok();
}

std::string NewClientToken() {
  uint8_t bytes[16];
  RandomBytes(bytes, sizeof bytes);
  return "sluice-" + HexEncode(bytes, sizeof bytes);
}

Result<std::pair<std::string, std::string>> ParseNameValue(const std::string& flag,
                                                           const std::string& text) {
  size_t eq = text.find('=');
  if (eq == 0 || eq == std::string::npos) {
    return Error::InvalidArgument(flag + " " + text + ": expected NAME=VALUE");
  }
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<std::string> SplitCommaLists(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string part =
          v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

namespace {

// NAME[:WEIGHT[:BASE]]
Result<CapacityProviderItem> ParseCapacityProvider(const std::string& item) {
  CapacityProviderItem provider;
  size_t colon = item.find(':');
  provider.name = item.substr(0, colon);
  auto bad = Error::InvalidArgument("--capacity-provider " + item +
                                    ": expected NAME[:WEIGHT[:BASE]] with whole numbers");
  if (provider.name.empty()) return bad;
  if (colon == std::string::npos) return provider;
  std::string rest = item.substr(colon + 1);
  size_t second = rest.find(':');
  try {
    size_t used = 0;
    std::string weight = rest.substr(0, second);
    provider.weight = std::stoi(weight, &used);
    if (used != weight.size() || provider.weight < 0) return bad;
    if (second != std::string::npos) {
      std::string base = rest.substr(second + 1);
      provider.base = std::stoi(base, &used);
      if (used != base.size() || provider.base < 0) return bad;
    }
  } catch (const std::exception&) {
    return bad;
  }
  return provider;
}

}  // namespace

Result<RunTaskRequest> BuildRunTaskRequest(const RunTaskFlags& flags) {
  if (flags.cluster.empty() || flags.task_definition.empty()) {
    return Error::InvalidArgument("an ECS task needs both --cluster and --task-definition");
  }
  if (!flags.launch_type.empty() && !flags.capacity_providers.empty()) {
    return Error::InvalidArgument("--launch-type and --capacity-provider exclude each other");
  }
  if (!flags.launch_type.empty() && flags.launch_type != "FARGATE" && flags.launch_type != "EC2" &&
      flags.launch_type != "EXTERNAL") {
    return Error::InvalidArgument("--launch-type must be FARGATE, EC2 or EXTERNAL");
  }
  if (flags.started_by.size() > 36) {
    return Error::InvalidArgument("--started-by: at most 36 characters");
  }
  RunTaskRequest r;
  r.cluster = flags.cluster;
  r.task_definition = flags.task_definition;
  r.launch_type = flags.launch_type;
  for (const std::string& item : SplitCommaLists(flags.capacity_providers)) {
    auto provider = ParseCapacityProvider(item);
    if (!provider.ok()) return provider.error();
    r.capacity_providers.push_back(*provider);
  }
  r.platform_version = flags.platform_version;
  r.subnets = SplitCommaLists(flags.subnets);
  r.security_groups = SplitCommaLists(flags.security_groups);
  if (flags.assign_public_ip) r.assign_public_ip = true;
  for (const std::string& tag : flags.tags) {
    auto pair = ParseNameValue("--tag", tag);
    if (!pair.ok()) return pair.error();
    r.tags.push_back(*pair);
  }
  r.started_by = flags.started_by;
  return r;
}

}  // namespace sluice
