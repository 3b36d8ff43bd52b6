// The libcurl implementation of HttpClient: the only file that includes <curl/curl.h>.
//
// Connection reuse: every CURL easy handle keeps its own cache of live connections, and
// curl_easy_reset() keeps that cache. So the client keeps a pool of idle easy handles: a Send
// takes one (or makes one), resets and configures it, performs the request and puts it back. A
// thread doing calls in sequence therefore reuses one connection; threads working at once each
// take their own handle. The DNS cache and TLS session ids are shared between the handles
// through a CURLSH guarded by mutexes.
#include <curl/curl.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sluice/net/http.h"
#include "sluice/net/http_trace.h"
#include "sluice/util/logging.h"

namespace sluice {
namespace {

constexpr long kBufferSize = 256 * 1024;  // fewer callbacks per big download or upload

void GlobalInitOnce() {
  // curl_global_init is not thread-safe by itself; call_once makes it so.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string OneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// "host:port" of an endpoint ("https://s3.amazonaws.com" -> "s3.amazonaws.com:443"), for error
// messages that say which peer failed.
std::string HostPort(std::string_view endpoint) {
  std::string_view scheme = "http";
  if (size_t p = endpoint.find("://"); p != std::string_view::npos) {
    scheme = endpoint.substr(0, p);
    endpoint.remove_prefix(p + 3);
  }
  endpoint = endpoint.substr(0, endpoint.find_first_of("/?#"));
  if (size_t at = endpoint.rfind('@'); at != std::string_view::npos) endpoint.remove_prefix(at + 1);
  size_t bracket = endpoint.rfind(']');
  size_t colon = endpoint.rfind(':');
  bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string out(endpoint);
  if (!has_port) out += scheme == "https" ? ":443" : ":80";
  return out;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= ' ' || c >= 127 || std::strchr("()<>@,;:\\\"/[]?={}", c) != nullptr) return false;
  }
  return true;
}

// libcurl reads https_proxy / HTTPS_PROXY, all_proxy / ALL_PROXY and no_proxy / NO_PROXY
// itself (as long as CURLOPT_PROXY is left unset, which this file does). For http:// URLs it
// reads only the lowercase http_proxy: an uppercase HTTP_PROXY can be injected into CGI
// programs through a "Proxy:" request header ("httpoxy"). A command-line tool is not a CGI
// program and users expect HTTP_PROXY to work as it does for the AWS CLI and SDKs, so when
// http_proxy is unset we pass HTTP_PROXY ourselves for http:// URLs, together with NO_PROXY.
struct ProxyOverride {
  std::string http_proxy;  // empty: nothing to override
  std::string no_proxy;
};

ProxyOverride ReadProxyOverride() {
  ProxyOverride out;
  const char* lower = std::getenv("http_proxy");
  const char* upper = std::getenv("HTTP_PROXY");
  if (lower == nullptr && upper != nullptr && *upper != '\0') {
    out.http_proxy = upper;
    const char* no_proxy = std::getenv("no_proxy");
    if (no_proxy == nullptr) no_proxy = std::getenv("NO_PROXY");
    if (no_proxy != nullptr) out.no_proxy = no_proxy;
  }
  return out;
}

// The DNS cache and TLS sessions, shared by all of a client's easy handles.
class CurlShare {
 public:
  CurlShare() : share_(curl_share_init()) {
    if (share_ == nullptr) return;
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlShare::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlShare::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~CurlShare() {
    if (share_ != nullptr) curl_share_cleanup(share_);
  }
  CurlShare(const CurlShare&) = delete;
  CurlShare& operator=(const CurlShare&) = delete;

  CURLSH* get() const { return share_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlShare*>(user)->mutexes_[Index(data)].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlShare*>(user)->mutexes_[Index(data)].unlock();
  }
  static size_t Index(curl_lock_data data) {
    size_t i = static_cast<size_t>(data);
    return i < kLocks ? i : 0;
  }

  static constexpr size_t kLocks = CURL_LOCK_DATA_LAST;
  CURLSH* share_;
  std::array<std::mutex, kLocks> mutexes_;
};

// The state of one request while curl performs it; curl's callbacks receive a pointer to it.
struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  int block_status = 0;  // the status line of the header block being read
  bool body_started = false;
  bool streaming = false;  // the body goes to request->on_body
  bool receiver_aborted = false;
  uint64_t body_sent = 0;
  std::optional<Error> body_error;  // the request body source failed
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t total = size * count;
  std::string_view line(data, total);
  if (line.starts_with("HTTP/")) {
    // A new header block: an interim 100 Continue's headers are dropped, only the final
    // response's are kept.
    ex->response.headers.clear();
    ex->block_status = 0;
    size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      int status = 0;
      for (size_t i = space + 1; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) {
        status = status * 10 + (line[i] - '0');
      }
      ex->block_status = status;
    }
    return total;
  }
  if (line.empty()) return total;
  if (line.front() == ' ' || line.front() == '\t') {
    // An obsolete folded continuation line belongs to the previous header.
    std::string_view more = Trim(line);
    if (!ex->response.headers.empty() && !more.empty()) {
      ex->response.headers.back().value += " ";
      ex->response.headers.back().value += more;
    }
    return total;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return total;  // the blank line ending the block
  ex->response.headers.push_back(
      {std::string(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1)))});
  return total;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t total = size * count;
  if (!ex->body_started) {
    // The header block is complete once the body starts, so the status is final here.
    ex->body_started = true;
    ex->streaming = ex->request->on_body && ex->block_status >= 200 && ex->block_status < 300;
  }
  if (ex->streaming) {
    if (!ex->request->on_body(std::string_view(data, total))) {
      ex->receiver_aborted = true;
#ifdef CURL_WRITEFUNC_ERROR
      return CURL_WRITEFUNC_ERROR;
#else
      return total == 0 ? 1 : 0;
#endif
    }
    return total;
  }
  ex->response.body.append(data, total);
  return total;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  BodySource& source = *ex->request->body_source;
  uint64_t declared = source.size();
  Result<size_t> got = source.Read(buffer, size * count);
  if (!got.ok()) {
    ex->body_error = got.error();
    return CURL_READFUNC_ABORT;
  }
  ex->body_sent += *got;
  if (*got == 0 && ex->body_sent < declared) {
    ex->body_error = Error::Io("the request body ended after " + std::to_string(ex->body_sent) +
                               " of its " + std::to_string(declared) + " bytes");
    return CURL_READFUNC_ABORT;
  }
  if (ex->body_sent > declared) {
    ex->body_error = Error::Io("the request body is longer than its declared " +
                               std::to_string(declared) + " bytes");
    return CURL_READFUNC_ABORT;
  }
  if (ex->body_sent == declared && *got > 0) {
    // curl stops asking at the declared length; ask once more so that a source can still
    // report a change it only sees at the end (a file that grew while it was read).
    char probe;
    Result<size_t> more = source.Read(&probe, 1);
    if (!more.ok()) {
      ex->body_error = more.error();
      return CURL_READFUNC_ABORT;
    }
    if (*more != 0) {
      ex->body_error = Error::Io("the request body is longer than its declared " +
                                 std::to_string(declared) + " bytes");
      return CURL_READFUNC_ABORT;
    }
  }
  return *got;
}

