#include "sluice/registry/registry_client.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <thread>

#include "sluice/net/http_trace.h"
#include "sluice/util/logging.h"
#include "sluice/util/uri.h"

namespace sluice {
namespace {

constexpr std::string_view kService = "registry";
// Upload sessions tried per blob: a failure midway restarts the blob from a new session.
constexpr int kMaxUploadSessions = 5;

bool IsRetryableStatus(int status) { return status == 429 || status >= 500; }

std::string AuthorityOf(std::string_view endpoint) {
  ParsedUrl url;
  return ParseUrl(endpoint, &url) ? url.HostHeader() : std::string(endpoint);
}

// A body that reports how many bytes have gone out.
class CountingBody : public BodySource {
 public:
  CountingBody(std::shared_ptr<BodySource> inner, UploadProgress progress)
      : inner_(std::move(inner)), progress_(std::move(progress)) {}
  uint64_t size() const override { return inner_->size(); }
  Result<size_t> Read(char* buffer, size_t n) override {
    auto got = inner_->Read(buffer, n);
    if (got.ok() && *got > 0) {
      sent_ += *got;
      if (progress_) progress_(sent_);
    }
    return got;
  }
  Status Rewind() override {
    sent_ = 0;
    if (progress_) progress_(0);
    return inner_->Rewind();
  }

 private:
  std::shared_ptr<BodySource> inner_;
  UploadProgress progress_;
  uint64_t sent_ = 0;
};

}  // namespace

bool IsExpiredTokenAnswer(const HttpResponse& response, std::string_view method) {
  if (response.status != 403) return false;
  if (method == "HEAD") return true;
  std::string body = response.body.substr(0, 1000);
  std::transform(body.begin(), body.end(), body.begin(), ::tolower);
  return body.find("token has expired") != std::string::npos;
}

bool IsImmutableTagError(const Error& error) {
  if (error.code != "TAG_INVALID" && error.code != "MANIFEST_INVALID" && error.code != "DENIED") {
    return false;
  }
  return error.message.find("immutable") != std::string::npos ||
         error.message.find("cannot be overwritten") != std::string::npos;
}

Error ParseRegistryError(const HttpResponse& response, std::string_view operation,
                         std::string_view repository) {
  Error error;
  error.kind = ErrorKind::kService;
  error.service = std::string(kService);
  error.operation = std::string(operation);
  error.http_status = response.status;
  error.retryable = IsRetryableStatus(response.status);
  auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("errors") && json["errors"].is_array() &&
      !json["errors"].empty() && json["errors"][0].is_object()) {
    const auto& first = json["errors"][0];
    error.code = first.value("code", "");
    error.message = first.value("message", "");
  }
  if (error.code.empty()) {
    switch (response.status) {
      case 401: error.code = "UNAUTHORIZED"; break;
      case 403: error.code = "DENIED"; break;
      case 404: error.code = "NOT_FOUND"; break;
      case 429: error.code = "TOOMANYREQUESTS"; break;
      default: break;
    }
  }
  if (error.message.empty()) {
    std::string body = response.body.substr(0, 200);
    for (char& c : body) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    error.message = body;
  }
  std::string repo(repository);
  if (error.code == "NAME_UNKNOWN") {
    error.message += ": repository '" + repo +
                     "' does not exist; create it first (for ECR, add --create-repository)";
  } else if (error.code == "UNAUTHORIZED") {
    error.message += ": the registry refused the credentials (for ECR check the AWS credentials; "
                     "otherwise docker login, or --username with --password-stdin)";
  } else if (error.code == "DENIED") {
    error.message += ": the credentials may not push to '" + repo + "'";
  } else if (error.code == "TAG_INVALID" &&
             error.message.find("immutable") != std::string::npos) {
    error.message += " (the repository's tags are immutable: push a new tag)";
  }
  return error;
}

