#include "tests/peers/fake_ecs.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sluice/aws/credentials/credentials.h"
#include "sluice/net/http.h"
#include "sluice/services/default_client_context.h"

namespace sluice::testing {
namespace {

using nlohmann::json;

constexpr const char* kAccount = "123456789012";
constexpr const char* kRegion = "us-east-1";

// A field check: an empty string when `body[name]` is acceptable, else what is wrong.
std::string CheckType(const json& body, const char* name, json::value_t type, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    return required ? std::string("missing required field ") + name : "";
  }
  bool ok = it->type() == type ||
            (type == json::value_t::number_integer && it->is_number_integer());
  return ok ? "" : std::string("field ") + name + " has the wrong type";
}

std::string CheckStrings(const json& value, const std::string& what) {
  if (!value.is_array()) return what + " must be a list of strings";
  for (const json& v : value) {
    if (!v.is_string()) return what + " must be a list of strings";
  }
  return "";
}

std::string CheckNameValues(const json& value, const std::string& what, const char* k,
                            const char* v) {
  if (!value.is_array()) return what + " must be a list";
  for (const json& item : value) {
    if (!item.is_object() || !item.contains(k) || !item[k].is_string() ||
        (item.contains(v) && !item[v].is_string())) {
      return what + " entries need string " + k + " and " + v;
    }
  }
  return "";
}

std::string ClusterName(const json& body) {
  std::string cluster = body.value("cluster", "default");
  size_t slash = cluster.rfind('/');
  return slash == std::string::npos ? cluster : cluster.substr(slash + 1);
}

}  // namespace

FakeEcs::FakeEcs()
    : server_(std::make_unique<LoopbackHttpServer>(
          [this](const RecordedRequest& request) { return Handle(request); })) {}

FakeEcs::~FakeEcs() { server_.reset(); }  // stop serving before the state goes

std::shared_ptr<const ClientContext> FakeEcs::Context() {
  ClientOptions client;
  client.region = kRegion;
  client.endpoint_url = endpoint();
  client.env = &env_;
  client.clock = &clock_;
  client.http = MakeCurlHttpClient({.connect_timeout = std::chrono::seconds(2),
                                    .idle_timeout = std::chrono::seconds(5)});
  client.credentials = StaticCredentials({"AKIDEXAMPLE", "secret", "", {}, "test"});
  auto context = MakeClientContext(client);
  EXPECT_TRUE(context.ok()) << context.error().ToString();
  return context.ok() ? *context : nullptr;
}

void FakeEcs::AddCluster(const std::string& name) {
  std::lock_guard lock(mutex_);
  clusters_[name] = {{"clusterName", name},
                     {"clusterArn", std::string("arn:aws:ecs:") + kRegion + ":" + kAccount +
                                        ":cluster/" + name},
                     {"status", "ACTIVE"}};
}

std::string FakeEcs::AddTaskDefinition(const json& definition) {
  std::lock_guard lock(mutex_);
  return RegisterLocked(definition);
}

std::string FakeEcs::RegisterLocked(const json& definition) {
  std::string family = definition.at("family");
  int revision = ++revisions_[family];
  std::string arn = std::string("arn:aws:ecs:") + kRegion + ":" + kAccount + ":task-definition/" +
                    family + ":" + std::to_string(revision);
  json stored = definition;
  stored.erase("tags");
  stored["taskDefinitionArn"] = arn;
  stored["revision"] = revision;
  stored["status"] = "ACTIVE";
  stored["compatibilities"] = {"EC2", "FARGATE"};
  stored["registeredAt"] = 1763892000;
  definitions_[arn] = stored;
  return arn;
}

void FakeEcs::AddService(const std::string& cluster, const std::string& name,
                         const std::string& task_definition_arn) {
  std::lock_guard lock(mutex_);
  ServiceState state;
  state.description = {
      {"serviceName", name},
      {"serviceArn", std::string("arn:aws:ecs:") + kRegion + ":" + kAccount + ":service/" +
                         cluster + "/" + name},
      {"status", "ACTIVE"},
      {"taskDefinition", task_definition_arn},
      {"desiredCount", 2},
      {"runningCount", 2},
      {"deployments", {{{"id", "ecs-svc/1"}, {"status", "PRIMARY"},
                        {"taskDefinition", task_definition_arn}, {"desiredCount", 2},
                        {"runningCount", 2}, {"pendingCount", 0}, {"rolloutState", "COMPLETED"}}}},
      {"events", json::array()}};
  services_[cluster + "/" + name] = std::move(state);
}

