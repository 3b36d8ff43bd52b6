// Credentials of the IAM role attached to an EC2 instance, from the instance metadata service
// (IMDSv2 with a session token, falling back to IMDSv1 where the SDKs do).
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

#include "sluice/aws/config/shared_config.h"
#include "sluice/aws/credentials/credential_sources.h"

namespace sluice {
namespace {

constexpr std::string_view kSourceName = "ec2 instance metadata";
constexpr std::string_view kDefaultEndpoint = "http://169.254.169.254";
constexpr std::string_view kDefaultIpv6Endpoint = "http://[fd00:ec2::254]";
constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kRolesPath = "/latest/meta-data/iam/security-credentials/";
constexpr std::string_view kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr std::string_view kTokenHeader = "X-aws-ec2-metadata-token";
// The longest lifetime IMDS grants: one token then serves every refresh for hours.
constexpr std::chrono::seconds kTokenTtl{21600};
// A token is replaced this long before it expires, so that none expires between being taken
// from the cache and reaching IMDS.
constexpr std::chrono::seconds kTokenRefreshMargin{300};
constexpr int kMaxAttempts = 3;
constexpr std::chrono::milliseconds kRetryDelay{100};

bool IsSuccess(int status) { return status >= 200 && status <= 299; }

std::string Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == text.npos) return "";
  size_t end = text.find_last_not_of(kSpace);
  return std::string(text.substr(begin, end - begin + 1));
}

// A role name goes into the path as it is where it can (IAM allows letters, digits and
// "+=,.@_-", all legal in a path); anything else is escaped so that it cannot add segments or a
// query.
std::string RolePathSegment(std::string_view role) {
  std::string out;
  for (char c : role) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    out += plain ? std::string(1, c) : UriEncode(std::string_view(&c, 1));
  }
  return out;
}

class InstanceMetadataProvider : public CredentialsProvider {
 public:
  InstanceMetadataProvider(const Environment* env, std::shared_ptr<HttpClient> http, Clock* clock)
      : env_(env), http_(std::move(http)), clock_(clock) {}

  Result<Credentials> Resolve() override {
    if (IsTrueSetting(env_->Get("AWS_EC2_METADATA_DISABLED").value_or(""))) {
      return NotConfigured("EC2 instance metadata (turned off by AWS_EC2_METADATA_DISABLED=true)");
    }
    auto endpoint = Endpoint();
    if (!endpoint.ok()) return endpoint.error();
    bool unauthorized = false;
    auto credentials = Fetch(*endpoint, &unauthorized);
    if (!unauthorized) return credentials;
    // A cached token IMDS no longer accepts (the instance was stopped and started, say): get a
    // fresh one and ask once more.
    DropToken();
    return Fetch(*endpoint, &unauthorized);
  }

  std::string Name() const override { return std::string(kSourceName); }

 private:
  Result<ParsedUrl> Endpoint() const {
    std::string text(kDefaultEndpoint);
    if (auto configured = env_->GetNonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      text = *configured;
    } else if (auto mode = env_->GetNonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
               mode && (*mode == "IPv6" || *mode == "ipv6")) {
      text = kDefaultIpv6Endpoint;
    }
    ParsedUrl url;
    if (!ParseUrl(text, &url)) {
      return Error::Config("AWS_EC2_METADATA_SERVICE_ENDPOINT \"" + text +
                           "\" is not an http(s) URL");
    }
    return url;
  }

  // The role's credentials. Sets *unauthorized when IMDS refused the token (HTTP 401).
  Result<Credentials> Fetch(const ParsedUrl& endpoint, bool* unauthorized) {
    *unauthorized = false;
    auto token = Token(endpoint);
    if (!token.ok()) return token.error();

    std::string roles_path(kRolesPath);
    auto roles = Get(endpoint, roles_path, *token);
    if (!roles.ok()) return Unreachable(endpoint, roles.error());
    if (roles->status == 401 && *token) *unauthorized = true;
    if (roles->status == 404) return NoRole(endpoint);
    if (!*token && (roles->status == 401 || roles->status == 403)) {
      // Both the token PUT and the IMDSv1 GET refused: a network proxy or firewall answering
      // for 169.254.169.254, not an instance's metadata service, so there is nothing here.
      return NotConfigured("EC2 instance metadata at " + endpoint.Endpoint() +
                           " (IMDSv2 and IMDSv1 both refused with HTTP " +
                           std::to_string(roles->status) + ": not an EC2 instance, or a proxy "
                           "answers for it)");
    }
    if (!IsSuccess(roles->status)) return StatusError(endpoint, "GET", roles_path, roles->status);
    std::string_view listing = roles->body;
    std::string role = Trim(listing.substr(0, listing.find('\n')));
    if (role.empty()) return NoRole(endpoint);

    std::string role_path = roles_path + RolePathSegment(role);
    auto answer = Get(endpoint, role_path, *token);
    if (!answer.ok()) return Unreachable(endpoint, answer.error());
    if (answer->status == 401 && *token) *unauthorized = true;
    if (!IsSuccess(answer->status)) return StatusError(endpoint, "GET", role_path, answer->status);
    return ParseMetadataCredentials(answer->body,
                                    std::string(kSourceName) + " (role " + role + ")");
  }

