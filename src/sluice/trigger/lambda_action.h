// sluice-trigger --lambda-function NAME[:QUALIFIER]: one Invoke per event attempt, with the event
// as the payload (its "sqs" field left out: the message is sluice-trigger's to acknowledge) or
// --payload TEMPLATE (values JSON-escaped). RequestResponse (the default) waits for the function:
// a function error (X-Amz-Function-Error) is a failed attempt, retried with --retries, and the
// function's response goes into the result line when it is at most kMaxResponse bytes. Event
// invocations succeed once Lambda has queued them (202). Lambda has no client token: a repeated
// event is the runner's to skip; functions see SLUICE_EVENT_ID's value as "event_id" in the
// default payload, to deduplicate their own side effects.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "sluice/services/lambda_client.h"
#include "sluice/trigger/event_template.h"
#include "sluice/trigger/trigger_action.h"

namespace sluice {

struct LambdaActionOptions {
  std::string function;   // a name or ARN
  std::string qualifier;  // a version or alias; empty: $LATEST
  std::optional<EventTemplate> payload;  // unset: the event itself
  std::string invocation_type = "RequestResponse";
  // The function's own Timeout: a synchronous invocation's answer is waited for this long, and
  // a minute more (a cold start), before the connection counts as dead. 0: unknown.
  std::chrono::seconds function_timeout{0};
  static constexpr size_t kMaxResponse = 64 * 1024;
};

std::unique_ptr<TriggerAction> MakeLambdaAction(std::shared_ptr<LambdaClient> lambda,
                                                LambdaActionOptions options);

// The default payload for an event (pure): its fields without "sqs", plus "event_id".
std::string LambdaPayload(const TriggerEvent& event);

}  // namespace sluice
