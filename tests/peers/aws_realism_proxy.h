// AwsRealismProxy: a loopback HTTP proxy in front of moto that reproduces, on demand, what real
// AWS does and moto does not (../shared/notes/local-peers.md, "What no local peer shows"). It
// goes in front of the real peer, not instead of it: every request is forwarded to moto as it
// came (Host, Authorization and all, so a verifying moto still checks the signature against
// what the tool signed), and moto's answer is passed back, rewritten only for the behaviours a
// test switched on. Point a tool's AWS_ENDPOINT_URL at endpoint() instead of moto's.
//
// ECS (AWS JSON 1.1):
//   - RunTask honours clientToken per cluster as ECS does (moto ignores it and starts another
//     task): a token seen before answers the first call's response without reaching moto.
//   - MissingDescribes(n): DescribeTasks answers failures [{reason: MISSING}] for a task the
//     first n times after RunTask started it (eventual consistency).
//   - StopTasksWith(code, reason): a STOPPED task shows this stopCode and stoppedReason (moto's
//     tasks always exit 0 with none), as a Fargate Spot reclaim does to an app exiting 0.
//   - LoseRunTaskAnswers(n): the next n RunTask calls reach moto (the task starts) but the
//     connection is reset before the answer: the client sees a network error, and its retry
//     is what clientToken exists for.
// Counters: how many tasks moto started and how many RunTask calls arrived.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "sluice/net/http.h"
#include "tests/support/loopback_http_server.h"

namespace sluice::testing {

class AwsRealismProxy {
 public:
  explicit AwsRealismProxy(std::string upstream);  // moto's endpoint
  ~AwsRealismProxy();

  std::string endpoint() const { return server_->endpoint(); }

  void MissingDescribes(int times);
  void StopTasksWith(const std::string& stop_code, const std::string& stopped_reason);
  void LoseRunTaskAnswers(int times);

  int RunTaskCalls() const;
  // Distinct task ARNs moto's RunTask answers named: the tasks really started.
  std::vector<std::string> TasksStarted() const;
  // Every clientToken RunTask carried ("" for a call without one), in order.
  std::vector<std::string> ClientTokens() const;

 private:
  ScriptedResponse Handle(const RecordedRequest& request);
  Result<HttpResponse> Forward(const RecordedRequest& request);
  ScriptedResponse RunTask(const RecordedRequest& request, const nlohmann::json& body);
  void RewriteDescribeTasks(nlohmann::json& answer);
  static ScriptedResponse Pass(const HttpResponse& response);

  std::string upstream_;
  std::unique_ptr<HttpClient> http_;

  mutable std::mutex mutex_;
  int missing_describes_ = 0;
  std::map<std::string, int> missing_left_;  // task ARN -> DescribeTasks still answered MISSING
  std::string stop_code_, stopped_reason_;
  int lose_run_task_answers_ = 0;
  int run_task_calls_ = 0;
  std::vector<std::string> tasks_started_;
  std::vector<std::string> client_tokens_;
  std::map<std::string, std::string> token_answers_;  // cluster + "\n" + token -> RunTask body

  std::unique_ptr<LoopbackHttpServer> server_;  // last: stops before the state goes
};

}  // namespace sluice::testing
