#include "sluice/deploy/rollout.h"

namespace sluice {
namespace {

using nlohmann::json;

const json& Deployments(const json& service) {
  static const json kNone = json::array();
  auto it = service.find("deployments");
  return it != service.end() && it->is_array() ? *it : kNone;
}

std::string Text(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int Number(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

const json* Primary(const json& service) {
  for (const json& d : Deployments(service)) {
    if (d.is_object() && Text(d, "status") == "PRIMARY") return &d;
  }
  return nullptr;
}

}  // namespace

std::string PrimaryDeploymentId(const json& service) {
  const json* primary = Primary(service);
  return primary ? Text(*primary, "id") : "";
}

RolloutView EvaluateRollout(const json& service, const std::string& deployment_id,
                            const std::string& task_definition_arn, bool expect_listed) {
  RolloutView view;
  const json* ours = nullptr;
  for (const json& d : Deployments(service)) {
    if (!d.is_object()) continue;
    bool match = deployment_id.empty()
                     ? Text(d, "status") == "PRIMARY" && Text(d, "taskDefinition") == task_definition_arn
                     : Text(d, "id") == deployment_id;
    if (match) ours = &d;
  }
  view.listed = ours != nullptr;
  if (ours == nullptr && !expect_listed) {
    view.reason = "ECS does not list deployment " +
                  (deployment_id.empty() ? "of " + task_definition_arn : deployment_id) + " yet";
    return view;
  }
  const json* primary = Primary(service);
  bool replaced = primary != nullptr && Text(*primary, "taskDefinition") != task_definition_arn &&
                  (ours == nullptr || ours != primary);
  if (ours != nullptr) {
    view.running = Number(*ours, "runningCount");
    view.desired = Number(*ours, "desiredCount");
    view.pending = Number(*ours, "pendingCount");
    view.reason = Text(*ours, "rolloutStateReason");
  }
  std::string state = ours ? Text(*ours, "rolloutState") : "";
  if (replaced) {
    view.status = RolloutStatus::kRolledBackByEcs;
    if (view.reason.empty()) {
      view.reason = "the PRIMARY deployment now runs " + Text(*primary, "taskDefinition");
    }
    return view;
  }
  if (ours == nullptr) {
    view.reason = "the deployment is not listed";
    return view;
  }
  if (state == "FAILED") {
    view.status = RolloutStatus::kFailed;
  } else if (state == "COMPLETED") {
    view.status = RolloutStatus::kCompleted;
  } else if (state.empty() && ours == primary && Deployments(service).size() == 1 &&
             view.running == view.desired && view.pending == 0) {
    view.status = RolloutStatus::kCompleted;
  }
  return view;
}

std::vector<std::string> NewServiceEvents(const json& service, std::set<std::string>& seen) {
  std::vector<std::string> fresh;
  auto events = service.find("events");
  if (events == service.end() || !events->is_array()) return fresh;
  for (auto it = events->rbegin(); it != events->rend(); ++it) {
    if (!it->is_object()) continue;
    std::string id = Text(*it, "id");
    if (id.empty()) id = Text(*it, "message");
    if (!seen.insert(id).second) continue;
    fresh.push_back(Text(*it, "message"));
  }
  return fresh;
}

}  // namespace sluice
