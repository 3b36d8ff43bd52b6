// FakeEcs: a scriptable fake of the ECS and CloudWatch Logs JSON APIs on 127.0.0.1, for what
// moto cannot do: non-zero exit codes, tasks that fail to start, logs arriving over several
// polls, throttling, clientToken idempotency, StopTask. Shared by the trigger, run-once and deploy
// tests; it goes beside moto, not instead of it.
//
// It checks request shapes as the real APIs do (required fields, types, enums, lengths) and
// answers a malformed request with HTTP 400 and the error code ECS would use, so a client that
// builds a wrong request fails here, not only in production. Clusters and task definitions must
// be created first, as in ECS.
//
// Services: AddService makes one with a COMPLETED deployment. Each UpdateService starts a
// deployment that follows the RolloutScript in effect: every DescribeServices moves it one step
// along `steps` (IN_PROGRESS, COMPLETED, FAILED, or ROLLBACK: ECS's circuit breaker marks it
// FAILED and starts a PRIMARY deployment of the previous task definition), adding a service event
// per step. RegisterTaskDefinition refuses the read-only fields DescribeTaskDefinition returns.
//
// Real ECS behaviours moto does not show, on demand: a task DescribeTasks answers MISSING for a
// while after RunTask (TaskScript::missing_describes, eventual consistency), DescribeServices
// that still shows the service as it was before UpdateService (StaleServiceReads), services
// with the CODE_DEPLOY or EXTERNAL deployment controller (UpdateService refuses a new task
// definition there, with ECS's message), and GetLogEvents behind a token bucket
// (LimitGetLogEvents: ThrottlingException beyond it, as CloudWatch Logs' account quota does).
//
// Tasks: each RunTask starts a task that follows the TaskScript in effect at the time. Every
// DescribeTasks of a task moves it one state along `states`; on reaching a state it appends that
// state's log lines to the task's log stream ("<prefix>/<container>/<task id>" in the log group
// of the container's awslogs options). A task's final state is STOPPED with the script's exit
// codes (a script without STOPPED runs until stopped). StopTask moves a task to STOPPED at once
// (stopCode UserInitiated, no exit codes).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/aws/client_context.h"
#include "sluice/util/environment.h"
#include "tests/support/fake_clock.h"
#include "tests/support/loopback_http_server.h"

namespace sluice::testing {

class FakeEcs {
 public:
  struct TaskScript {
    std::vector<std::string> states = {"PROVISIONING", "PENDING", "RUNNING", "STOPPED"};
    // Exit codes at STOPPED, by container name; a container not named here gets none (it never
    // ran), as with CannotPullContainerError.
    std::map<std::string, int> exit_codes = {{"app", 0}};
    std::string stop_code = "EssentialContainerExited";
    std::string stopped_reason = "Essential container in task exited";
    std::map<std::string, std::string> container_reasons;  // e.g. CannotPullContainerError
    // Log lines written when the task reaches states[i] (index i), to the first container's
    // stream.
    std::map<size_t, std::vector<std::string>> logs;
    // The first this many DescribeTasks of the task answer failures [{reason: MISSING}].
    int missing_describes = 0;
  };

  struct RolloutScript {
    std::vector<std::string> steps = {"IN_PROGRESS", "COMPLETED"};
  };

  FakeEcs();
  ~FakeEcs();

  std::string endpoint() const { return server_->endpoint(); }
  // A client context pointed at this fake: region us-east-1, a test key, an empty environment
  // and a FakeClock, so the clients' own retry back-offs take no real time.
  std::shared_ptr<const ClientContext> Context();

  void AddCluster(const std::string& name);
  // Registers revision 1 (then 2, ...) of definition["family"]; returns its ARN.
  std::string AddTaskDefinition(const nlohmann::json& definition);
  void SetTaskScript(TaskScript script);
  void AddService(const std::string& cluster, const std::string& name,
                  const std::string& task_definition_arn);
  // CODE_DEPLOY or EXTERNAL (default ECS), shown in deploymentController.type.
  void SetDeploymentController(const std::string& cluster, const std::string& name,
                               const std::string& type);
  // After each UpdateService, the next `reads` DescribeServices of that service still show it
  // as it was before the update (ECS is eventually consistent).
  void StaleServiceReads(int reads);
  // GetLogEvents through a token bucket of `burst` calls refilled at `per_second` (real time);
  // a call beyond it answers 400 ThrottlingException.
  void LimitGetLogEvents(double per_second, double burst);
  // How many calls of `operation` were answered ThrottlingException.
  int ThrottledCalls(const std::string& operation) const;
  // One script per UpdateService call, in order; the last one repeats.
  void SetRolloutScripts(std::vector<RolloutScript> scripts);
  nlohmann::json Service(const std::string& cluster, const std::string& name) const;
  // Task definition ARNs by status ("ACTIVE"/"INACTIVE").
  std::vector<std::string> TaskDefinitions(const std::string& status) const;
  // The next RunTask calls answer with these failures and start no task.
  void FailRunTask(nlohmann::json failures, int times = 1);
  // ListTaskDefinitions ignores `sort` and answers oldest first, as moto does.
  void IgnoreListSort() { ignore_list_sort_ = true; }
  // The next `times` calls of `operation` answer 400 ThrottlingException.
  // (After letting the next `after` calls through.)
  void Throttle(const std::string& operation, int times, int after = 0);

