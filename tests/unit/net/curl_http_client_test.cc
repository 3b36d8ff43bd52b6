// The libcurl client against a real loopback HTTP server: exact requests on the wire, bodies
// sent and received (buffered and streamed), connection reuse, concurrency, and how network
// failures map to errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include "sluice/net/http.h"
#include "sluice/util/logging.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/stderr_capture.h"

namespace sluice {
namespace {

using ::sluice::testing::LoopbackHttpServer;
using ::sluice::testing::RecordedRequest;
using ::sluice::testing::Script;
using ::sluice::testing::ScriptedResponse;
using ::sluice::testing::StderrCapture;
using namespace std::chrono_literals;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::set<std::string> HeaderNames(const HttpHeaders& headers) {
  std::set<std::string> names;
  for (const HttpHeader& h : headers) names.insert(Lower(h.name));
  return names;
}

// A port nothing listens on: bound to learn a free number, then released.
int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

class CurlHttpClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpClient> Client(HttpClientOptions options = {}) {
    return MakeCurlHttpClient(options);
  }

  static HttpRequest Request(const LoopbackHttpServer& server, std::string method,
                             std::string path = "/") {
    HttpRequest request;
    request.method = std::move(method);
    request.endpoint = server.endpoint();
    request.path = std::move(path);
    request.headers = {{"host", "127.0.0.1:" + std::to_string(server.port())}};
    return request;
  }
};

TEST_F(CurlHttpClientTest, GetSendsExactlyTheGivenHeaders) {
  LoopbackHttpServer server(
      Script({{.status = 200,
               .headers = {{"X-Amz-Request-Id", "req-1"}, {"X-Multi", "a"}, {"x-multi", "b"}},
               .body = "hello"}}));
  auto request = Request(server, "GET", "/bucket/a%20b/..%2F/./c");
  request.query = "list-type=2&prefix=x%2Fy";
  request.headers.push_back({"x-amz-date", "20240301T120000Z"});
  request.headers.push_back({"X-Empty", ""});
  request.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 Credential=x"});

  auto response = Client()->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  ASSERT_NE(response->Header("x-amz-request-id"), nullptr);
  EXPECT_EQ(*response->Header("x-amz-request-id"), "req-1");
  EXPECT_EQ(*response->Header("content-length"), "5");
  // Repeated headers are all kept, in order.
  std::vector<std::string> multi;
  for (const HttpHeader& h : response->headers) {
    if (Lower(h.name) == "x-multi") multi.push_back(h.value);
  }
  EXPECT_EQ(multi, (std::vector<std::string>{"a", "b"}));

  auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  const RecordedRequest& r = received[0];
  EXPECT_EQ(r.method, "GET");
  // The path is sent as it is: no dot-segment squashing, no re-encoding.
  EXPECT_EQ(r.path, "/bucket/a%20b/..%2F/./c");
  EXPECT_EQ(r.query, "list-type=2&prefix=x%2Fy");
  EXPECT_EQ(HeaderNames(r.headers),
            (std::set<std::string>{"host", "x-amz-date", "x-empty", "authorization"}));
  EXPECT_EQ(*r.Header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(*r.Header("x-amz-date"), "20240301T120000Z");
  EXPECT_EQ(*r.Header("x-empty"), "");
  EXPECT_EQ(*r.Header("authorization"), "AWS4-HMAC-SHA256 Credential=x");
  EXPECT_EQ(r.body, "");
}

TEST_F(CurlHttpClientTest, PutSendsTheBodyWithContentLengthAndNoExpect) {
  LoopbackHttpServer server(Script({{.status = 200, .headers = {{"ETag", "\"abc\""}}}}));
  auto request = Request(server, "PUT", "/bucket/key");
  request.body = std::string(1536 * 1024, 'z');  // big enough for curl to want 100-continue
  request.body[10] = '\0';
  request.headers.push_back({"Content-Type", "application/octet-stream"});

  auto response = Client()->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(*response->Header("etag"), "\"abc\"");
  auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.body, request.body);
  EXPECT_FALSE(r.chunked);
  EXPECT_EQ(HeaderNames(r.headers),
            (std::set<std::string>{"host", "content-type", "content-length"}));
  EXPECT_EQ(*r.Header("content-length"), std::to_string(request.body.size()));
  EXPECT_EQ(*r.Header("content-type"), "application/octet-stream");
}

TEST_F(CurlHttpClientTest, PostWithoutContentTypeGetsNoneAdded) {
  LoopbackHttpServer server(Script({{.status = 200, .body = "{}"}}));
  auto request = Request(server, "POST");
  request.body = "Action=GetCallerIdentity&Version=2011-06-15";
  auto response = Client()->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, request.body);
  EXPECT_EQ(HeaderNames(r.headers), (std::set<std::string>{"host", "content-length"}));
}