  // The IMDSv2 session token, or nullopt to go on with IMDSv1.
  Result<std::optional<std::string>> Token(const ParsedUrl& endpoint) {
    // Held across the PUT so that concurrent callers wait for one token instead of each
    // asking for their own.
    std::lock_guard lock(token_mutex_);
    SystemTime now = clock_->Now();
    if (!token_.empty() && now < token_expiry_ - kTokenRefreshMargin) {
      return std::optional<std::string>(token_);
    }

    HttpRequest request = Request(endpoint, "PUT", std::string(kTokenPath));
    request.headers.push_back({std::string(kTokenTtlHeader), std::to_string(kTokenTtl.count())});
    auto response = SendWithRetries(request);
    if (!response.ok()) {
      // A token call that times out is what a container sees on an instance whose metadata hop
      // limit is 1 (the PUT's answer is dropped); IMDSv1 may still work there. Any other
      // failure means the service is not there at all.
      if (response.error().kind == ErrorKind::kTimeout && !V1Disabled()) {
        return std::optional<std::string>();
      }
      return Unreachable(endpoint, response.error());
    }
    int status = response->status;
    if (status == 403 || status == 404 || status == 405) {
      if (V1Disabled()) {
        return Error::Credentials(
            std::string(kSourceName) + ": PUT " + endpoint.Endpoint() + std::string(kTokenPath) +
            " answered HTTP " + std::to_string(status) +
            ", and AWS_EC2_METADATA_V1_DISABLED=true forbids falling back to IMDSv1");
      }
      return std::optional<std::string>();
    }
    if (!IsSuccess(status)) return StatusError(endpoint, "PUT", std::string(kTokenPath), status);
    std::string token = Trim(response->body);
    if (token.empty() || token.find_first_of("\r\n") != token.npos) {
      return Error::Parse(std::string(kSourceName) + ": PUT " + endpoint.Endpoint() +
                          std::string(kTokenPath) + " answered without a usable token");
    }
    token_ = token;
    token_expiry_ = now + kTokenTtl;
    return std::optional<std::string>(std::move(token));
  }

  void DropToken() {
    std::lock_guard lock(token_mutex_);
    token_.clear();
  }

  bool V1Disabled() const { return IsTrueSetting(env_->Get("AWS_EC2_METADATA_V1_DISABLED").value_or("")); }

  static HttpRequest Request(const ParsedUrl& endpoint, std::string method, std::string path) {
    HttpRequest request;
    request.method = std::move(method);
    request.endpoint = endpoint.Endpoint();
    request.path = std::move(path);
    request.headers = {{"host", endpoint.HostHeader()}};
    return request;
  }

  Result<HttpResponse> Get(const ParsedUrl& endpoint, std::string path,
                           const std::optional<std::string>& token) {
    HttpRequest request = Request(endpoint, "GET", std::move(path));
    if (token) request.headers.push_back({std::string(kTokenHeader), *token});
    return SendWithRetries(request);
  }

  // Retries server errors, and network errors once IMDS has been seen to answer: until then a
  // failure to connect most likely means this is not an EC2 instance, and saying so quickly
  // matters more (the chain asks IMDS last, on every machine without other credentials).
  Result<HttpResponse> SendWithRetries(const HttpRequest& request) {
    for (int attempt = 1;; ++attempt) {
      auto response = http_->Send(request);
      if (response.ok()) reached_ = true;
      bool retry =
          response.ok() ? response->status >= 500 : reached_.load() && response.error().retryable;
      if (!retry || attempt == kMaxAttempts) return response;
      clock_->SleepFor(kRetryDelay);
    }
  }

  Error Unreachable(const ParsedUrl& endpoint, const Error& error) const {
    if (!reached_) {
      return NotConfigured("EC2 instance metadata at " + endpoint.Endpoint() +
                           " (no answer, so this is not an EC2 instance: " + error.message + ")");
    }
    Error e = Error::Credentials(std::string(kSourceName) + " at " + endpoint.Endpoint() +
                                 " failed: " + error.ToString());
    e.retryable = error.retryable;
    return e;
  }

  static Error NoRole(const ParsedUrl& endpoint) {
    return NotConfigured("an IAM role attached to this EC2 instance (instance metadata at " +
                         endpoint.Endpoint() + " lists none)");
  }

  static Error StatusError(const ParsedUrl& endpoint, std::string_view method,
                           const std::string& path, int status) {
    Error e =
        Error::Credentials(std::string(kSourceName) + ": " + std::string(method) + " " +
                           endpoint.Endpoint() + path + " answered HTTP " + std::to_string(status));
    e.retryable = status >= 500;
    return e;
  }

  const Environment* env_;
  std::shared_ptr<HttpClient> http_;
  Clock* clock_;
  // Whether IMDS has ever answered: from then on a network failure is a real failure.
  std::atomic<bool> reached_{false};

  std::mutex token_mutex_;
  std::string token_;          // guarded by token_mutex_; empty when none is cached
  SystemTime token_expiry_{};  // guarded by token_mutex_
};

}  // namespace

std::shared_ptr<CredentialsProvider> InstanceMetadataCredentials(const Environment* env,
                                                                 std::shared_ptr<HttpClient> http,
                                                                 Clock* clock) {
  return std::make_shared<InstanceMetadataProvider>(env, std::move(http), clock);
}

}  // namespace sluice
