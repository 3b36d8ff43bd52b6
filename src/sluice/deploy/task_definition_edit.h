// Turning a registered ECS task definition into the next one (sluice-deploy): the
// RegisterTaskDefinition document derived from DescribeTaskDefinition's answer with every
// read-only field stripped and the tags kept, edits of a container's image and environment,
// ${VAR} expansion for --task-definition files, and a line diff for --dry-run. Pure.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/util/result.h"

namespace sluice {

// The fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses.
inline constexpr std::string_view kReadOnlyTaskDefinitionFields[] = {
    "taskDefinitionArn", "revision",     "status",       "requiresAttributes",
    "compatibilities",   "registeredAt", "registeredBy", "deregisteredAt"};

// `task_definition` is DescribeTaskDefinition's "taskDefinition", `tags` its "tags" (kept on the
// new revision when non-empty).
nlohmann::json RegistrationFrom(const nlohmann::json& task_definition, const nlohmann::json& tags);

// Sets `container`'s image. An Error::InvalidArgument names the containers when there is none
// such.
Status SetContainerImage(nlohmann::json& registration, const std::string& container,
                         const std::string& image);
// Sets (or replaces) variables in `container`'s environment, keeping the others and their order.
Status SetContainerEnvironment(nlohmann::json& registration, const std::string& container,
                               const std::vector<std::pair<std::string, std::string>>& env);

// Replaces ${NAME} with lookup(NAME); an unknown name is an error naming it. "$$" is a literal
// "$". Other "$" are left alone.
Result<std::string> ExpandVariables(
    std::string_view text, const std::function<std::optional<std::string>(const std::string&)>& lookup);

// The same in every string value of a JSON document (a --task-definition file), so a value with
// quotes in it stays text and cannot add fields. Errors name the value's path
// ("containerDefinitions[0].image").
Status ExpandVariablesInJson(
    nlohmann::json& document,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

// The document without what ECS fills in by itself (empty lists and objects, nulls, a
// container's "cpu": 0 and "essential": true), so that a file and the revision registered from it
// compare equal and a --dry-run diff shows only real changes.
nlohmann::json WithoutDefaults(const nlohmann::json& document);

// A unified-style line diff of the two documents pretty-printed ("- old", "+ new", "  same"
// with up to `context` unchanged lines around each change); empty when they are equal.
std::string DiffJson(const nlohmann::json& before, const nlohmann::json& after, int context = 3);

}  // namespace sluice