TEST_F(CurlHttpClientTest, EmptyPostAndPutSendContentLengthZero) {
  LoopbackHttpServer server(Script({}));
  auto client = Client();
  for (const char* method : {"POST", "PUT"}) {
    auto response = client->Send(Request(server, method));
    ASSERT_TRUE(response.ok()) << response.error().ToString();
  }
  auto received = server.requests();
  ASSERT_EQ(received.size(), 2u);
  for (const RecordedRequest& r : received) {
    ASSERT_NE(r.Header("content-length"), nullptr) << r.method;
    EXPECT_EQ(*r.Header("content-length"), "0");
  }
  EXPECT_EQ(received[1].method, "PUT");
}

TEST_F(CurlHttpClientTest, HeadReturnsHeadersWithoutWaitingForABody) {
  LoopbackHttpServer server(
      Script({{.status = 200, .headers = {{"Content-Length", "1000"}, {"ETag", "\"e\""}}}}));
  auto response = Client()->Send(Request(server, "HEAD", "/b/k"));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(*response->Header("content-length"), "1000");
  EXPECT_EQ(server.requests().at(0).method, "HEAD");
}

TEST_F(CurlHttpClientTest, DeleteSendsNoBody) {
  LoopbackHttpServer server(Script({{.status = 204}}));
  auto response = Client()->Send(Request(server, "DELETE", "/b/k"));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 204);
  auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(HeaderNames(r.headers), (std::set<std::string>{"host"}));
}

TEST_F(CurlHttpClientTest, ErrorStatusIsASuccessfulSendWithItsBody) {
  LoopbackHttpServer server(
      Script({{.status = 403, .body = "<Error><Code>AccessDenied</Code></Error>"}}));
  auto response = Client()->Send(Request(server, "GET"));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->body, "<Error><Code>AccessDenied</Code></Error>");
}

TEST_F(CurlHttpClientTest, InterimContinueHeadersAreDropped) {
  LoopbackHttpServer server(Script({{.status = 201, .headers = {{"X-Final", "yes"}}}}));
  auto request = Request(server, "PUT");
  request.body = "payload";
  request.headers.push_back({"Expect", "100-continue"});  // the server answers 100 first
  auto response = Client()->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(HeaderNames(response->headers), (std::set<std::string>{"x-final", "content-length"}));
  EXPECT_EQ(server.requests().at(0).body, "payload");
}

TEST_F(CurlHttpClientTest, FileBodyIsStreamedWithContentLength) {
  std::string path = ::testing::TempDir() + "sluice_curl_upload_" + std::to_string(::getpid());
  std::string content;
  for (int i = 0; content.size() < 3 * 1024 * 1024; ++i) content += std::to_string(i) + "\n";
  {
    std::ofstream out(path, std::ios::binary);
    out << content;
  }
  auto body = FileBody(path);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  LoopbackHttpServer server(Script({}));
  auto request = Request(server, "PUT", "/b/big");
  request.body_source = *body;
  auto response = Client()->Send(request);
  std::remove(path.c_str());
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  auto r = server.requests().at(0);
  EXPECT_FALSE(r.chunked);
  EXPECT_EQ(r.Header("transfer-encoding"), nullptr);
  EXPECT_EQ(r.Header("expect"), nullptr);
  ASSERT_NE(r.Header("content-length"), nullptr);
  EXPECT_EQ(*r.Header("content-length"), std::to_string(content.size()));
  EXPECT_TRUE(r.body == content) << "body differs: " << r.body.size() << " bytes received";
}

