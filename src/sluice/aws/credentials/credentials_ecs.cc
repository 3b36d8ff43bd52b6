// ECS (and EKS Pod Identity) container credentials, and the parser for the JSON that both the
// container endpoint and EC2 instance metadata answer with.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "sluice/aws/credentials/credential_sources.h"
#include "sluice/os/file_read.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

constexpr std::string_view kSourceName = "ecs container credentials";
// Where ECS serves AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.
constexpr std::string_view kEcsHost = "169.254.170.2";
constexpr std::string_view kAllowedHttpHosts =
    "a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23";
// The agent on the host answers quickly, so a short pause rides out a restart without making a
// tool that is about to fail anyway wait long.
constexpr int kMaxAttempts = 3;
constexpr std::chrono::milliseconds kRetryDelay{100};
// Enough of a plain-text error body to be useful in a one-line message.
constexpr size_t kMaxBodyMessage = 200;

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

bool HasLineBreak(std::string_view text) { return text.find_first_of("\r\n") != text.npos; }

// The hosts a plain-http FULL_URI may name: anything else could be a man in the middle handing
// out (or harvesting, through the Authorization header) credentials. Hosts are compared as
// literals, without DNS, as botocore does: a name that merely resolves to loopback is not
// trusted, since resolution can change under us.
bool IsAllowedHttpHost(std::string_view host_text) {
  std::string host = Lowercase(host_text);
  if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127) return true;
    in6_addr eks{};
    inet_pton(AF_INET6, "fd00:ec2::23", &eks);
    return std::memcmp(&v6, &eks, sizeof v6) == 0;
  }
  return false;
}

// The URL as it may appear in messages: a query string could carry something secret.
std::string UrlWithoutQuery(const ParsedUrl& url) { return url.Endpoint() + url.path; }