void FakeEcs::SetDeploymentController(const std::string& cluster, const std::string& name,
                                      const std::string& type) {
  std::lock_guard lock(mutex_);
  services_.at(cluster + "/" + name).description["deploymentController"] = {{"type", type}};
}

void FakeEcs::StaleServiceReads(int reads) {
  std::lock_guard lock(mutex_);
  stale_service_reads_ = reads;
}

void FakeEcs::LimitGetLogEvents(double per_second, double burst) {
  std::lock_guard lock(mutex_);
  log_bucket_ = TokenBucket{per_second, burst, burst, std::chrono::steady_clock::now()};
}

int FakeEcs::ThrottledCalls(const std::string& operation) const {
  std::lock_guard lock(mutex_);
  auto it = throttled_calls_.find(operation);
  return it == throttled_calls_.end() ? 0 : it->second;
}

bool FakeEcs::TakeLogToken() {
  if (!log_bucket_) return true;
  TokenBucket& b = *log_bucket_;
  auto now = std::chrono::steady_clock::now();
  b.tokens = std::min(b.burst, b.tokens + std::chrono::duration<double>(now - b.refilled).count() *
                                              b.per_second);
  b.refilled = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void FakeEcs::SetRolloutScripts(std::vector<RolloutScript> scripts) {
  std::lock_guard lock(mutex_);
  rollout_scripts_ = std::move(scripts);
  if (rollout_scripts_.empty()) rollout_scripts_.emplace_back();
  updates_ = 0;
}

json FakeEcs::Service(const std::string& cluster, const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = services_.find(cluster + "/" + name);
  return it == services_.end() ? json() : it->second.description;
}

std::vector<std::string> FakeEcs::TaskDefinitions(const std::string& status) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [arn, definition] : definitions_) {
    if (definition["status"] == status) out.push_back(arn);
  }
  return out;
}

void FakeEcs::SetTaskScript(TaskScript script) {
  std::lock_guard lock(mutex_);
  script_ = std::move(script);
}

void FakeEcs::FailRunTask(json failures, int times) {
  std::lock_guard lock(mutex_);
  run_task_failures_ = std::move(failures);
  run_task_failures_left_ = times;
}

void FakeEcs::Throttle(const std::string& operation, int times, int after) {
  std::lock_guard lock(mutex_);
  throttles_[operation] = {after, times};
}

std::vector<json> FakeEcs::Requests(const std::string& operation) const {
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  for (const auto& [op, body] : requests_) {
    if (op == operation) out.push_back(body);
  }
  return out;
}

std::vector<std::string> FakeEcs::Operations() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [op, body] : requests_) out.push_back(op);
  return out;
}

std::vector<json> FakeEcs::Tasks() const {
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  for (const Task& t : tasks_) out.push_back(t.description);
  return out;
}

std::vector<std::string> FakeEcs::Refusals() const {
  std::lock_guard lock(mutex_);
  return refusals_;
}

ScriptedResponse FakeEcs::Handle(const RecordedRequest& request) {
  ScriptedResponse response;
  response.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                      {"x-amzn-RequestId", "fake-ecs-request"}};
  const std::string* target = request.Header("X-Amz-Target");
  json body = json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
  std::lock_guard lock(mutex_);
  std::string operation;
  Answer answer;
  if (request.method != "POST" || target == nullptr || target->find('.') == std::string::npos) {
    answer = Refuse("?", "UnknownOperationException", "POST with X-Amz-Target expected");
  } else if (operation = target->substr(target->find('.') + 1);
             body.is_discarded() || !body.is_object()) {
    answer = Refuse(operation, "SerializationException", "the body is not a JSON object");
  } else if (request.Header("Authorization") == nullptr) {
    answer = Refuse(operation, "MissingAuthenticationTokenException", "request is not signed");
  } else {
    requests_.emplace_back(operation, body);
    auto throttle = throttles_.find(operation);
    bool throttled = false;
    if (throttle != throttles_.end()) {
      Throttling& t = throttle->second;
      if (t.after > 0) {
        --t.after;
      } else if (t.times > 0) {
        --t.times;
        throttled = true;
      }
    }
    if (operation == "GetLogEvents" && !TakeLogToken()) throttled = true;
    if (throttled) {
      ++throttled_calls_[operation];
      answer = {400, {{"__type", "ThrottlingException"}, {"message", "Rate exceeded"}}};
    } else {
      answer = Dispatch(operation, body);
    }
  }
  response.status = answer.status;
  response.body = answer.body.dump();
  return response;
}