// curl rewinds the body when it must send it again (a reused connection that turned out to be
// closed, an auth retry).
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* ex = static_cast<Exchange*>(user);
  if (offset != 0 || origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  Status rewound = ex->request->body_source->Rewind();
  if (!rewound.ok()) {
    ex->body_error = rewound.error();
    return CURL_SEEKFUNC_FAIL;
  }
  ex->body_sent = 0;
  return CURL_SEEKFUNC_OK;
}

using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

bool Append(HeaderList& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) return false;
  list.release();
  list.reset(grown);
  return true;
}

// CURLOPT_XFERINFOFUNCTION: a non-zero return aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int AbortCheck(void* abort_when, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(abort_when))() ? 1 : 0;
}

class CurlHttpClient : public HttpClient {
 public:
  explicit CurlHttpClient(const HttpClientOptions& options)
      : options_(options), proxy_(ReadProxyOverride()) {}

  ~CurlHttpClient() override {
    // Handles first: they refer to the share.
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    if (Status valid = Validate(request); !valid.ok()) return valid.error();

    CURL* handle = Acquire();
    if (handle == nullptr) return Error::Network("could not create a libcurl handle");
    Exchange ex;
    ex.request = &request;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    HeaderList headers(nullptr, &curl_slist_free_all);
    Result<HttpResponse> result = [&]() -> Result<HttpResponse> {
      if (!BuildHeaders(request, headers)) return Error::Network("out of memory for headers");
      Configure(handle, request, headers.get(), &ex, error_buffer);
      TraceRequest(request);
      auto start = std::chrono::steady_clock::now();
      CURLcode code = curl_easy_perform(handle);
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (code != CURLE_OK) {
        Error error = MakeError(code, handle, error_buffer, request, ex);
        TraceLine("< " + error.ToString());
        return error;
      }
      long status = 0;
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
      ex.response.status = static_cast<int>(status);
      TraceResponse(request, ex.response, seconds);
      return std::move(ex.response);
    }();
    // Forget the pointers into this call's state (headers, buffers) but keep the connections.
    curl_easy_reset(handle);
    Release(handle);
    return result;
  }