// Where to ask, from the two variables; RELATIVE_URI wins, as in every SDK.
Result<ParsedUrl> ContainerCredentialsUrl(const Environment& env) {
  if (auto relative = env.GetNonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    // Built field by field rather than by parsing "http://169.254.170.2" + relative, so that a
    // value such as "@evil.example/" or ":80@x" cannot change the host.
    ParsedUrl url;
    url.scheme = "http";
    url.host = std::string(kEcsHost);
    std::string_view rest = *relative;
    size_t question = rest.find('?');
    url.path = std::string(rest.substr(0, question));
    if (question != rest.npos) url.query = std::string(rest.substr(question + 1));
    if (!url.path.starts_with('/')) url.path.insert(0, "/");
    return url;
  }
  if (auto full = env.GetNonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    ParsedUrl url;
    if (!ParseUrl(*full, &url)) {
      return Error::Credentials("AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
    }
    if (Status valid = ValidateContainerCredentialsUrl(url); !valid.ok()) return valid.error();
    return url;
  }
  return NotConfigured("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI unset");
}

Result<std::string> ReadTokenFile(const std::string& path) {
  int error = 0;
  auto read = ReadWholeFile(path, &error);
  if (!read) {
    return Error::Credentials("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + path +
                              " cannot be read: " + std::strerror(error));
  }
  std::string token = std::move(*read);
  // Files written by `echo` or an editor end with a newline that is not part of the token.
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

// The Authorization header's value, if any. The file is read on every call because EKS Pod
// Identity rotates it while the process runs.
Result<std::optional<std::string>> AuthorizationToken(const Environment& env) {
  std::optional<std::string> token;
  std::string from;
  if (auto file = env.GetNonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    auto read = ReadTokenFile(*file);
    if (!read.ok()) return read.error();
    token = std::move(*read);
    from = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file;
  } else if (auto value = env.GetNonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    token = std::move(*value);
    from = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
  }
  // A line break would let the token inject headers; the token itself is never echoed.
  if (token && HasLineBreak(*token)) {
    return Error::Credentials("the container authorization token from " + from +
                              " contains a line break");
  }
  return token;
}

// What an error body says: the "message" of the agents' JSON errors, else the start of a
// plain-text body, on one line.
std::string BodyMessage(std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    for (const char* key : {"message", "Message", "error", "Error"}) {
      if (auto it = json.find(key); it != json.end() && it->is_string()) {
        return it->get<std::string>();
      }
    }
    return "";
  }
  std::string text(body.substr(0, kMaxBodyMessage));
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

bool IsRetryableStatus(int status) { return status == 429 || status >= 500; }

class EcsContainerProvider : public CredentialsProvider {
 public:
  EcsContainerProvider(const Environment* env, std::shared_ptr<HttpClient> http)
      : env_(env), http_(std::move(http)) {}

  Result<Credentials> Resolve() override {
    auto url = ContainerCredentialsUrl(*env_);
    if (!url.ok()) return url.error();
    auto token = AuthorizationToken(*env_);
    if (!token.ok()) return token.error();

    HttpRequest request;
    request.method = "GET";
    request.endpoint = url->Endpoint();
    request.path = url->path;
    request.query = url->query;
    request.headers = {{"host", url->HostHeader()}};
    if (*token) request.headers.push_back({"Authorization", **token});

    auto response = SendWithRetries(request);
    std::string where = "GET " + UrlWithoutQuery(*url);
    if (!response.ok()) {
      Error e = Error::Credentials(std::string(kSourceName) + ": " + where +
                                   " failed: " + response.error().ToString());
      e.retryable = response.error().retryable;
      return e;
    }
    if (response->status < 200 || response->status > 299) {
      std::string message = std::string(kSourceName) + ": " + where + " answered HTTP " +
                            std::to_string(response->status);
      if (std::string said = BodyMessage(response->body); !said.empty()) message += ": " + said;
      Error e = Error::Credentials(std::move(message));
      e.retryable = IsRetryableStatus(response->status);
      return e;
    }
    return ParseMetadataCredentials(response->body, std::string(kSourceName));
  }

  std::string Name() const override { return std::string(kSourceName); }

 private:
  Result<HttpResponse> SendWithRetries(const HttpRequest& request) {
    for (int attempt = 1;; ++attempt) {
      auto response = http_->Send(request);
      bool retry = response.ok() ? IsRetryableStatus(response->status) : response.error().retryable;
      if (!retry || attempt == kMaxAttempts) return response;
      std::this_thread::sleep_for(kRetryDelay);
    }
  }

  const Environment* env_;
  std::shared_ptr<HttpClient> http_;
};

}  // namespace

Status ValidateContainerCredentialsUrl(const ParsedUrl& url) {
  if (url.scheme == "https") return Status::Ok();
  if (url.scheme == "http" && IsAllowedHttpHost(url.host)) return Status::Ok();
  return Error::Credentials("AWS_CONTAINER_CREDENTIALS_FULL_URI " + UrlWithoutQuery(url) +
                            " is not allowed: plain http may only reach " +
                            std::string(kAllowedHttpHosts) + " (use https for other hosts)");
}

std::shared_ptr<CredentialsProvider> EcsContainerCredentials(const Environment* env,
                                                             std::shared_ptr<HttpClient> http) {
  return std::make_shared<EcsContainerProvider>(env, std::move(http));
}

Result<Credentials> ParseMetadataCredentials(std::string_view json, std::string source) {
  // Messages never quote the body: it holds the secret key.
  auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return Error::Parse(source + ": the answer is not a JSON object");
  auto text = [&parsed](const char* key) -> std::string {
    auto it = parsed.find(key);
    return it != parsed.end() && it->is_string() ? it->get<std::string>() : "";
  };
  // IMDS reports a failure to assume the instance role in-band, with HTTP 200.
  if (std::string code = text("Code"); !code.empty() && code != "Success") {
    std::string message = source + ": the metadata service answered Code " + code;
    if (std::string said = text("Message"); !said.empty()) message += ": " + said;
    return Error::Credentials(std::move(message));
  }
  Credentials out;
  out.access_key_id = text("AccessKeyId");
  out.secret_access_key = text("SecretAccessKey");
  out.session_token = text("Token");
  if (out.empty()) {
    return Error::Parse(source + ": the answer has no AccessKeyId and SecretAccessKey");
  }
  if (std::string expiration = text("Expiration"); !expiration.empty()) {
    auto when = ParseIso8601(expiration);
    if (!when) return Error::Parse(source + ": unreadable Expiration \"" + expiration + "\"");
    out.expiration = *when;
  }
  out.source = std::move(source);
  return out;
}

}  // namespace sluice
