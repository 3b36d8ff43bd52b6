#include "tests/support/loopback_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sluice::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 1 << 20;

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    bool match = true;
    for (size_t j = 0; j < needle.size() && match; ++j) {
      match = lower(haystack[i + j]) == lower(needle[j]);
    }
    if (match) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

const char* Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "LoopbackHttpServer: pipe2: " << std::strerror(errno);
    return;
  }
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    ADD_FAILURE() << "LoopbackHttpServer: socket: " << std::strerror(errno);
    return;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel picks a free port
  socklen_t length = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "LoopbackHttpServer: bind/listen on 127.0.0.1: " << std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  port_ = ntohs(address.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stopping_ = true;
  if (wake_write_fd_ >= 0) {
    char byte = 1;
    while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
    }
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    // The wake pipe ends every poll(); shutdown() also ends a send() blocked on a client that
    // does not read.
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_read_fd_ >= 0) ::close(wake_read_fd_);
  if (wake_write_fd_ >= 0) ::close(wake_write_fd_);
}

std::vector<RecordedRequest> LoopbackHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t LoopbackHttpServer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool LoopbackHttpServer::WaitReadable(int fd, int timeout_ms) const {
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
  while (true) {
    int n = ::poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (fds[1].revents != 0 || stopping_) return false;
    return fds[0].revents != 0;
  }
}

bool LoopbackHttpServer::SleepUnlessStopped(std::chrono::milliseconds duration) const {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (!stopping_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd wake = {wake_read_fd_, POLLIN, 0};
    int n = ::poll(&wake, 1, static_cast<int>(left.count()));
    if (n > 0) return false;
  }
  return false;
}

void LoopbackHttpServer::Forget(int fd) {
  std::lock_guard lock(mutex_);
  std::erase(open_fds_, fd);
}

void LoopbackHttpServer::AcceptLoop() {
  while (WaitReadable(listen_fd_, -1)) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    int id = ++connections_accepted_;
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd, id] { Serve(fd, id); });
  }
}

void LoopbackHttpServer::Serve(int fd, int connection_id) {
  std::string buffer;
  // Appends what arrives; false when the peer closed, on error, or when the server stops.
  auto read_more = [&]() {
    if (!WaitReadable(fd, -1)) return false;
    char chunk[64 * 1024];
    ssize_t n;
    do {
      n = ::recv(fd, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  auto finish = [&](bool reset) {
    if (reset) {
      linger hard = {1, 0};  // close() then sends RST instead of FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    Forget(fd);
    ::close(fd);
  };

  while (true) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!buffer.empty() && (buffer[0] < 'A' || buffer[0] > 'Z')) {
        // Not HTTP (a TLS ClientHello starts with 0x16): answer as a plain server would, so
        // the client fails at once instead of waiting for a handshake.
        SendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return finish(false);
      }
      if (buffer.size() > kMaxHeaderBytes || !read_more()) return finish(false);
    }
    RecordedRequest request;
    request.connection_id = connection_id;
    std::string_view head(buffer.data(), header_end);
    size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return finish(false);
    request.method = std::string(request_line.substr(0, sp1));
    request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    bool http10 = request_line.substr(sp2 + 1) == "HTTP/1.0";
    size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      std::string_view line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        request.headers.push_back(
            {std::string(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1)))});
      }
      pos = end + 2;
    }
    buffer.erase(0, header_end + 4);

    const std::string* expect = request.Header("expect");
    bool continue_sent = false;
    auto maybe_continue = [&]() {
      if (expect != nullptr && ContainsIgnoreCase(*expect, "100-continue") && !continue_sent) {
        continue_sent = true;
        return SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
      }
      return true;
    };
    const std::string* transfer_encoding = request.Header("transfer-encoding");
    const std::string* content_length = request.Header("content-length");
    if (transfer_encoding != nullptr && ContainsIgnoreCase(*transfer_encoding, "chunked")) {
      request.chunked = true;
      if (!maybe_continue()) return finish(false);
      while (true) {
        size_t size_end;
        while ((size_end = buffer.find("\r\n")) == std::string::npos) {
          if (!read_more()) return finish(false);
        }
        size_t size = std::strtoul(buffer.substr(0, size_end).c_str(), nullptr, 16);
        buffer.erase(0, size_end + 2);
        if (size == 0) {
          // Trailers, if any, end with an empty line.
          size_t trailer_end;
          while ((trailer_end = buffer.find("\r\n")) != 0) {
            if (trailer_end != std::string::npos) {
              buffer.erase(0, trailer_end + 2);
            } else if (!read_more()) {
              return finish(false);
            }
          }
          buffer.erase(0, 2);
          break;
        }
        while (buffer.size() < size + 2) {
          if (!read_more()) return finish(false);
        }
        request.body.append(buffer, 0, size);
        buffer.erase(0, size + 2);
      }
    } else if (content_length != nullptr) {
      size_t length = std::strtoull(content_length->c_str(), nullptr, 10);
      if (buffer.size() < length && !maybe_continue()) return finish(false);
      while (buffer.size() < length) {
        if (!read_more()) return finish(false);
      }
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);
    }

    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    ScriptedResponse response = handler_(request);
    if (response.delay.count() > 0 && !SleepUnlessStopped(response.delay)) return finish(false);

    switch (response.action) {
      case ScriptedResponse::kResetConnection:
        return finish(true);
      case ScriptedResponse::kCloseWithoutResponse:
        return finish(false);
      case ScriptedResponse::kHang:
        // Hold the connection, discarding anything more, until the client goes or we stop.
        buffer.clear();
        while (read_more()) buffer.clear();
        return finish(false);
      case ScriptedResponse::kRespond:
        break;
    }

    bool no_body = request.method == "HEAD" || response.status < 200 || response.status == 204 ||
                   response.status == 304;
    std::string out =
        "HTTP/1.1 " + std::to_string(response.status) + " " + Reason(response.status) + "\r\n";
    for (const HttpHeader& header : response.headers) {
      out += header.name + ": " + header.value + "\r\n";
    }
    if (FindHeader(response.headers, "content-length") == nullptr && response.status >= 200 &&
        response.status != 204 && response.status != 304) {
      out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    }
    out += "\r\n";
    if (!no_body) out += response.body;
    if (!SendAll(fd, out)) return finish(false);

    const std::string* request_connection = request.Header("connection");
    const std::string* response_connection = FindHeader(response.headers, "connection");
    if (http10 ||
        (request_connection != nullptr && ContainsIgnoreCase(*request_connection, "close")) ||
        (response_connection != nullptr && ContainsIgnoreCase(*response_connection, "close"))) {
      return finish(false);
    }
  }
}

LoopbackHttpServer::Handler Script(std::vector<ScriptedResponse> responses) {
  struct State {
    std::mutex mutex;
    std::vector<ScriptedResponse> responses;
    size_t next = 0;
  };
  auto state = std::make_shared<State>();
  state->responses = std::move(responses);
  return [state](const RecordedRequest&) {
    std::lock_guard lock(state->mutex);
    if (state->responses.empty()) return ScriptedResponse{};
    size_t index = std::min(state->next, state->responses.size() - 1);
    ++state->next;
    return state->responses[index];
  };
}

}  // namespace sluice::testing