RegistryClient::RegistryClient(RegistryClientOptions options) : options_(std::move(options)) {
  if (!options_.retry) options_.retry = std::make_shared<RetryPolicy>(RetryOptions{});
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

HttpRequest RegistryClient::NewRequest(std::string_view method, std::string path) const {
  HttpRequest request;
  request.method = std::string(method);
  request.endpoint = options_.endpoint;
  request.path = std::move(path);
  request.headers.push_back({"host", AuthorityOf(options_.endpoint)});
  request.headers.push_back({"user-agent", "sluice/" SLUICE_VERSION});
  return request;
}

Error RegistryClient::RegistryError(const HttpResponse& response, std::string_view operation) const {
  return ParseRegistryError(response, operation, options_.repository);
}

Status RegistryClient::Authenticate(const HttpResponse* response, int seen_generation) {
  // One thread authenticates at a time; the others then use what it got.
  std::lock_guard<std::mutex> serial(auth_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auth_generation_ != seen_generation) return Status::Ok();
  }
  std::optional<RegistryCredentials> credentials;
  if (options_.credentials) {
    auto got = options_.credentials();
    if (!got.ok()) return got.error();
    credentials = std::move(got).value();
  }
  const std::string* header = response != nullptr ? response->Header("www-authenticate") : nullptr;
  std::vector<AuthChallenge> challenges;
  if (header != nullptr) challenges = ParseWwwAuthenticate(*header);
  std::string authorization;
  for (const AuthChallenge& challenge : challenges) {
    if (challenge.scheme == "bearer") {
      std::string scope = "repository:" + options_.repository + ":pull,push";
      auto token = FetchBearerToken(*options_.http, challenge, scope, credentials);
      if (!token.ok()) return token.error();
      authorization = "Bearer " + token->token;
      break;
    }
    if (challenge.scheme == "basic") break;
  }
  if (authorization.empty()) {
    // A Basic challenge, Basic up front (ECR), or no usable challenge at all (a proxy in front of
    // the registry): the user name and password, if there are any.
    if (!credentials || credentials->username.empty()) {
      return Error::Credentials(
          "registry " + options_.host + " asks for credentials (HTTP 401" +
          (header != nullptr ? ", " + *header : std::string()) + "): run docker login " +
          options_.host + ", or give --username and --password-stdin");
    }
    authorization = BasicAuthorization(*credentials);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  authorization_ = std::move(authorization);
  ++auth_generation_;
  return Status::Ok();
}

std::optional<std::chrono::milliseconds> RegistryClient::RetryDelay(int attempt, const Error& error,
                                                                    const HttpResponse* response) {
  std::optional<std::chrono::milliseconds> retry_after;
  if (response != nullptr) {
    retry_after = ParseRetryAfter(response->headers, std::chrono::system_clock::now());
  }
  return options_.retry->ShouldRetry(attempt, error, retry_after);
}

Result<HttpResponse> RegistryClient::Send(HttpRequest request, std::string_view operation,
                                          bool retry) {
  bool authenticated_here = false;  // at most one (re)authentication per request
  bool first_send = true;
  int attempt = 1;
  while (true) {
    int generation;
    bool empty;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation = auth_generation_;
      empty = authorization_.empty();
      if (empty) {
        RemoveHeader(request.headers, "authorization");
      } else {
        SetHeader(request.headers, "authorization", authorization_);
      }
    }
    if (empty && options_.basic_up_front && !authenticated_here) {
      authenticated_here = true;
      Status authenticated = Authenticate(nullptr, generation);
      if (!authenticated.ok()) return authenticated.error();
      continue;
    }
    if (!first_send && request.body_source) {
      Status rewound = request.body_source->Rewind();
      if (!rewound.ok()) return rewound.error();
    }
    first_send = false;
    TraceRequest(request);
    auto sent_at = std::chrono::steady_clock::now();
    Result<HttpResponse> response = options_.http->Send(request);
    if (response.ok()) {
      TraceResponse(request, *response,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - sent_at).count());
    }
    if (!response.ok()) {
      if (!retry) return response.error();
      auto delay = RetryDelay(attempt, response.error(), nullptr);
      if (!delay) return response.error();
      options_.sleep(*delay);
      ++attempt;
      continue;
    }
    if ((response->status == 401 || IsExpiredTokenAnswer(*response, request.method)) &&
        !authenticated_here) {
      // Either the first challenge, or credentials that stopped working (an ECR token that
      // expired mid-push, which ECR answers 403, not 401): authenticate anew, once, and send
      // again.
      authenticated_here = true;
      if (!empty) TraceLine("registry refused the credentials in use; renewing them");
      Status authenticated = Authenticate(&*response, generation);
      if (!authenticated.ok()) return authenticated.error();
      continue;
    }
    if (retry && IsRetryableStatus(response->status)) {
      Error error = RegistryError(*response, operation);
      if (response->status == 429) error.code = "TOOMANYREQUESTS";
      auto delay = RetryDelay(attempt, error, &*response);
      if (delay) {
        options_.sleep(*delay);
        ++attempt;
        continue;
      }
    }
    options_.retry->RecordSuccess(attempt > 1);
    return response;
  }
}

