// Deriving the next task definition revision: read-only fields stripped, tags kept, image and
// environment edits, ${VAR} expansion and the --dry-run diff.
#include "sluice/deploy/task_definition_edit.h"

#include <gtest/gtest.h>

#include <map>

namespace sluice {
namespace {

using nlohmann::json;

const json kDescribed = json::parse(R"({
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/web:7", "family": "web",
  "revision": 7, "status": "ACTIVE", "compatibilities": ["EC2", "FARGATE"],
  "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
  "registeredAt": 1763892000.1, "registeredBy": "arn:aws:iam::1:user/ci",
  "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
  "containerDefinitions": [
    {"name": "app", "image": "repo/app:1", "environment": [{"name": "MODE", "value": "a"}]},
    {"name": "proxy", "image": "envoy:1"}]})");

TEST(TaskDefinitionEditTest, StripsReadOnlyFieldsAndKeepsTags) {
  json tags = json::parse(R"([{"key": "team", "value": "web"}])");
  json r = RegistrationFrom(kDescribed, tags);
  for (const char* field : {"taskDefinitionArn", "revision", "status", "compatibilities",
                            "requiresAttributes", "registeredAt", "registeredBy"}) {
    EXPECT_FALSE(r.contains(field)) << field;
  }
  EXPECT_EQ(r["family"], "web");
  EXPECT_EQ(r["requiresCompatibilities"], json::array({"FARGATE"}));
  EXPECT_EQ(r["tags"], tags);
  EXPECT_FALSE(RegistrationFrom(kDescribed, json::array()).contains("tags"));
}

TEST(TaskDefinitionEditTest, EditsOneContainer) {
  json r = RegistrationFrom(kDescribed, json::array());
  ASSERT_TRUE(SetContainerImage(r, "app", "repo/app@sha256:abc").ok());
  ASSERT_TRUE(SetContainerEnvironment(r, "app", {{"MODE", "b"}, {"NEW", "1"}}).ok());
  ASSERT_TRUE(SetContainerEnvironment(r, "proxy", {{"X", "y"}}).ok());
  EXPECT_EQ(r["containerDefinitions"][0]["image"], "repo/app@sha256:abc");
  EXPECT_EQ(r["containerDefinitions"][0]["environment"],
            json::parse(R"([{"name":"MODE","value":"b"},{"name":"NEW","value":"1"}])"));
  EXPECT_EQ(r["containerDefinitions"][1]["environment"], json::parse(R"([{"name":"X","value":"y"}])"));
  EXPECT_EQ(r["containerDefinitions"][1]["image"], "envoy:1");
  Status missing = SetContainerImage(r, "ghost", "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("ghost (it has app, proxy)"), std::string::npos);
}

TEST(TaskDefinitionEditTest, ExpandsVariablesInStringValuesOnly) {
  std::map<std::string, std::string> env = {{"IMAGE", "repo/app:2"},
                                            {"EMPTY", ""},
                                            {"EVIL", R"(x", "privileged": true, "y": ")"}};
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(*ExpandVariables("${IMAGE} ${EMPTY}$$HOME $1", lookup), "repo/app:2 $HOME $1");
  json document = json::parse(R"({"family": "web", "containerDefinitions": [
      {"name": "app", "image": "${IMAGE}", "environment": [{"name": "E", "value": "${EVIL}"}]}]})");
  ASSERT_TRUE(ExpandVariablesInJson(document, lookup).ok());
  EXPECT_EQ(document["containerDefinitions"][0]["image"], "repo/app:2");
  // A value with quotes stays one string: it cannot add "privileged" to the container.
  EXPECT_EQ(document["containerDefinitions"][0]["environment"][0]["value"], env["EVIL"]);
  EXPECT_FALSE(document["containerDefinitions"][0].contains("privileged"));

  json unknown = json::parse(R"({"containerDefinitions": [{"image": "${NOPE}"}]})");
  Status error = ExpandVariablesInJson(unknown, lookup);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().message,
            "containerDefinitions[0].image: ${NOPE} is not set in the environment (use $$ for a literal $)");
  EXPECT_FALSE(ExpandVariables("${OPEN", lookup).ok());
}

TEST(TaskDefinitionEditTest, DefaultsEcsFillsInDoNotCountAsChanges) {
  json file = json::parse(R"({"family": "web", "containerDefinitions": [
      {"name": "app", "image": "a", "memory": 128}]})");
  json registered = json::parse(R"({"family": "web", "volumes": [], "placementConstraints": [],
      "containerDefinitions": [{"name": "app", "image": "a", "memory": 128, "cpu": 0,
        "essential": true, "portMappings": [], "environment": [], "mountPoints": [],
        "volumesFrom": []}]})");
  EXPECT_EQ(WithoutDefaults(file), WithoutDefaults(registered));
  registered["containerDefinitions"][0]["cpu"] = 256;
  EXPECT_NE(WithoutDefaults(file), WithoutDefaults(registered));
}

TEST(TaskDefinitionEditTest, DiffShowsOnlyWhatChangedWithContext) {
  json before = RegistrationFrom(kDescribed, json::array());
  json after = before;
  ASSERT_TRUE(SetContainerImage(after, "app", "repo/app:2").ok());
  std::string diff = DiffJson(before, after, 1);
  auto line_with = [&](const std::string& text) {
    size_t at = diff.find(text);
    if (at == std::string::npos) return std::string("<none>");
    size_t start = diff.rfind('\n', at);
    return diff.substr(start == std::string::npos ? 0 : start + 1, 1);
  };
  EXPECT_EQ(line_with("\"image\": \"repo/app:1\""), "-") << diff;
  EXPECT_EQ(line_with("\"image\": \"repo/app:2\""), "+") << diff;
  EXPECT_NE(diff.find("  ..."), std::string::npos) << diff;
  EXPECT_EQ(diff.find("envoy"), std::string::npos) << diff;  // far from the change
  EXPECT_EQ(DiffJson(before, before), "");
}

}  // namespace
}  // namespace sluice
