#include "sluice/aws/service_client.h"

#include <cstdlib>

#include "sluice/aws/aws_error_parser.h"
#include "sluice/net/retry_policy.h"
#include "sluice/util/logging.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

constexpr std::string_view kUserAgent = "sluice/" SLUICE_VERSION;

// A skew error only means a wrong clock when the server's clock really is that far from ours;
// otherwise (a wrong secret) retrying would only repeat the failure.
constexpr std::chrono::minutes kSkewThreshold{4};

bool IsSuccess(const CallOptions& options, int status) {
  if (options.is_success) return options.is_success(status);
  return status >= 200 && status < 300;
}

// Adds what a user can do to the errors people meet most.
void AddHint(Error& e, const Credentials* credentials) {
  if (e.code == "SignatureDoesNotMatch" || e.code == "InvalidSignatureException") {
    e.message += std::string(e.message.empty() ? "" : " ") +
                 "(check the secret access key" +
                 (credentials ? " of the credentials from " + credentials->source : "") + ")";
  } else if (e.code == "InvalidClientTokenId" || e.code == "UnrecognizedClientException" ||
             e.code == "InvalidAccessKeyId") {
    e.message += std::string(e.message.empty() ? "" : " ") + "(check the access key id" +
                 (credentials ? " of the credentials from " + credentials->source : "") + ")";
  } else if (e.code == "ExpiredToken" || e.code == "ExpiredTokenException") {
    e.message += " (the session token has expired: refresh your credentials)";
  } else if (e.code == "Forbidden" && e.message.empty() && e.operation.starts_with("Head")) {
    // A HEAD answer has no body to say why, and S3 answers a HEAD of a missing key 403 too
    // when the caller may not list the bucket.
    e.message = "access denied, and a HEAD response gives no reason: check that the credentials" +
                (credentials ? " from " + credentials->source : std::string()) +
                (e.service == "s3" ? " may s3:GetObject the object and s3:ListBucket the bucket"
                                   : " allow this call") +
                ", and any bucket or resource policy";
  }
}

}  // namespace

ServiceClient::ServiceClient(std::shared_ptr<const ClientContext> context,
                             const AwsService& service, ResolvedEndpoint endpoint)
    : context_(std::move(context)), service_(service), endpoint_(std::move(endpoint)) {}

Result<std::shared_ptr<ServiceClient>> ServiceClient::Make(
    std::shared_ptr<const ClientContext> context, const AwsService& service) {
  auto endpoint = ResolveEndpoint(service, context->region, context->endpoint_flag, *context->env,
                                  context->profile(), context->services());
  if (!endpoint.ok()) return endpoint.error();
  return std::shared_ptr<ServiceClient>(
      new ServiceClient(std::move(context), service, std::move(endpoint).value()));
}

Result<HttpResponse> ServiceClient::Call(std::string_view operation, HttpRequest request,
                                         const CallOptions& options) {
  if (request.endpoint.empty()) {
    request.endpoint = endpoint_.url.Endpoint();
    // A custom endpoint under a path (an S3-compatible gateway at http://host/s3): every
    // request goes, and is signed, under that prefix.
    request.path = PathPrefix(endpoint_) + request.path;
  }
  ParsedUrl url;
  if (!ParseUrl(request.endpoint + "/", &url)) {
    return Error::Config("invalid endpoint " + request.endpoint);
  }
  SetHeader(request.headers, "host", url.HostHeader());
  SetHeader(request.headers, "user-agent", std::string(kUserAgent));

  RetryPolicy& retry = *context_->retry;
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1 && request.body_source) {
      if (Status s = request.body_source->Rewind(); !s.ok()) return s.error();
    }
    std::optional<std::chrono::milliseconds> retry_after;
    auto result = Attempt(operation, request, options, &retry_after);
    if (result.ok()) {
      retry.RecordSuccess(attempt > 1);
      return result;
    }
    Error& error = result.error();
    if (error.service.empty()) error.service = std::string(service_.signing_name);
    if (error.operation.empty()) error.operation = std::string(operation);

    // Only a real skew is retried (see kSkewThreshold); Attempt() decided which.
    if (ClassifyFailure(error) == FailureClass::kClockSkew && !error.retryable) return error;
    auto delay = retry.ShouldRetry(attempt, error, retry_after);
    if (!delay) {
      if (attempt > 1) {
        error.message += std::string(error.message.empty() ? "" : " ") + "(after " +
                         std::to_string(attempt) + " attempts)";
      }
      return error;
    }
    TraceLine(std::string(service_.signing_name) + " " + std::string(operation) + ": attempt " +
              std::to_string(attempt) + " failed (" + error.ToString() + "); retrying in " +
              std::to_string(delay->count()) + " ms");
    context_->clock->SleepFor(*delay);
  }
}

Result<HttpResponse> ServiceClient::Attempt(std::string_view operation, HttpRequest& request,
                                            const CallOptions& options,
                                            std::optional<std::chrono::milliseconds>* retry_after) {
  Credentials credentials;
  if (!options.unsigned_request) {
    auto c = context_->credentials->Resolve();
    if (!c.ok()) return c.error();
    credentials = std::move(c).value();
    if (credentials.empty()) {
      return Error::Credentials("the credentials from " + credentials.source +
                                " have no access key id or secret access key");
    }
    SigningParams params = service_.signing_name == "s3"
                               ? SigningParams::ForS3(endpoint_.signing_region, context_->SigningTime())
                               : SigningParams::ForService(endpoint_.signing_region,
                                                           std::string(service_.signing_name),
                                                           context_->SigningTime());
    params.payload_hash = options.payload_hash;
    auto signed_request = context_->signer->SignHeaders(request, credentials, params);
    if (!signed_request.ok()) return signed_request.error();
  }

  auto sent = context_->http->Send(request);
  if (!sent.ok()) return sent.error();
  HttpResponse& response = sent.value();
  if (IsSuccess(options, response.status)) return std::move(response);

  Error error = ParseErrorResponse(response, service_.signing_name, operation);
  *retry_after = ParseRetryAfter(response.headers, context_->clock->Now());
  if (IsClockSkewCode(error.code)) {
    error.retryable = false;
    if (const std::string* date = response.Header("date")) {
      if (auto server_time = ParseHttpDate(*date)) {
        auto skew = std::chrono::duration_cast<std::chrono::milliseconds>(
            *server_time - context_->clock->Now());
        auto current = std::chrono::milliseconds(context_->clock_skew_ms->load());
        if (std::chrono::abs(skew - current) > kSkewThreshold) {
          context_->clock_skew_ms->store(skew.count());
          error.retryable = true;
        }
      }
    }
  }
  if (!error.retryable) AddHint(error, options.unsigned_request ? nullptr : &credentials);
  return error;
}

}  // namespace sluice