Status RegistryClient::Ping() {
  auto response = Send(NewRequest("GET", "/v2/"), "Ping", /*retry=*/true);
  if (!response.ok()) return response.error();
  if (response->status != 200) return RegistryError(*response, "Ping");
  return Status::Ok();
}

Result<bool> RegistryClient::HasBlob(const Descriptor& blob) {
  auto response = Send(NewRequest("HEAD", "/v2/" + options_.repository + "/blobs/" + blob.digest),
                       "HeadBlob", /*retry=*/true);
  if (!response.ok()) return response.error();
  if (response->status == 200) return true;
  if (response->status == 404) return false;
  return RegistryError(*response, "HeadBlob");
}

Result<HttpRequest> RegistryClient::RequestForLocation(const HttpResponse& response,
                                                       std::string_view method,
                                                       std::string_view operation) {
  const std::string* location = response.Header("location");
  if (location == nullptr || location->empty()) {
    Error error = Error::Parse(std::string(operation) + ": the registry answered HTTP " +
                               std::to_string(response.status) + " without a Location header");
    error.retryable = true;
    return error;
  }
  HttpRequest request = NewRequest(method, "/");
  ParsedUrl url;
  if (ParseUrl(*location, &url)) {
    // An absolute Location is followed, unless it names the image's own host while the
    // traffic goes to --registry-endpoint (the registry does not know it is reached otherwise).
    if (url.HostHeader() != options_.host) {
      request.endpoint = url.Endpoint();
      SetHeader(request.headers, "host", url.HostHeader());
    }
    request.path = url.path;
    request.query = url.query;
  } else {
    // Relative (ECR sends these, with the upload state in the query).
    std::string_view rel = *location;
    size_t q = rel.find('?');
    request.path = std::string(rel.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(rel.substr(q + 1));
    if (request.path.empty() || request.path[0] != '/') request.path = "/" + request.path;
  }
  return request;
}

Result<BlobPut> RegistryClient::UploadOnce(const Descriptor& blob, const BodyOpener& open,
                                           const UploadProgress& progress,
                                           const std::string& mount_from) {
  HttpRequest start = NewRequest("POST", "/v2/" + options_.repository + "/blobs/uploads/");
  if (!mount_from.empty()) {
    start.query = "mount=" + UriEncode(blob.digest) + "&from=" + UriEncode(mount_from);
  }
  auto started = Send(std::move(start), mount_from.empty() ? "StartUpload" : "MountBlob",
                      /*retry=*/true);
  if (!started.ok()) return started.error();
  if (!mount_from.empty()) {
    // 201: mounted, when what it names is the blob (a registry that ignored the mount and
    // answered a plain POST with 201 would name an upload session).
    const std::string* digest = started->Header("docker-content-digest");
    const std::string* location = started->Header("location");
    bool blob_named = (digest != nullptr && *digest == blob.digest) ||
                      (location != nullptr && location->find("/blobs/uploads/") == std::string::npos);
    if (started->status == 201 && blob_named) return BlobPut::kMounted;
    // A refusal of the mount itself (a token without pull on `mount_from`: 401 or 403; an
    // unknown source: 404) is a declined mount, not a failed push: ask again without it.
    if (started->status != 202 && started->status != 201) {
      if (!open) return BlobPut::kDeclined;
      return UploadOnce(blob, open, progress, "");
    }
  }
  if (started->status != 202 && started->status != 201) {
    return RegistryError(*started, "StartUpload");
  }
  HttpResponse last = std::move(started).value();
  if (!open) {
    // Mount only: give the session back (best effort; registries expire unused ones anyway).
    auto cancel = RequestForLocation(last, "DELETE", "MountBlob");
    if (cancel.ok()) (void)Send(std::move(cancel).value(), "CancelUpload", /*retry=*/false);
    return BlobPut::kDeclined;
  }

  if (blob.size > 0) {
    auto patch = RequestForLocation(last, "PATCH", "StartUpload");
    if (!patch.ok()) return patch.error();
    auto body = open();
    if (!body.ok()) return body.error();
    patch->body_source = std::make_shared<CountingBody>(std::move(body).value(), progress);
    patch->headers.push_back({"content-type", "application/octet-stream"});
    auto sent = Send(std::move(patch).value(), "UploadBlob", /*retry=*/false);
    if (!sent.ok()) return sent.error();
    // ECR answers a PATCH with 201 where the spec says 202.
    if (sent->status != 202 && sent->status != 201 && sent->status != 204) {
      return RegistryError(*sent, "UploadBlob");
    }
    last = std::move(sent).value();
  }
  auto commit = RequestForLocation(last, "PUT", "UploadBlob");
  if (!commit.ok()) return commit.error();
  std::string digest_param = "digest=" + UriEncode(blob.digest);
  commit->query = commit->query.empty() ? digest_param : commit->query + "&" + digest_param;
  // A zero-byte blob is committed by this PUT alone (ECR refuses an empty PATCH).
  commit->headers.push_back({"content-type", "application/octet-stream"});
  auto committed = Send(std::move(commit).value(), "CommitUpload", /*retry=*/false);
  if (!committed.ok()) return committed.error();
  if (committed->status != 201 && committed->status != 204 && committed->status != 200) {
    return RegistryError(*committed, "CommitUpload");
  }
  return BlobPut::kUploaded;
}

Result<BlobPut> RegistryClient::PutBlobFrom(const Descriptor& blob, const BodyOpener& open,
                                            const UploadProgress& progress,
                                            const std::string& mount_from) {
  for (int session = 1;; ++session) {
    auto uploaded = UploadOnce(blob, open, progress, mount_from);
    if (uploaded.ok()) return uploaded;
    const Error& error = uploaded.error();
    bool retryable = error.retryable || error.kind == ErrorKind::kNetwork ||
                     error.kind == ErrorKind::kTimeout;
    if (!retryable || session >= kMaxUploadSessions) return uploaded;
    auto delay = options_.retry->ShouldRetry(session, error);
    if (!delay) return uploaded;
    LogLine("sluice-push: " + blob.digest.substr(0, 19) + ": " + error.ToString() +
            "; starting the upload again");
    options_.sleep(*delay);
  }
}

Result<std::string> RegistryClient::PutManifest(const std::string& reference,
                                                const std::string& media_type,
                                                const std::string& bytes) {
  HttpRequest request = NewRequest("PUT", "/v2/" + options_.repository + "/manifests/" + reference);
  request.headers.push_back({"content-type", media_type});
  request.body = bytes;
  auto response = Send(std::move(request), "PutManifest", /*retry=*/true);
  if (!response.ok()) return response.error();
  if (response->status != 201 && response->status != 200 && response->status != 202) {
    return RegistryError(*response, "PutManifest");
  }
  const std::string* digest = response->Header("docker-content-digest");
  return digest != nullptr && !digest->empty() ? *digest : DigestOf(bytes);
}

Result<std::optional<std::string>> RegistryClient::TagDigest(const std::string& tag) {
  HttpRequest request = NewRequest("HEAD", "/v2/" + options_.repository + "/manifests/" + tag);
  using namespace media_type;
  request.headers.push_back({"accept", std::string(kOciIndex) + ", " + std::string(kOciManifest) +
                                           ", " + std::string(kDockerManifestList) + ", " +
                                           std::string(kDockerManifest)});
  auto response = Send(std::move(request), "HeadManifest", /*retry=*/true);
  if (!response.ok()) return response.error();
  if (response->status == 404) return std::optional<std::string>();
  if (response->status != 200) return RegistryError(*response, "HeadManifest");
  const std::string* digest = response->Header("docker-content-digest");
  if (digest == nullptr || digest->empty()) {
    return Error::Parse("registry " + options_.host + " answered a manifest HEAD without "
                        "Docker-Content-Digest");
  }
  return std::optional<std::string>(*digest);
}

}  // namespace sluice