FakeEcs::Answer FakeEcs::Refuse(const std::string& operation, const std::string& code,
                                const std::string& message) {
  refusals_.push_back(operation + ": " + message);
  return {400, {{"__type", code}, {"message", message}}};
}

FakeEcs::Answer FakeEcs::Dispatch(const std::string& operation, const json& body) {
  if (operation == "RunTask") return RunTask(body);
  if (operation == "DescribeTasks") return DescribeTasks(body);
  if (operation == "StopTask") return StopTask(body);
  if (operation == "DescribeTaskDefinition") return DescribeTaskDefinition(body);
  if (operation == "DescribeClusters") return DescribeClusters(body);
  if (operation == "GetLogEvents") return GetLogEvents(body);
  if (operation == "DescribeServices") return DescribeServices(body);
  if (operation == "UpdateService") return UpdateService(body);
  if (operation == "RegisterTaskDefinition") return RegisterTaskDefinition(body);
  if (operation == "ListTaskDefinitions") return ListTaskDefinitions(body);
  if (operation == "DeregisterTaskDefinition") return DeregisterTaskDefinition(body);
  if (operation == "ListServices") return ListServices(body);
  if (operation == "ListTasks") return ListTasks(body);
  return Refuse(operation, "UnknownOperationException", "FakeEcs does not know " + operation);
}

const json* FakeEcs::FindDefinition(const std::string& reference) const {
  auto exact = definitions_.find(reference);
  if (exact != definitions_.end()) return &exact->second;
  std::string family = reference, revision;
  size_t colon = reference.find(':');
  if (colon != std::string::npos) {
    family = reference.substr(0, colon);
    revision = reference.substr(colon + 1);
  }
  auto latest = revisions_.find(family);
  if (latest == revisions_.end()) return nullptr;
  std::string arn = std::string("arn:aws:ecs:") + kRegion + ":" + kAccount + ":task-definition/" +
                    family + ":" + (revision.empty() ? std::to_string(latest->second) : revision);
  auto found = definitions_.find(arn);
  return found == definitions_.end() ? nullptr : &found->second;
}

