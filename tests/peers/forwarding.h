// What the realism proxies (aws_realism_proxy.h, ecr_registry_proxy.h) share: passing a request
// on to the real peer as it came (Host, Authorization and all, so the peer still checks what the
// tool sent) and passing the peer's answer back. Framing headers are each hop's own.
#pragma once

#include <string>

#include "sluice/net/http.h"
#include "tests/support/loopback_http_server.h"

namespace sluice::testing {

// Content-Length, Transfer-Encoding, Connection, Expect, Keep-Alive (any case).
bool IsFramingHeader(const std::string& name);

// Sends `request` to `upstream` (scheme://host:port) with `http`.
Result<HttpResponse> ForwardRequest(HttpClient& http, const std::string& upstream,
                                    const RecordedRequest& request);

// The upstream's answer as the proxy's own.
ScriptedResponse PassResponse(const HttpResponse& response);

}  // namespace sluice::testing