TEST_F(CurlHttpClientTest, StreamedPostUsesTheGivenMethod) {
  LoopbackHttpServer server(Script({}));
  auto request = Request(server, "POST", "/upload");
  std::string data = "streamed body";
  size_t offset = 0;
  request.body_source = CallbackBody(
      data.size(),
      [&](char* buffer, size_t n) -> Result<size_t> {
        size_t count = std::min(n, data.size() - offset);
        data.copy(buffer, count, offset);
        offset += count;
        return count;
      },
      [&]() -> Status {
        offset = 0;
        return Status::Ok();
      });
  auto response = Client()->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, data);
  EXPECT_EQ(*r.Header("content-length"), std::to_string(data.size()));
}

TEST_F(CurlHttpClientTest, BodySourceErrorIsReturned) {
  LoopbackHttpServer server(Script({}));
  auto request = Request(server, "PUT");
  request.body_source = CallbackBody(
      100, [](char*, size_t) -> Result<size_t> { return Error::Io("disk on fire"); }, nullptr);
  auto response = Client()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kIo);
  EXPECT_EQ(response.error().message, "disk on fire");
}

TEST_F(CurlHttpClientTest, ShortBodySourceIsAnError) {
  LoopbackHttpServer server(Script({}));
  auto request = Request(server, "PUT");
  request.body_source = CallbackBody(
      100, [](char*, size_t) -> Result<size_t> { return size_t{0}; }, nullptr);
  auto response = Client()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kIo);
}

TEST_F(CurlHttpClientTest, SuccessfulBodyIsStreamedToOnBody) {
  std::string big(2 * 1024 * 1024 + 17, 'q');
  for (size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + i % 26);
  LoopbackHttpServer server(Script({{.status = 200, .body = big}}));
  auto request = Request(server, "GET", "/b/big");
  std::string received;
  int chunks = 0;
  request.on_body = [&](std::string_view chunk) {
    received.append(chunk);
    ++chunks;
    return true;
  };
  auto response = Client()->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_GT(chunks, 1);
  EXPECT_TRUE(received == big) << received.size();
}

TEST_F(CurlHttpClientTest, ErrorBodyIsKeptEvenWithOnBody) {
  LoopbackHttpServer server(Script({{.status = 404, .body = "<Error>NoSuchKey</Error>"}}));
  auto request = Request(server, "GET", "/b/missing");
  bool called = false;
  request.on_body = [&](std::string_view) { return called = true; };
  auto response = Client()->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "<Error>NoSuchKey</Error>");
  EXPECT_FALSE(called);
}

TEST_F(CurlHttpClientTest, OnBodyReturningFalseAbortsWithAnError) {
  LoopbackHttpServer server(Script({{.status = 200, .body = std::string(1 << 20, 'x')}}));
  auto request = Request(server, "GET");
  request.on_body = [](std::string_view) { return false; };
  auto response = Client()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kIo);
  EXPECT_FALSE(response.error().retryable);
}

TEST_F(CurlHttpClientTest, SequentialRequestsReuseOneConnection) {
  LoopbackHttpServer server(
      [](const RecordedRequest& r) { return ScriptedResponse{.status = 200, .body = r.path}; });
  auto client = Client();
  for (int i = 0; i < 20; ++i) {
    auto request = Request(server, i % 2 == 0 ? "GET" : "PUT", "/n/" + std::to_string(i));
    if (i % 2 == 1) request.body = "body " + std::to_string(i);
    auto response = client->Send(request);
    ASSERT_TRUE(response.ok()) << response.error().ToString();
    EXPECT_EQ(response->body, "/n/" + std::to_string(i));
  }
  EXPECT_EQ(server.connections_accepted(), 1);
  for (const RecordedRequest& r : server.requests()) EXPECT_EQ(r.connection_id, 1);
}