FakeEcs::Answer FakeEcs::RunTask(const json& body) {
  const char* op = "RunTask";
  for (std::string problem :
       {CheckType(body, "taskDefinition", json::value_t::string, true),
        CheckType(body, "cluster", json::value_t::string, false),
        CheckType(body, "count", json::value_t::number_integer, false),
        CheckType(body, "launchType", json::value_t::string, false),
        CheckType(body, "capacityProviderStrategy", json::value_t::array, false),
        CheckType(body, "platformVersion", json::value_t::string, false),
        CheckType(body, "networkConfiguration", json::value_t::object, false),
        CheckType(body, "overrides", json::value_t::object, false),
        CheckType(body, "startedBy", json::value_t::string, false),
        CheckType(body, "clientToken", json::value_t::string, false)}) {
    if (!problem.empty()) return Refuse(op, "InvalidParameterException", problem);
  }
  if (body.contains("launchType") && body.contains("capacityProviderStrategy")) {
    return Refuse(op, "InvalidParameterException",
                  "Specifying both a launch type and capacity provider strategy is not supported");
  }
  if (body.contains("launchType")) {
    std::string type = body["launchType"];
    if (type != "EC2" && type != "FARGATE" && type != "EXTERNAL") {
      return Refuse(op, "InvalidParameterException", "launchType " + type + " is not valid");
    }
  }
  for (const json& item : body.value("capacityProviderStrategy", json::array())) {
    if (!item.is_object() || !item.contains("capacityProvider") ||
        !item["capacityProvider"].is_string()) {
      return Refuse(op, "InvalidParameterException", "capacityProviderStrategy needs capacityProvider");
    }
  }
  if (body.contains("count") && (body["count"] < 1 || body["count"] > 10)) {
    return Refuse(op, "InvalidParameterException", "count must be from 1 to 10");
  }
  std::string token = body.value("clientToken", "");
  if (token.size() > 64 ||
      std::any_of(token.begin(), token.end(), [](char c) { return c < 33 || c > 126; })) {
    return Refuse(op, "InvalidParameterException", "clientToken: up to 64 printable ASCII characters");
  }
  if (body.value("startedBy", "").size() > 36) {
    return Refuse(op, "InvalidParameterException", "startedBy: at most 36 characters");
  }
  if (body.contains("networkConfiguration")) {
    const json& net = body["networkConfiguration"];
    if (!net.contains("awsvpcConfiguration") || !net["awsvpcConfiguration"].is_object()) {
      return Refuse(op, "InvalidParameterException", "networkConfiguration needs awsvpcConfiguration");
    }
    const json& vpc = net["awsvpcConfiguration"];
    if (!vpc.contains("subnets")) {
      return Refuse(op, "InvalidParameterException", "awsvpcConfiguration needs subnets");
    }
    std::string problem = CheckStrings(vpc["subnets"], "subnets");
    if (problem.empty() && vpc.contains("securityGroups")) {
      problem = CheckStrings(vpc["securityGroups"], "securityGroups");
    }
    if (problem.empty() && vpc.contains("assignPublicIp") &&
        vpc["assignPublicIp"] != "ENABLED" && vpc["assignPublicIp"] != "DISABLED") {
      problem = "assignPublicIp must be ENABLED or DISABLED";
    }
    if (!problem.empty()) return Refuse(op, "InvalidParameterException", problem);
  }
  if (body.contains("tags")) {
    std::string problem = CheckNameValues(body["tags"], "tags", "key", "value");
    if (!problem.empty()) return Refuse(op, "InvalidParameterException", problem);
  }

  std::string cluster = ClusterName(body);
  if (!clusters_.count(cluster)) {
    return {400, {{"__type", "ClusterNotFoundException"}, {"message", "Cluster not found."}}};
  }
  const json* definition = FindDefinition(body["taskDefinition"]);
  if (definition == nullptr) {
    return {400, {{"__type", "ClientException"}, {"message", "Unable to describe task definition."}}};
  }
  std::vector<std::string> names;
  for (const json& c : (*definition)["containerDefinitions"]) names.push_back(c["name"]);
  if (body.contains("overrides")) {
    const json& overrides = body["overrides"];
    for (const json& c : overrides.value("containerOverrides", json::array())) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
        return Refuse(op, "InvalidParameterException", "containerOverrides entries need a name");
      }
      if (std::find(names.begin(), names.end(), c["name"].get<std::string>()) == names.end()) {
        return {400, {{"__type", "InvalidParameterException"},
                      {"message", "Override for container named " + c["name"].get<std::string>() +
                                      " is not a container in the TaskDefinition."}}};
      }
      std::string problem;
      if (c.contains("command")) problem = CheckStrings(c["command"], "command");
      if (problem.empty() && c.contains("environment")) {
        problem = CheckNameValues(c["environment"], "environment", "name", "value");
      }
      if (!problem.empty()) return Refuse(op, "InvalidParameterException", problem);
    }
  }

  if (!token.empty()) {
    auto known = tokens_.find(token);
    if (known != tokens_.end()) {  // idempotent: the same task again
      for (const Task& t : tasks_) {
        if (t.description["taskArn"] == known->second) {
          return {200, {{"tasks", {t.description}}, {"failures", json::array()}}};
        }
      }
    }
  }
  if (run_task_failures_left_ > 0) {
    --run_task_failures_left_;
    return {200, {{"tasks", json::array()}, {"failures", run_task_failures_}}};
  }

  Task task;
  task.script = script_;
  task.missing_left = script_.missing_describes;
  std::string id = "task" + std::to_string(tasks_.size() + 1);
  std::string arn = std::string("arn:aws:ecs:") + kRegion + ":" + kAccount + ":task/" + cluster +
                    "/" + id;
  json containers = json::array();
  for (const std::string& name : names) {
    containers.push_back({{"name", name}, {"lastStatus", "PENDING"}});
  }
  task.description = {{"taskArn", arn},
                      {"clusterArn", clusters_[cluster]["clusterArn"]},
                      {"taskDefinitionArn", (*definition)["taskDefinitionArn"]},
                      {"lastStatus", task.script.states.front()},
                      {"desiredStatus", "RUNNING"},
                      {"containers", containers},
                      {"overrides", body.value("overrides", json::object())},
                      {"createdAt", 1763892000}};
  for (const char* copied : {"launchType", "capacityProviderStrategy", "platformVersion",
                             "startedBy", "tags"}) {
    if (body.contains(copied)) task.description[copied] = body[copied];
  }
  const json& first = (*definition)["containerDefinitions"][0];
  if (first.contains("logConfiguration")) {
    const json& options = first["logConfiguration"].value("options", json::object());
    task.log_group = options.value("awslogs-group", "");
    task.log_stream = options.value("awslogs-stream-prefix", "") + "/" +
                      first["name"].get<std::string>() + "/" + id;
  }
  if (!token.empty()) tokens_[token] = arn;
  tasks_.push_back(std::move(task));
  Advance(tasks_.back(), 0);
  return {200, {{"tasks", {tasks_.back().description}}, {"failures", json::array()}}};
}

