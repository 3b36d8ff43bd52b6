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
//   - PullImagesAs(image, digest): DescribeTasks gives a container running `image` the
//     imageDigest ECS pulled for it (moto gives none). Each task keeps the digest it was first
//     described with, so a tag moved later (PullImagesAs again) leaves running tasks on the old
//     digest, as ECS does.
// Counters: how many tasks moto started and how many RunTask calls arrived.
//
// S3 (REST-XML, path-style as a custom endpoint is addressed):
//   - BucketInRegion(bucket, region): a request for the bucket signed for another region (the
//     credential scope of its Authorization header) is answered as S3 answers it: a HEAD with a
//     bodyless 301 and x-amz-bucket-region, anything else with 400 AuthorizationHeaderMalformed
//     naming the <Region> (moto serves any region at one endpoint and checks none).
//   - ScopeListBucketToPrefix(bucket, prefix): the caller's policy allows s3:ListBucket only
//     with an s3:prefix condition: HeadBucket gets a bodyless 403, a listing outside the prefix
//     403 AccessDenied, a listing inside it moto's answer.
//   - EncryptWithCustomerKey(bucket, key): the object is SSE-C: a HEAD without its key gets a
//     bodyless 400, a GET 400 InvalidRequest.
//   - Conditional writes (a PUT with If-Match or If-None-Match) are checked and written as one
//     step, as S3 does: moto checks, then writes, so two racing creates could both succeed; here
//     they are forwarded one at a time.
//   - ConflictOnConditionalWrites(n): the next n conditional writes are answered 409
//     ConditionalRequestConflict without reaching moto, as S3 answers one raced by another.
// Counters: the conditional writes that came through, and the PUTs that had no condition.
//
// Lambda (REST-JSON):
//   - FailLambdaInvocations(n, type, message): the next n Invoke calls are answered as Lambda
//     answers a function that threw: 200, X-Amz-Function-Error: Unhandled, and the error
//     document {"errorType", "errorMessage"} as the payload (moto's stub never fails).
//   - SlowLambdaUpdates(reads): after UpdateFunctionCode or UpdateFunctionConfiguration, the
//     next `reads` GetFunctionConfiguration answers say LastUpdateStatus InProgress (moto's
//     updates are done at once; Lambda's take seconds to minutes).
//   - FailLambdaUpdates(code, reason): after an update, GetFunctionConfiguration says
//     LastUpdateStatus Failed with this reason code and reason (an image Lambda cannot pull).
//   - Always: a published version keeps the image it was published with, as in Lambda. moto's
//     versions share $LATEST's code (a shallow copy), so its GetFunction of an old version
//     names the newest image. The proxy follows each function's image through what passes
//     (CreateFunction, UpdateFunctionCode, GetFunction of $LATEST), notes it at PublishVersion,
//     and answers a version's GetFunction with it. (moto also numbers a version len+1, reusing
//     a deleted one's number; tests avoid publishing after a delete.)
// Counter: the Invoke calls that came through.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sluice/net/http.h"
#include "tests/peers/botocore_validation.h"
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
  void PullImagesAs(const std::string& image, const std::string& digest);

  void BucketInRegion(const std::string& bucket, const std::string& region);
  void ScopeListBucketToPrefix(const std::string& bucket, const std::string& prefix);
  void EncryptWithCustomerKey(const std::string& bucket, const std::string& key);
  void ConflictOnConditionalWrites(int times);
  void FailLambdaInvocations(int times, const std::string& error_type, const std::string& message);
  int LambdaInvocations() const;
  void SlowLambdaUpdates(int reads);
  void FailLambdaUpdates(const std::string& reason_code, const std::string& reason);
  // PUTs of an object with If-Match or If-None-Match that came through (moto's answer or 409).
  int ConditionalWrites() const;
  // S3 requests answered with a region redirect (301 or AuthorizationHeaderMalformed).
  int RegionRedirects() const;

  // Every JSON-protocol call that came through (X-Amz-Target and body), for BotocoreProblems.
  std::vector<JsonCall> JsonCalls() const;

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
  // The answer an S3 behaviour gives instead of moto's, if one applies.
  std::optional<ScriptedResponse> S3Quirk(const RecordedRequest& request);
  ScriptedResponse ConditionalWrite(const RecordedRequest& request);
  // The answer to a Lambda Invoke instead of moto's, when one is due.
  std::optional<ScriptedResponse> LambdaQuirk(const RecordedRequest& request);
  // Rewrites moto's answer to a Lambda update or configuration read as the switches say.
  void RewriteLambda(const RecordedRequest& request, HttpResponse& response);
  void KeepVersionImages(const RecordedRequest& request, HttpResponse& response);
  static ScriptedResponse Pass(const HttpResponse& response);

  std::string upstream_;
  std::unique_ptr<HttpClient> http_;

  mutable std::mutex mutex_;
  int missing_describes_ = 0;
  std::map<std::string, int> missing_left_;  // task ARN -> DescribeTasks still answered MISSING
  std::string stop_code_, stopped_reason_;
  int lose_run_task_answers_ = 0;
  std::map<std::string, std::string> pulled_as_;       // image -> digest now
  std::map<std::string, std::string> task_digests_;    // task ARN + "\n" + container -> digest
  int run_task_calls_ = 0;
  std::vector<std::string> tasks_started_;
  std::vector<std::string> client_tokens_;
  std::map<std::string, std::string> token_answers_;  // cluster + "\n" + token -> RunTask body
  std::map<std::string, std::string> bucket_regions_;
  std::map<std::string, std::string> list_prefix_scopes_;  // bucket -> the prefix allowed
  std::set<std::string> sse_c_objects_;                    // bucket + "/" + key
  int region_redirects_ = 0;
  int conflicts_left_ = 0;
  int lambda_failures_left_ = 0;
  std::string lambda_error_type_, lambda_error_message_;
  int lambda_invocations_ = 0;
  int slow_update_reads_ = 0, in_progress_left_ = 0;
  std::string update_failure_code_, update_failure_reason_;
  bool update_pending_ = false;
  std::map<std::string, std::string> latest_image_;    // function -> $LATEST's image
  std::map<std::string, std::string> version_images_;  // function + ":" + version -> image
  int conditional_writes_ = 0;
  std::mutex conditional_write_mutex_;  // held while one conditional write is at moto
  std::vector<JsonCall> json_calls_;

  std::unique_ptr<LoopbackHttpServer> server_;  // last: stops before the state goes
};

}  // namespace sluice::testing