TEST_F(CurlHttpClientTest, ConcurrentSendsFromSeveralThreads) {
  LoopbackHttpServer server([](const RecordedRequest& r) {
    return ScriptedResponse{.status = 200, .body = r.path + ":" + r.body};
  });
  auto client = Client();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto request = Request(server, "POST", path);
        request.body = std::string(1000 * (i + 1), static_cast<char>('a' + t));
        auto response = client->Send(request);
        if (!response.ok() || response->body != path + ":" + request.body) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server.request_count(), size_t{kThreads * kPerThread});
  EXPECT_LE(server.connections_accepted(), kThreads);
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsARetryableNetworkError) {
  int port = UnusedPort();
  HttpRequest request;
  request.endpoint = "http://127.0.0.1:" + std::to_string(port);
  auto response = Client()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(response.error().retryable);
  EXPECT_EQ(response.error().message,
            "connect to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
}

TEST_F(CurlHttpClientTest, ResetIsANetworkError) {
  LoopbackHttpServer server(Script({{.action = ScriptedResponse::kResetConnection}}));
  auto response = Client()->Send(Request(server, "GET", "/reset"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(response.error().retryable);
  std::string message = response.error().message;
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST_F(CurlHttpClientTest, CloseWithoutResponseIsANetworkError) {
  LoopbackHttpServer server(Script({{.action = ScriptedResponse::kCloseWithoutResponse}}));
  auto response = Client()->Send(Request(server, "GET"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(response.error().retryable);
}

TEST_F(CurlHttpClientTest, ServerThatHangsHitsTheIdleTimeout) {
  LoopbackHttpServer server(Script({{.action = ScriptedResponse::kHang}}));
  auto response = Client({.idle_timeout = 1s})->Send(Request(server, "GET", "/hang"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kTimeout) << response.error().ToString();
  EXPECT_TRUE(response.error().retryable);
  EXPECT_NE(response.error().message.find("no data"), std::string::npos)
      << response.error().message;
}

// A synchronous Lambda invocation answers when the function returns: its request waits longer
// than the client's idle timeout, and the next request on the same handle is back to it.
TEST_F(CurlHttpClientTest, ARequestsOwnIdleTimeoutReplacesTheClients) {
  LoopbackHttpServer server(Script({{.status = 200, .body = "late", .delay = 2500ms},
                                    {.action = ScriptedResponse::kHang}}));
  auto client = Client({.idle_timeout = 1s});
  HttpRequest slow = Request(server, "POST", "/invocations");
  slow.idle_timeout = 5s;
  auto response = client->Send(slow);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, "late");
  auto hang = client->Send(Request(server, "GET", "/hang"));
  ASSERT_FALSE(hang.ok());
  EXPECT_NE(hang.error().message.find("no data received for 1 s"), std::string::npos)
      << hang.error().message;
}

TEST_F(CurlHttpClientTest, AbortWhenEndsAHangingLongPoll) {
  LoopbackHttpServer server(Script({{.action = ScriptedResponse::kHang}}));
  std::atomic<bool> signalled{false};
  std::thread signal([&] {
    std::this_thread::sleep_for(100ms);
    signalled = true;
  });
  // No idle timeout: only the abort check can end this request.
  HttpClientOptions options{.idle_timeout = 0s};
  options.abort_when = [&] { return signalled.load(); };
  auto response = Client(options)->Send(Request(server, "GET", "/long-poll"));
  signal.join();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kInterrupted) << response.error().ToString();
  EXPECT_FALSE(response.error().retryable);
}

// The last save of a --state, after SIGTERM: the signal is already there, the request finishes.
TEST_F(CurlHttpClientTest, ARequestThatIsNotAbortableFinishesAfterTheSignal) {
  LoopbackHttpServer server(Script({{.status = 200, .body = "saved", .delay = 300ms}}));
  HttpClientOptions options;
  options.abort_when = [] { return true; };
  HttpRequest request = Request(server, "PUT", "/bucket/state");
  request.abortable = false;
  auto response = Client(options)->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, "saved");
}

TEST_F(CurlHttpClientTest, TotalTimeoutCutsASlowResponse) {
  LoopbackHttpServer server(Script({{.status = 200, .delay = 5s}}));
  auto response = Client({.total_timeout = 300ms})->Send(Request(server, "GET"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kTimeout) << response.error().ToString();
}

TEST_F(CurlHttpClientTest, MissingCaBundleIsAClearError) {
  LoopbackHttpServer server(Script({}));
  std::string bundle = "/nonexistent/sluice-ca-bundle.pem";
  HttpRequest request;
  request.endpoint = "https://127.0.0.1:" + std::to_string(server.port());
  auto response = Client({.ca_bundle = bundle})->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kConfig) << response.error().ToString();
  EXPECT_FALSE(response.error().retryable);
  EXPECT_NE(response.error().message.find(bundle), std::string::npos) << response.error().message;
}

TEST_F(CurlHttpClientTest, TlsToAPlainServerIsANetworkError) {
  LoopbackHttpServer server(Script({}));
  HttpRequest request;
  request.endpoint = "https://127.0.0.1:" + std::to_string(server.port());
  auto response = Client()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork) << response.error().ToString();
  EXPECT_NE(response.error().message.find("TLS"), std::string::npos) << response.error().message;
}

TEST_F(CurlHttpClientTest, HeaderWithLineBreakIsRejected) {
  LoopbackHttpServer server(Script({}));
  auto request = Request(server, "GET");
  request.headers.push_back({"X-Bad", "a\r\nInjected: 1"});
  auto response = Client()->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(CurlHttpClientTest, VerboseTracesTheExchangeRedacted) {
  LoopbackHttpServer server(Script({{.status = 200, .body = "{\"Token\":\"tok\"}"}}));
  auto request = Request(server, "GET", "/trace");
  request.headers.push_back({"Authorization", "Bearer secret-token"});
  SetVerbose(true);
  StderrCapture capture;
  auto response = Client()->Send(request);
  std::string trace = capture.Take();
  SetVerbose(false);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_NE(trace.find("> GET " + server.endpoint() + "/trace\n"), std::string::npos) << trace;
  EXPECT_NE(trace.find("> Authorization: <redacted>\n"), std::string::npos) << trace;
  EXPECT_NE(trace.find("\n< 200 ("), std::string::npos) << trace;
  EXPECT_NE(trace.find("< {\"Token\":\"<redacted>\"}"), std::string::npos) << trace;
  EXPECT_EQ(trace.find("secret-token"), std::string::npos) << trace;
}

// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  void Set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(CurlHttpClientTest, UppercaseHttpProxyIsHonouredForHttpUrls) {
  LoopbackHttpServer proxy(Script({{.status = 200, .body = "via proxy"}}));
  ScopedEnv env;
  env.Set("http_proxy", nullptr);
  env.Set("all_proxy", nullptr);
  env.Set("ALL_PROXY", nullptr);
  env.Set("no_proxy", nullptr);
  env.Set("NO_PROXY", nullptr);
  env.Set("HTTP_PROXY", proxy.endpoint().c_str());
  auto client = Client();

  HttpRequest request;
  request.endpoint = "http://bucket.s3.example.invalid";
  request.path = "/key";
  request.headers = {{"host", "bucket.s3.example.invalid"}};
  auto response = client->Send(request);
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, "via proxy");
  ASSERT_EQ(proxy.request_count(), 1u);
  EXPECT_EQ(proxy.requests()[0].target, "http://bucket.s3.example.invalid/key");
}

TEST_F(CurlHttpClientTest, NoProxyBypassesTheUppercaseHttpProxy) {
  LoopbackHttpServer proxy(Script({{.status = 500}}));
  LoopbackHttpServer target(Script({{.status = 200, .body = "direct"}}));
  ScopedEnv env;
  env.Set("http_proxy", nullptr);
  env.Set("no_proxy", nullptr);
  env.Set("HTTP_PROXY", proxy.endpoint().c_str());
  env.Set("NO_PROXY", "127.0.0.1,localhost");
  auto response = Client()->Send(Request(target, "GET"));
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->body, "direct");
  EXPECT_EQ(proxy.request_count(), 0u);
}

// The loopback server itself, where the curl client cannot show its behaviour.

int ConnectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

// Reads until the peer closes the connection.
std::string ReadToEnd(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

TEST(LoopbackHttpServerTest, ScriptRepeatsTheLastResponse) {
  LoopbackHttpServer server(Script({{.status = 503}, {.status = 200, .body = "ok"}}));
  auto client = MakeCurlHttpClient({});
  HttpRequest request;
  request.endpoint = server.endpoint();
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) {
    auto response = client->Send(request);
    ASSERT_TRUE(response.ok()) << response.error().ToString();
    statuses.push_back(response->status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{503, 200, 200, 200}));
}

TEST(LoopbackHttpServerTest, ConnectionCloseEndsTheConnection) {
  LoopbackHttpServer server(Script({{.status = 200, .headers = {{"Connection", "close"}}}}));
  auto client = MakeCurlHttpClient({});
  HttpRequest request;
  request.endpoint = server.endpoint();
  ASSERT_TRUE(client->Send(request).ok());
  ASSERT_TRUE(client->Send(request).ok());
  EXPECT_EQ(server.connections_accepted(), 2);
  auto received = server.requests();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].connection_id, 1);
  EXPECT_EQ(received[1].connection_id, 2);
}