void FakeEcs::Advance(Task& task, size_t to) {
  to = std::min(to, task.script.states.size() - 1);
  task.state = to;
  const std::string& state = task.script.states[to];
  task.description["lastStatus"] = state;
  if (state == "RUNNING" && !task.description.contains("startedAt")) {
    task.description["startedAt"] = 1763892010;
  }
  auto lines = task.script.logs.find(to);
  if (lines != task.script.logs.end() && !task.log_group.empty()) {
    auto& stream = streams_[task.log_group + "\n" + task.log_stream];
    for (const std::string& line : lines->second) {
      clock_ms_ += 1000;
      stream.push_back({{"timestamp", clock_ms_}, {"message", line}, {"ingestionTime", clock_ms_}});
    }
  }
  if (state == "STOPPED") MarkStopped(task);
}

void FakeEcs::MarkStopped(Task& task) {
  // StopTask sets the stop code first: such a task is stopped before its script's exit codes.
  bool by_stop_task = task.description.contains("stopCode");
  task.description["lastStatus"] = "STOPPED";
  task.description["desiredStatus"] = "STOPPED";
  task.description["stoppedAt"] = 1763892070;
  if (!task.description.contains("stopCode")) {
    task.description["stopCode"] = task.script.stop_code;
    task.description["stoppedReason"] = task.script.stopped_reason;
  }
  for (json& c : task.description["containers"]) {
    c["lastStatus"] = "STOPPED";
    auto code = task.script.exit_codes.find(c["name"]);
    if (code != task.script.exit_codes.end() && !by_stop_task) {
      c["exitCode"] = code->second;
    }
    auto reason = task.script.container_reasons.find(c["name"]);
    if (reason != task.script.container_reasons.end()) c["reason"] = reason->second;
  }
}

FakeEcs::Answer FakeEcs::DescribeTasks(const json& body) {
  std::string problem = CheckType(body, "tasks", json::value_t::array, true);
  if (problem.empty()) problem = CheckStrings(body["tasks"], "tasks");
  if (problem.empty() && body["tasks"].size() > 100) problem = "at most 100 tasks";
  if (!problem.empty()) return Refuse("DescribeTasks", "InvalidParameterException", problem);
  if (!clusters_.count(ClusterName(body))) {
    return {400, {{"__type", "ClusterNotFoundException"}, {"message", "Cluster not found."}}};
  }
  json tasks = json::array(), failures = json::array();
  for (const json& wanted : body["tasks"]) {
    auto it = std::find_if(tasks_.begin(), tasks_.end(), [&](const Task& t) {
      return t.description["taskArn"] == wanted;
    });
    if (it == tasks_.end() || it->missing_left > 0) {
      if (it != tasks_.end()) --it->missing_left;
      failures.push_back({{"arn", wanted}, {"reason", "MISSING"}});
      continue;
    }
    if (it->description["lastStatus"] != "STOPPED") Advance(*it, it->state + 1);
    tasks.push_back(it->description);
  }
  return {200, {{"tasks", tasks}, {"failures", failures}}};
}

FakeEcs::Answer FakeEcs::StopTask(const json& body) {
  std::string problem = CheckType(body, "task", json::value_t::string, true);
  if (problem.empty()) problem = CheckType(body, "reason", json::value_t::string, false);
  if (problem.empty() && body.value("reason", "").size() > 255) problem = "reason: at most 255";
  if (!problem.empty()) return Refuse("StopTask", "InvalidParameterException", problem);
  for (Task& t : tasks_) {
    if (t.description["taskArn"] != body["task"]) continue;
    if (t.description["lastStatus"] != "STOPPED") {
      t.description["stopCode"] = "UserInitiated";
      t.description["stoppedReason"] = body.value("reason", "Task stopped by user");
      MarkStopped(t);
    }
    return {200, {{"task", t.description}}};
  }
  return {400, {{"__type", "InvalidParameterException"}, {"message", "The referenced task was not found."}}};
}

