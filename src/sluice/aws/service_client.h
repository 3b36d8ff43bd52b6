// ServiceClient: one AWS service's calls — endpoint, signing, sending, retrying, and turning an
// error response into an Error. The protocol layers (json_protocol.h, query_protocol.h, and S3's
// REST-XML in s3_client.h) build the HTTP request and parse the answer around Call().
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/aws/client_context.h"
#include "sluice/aws/config/aws_service.h"
#include "sluice/aws/config/endpoint.h"
#include "sluice/net/http.h"
#include "sluice/util/result.h"

namespace sluice {

struct CallOptions {
  // Which statuses are success; default 2xx.
  std::function<bool(int status)> is_success;
  // Hex SHA-256 of the body or "UNSIGNED-PAYLOAD"; empty: computed from request.body.
  std::string payload_hash;
  bool unsigned_request = false;  // AssumeRoleWithWebIdentity and friends
};

class ServiceClient {
 public:
  static Result<std::shared_ptr<ServiceClient>> Make(std::shared_ptr<const ClientContext> context,
                                                     const AwsService& service);

  // Sends `request` (method, path, query, headers, body; an empty endpoint means the service's,
  // and the Host header is derived from the endpoint),
  // signing and retrying it as the standard retry mode says. A non-success status becomes an
  // Error with service, operation, status, code, message and request id.
  Result<HttpResponse> Call(std::string_view operation, HttpRequest request,
                            const CallOptions& options = {});

  const ResolvedEndpoint& endpoint() const { return endpoint_; }
  const AwsService& service() const { return service_; }
  const ClientContext& context() const { return *context_; }
  const std::string& region() const { return context_->region; }

 private:
  ServiceClient(std::shared_ptr<const ClientContext> context, const AwsService& service,
                ResolvedEndpoint endpoint);
  Result<HttpResponse> Attempt(std::string_view operation, HttpRequest& request,
                               const CallOptions& options,
                               std::optional<std::chrono::milliseconds>* retry_after);

  std::shared_ptr<const ClientContext> context_;
  AwsService service_;
  ResolvedEndpoint endpoint_;
};

}  // namespace sluice
