// FakeHttpClient: an HttpClient for unit tests that need no sockets. It records every request
// and answers from a queue of scripted results, then from a handler (by default: 200 with an
// empty body).
//
// It behaves like the real client where callers can tell the difference:
//   - a request's body_source is read to the end (and the recorded copy's `body` holds what was
//     read), so the source must be readable; a read error is returned as the Send error;
//   - a 2xx response to a request with on_body is delivered through on_body in chunks (of
//     body_chunk_size bytes) and the returned response's body is empty; on_body returning false
//     makes Send fail, as the real client does.
//
// Thread-safe: Send may be called from several threads at once; the handler is called without
// the fake's lock held, so it may block or call back into the fake.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "sluice/net/http.h"

namespace sluice::testing {

class FakeHttpClient : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  FakeHttpClient() = default;
  explicit FakeHttpClient(Handler handler) : handler_(std::move(handler)) {}

  // Answers requests that find the queue empty.
  void SetHandler(Handler handler);
  // Queued results are used first, in order, one per request.
  void Enqueue(Result<HttpResponse> result);
  void Enqueue(int status, std::string body = "", HttpHeaders headers = {});
  void set_body_chunk_size(size_t size);

  Result<HttpResponse> Send(const HttpRequest& request) override;

  // Copies of every request so far, in order; a streamed body is in `body`.
  std::vector<HttpRequest> requests() const;
  size_t request_count() const;
  // The most recent request (a default HttpRequest when there was none).
  HttpRequest last_request() const;

 private:
  mutable std::mutex mutex_;
  Handler handler_;                         // guarded by mutex_
  std::deque<Result<HttpResponse>> queue_;  // guarded by mutex_
  std::vector<HttpRequest> requests_;       // guarded by mutex_
  size_t body_chunk_size_ = 64 * 1024;      // guarded by mutex_
};

}  // namespace sluice::testing