FakeEcs::Answer FakeEcs::DescribeTaskDefinition(const json& body) {
  std::string problem = CheckType(body, "taskDefinition", json::value_t::string, true);
  if (!problem.empty()) return Refuse("DescribeTaskDefinition", "InvalidParameterException", problem);
  const json* definition = FindDefinition(body["taskDefinition"]);
  if (definition == nullptr) {
    return {400, {{"__type", "ClientException"}, {"message", "Unable to describe task definition."}}};
  }
  return {200, {{"taskDefinition", *definition}, {"tags", json::array()}}};
}

FakeEcs::Answer FakeEcs::DescribeClusters(const json& body) {
  json clusters = json::array(), failures = json::array();
  for (const json& name : body.value("clusters", json::array({"default"}))) {
    if (!name.is_string()) return Refuse("DescribeClusters", "InvalidParameterException", "clusters");
    std::string short_name = ClusterName({{"cluster", name}});
    auto it = clusters_.find(short_name);
    if (it == clusters_.end()) {
      failures.push_back({{"arn", name}, {"reason", "MISSING"}});
    } else {
      clusters.push_back(it->second);
    }
  }
  return {200, {{"clusters", clusters}, {"failures", failures}}};
}

FakeEcs::Answer FakeEcs::GetLogEvents(const json& body) {
  std::string problem = CheckType(body, "logGroupName", json::value_t::string, true);
  if (problem.empty()) problem = CheckType(body, "logStreamName", json::value_t::string, true);
  if (problem.empty()) problem = CheckType(body, "startFromHead", json::value_t::boolean, false);
  if (problem.empty()) problem = CheckType(body, "nextToken", json::value_t::string, false);
  if (!problem.empty()) return Refuse("GetLogEvents", "InvalidParameterException", problem);
  auto stream = streams_.find(body["logGroupName"].get<std::string>() + "\n" +
                              body["logStreamName"].get<std::string>());
  if (stream == streams_.end()) {
    return {400, {{"__type", "ResourceNotFoundException"},
                  {"message", "The specified log stream does not exist."}}};
  }
  // Tokens are "f/<index of the next event>", as opaque to the client as the real ones.
  size_t from = 0;
  std::string token = body.value("nextToken", "");
  if (token.rfind("f/", 0) == 0) from = std::stoul(token.substr(2));
  size_t limit = 3;  // small pages: clients must follow tokens
  json events = json::array();
  size_t next = from;
  for (; next < stream->second.size() && next < from + limit; ++next) {
    events.push_back(stream->second[next]);
  }
  return {200, {{"events", events},
                {"nextForwardToken", "f/" + std::to_string(next)},
                {"nextBackwardToken", "b/" + std::to_string(from)}}};
}

FakeEcs::Answer FakeEcs::DescribeServices(const json& body) {
  std::string problem = CheckType(body, "services", json::value_t::array, true);
  if (problem.empty()) problem = CheckStrings(body["services"], "services");
  if (problem.empty() && body["services"].size() > 10) problem = "at most 10 services";
  if (!problem.empty()) return Refuse("DescribeServices", "InvalidParameterException", problem);
  std::string cluster = ClusterName(body);
  if (!clusters_.count(cluster)) {
    return {400, {{"__type", "ClusterNotFoundException"}, {"message", "Cluster not found."}}};
  }
  json services = json::array(), failures = json::array();
  for (const json& name : body["services"]) {
    std::string wanted = name.get<std::string>();
    std::string key = cluster + "/" + wanted.substr(wanted.rfind('/') + 1);  // a name or an ARN
    if (!services_.count(key)) {
      failures.push_back({{"arn", name}, {"reason", "MISSING"}});
      continue;
    }
    ServiceState& state = services_[key];
    if (state.stale_left > 0) {
      --state.stale_left;
      services.push_back(state.stale);
      continue;
    }
    AdvanceRollout(key);
    services.push_back(state.description);
  }
  return {200, {{"services", services}, {"failures", failures}}};
}

