// LoopbackHttpServer: a small, real HTTP/1.1 server on 127.0.0.1 for tests that need sockets
// (the curl client, credential endpoints such as ECS and IMDS, retry behaviour on resets and
// hangs). It listens on a free port chosen by the kernel, answers every request with what a
// handler returns, and records every request it receives.
//
// Behaviour:
//   - Keep-alive: a connection serves requests until the client closes it, sends
//     "Connection: close", or a scripted action ends it. Each connection gets its own thread, so
//     concurrent clients (and a hanging response) do not block one another.
//   - Request bodies are read by Content-Length or chunked transfer coding; "Expect:
//     100-continue" is answered with a 100 Continue first.
//   - Input that is not HTTP (a TLS ClientHello, say) is answered 400 and the connection closed,
//     as a plain HTTP server would, so an https:// client fails fast.
//   - Responses get a Content-Length automatically (unless the handler set one itself); the body
//     is omitted for HEAD, 1xx, 204 and 304.
//   - ScriptedResponse::action can instead reset the connection (SO_LINGER 0, then close: the
//     client sees ECONNRESET), close it without answering, or hang without answering until the
//     client gives up or the server stops. `delay` waits before acting; the wait ends early when
//     the server stops.
//
// Thread safety: the handler is called from the connection threads, possibly several at once,
// so it must be thread-safe (Script() is). All public methods are thread-safe. The destructor
// stops listening, wakes and closes every connection, and joins every thread: no thread or
// socket outlives the server.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/net/http.h"

namespace sluice::testing {

struct RecordedRequest {
  std::string method;
  std::string target;     // as on the request line: path?query
  std::string path;       // the target before '?'
  std::string query;      // the target after '?', without it
  HttpHeaders headers;    // in the order received, names as sent
  std::string body;       // decoded from Content-Length or chunked framing
  bool chunked = false;   // the body arrived with Transfer-Encoding: chunked
  int connection_id = 0;  // 1 for the first connection accepted, 2 for the next, ...

  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
};

struct ScriptedResponse {
  enum Action {
    kRespond,               // send the response below
    kResetConnection,       // abort the connection with a TCP reset, no response
    kCloseWithoutResponse,  // close the connection cleanly, no response
    kHang,                  // never answer; hold the connection until the client closes it or
                            // the server stops
  };

  int status = 200;
  HttpHeaders headers;  // Content-Length is added when missing
  std::string body;
  Action action = kRespond;
  std::chrono::milliseconds delay{0};  // wait this long before the action
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

  // Starts listening on 127.0.0.1 at a free port. If that fails, records a gtest failure and
  // port() is 0.
  explicit LoopbackHttpServer(Handler handler);
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Every request received so far, in arrival order (a request is recorded before the
  // handler is called, so a request that was reset or hung is recorded too).
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  int connections_accepted() const { return connections_accepted_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd, int connection_id);
  // Waits until `fd` is readable or the server stops; false when stopping or on timeout.
  bool WaitReadable(int fd, int timeout_ms) const;
  // Sleeps for `duration` unless the server stops first; false when it stopped.
  bool SleepUnlessStopped(std::chrono::milliseconds duration) const;
  void Forget(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int wake_read_fd_ = -1;  // readable once the server stops: wakes every poll()
  int wake_write_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_accepted_{0};
  std::thread accept_thread_;

  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;  // guarded by mutex_
  std::vector<int> open_fds_;              // guarded by mutex_: connections being served
  std::vector<std::thread> threads_;       // guarded by mutex_: one per connection
};

// A handler that answers with `responses` in order, one per request, then repeats the last one
// for every further request (an empty list answers 200 with no body).
LoopbackHttpServer::Handler Script(std::vector<ScriptedResponse> responses);

}  // namespace sluice::testing
