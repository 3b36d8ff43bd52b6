#include "sluice/trigger/lambda_action.h"

#include "sluice/net/retry_policy.h"

namespace sluice {
namespace {

using nlohmann::json;

class LambdaAction : public TriggerAction {
 public:
  LambdaAction(std::shared_ptr<LambdaClient> lambda, LambdaActionOptions options)
      : lambda_(std::move(lambda)), options_(std::move(options)) {}

  std::string_view name() const override { return "lambda"; }

  ActionOutcome Run(const TriggerEvent& event, int attempt, const std::atomic<bool>&) override {
    InvokeRequest request;
    request.function = options_.function;
    request.qualifier = options_.qualifier;
    request.invocation_type = options_.invocation_type;
    if (options_.invocation_type == "RequestResponse" && options_.function_timeout.count() > 0) {
      request.answer_within = options_.function_timeout + std::chrono::minutes(1);
    }
    if (options_.payload) {
      auto expanded = options_.payload->ExpandInJson(event, attempt);
      if (!expanded.ok()) return FailedAttempt(expanded.error().message, false);
      if (json::parse(*expanded, nullptr, /*allow_exceptions=*/false).is_discarded()) {
        return FailedAttempt("--payload gave no JSON document for this event: " + *expanded, false);
      }
      request.payload = std::move(expanded).value();
    } else {
      request.payload = LambdaPayload(event);
    }

    auto invoked = lambda_->Invoke(request);
    if (!invoked.ok()) {
      // Throttling (429) and Lambda's 5xx were retried by the client already; another attempt
      // may still help. A missing function or a denied call will not.
      const Error& e = invoked.error();
      return FailedAttempt(e.ToString(), ClassifyFailure(e) != FailureClass::kNotRetryable);
    }
    ActionOutcome outcome;
    outcome.fields = json::object();
    if (!invoked->executed_version.empty()) {
      outcome.fields["executed_version"] = invoked->executed_version;
    }
    if (options_.invocation_type == "RequestResponse") AddResponse(invoked->payload, outcome.fields);
    if (!invoked->function_error.empty()) {
      outcome.fields["function_error"] = invoked->function_error;
      outcome.error = "the function failed (" + invoked->function_error + ")" +
                      ErrorDocumentSummary(invoked->payload);
      outcome.retryable = true;
      return outcome;
    }
    outcome.succeeded = true;
    return outcome;
  }

 private:
  // The response, when small enough to belong in a line: as JSON when it is JSON, else as text.
  static void AddResponse(const std::string& payload, json& fields) {
    fields["response_bytes"] = payload.size();
    if (payload.size() > LambdaActionOptions::kMaxResponse) return;
    json parsed = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    fields["response"] = parsed.is_discarded() ? json(payload) : std::move(parsed);
  }

  // ": errorType: errorMessage" from Lambda's error document, when it is one.
  static std::string ErrorDocumentSummary(const std::string& payload) {
    json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return "";
    std::string type = doc.value("errorType", "");
    std::string message = doc.value("errorMessage", "");
    if (type.empty() && message.empty()) return "";
    std::string line = ": " + type + (type.empty() || message.empty() ? "" : ": ") + message;
    for (char& c : line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return line.size() > 500 ? line.substr(0, 500) + "..." : line;
  }

  std::shared_ptr<LambdaClient> lambda_;
  LambdaActionOptions options_;
};

}  // namespace

std::string LambdaPayload(const TriggerEvent& event) {
  json payload = event.fields;
  payload.erase("sqs");
  payload["event_id"] = event.Id();
  return payload.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::unique_ptr<TriggerAction> MakeLambdaAction(std::shared_ptr<LambdaClient> lambda,
                                                LambdaActionOptions options) {
  return std::make_unique<LambdaAction>(std::move(lambda), std::move(options));
}

}  // namespace sluice
