// The --verbose trace of HTTP traffic: each request and response as a block of lines on stderr
// (start line, headers, body up to a limit), with secrets redacted (sluice/util/logging.h) so
// that a trace can be pasted into an issue. Both the libcurl client and the registry client call
// it. Thread-safe: a block is written as one line group.
#pragma once

#include "sluice/net/http.h"

namespace sluice {

// Traces a request or response when verbose.
void TraceRequest(const HttpRequest& request);
void TraceResponse(const HttpRequest& request, const HttpResponse& response, double seconds);

}  // namespace sluice
