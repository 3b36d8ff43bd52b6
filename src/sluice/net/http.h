// The HTTP layer's data types and its one interface, HttpClient::Send. Signing, retries and
// tracing wrap a client as layers; the libcurl implementation lives in curl_http_client.cc and
// tests replace it with a recording fake or a loopback server. Streamed request bodies are
// BodySources (sluice/os/body_source.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/os/body_source.h"
#include "sluice/util/result.h"

namespace sluice {

struct HttpHeader {
  std::string name;
  std::string value;
};
using HttpHeaders = std::vector<HttpHeader>;

// Case-insensitive header lookup; the first match wins.
const std::string* FindHeader(const HttpHeaders& headers, std::string_view name);
// Replaces every header of that name (case-insensitively) with one new value.
void SetHeader(HttpHeaders& headers, std::string_view name, std::string value);
void RemoveHeader(HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";
  std::string endpoint;  // scheme://host[:port], no path: "https://s3.us-east-1.amazonaws.com"
  std::string path = "/";  // as sent on the wire: already percent-encoded
  std::string query;       // as sent on the wire, without '?': already percent-encoded
  HttpHeaders headers;     // include "host": it is signed
  std::string body;        // used when body_source is null
  std::shared_ptr<BodySource> body_source;

  // When set, a 2xx response's body is handed here in chunks instead of being kept in
  // HttpResponse::body (for downloads). Returning false aborts the transfer. Error bodies are
  // always kept so they can be parsed.
  std::function<bool(std::string_view chunk)> on_body;

  // False for a request that must finish even after a signal (HttpClientOptions::abort_when),
  // such as the last save of a state a successor resumes from: it still ends at its timeouts.
  bool abortable = true;
  // Replaces the client's idle timeout for this request (0: the client's), for an answer that
  // may rightly take long to start: a Lambda function run synchronously for up to 15 minutes.
  std::chrono::milliseconds idle_timeout{0};

  std::string Url() const;  // endpoint + path + ('?' + query)
  uint64_t BodySize() const { return body_source ? body_source->size() : body.size(); }
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request. An HTTP error status is a successful Send (the caller interprets it);
  // an Error means no complete response arrived (network, timeout, aborted body).
  // Thread-safe: may be called from several threads at once.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Abort a transfer when no byte moves for this long (a dead peer mid-response).
  std::chrono::milliseconds idle_timeout{60000};
  // Whole-request limit; zero means none (long polls and big uploads set their own pace).
  std::chrono::milliseconds total_timeout{0};
  std::string ca_bundle;  // AWS_CA_BUNDLE / ca_bundle: a PEM file replacing the system store
  bool verify_tls = true;
  size_t max_idle_connections = 16;  // idle keep-alive connections kept per client
  // Asked a few times a second while a transfer runs: true aborts it (Error::Interrupted), so
  // a 20 s long poll does not hold up Ctrl-C. Unset for tools that must still call AWS after a
  // signal (StopTask).
  std::function<bool()> abort_when;
};

// The libcurl client: connections are kept alive and reused across calls and threads; proxies
// come from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) as libcurl reads them.
std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpClientOptions& options);

}  // namespace sluice