TEST(LoopbackHttpServerTest, ParsesChunkedBodiesAndAnswersWithContentLength) {
  LoopbackHttpServer server(Script({{.status = 201, .body = "created"}}));
  int fd = ConnectTo(server.port());
  std::string raw =
      "POST /up?x=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  ASSERT_EQ(::send(fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  std::string response = ReadToEnd(fd);
  ::close(fd);
  EXPECT_EQ(response, "HTTP/1.1 201 Created\r\nContent-Length: 7\r\n\r\ncreated");
  auto received = server.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].target, "/up?x=1");
  EXPECT_EQ(received[0].path, "/up");
  EXPECT_EQ(received[0].query, "x=1");
  EXPECT_TRUE(received[0].chunked);
  EXPECT_EQ(received[0].body, "hello world");
}

TEST(LoopbackHttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  LoopbackHttpServer server(
      [](const RecordedRequest& r) { return ScriptedResponse{.status = 200, .body = r.path}; });
  int fd = ConnectTo(server.port());
  std::string raw =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
      "PUT /c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz";
  ASSERT_EQ(::send(fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  std::string response = ReadToEnd(fd);
  ::close(fd);
  EXPECT_EQ(response,
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n/a"
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"  // HEAD: no body
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n/c");
  auto received = server.requests();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[2].body, "xyz");
}

TEST(LoopbackHttpServerTest, StopsWithIdleAndHangingConnectionsOpen) {
  int idle_fd, hanging_fd;
  {
    LoopbackHttpServer server(Script({{.action = ScriptedResponse::kHang}}));
    idle_fd = ConnectTo(server.port());
    hanging_fd = ConnectTo(server.port());
    std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    ASSERT_EQ(::send(hanging_fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
    while (server.request_count() == 0) std::this_thread::sleep_for(1ms);
  }  // must not block
  EXPECT_EQ(ReadToEnd(idle_fd), "");
  EXPECT_EQ(ReadToEnd(hanging_fd), "");
  ::close(idle_fd);
  ::close(hanging_fd);
}

}  // namespace
}  // namespace sluice
