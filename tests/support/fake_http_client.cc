#include "tests/support/fake_http_client.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace sluice::testing {

void FakeHttpClient::SetHandler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

void FakeHttpClient::Enqueue(Result<HttpResponse> result) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(result));
}

void FakeHttpClient::Enqueue(int status, std::string body, HttpHeaders headers) {
  Enqueue(HttpResponse{status, std::move(headers), std::move(body)});
}

void FakeHttpClient::set_body_chunk_size(size_t size) {
  std::lock_guard lock(mutex_);
  body_chunk_size_ = std::max<size_t>(size, 1);
}

Result<HttpResponse> FakeHttpClient::Send(const HttpRequest& request) {
  HttpRequest recorded = request;
  if (request.body_source) {
    // Read the source as the real client would send it, from the start.
    BodySource& source = *request.body_source;
    if (Status rewound = source.Rewind(); !rewound.ok()) return rewound.error();
    recorded.body.clear();
    char buffer[16 * 1024];
    while (true) {
      Result<size_t> got = source.Read(buffer, sizeof buffer);
      if (!got.ok()) return got.error();
      if (*got == 0) break;
      recorded.body.append(buffer, *got);
    }
  }

  std::optional<Result<HttpResponse>> queued;
  Handler handler;
  size_t chunk_size;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(recorded);
    if (!queue_.empty()) {
      queued.emplace(std::move(queue_.front()));
      queue_.pop_front();
    }
    handler = handler_;
    chunk_size = body_chunk_size_;
  }
  Result<HttpResponse> result = queued    ? std::move(*queued)
                                : handler ? handler(recorded)
                                          : Result<HttpResponse>(HttpResponse{200, {}, ""});
  if (!result.ok()) return result;

  HttpResponse& response = result.value();
  if (request.on_body && response.status >= 200 && response.status < 300) {
    std::string body = std::move(response.body);
    response.body.clear();
    for (size_t at = 0; at < body.size(); at += chunk_size) {
      std::string_view chunk = std::string_view(body).substr(at, chunk_size);
      if (!request.on_body(chunk)) {
        Error error = Error::Io("download stopped by the receiver");
        error.retryable = false;
        return error;
      }
    }
  }
  return result;
}

std::vector<HttpRequest> FakeHttpClient::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t FakeHttpClient::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

HttpRequest FakeHttpClient::last_request() const {
  std::lock_guard lock(mutex_);
  return requests_.empty() ? HttpRequest{} : requests_.back();
}

}  // namespace sluice::testing
