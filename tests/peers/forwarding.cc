#include "tests/peers/forwarding.h"

#include <algorithm>

namespace sluice::testing {

bool IsFramingHeader(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
         lower == "expect" || lower == "keep-alive";
}

Result<HttpResponse> ForwardRequest(HttpClient& http, const std::string& upstream,
                                    const RecordedRequest& request) {
  HttpRequest out;
  out.method = request.method;
  out.endpoint = upstream;
  out.path = request.path;
  out.query = request.query;
  for (const HttpHeader& h : request.headers) {
    if (!IsFramingHeader(h.name)) out.headers.push_back(h);
  }
  out.body = request.body;
  return http.Send(out);
}

ScriptedResponse PassResponse(const HttpResponse& response) {
  ScriptedResponse answer;
  answer.status = response.status;
  answer.body = response.body;
  for (const HttpHeader& h : response.headers) {
    if (!IsFramingHeader(h.name)) answer.headers.push_back(h);
  }
  return answer;
}

}  // namespace sluice::testing