void FakeEcs::AdvanceRollout(const std::string& key) {
  ServiceState& s = services_[key];
  json& deployments = s.description["deployments"];
  json& ours = deployments[0];
  if (ours["rolloutState"] != "IN_PROGRESS" || s.step >= s.script.steps.size()) return;
  const std::string& step = s.script.steps[s.step++];
  auto event = [&](const std::string& message) {
    s.description["events"].insert(s.description["events"].begin(),
                                   json{{"id", "event-" + std::to_string(++s.events)},
                                        {"createdAt", 1763892000 + s.events},
                                        {"message", "(service " + key.substr(key.find('/') + 1) +
                                                        ") " + message}});
  };
  if (step == "IN_PROGRESS") {
    ours["runningCount"] = std::min(ours["desiredCount"].get<int>(), ours["runningCount"].get<int>() + 1);
    event("has started 1 tasks: (task " + std::to_string(s.step) + ").");
  } else if (step == "COMPLETED") {
    ours["rolloutState"] = "COMPLETED";
    ours["runningCount"] = ours["desiredCount"];
    deployments = json::array({ours});
    event("has reached a steady state.");
  } else if (step == "FAILED") {
    ours["rolloutState"] = "FAILED";
    ours["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start.";
    event("deployment failed: tasks failed to start.");
  } else if (step == "ROLLBACK") {
    ours["rolloutState"] = "FAILED";
    ours["status"] = "ACTIVE";
    ours["rolloutStateReason"] =
        "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/previous.";
    json rollback = {{"id", "ecs-svc/" + std::to_string(++s.deployments)}, {"status", "PRIMARY"},
                     {"taskDefinition", s.previous_task_definition}, {"desiredCount", 2},
                     {"runningCount", 0}, {"pendingCount", 0}, {"rolloutState", "IN_PROGRESS"}};
    deployments.insert(deployments.begin(), rollback);
    s.description["taskDefinition"] = s.previous_task_definition;
    event("deployment failed: rolling back.");
  }
}

FakeEcs::Answer FakeEcs::UpdateService(const json& body) {
  const char* op = "UpdateService";
  for (std::string problem : {CheckType(body, "service", json::value_t::string, true),
                              CheckType(body, "cluster", json::value_t::string, false),
                              CheckType(body, "taskDefinition", json::value_t::string, false),
                              CheckType(body, "forceNewDeployment", json::value_t::boolean, false)}) {
    if (!problem.empty()) return Refuse(op, "InvalidParameterException", problem);
  }
  std::string key = ClusterName(body) + "/" + body["service"].get<std::string>();
  auto it = services_.find(key);
  if (it == services_.end()) {
    return {400, {{"__type", "ServiceNotFoundException"}, {"message", "Service not found."}}};
  }
  ServiceState& s = it->second;
  std::string task_definition = s.description["taskDefinition"];
  std::string controller = s.description.value("/deploymentController/type"_json_pointer, "ECS");
  if (body.contains("taskDefinition") && controller != "ECS") {
    return {400, {{"__type", "InvalidParameterException"},
                  {"message", "Unable to update task definition on services with a " + controller +
                                  " deployment controller." +
                                  (controller == "CODE_DEPLOY"
                                       ? " Use AWS CodeDeploy to trigger a new deployment."
                                       : " Use the task set APIs to deploy.")}}};
  }
  s.stale = s.description;
  s.stale_left = stale_service_reads_;
  if (body.contains("taskDefinition")) {
    const json* definition = FindDefinition(body["taskDefinition"]);
    if (definition == nullptr) {
      return {400, {{"__type", "ClientException"}, {"message", "TaskDefinition not found."}}};
    }
    task_definition = (*definition)["taskDefinitionArn"];
  }
  s.previous_task_definition = s.description["taskDefinition"];
  s.description["taskDefinition"] = task_definition;
  for (json& d : s.description["deployments"]) d["status"] = "ACTIVE";
  json deployment = {{"id", "ecs-svc/" + std::to_string(++s.deployments)}, {"status", "PRIMARY"},
                     {"taskDefinition", task_definition}, {"desiredCount", 2},
                     {"runningCount", 0}, {"pendingCount", 0}, {"rolloutState", "IN_PROGRESS"}};
  s.description["deployments"].insert(s.description["deployments"].begin(), deployment);
  s.script = rollout_scripts_[std::min(updates_++, rollout_scripts_.size() - 1)];
  s.step = 0;
  return {200, {{"service", s.description}}};
}

FakeEcs::Answer FakeEcs::RegisterTaskDefinition(const json& body) {
  const char* op = "RegisterTaskDefinition";
  for (std::string problem : {CheckType(body, "family", json::value_t::string, true),
                              CheckType(body, "containerDefinitions", json::value_t::array, true),
                              CheckType(body, "tags", json::value_t::array, false)}) {
    if (!problem.empty()) return Refuse(op, "InvalidParameterException", problem);
  }
  for (const char* read_only : {"taskDefinitionArn", "revision", "status", "requiresAttributes",
                                "compatibilities", "registeredAt", "registeredBy"}) {
    if (body.contains(read_only)) {
      return Refuse(op, "InvalidParameterException",
                    std::string("unknown parameter ") + read_only + " (read-only)");
    }
  }
  for (const json& c : body["containerDefinitions"]) {
    if (!c.is_object() || !c.contains("name") || !c.contains("image")) {
      return Refuse(op, "InvalidParameterException", "every container needs a name and an image");
    }
  }
  std::string arn = RegisterLocked(body);
  return {200, {{"taskDefinition", definitions_[arn]}, {"tags", body.value("tags", json::array())}}};
}

// One page of everything (the fake's clusters are small).
FakeEcs::Answer FakeEcs::ListServices(const json& body) {
  std::string cluster = ClusterName(body);
  if (!clusters_.count(cluster)) {
    return {400, {{"__type", "ClusterNotFoundException"}, {"message", "Cluster not found."}}};
  }
  json arns = json::array();
  for (const auto& [key, state] : services_) {
    if (key.starts_with(cluster + "/") && state.description["status"] == "ACTIVE") {
      arns.push_back(state.description["serviceArn"]);
    }
  }
  return {200, {{"serviceArns", arns}}};
}

FakeEcs::Answer FakeEcs::ListTasks(const json& body) {
  std::string cluster = ClusterName(body);
  if (!clusters_.count(cluster)) {
    return {400, {{"__type", "ClusterNotFoundException"}, {"message", "Cluster not found."}}};
  }
  std::string desired = body.value("desiredStatus", "RUNNING");
  json arns = json::array();
  for (const Task& task : tasks_) {
    if (task.description.value("desiredStatus", "") == desired &&
        task.description.value("clusterArn", "") == clusters_[cluster]["clusterArn"]) {
      arns.push_back(task.description["taskArn"]);
    }
  }
  return {200, {{"taskArns", arns}}};
}

FakeEcs::Answer FakeEcs::ListTaskDefinitions(const json& body) {
  std::string family = body.value("familyPrefix", "");
  std::string status = body.value("status", "ACTIVE");
  std::vector<std::pair<int, std::string>> found;
  for (const auto& [arn, definition] : definitions_) {
    if ((family.empty() || definition["family"] == family) && definition["status"] == status) {
      found.emplace_back(definition["revision"].get<int>(), arn);
    }
  }
  std::sort(found.begin(), found.end());
  if (body.value("sort", "ASC") == "DESC" && !ignore_list_sort_) std::reverse(found.begin(), found.end());
  // Pages of 2, so clients must follow nextToken.
  size_t from = body.contains("nextToken") ? std::stoul(body["nextToken"].get<std::string>()) : 0;
  json arns = json::array();
  for (size_t i = from; i < found.size() && i < from + 2; ++i) arns.push_back(found[i].second);
  json answer = {{"taskDefinitionArns", arns}};
  if (from + 2 < found.size()) answer["nextToken"] = std::to_string(from + 2);
  return {200, answer};
}

FakeEcs::Answer FakeEcs::DeregisterTaskDefinition(const json& body) {
  std::string problem = CheckType(body, "taskDefinition", json::value_t::string, true);
  if (!problem.empty()) return Refuse("DeregisterTaskDefinition", "InvalidParameterException", problem);
  const json* definition = FindDefinition(body["taskDefinition"]);
  if (definition == nullptr) {
    return {400, {{"__type", "ClientException"}, {"message", "The specified task definition does not exist."}}};
  }
  json& stored = definitions_[(*definition)["taskDefinitionArn"]];
  stored["status"] = "INACTIVE";
  return {200, {{"taskDefinition", stored}}};
}

}  // namespace sluice::testing