  // Request bodies received for an operation, in order; and every operation name, in order.
  std::vector<nlohmann::json> Requests(const std::string& operation) const;
  std::vector<std::string> Operations() const;
  // The tasks started so far (as DescribeTasks shows them now).
  std::vector<nlohmann::json> Tasks() const;
  // Malformed requests this fake refused (each "Operation: what was wrong"): tests assert it is
  // empty, so a shape error is caught even when the client copes with the 400.
  std::vector<std::string> Refusals() const;

 private:
  struct Task {
    nlohmann::json description;
    TaskScript script;
    size_t state = 0;
    std::string log_group, log_stream;
    int missing_left = 0;
  };
  struct Answer {
    int status = 200;
    nlohmann::json body;
  };

  ScriptedResponse Handle(const RecordedRequest& request);
  Answer Dispatch(const std::string& operation, const nlohmann::json& body);
  Answer RunTask(const nlohmann::json& body);
  Answer DescribeTasks(const nlohmann::json& body);
  Answer StopTask(const nlohmann::json& body);
  Answer DescribeTaskDefinition(const nlohmann::json& body);
  Answer DescribeClusters(const nlohmann::json& body);
  Answer GetLogEvents(const nlohmann::json& body);
  Answer DescribeServices(const nlohmann::json& body);
  Answer UpdateService(const nlohmann::json& body);
  Answer RegisterTaskDefinition(const nlohmann::json& body);
  Answer ListTaskDefinitions(const nlohmann::json& body);
  Answer DeregisterTaskDefinition(const nlohmann::json& body);
  Answer ListServices(const nlohmann::json& body);
  Answer ListTasks(const nlohmann::json& body);
  std::string RegisterLocked(const nlohmann::json& definition);
  void AdvanceRollout(const std::string& key);
  Answer Refuse(const std::string& operation, const std::string& code, const std::string& message);
  const nlohmann::json* FindDefinition(const std::string& reference) const;
  void Advance(Task& task, size_t to);
  void MarkStopped(Task& task);

  mutable std::mutex mutex_;
  std::map<std::string, nlohmann::json> clusters_;  // name -> description
  std::map<std::string, nlohmann::json> definitions_;  // ARN -> definition
  std::map<std::string, int> revisions_;               // family -> latest
  std::vector<Task> tasks_;
  std::map<std::string, std::string> tokens_;  // clientToken -> task ARN
  std::map<std::string, std::vector<nlohmann::json>> streams_;  // group + "\n" + stream -> events
  TaskScript script_;
  struct ServiceState {
    nlohmann::json description;
    RolloutScript script;
    size_t step = 0;
    std::string previous_task_definition;
    int deployments = 1;
    int events = 0;
    nlohmann::json stale;  // shown instead of `description` while stale_left > 0
    int stale_left = 0;
  };
  std::map<std::string, ServiceState> services_;  // cluster + "/" + name
  std::vector<RolloutScript> rollout_scripts_ = {RolloutScript{}};
  size_t updates_ = 0;
  nlohmann::json run_task_failures_;
  int run_task_failures_left_ = 0;
  bool ignore_list_sort_ = false;
  struct Throttling {
    int after = 0;
    int times = 0;
  };
  std::map<std::string, Throttling> throttles_;
  std::map<std::string, int> throttled_calls_;
  int stale_service_reads_ = 0;
  struct TokenBucket {
    double per_second = 0, burst = 0, tokens = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  std::optional<TokenBucket> log_bucket_;
  bool TakeLogToken();
  std::vector<std::pair<std::string, nlohmann::json>> requests_;
  std::vector<std::string> refusals_;
  int64_t clock_ms_ = 1763892000000;  // log timestamps: advance 1 s per line
  MapEnvironment env_;
  FakeClock clock_;
  std::unique_ptr<LoopbackHttpServer> server_;
};

}  // namespace sluice::testing