 private:
  static Status Validate(const HttpRequest& request) {
    if (!IsToken(request.method)) {
      return Error::InvalidArgument("invalid HTTP method \"" + request.method + "\"");
    }
    if (HasLineBreak(request.endpoint) || HasLineBreak(request.path) ||
        HasLineBreak(request.query)) {
      return Error::InvalidArgument("invalid URL " + request.Url());
    }
    for (const HttpHeader& header : request.headers) {
      if (!IsToken(header.name) || HasLineBreak(header.value)) {
        return Error::InvalidArgument("invalid HTTP header \"" + header.name + "\"");
      }
    }
    return Status::Ok();
  }

  CURL* Acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        // The most recently used handle: its connection is the likeliest to be alive.
        CURL* handle = idle_.back();
        idle_.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* handle) {
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() < options_.max_idle_connections) {
        idle_.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }

  // The request's headers exactly as given. curl adds some of its own unless told not to:
  // "Expect: 100-continue" (a wasted round trip, and proxies mishandle it), "Accept: */*" and,
  // for a POST, "Content-Type: application/x-www-form-urlencoded"; "Name:" removes them.
  static bool BuildHeaders(const HttpRequest& request, HeaderList& list) {
    for (const HttpHeader& header : request.headers) {
      // "Name:" would make curl drop the header, "Name;" sends it with an empty value.
      std::string line =
          header.value.empty() ? header.name + ";" : header.name + ": " + header.value;
      if (!Append(list, line)) return false;
    }
    for (const char* name : {"Expect", "Accept", "Content-Type"}) {
      if (FindHeader(request.headers, name) == nullptr && !Append(list, std::string(name) + ":")) {
        return false;
      }
    }
    return true;
  }

  void Configure(CURL* h, const HttpRequest& request, curl_slist* headers, Exchange* ex,
                 char* error_buffer) {
    std::string url = request.Url();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());  // curl copies strings it is given
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    if (share_.get() != nullptr) curl_easy_setopt(h, CURLOPT_SHARE, share_.get());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    // The path is already encoded and signed: curl must not squash "/../" or "/./" in it.
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // callers handle redirects
    // CURLOPT_ACCEPT_ENCODING stays unset: callers get the exact bytes (checksums, ranges).
    curl_easy_setopt(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, kBufferSize);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kBufferSize);

    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    if (IdleTimeout(request).count() > 0) {
      // "Less than 1 byte per second over the idle time": nothing moved for that long.
      long seconds = static_cast<long>((IdleTimeout(request).count() + 999) / 1000);
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, seconds);
    }
    if (options_.total_timeout.count() > 0) {
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    }
    if (options_.abort_when && request.abortable) {
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &AbortCheck);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &options_.abort_when);
    } else {
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
    }
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 15L);

    if (!options_.ca_bundle.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);

    if (!proxy_.http_proxy.empty() && request.endpoint.starts_with("http://")) {
      curl_easy_setopt(h, CURLOPT_PROXY, proxy_.http_proxy.c_str());
      if (!proxy_.no_proxy.empty()) curl_easy_setopt(h, CURLOPT_NOPROXY, proxy_.no_proxy.c_str());
    }

    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, ex);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, ex);

    const std::string& method = request.method;
    if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);  // CUSTOMREQUEST "HEAD" would wait for a body
      return;
    }
    bool has_body = request.body_source != nullptr || !request.body.empty() || method == "POST" ||
                    method == "PUT" || method == "PATCH";
    if (request.body_source != nullptr) {
      // Streamed with a Content-Length: UPLOAD with a known size never goes chunked.
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body_source->size()));
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, ex);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, ex);
    } else if (has_body) {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    }
    if (method != "GET" || has_body) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  std::chrono::milliseconds IdleTimeout(const HttpRequest& request) const {
    return request.idle_timeout.count() > 0 ? request.idle_timeout : options_.idle_timeout;
  }

  Error MakeError(CURLcode code, CURL* h, const char* error_buffer, const HttpRequest& request,
                  const Exchange& ex) const {
    if (ex.body_error) return *ex.body_error;
    std::string peer = HostPort(request.endpoint);
    std::string detail = OneLine(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code));
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    std::string reason =
        os_errno != 0 ? std::string(std::strerror(static_cast<int>(os_errno))) : detail;
    std::string what = request.method + " " + request.path;
    if (ex.receiver_aborted) {
      Error error = Error::Io("download from " + peer + " (" + what + ") stopped by the receiver");
      error.retryable = false;
      return error;
    }
    switch (code) {
      case CURLE_COULDNT_CONNECT:
        return Error::Network("connect to " + peer + " failed: " + reason);
      case CURLE_ABORTED_BY_CALLBACK:
        return Error::Interrupted("request to " + peer + " (" + what + ") abandoned: interrupted");
      case CURLE_COULDNT_RESOLVE_HOST:
        return Error::Network("DNS lookup of " + peer.substr(0, peer.rfind(':')) +
                              " failed (no such host, or no DNS server reachable)");
      case CURLE_COULDNT_RESOLVE_PROXY:
        return Error::Network("resolve proxy for " + peer + " failed: " + detail);
      case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t pretransfer = 0;
        curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
        if (pretransfer == 0) {
          auto limit = options_.connect_timeout;
          if (options_.total_timeout.count() > 0 && options_.total_timeout < limit) {
            limit = options_.total_timeout;
          }
          return Error::Timeout("connect to " + peer + " timed out after " +
                                std::to_string(limit.count()) + " ms");
        }
        if (detail.find("too slow") != std::string::npos) {
          return Error::Timeout(
              "request to " + peer + " (" + what + ") stalled: no data received for " +
              std::to_string((IdleTimeout(request).count() + 999) / 1000) + " s");
        }
        return Error::Timeout("request to " + peer + " (" + what + ") timed out after " +
                              std::to_string(options_.total_timeout.count()) + " ms");
      }
      case CURLE_SSL_CACERT_BADFILE: {
        Error error =
            options_.ca_bundle.empty()
                ? Error::Config("the system CA certificates could not be loaded: " + detail)
                : Error::Config("CA bundle \"" + options_.ca_bundle +
                                "\" (AWS_CA_BUNDLE / ca_bundle) could not be loaded: " + detail);
        return error;
      }
      case CURLE_PEER_FAILED_VERIFICATION: {
        // Retrying cannot make a certificate valid.
        Error error = Error::Network("TLS certificate of " + peer + " not trusted: " + detail);
        error.retryable = false;
        return error;
      }
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_INVALIDCERTSTATUS:
      case CURLE_SSL_CRL_BADFILE:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_SSL_ENGINE_INITFAILED:
      case CURLE_SSL_ENGINE_NOTFOUND:
      case CURLE_SSL_ENGINE_SETFAILED:
      case CURLE_SSL_SHUTDOWN_FAILED:
        return Error::Network("TLS connection to " + peer + " failed: " + detail);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Error::InvalidArgument("invalid URL \"" + RedactText(request.Url()) +
                                      "\": " + detail);
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
        return Error::Network("request to " + peer + " (" + what + ") failed: " + reason);
      case CURLE_GOT_NOTHING:
        return Error::Network("request to " + peer + " (" + what +
                              ") failed: the connection closed without a response");
      default:
        return Error::Network("request to " + peer + " (" + what + ") failed: " + detail);
    }
  }

  const HttpClientOptions options_;
  const ProxyOverride proxy_;
  CurlShare share_;
  std::mutex mutex_;
  std::vector<CURL*> idle_;  // guarded by mutex_
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpClientOptions& options) {
  GlobalInitOnce();
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace sluice
