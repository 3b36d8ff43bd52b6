#include "sluice/mqtt/mqtt_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kWriteTimeout{30};

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits until `fd` is ready for `events` or the deadline passes; false on timeout.
bool WaitFd(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the read or write report the error
    if (Clock::now() >= deadline) return false;
  }
}

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

// Reads and drops what arrives until the peer closes or the deadline passes.
void Drain(int fd, Clock::time_point deadline) {
  char buffer[4096];
  while (WaitFd(fd, POLLIN, deadline)) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
  }
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

Result<std::unique_ptr<Socket>> ConnectTcp(const MqttUri& uri, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(uri.port);
  if (int rc = getaddrinfo(uri.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error::Network("cannot resolve MQTT broker host " + uri.host + ": " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    auto sock = std::make_unique<Socket>(fd);
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!WaitFd(fd, POLLOUT, deadline)) {
        last_error = "timed out";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    freeaddrinfo(found);
    return sock;
  }
  freeaddrinfo(found);
  return Error::Network("cannot connect to MQTT broker " + uri.Broker() + ": " + last_error);
}

class TcpTransport : public MqttTransport {
 public:
  explicit TcpTransport(std::unique_ptr<Socket> socket) : socket_(std::move(socket)) {}

  Result<std::string> Read(std::chrono::milliseconds wait) override {
    if (!WaitFd(socket_->fd(), POLLIN, Clock::now() + wait)) return std::string();
    char buffer[65536];
    while (true) {
      ssize_t n = recv(socket_->fd(), buffer, sizeof(buffer), 0);
      if (n > 0) return std::string(buffer, static_cast<size_t>(n));
      if (n == 0) return Error::Network("the MQTT broker closed the connection");
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::string();
      return Error::Network(std::string("reading from the MQTT broker: ") + std::strerror(errno));
    }
  }

  void Finish(std::chrono::milliseconds wait) override {
    shutdown(socket_->fd(), SHUT_WR);
    Drain(socket_->fd(), Clock::now() + wait);
  }

  Status Write(std::string_view bytes) override {
    auto deadline = Clock::now() + kWriteTimeout;
    while (!bytes.empty()) {
      ssize_t n = send(socket_->fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!WaitFd(socket_->fd(), POLLOUT, deadline)) {
          return Error::Network("writing to the MQTT broker: blocked for 30s");
        }
        continue;
      }
      return Error::Network(std::string("writing to the MQTT broker: ") + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<Socket> socket_;
};

class TlsTransport : public MqttTransport {
 public:
  TlsTransport(std::unique_ptr<Socket> socket, SSL_CTX* ctx, SSL* ssl)
      : socket_(std::move(socket)), ctx_(ctx), ssl_(ssl) {}
  ~TlsTransport() override {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  // Runs one OpenSSL call until it completes, waiting on the socket as it asks; the call's
  // result, or an error.
  template <typename Call>
  Result<int> Drive(Call call, Clock::time_point deadline, bool* timed_out) {
    while (true) {
      ERR_clear_error();
      int rc = call();
      if (rc > 0) return rc;
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        if (!WaitFd(socket_->fd(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
          *timed_out = true;
          return 0;
        }
        continue;
      }
      if (err == SSL_ERROR_ZERO_RETURN)
        return Error::Network("the MQTT broker closed the connection");
      if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        return Error::Network(errno != 0 ? std::string("TLS connection to the MQTT broker: ") +
                                               std::strerror(errno)
                                         : "the MQTT broker closed the connection");
      }
      return Error::Network("TLS connection to the MQTT broker: " + OpenSslError());
    }
  }

  Status Handshake(const MqttUri& uri, Clock::time_point deadline) {
    bool timed_out = false;
    auto rc = Drive([&] { return SSL_connect(ssl_); }, deadline, &timed_out);
    if (timed_out)
      return Error::Timeout("TLS handshake with MQTT broker " + uri.Broker() + " timed out");
    if (!rc.ok()) {
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        return Error::Config("the certificate of MQTT broker " + uri.Broker() +
                             " does not verify: " + X509_verify_cert_error_string(verify) +
                             " (for a private CA, set SSL_CERT_FILE to its PEM file)");
      }
      return rc.error();
    }
    return Status::Ok();
  }

  void Finish(std::chrono::milliseconds wait) override {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // close_notify; the peer's is not waited for
    shutdown(socket_->fd(), SHUT_WR);
    Drain(socket_->fd(), Clock::now() + wait);
  }

  Result<std::string> Read(std::chrono::milliseconds wait) override {
    char buffer[65536];
    bool timed_out = false;
    auto deadline = Clock::now() + wait;
    if (SSL_pending(ssl_) == 0 && !WaitFd(socket_->fd(), POLLIN, deadline)) return std::string();
    auto n = Drive([&] { return SSL_read(ssl_, buffer, sizeof(buffer)); }, deadline, &timed_out);
    if (!n.ok()) return n.error();
    if (timed_out) return std::string();
    return std::string(buffer, static_cast<size_t>(*n));
  }

  Status Write(std::string_view bytes) override {
    auto deadline = Clock::now() + kWriteTimeout;
    while (!bytes.empty()) {
      bool timed_out = false;
      auto n = Drive([&] { return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())); },
                     deadline, &timed_out);
      if (!n.ok()) return n.error();
      if (timed_out) return Error::Network("writing to the MQTT broker: blocked for 30s");
      bytes.remove_prefix(static_cast<size_t>(*n));
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<Socket> socket_;
  SSL_CTX* ctx_;
  SSL* ssl_;
};

bool IsIpAddress(const std::string& host) {
  in6_addr v6;
  in_addr v4;
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

Result<std::unique_ptr<MqttTransport>> StartTls(const MqttUri& uri, std::unique_ptr<Socket> socket,
                                                Clock::time_point deadline) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Error::Network("TLS: " + OpenSslError());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_default_verify_paths(ctx);  // honours SSL_CERT_FILE and SSL_CERT_DIR
  SSL* ssl = SSL_new(ctx);
  if (!ssl) {
    SSL_CTX_free(ctx);
    return Error::Network("TLS: " + OpenSslError());
  }
  int fd = socket->fd();
  auto transport = std::make_unique<TlsTransport>(std::move(socket), ctx, ssl);
  SSL_set_fd(ssl, fd);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (IsIpAddress(uri.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, uri.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, uri.host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, uri.host.c_str(), 0);
  }
  if (Status shaken = transport->Handshake(uri, deadline); !shaken.ok()) return shaken.error();
  return std::unique_ptr<MqttTransport>(std::move(transport));
}

}  // namespace

Result<std::unique_ptr<MqttTransport>> ConnectMqtt(const MqttUri& uri,
                                                   std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto socket = ConnectTcp(uri, deadline);
  if (!socket.ok()) return socket.error();
  if (uri.tls) return StartTls(uri, std::move(socket).value(), deadline);
  return std::unique_ptr<MqttTransport>(std::make_unique<TcpTransport>(std::move(socket).value()));
}

}  // namespace sluice
