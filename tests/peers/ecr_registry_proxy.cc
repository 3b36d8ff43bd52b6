#include "tests/peers/ecr_registry_proxy.h"

#include <gtest/gtest.h>

#include "sluice/aws/json_protocol.h"
#include "sluice/util/crypto.h"
#include "tests/peers/forwarding.h"

namespace sluice::testing {
namespace {

// "/v2/<repo>/manifests/<reference>" -> the reference ("" for any other path).
std::string ManifestReference(const std::string& path) {
  size_t at = path.rfind("/manifests/");
  if (path.rfind("/v2/", 0) != 0 || at == std::string::npos) return "";
  return path.substr(at + 11);
}

ScriptedResponse RegistryErrorAnswer(int status, const std::string& code,
                                     const std::string& message) {
  return ScriptedResponse{status,
                          {{"Content-Type", "application/json; charset=utf-8"}},
                          R"({"errors":[{"code":")" + code + R"(","message":")" + message + R"("}]})",
                          ScriptedResponse::kRespond};
}

}  // namespace

EcrRegistryProxy::EcrRegistryProxy(std::string upstream)
    : upstream_(std::move(upstream)),
      http_(MakeCurlHttpClient({.connect_timeout = std::chrono::seconds(5),
                                .idle_timeout = std::chrono::seconds(60)})),
      server_(std::make_unique<LoopbackHttpServer>(
          [this](const RecordedRequest& request) { return Handle(request); })) {}

EcrRegistryProxy::~EcrRegistryProxy() { server_.reset(); }

void EcrRegistryProxy::ImmutableTags() {
  std::lock_guard lock(mutex_);
  immutable_ = true;
}

void EcrRegistryProxy::ExpireTokenAfter(int requests) {
  std::lock_guard lock(mutex_);
  expire_after_ = requests;
}

void EcrRegistryProxy::RecordPushesIn(std::shared_ptr<const ClientContext> context) {
  auto ecr = EcrClient::Make(std::move(context));
  ASSERT_TRUE(ecr.ok()) << ecr.error().ToString();
  std::lock_guard lock(mutex_);
  ecr_ = std::move(ecr).value();
}

void EcrRegistryProxy::DeclineMounts() {
  std::lock_guard lock(mutex_);
  decline_mounts_ = true;
}

int EcrRegistryProxy::MountsDeclined() const {
  std::lock_guard lock(mutex_);
  return mounts_declined_;
}

int EcrRegistryProxy::TagsRefused() const {
  std::lock_guard lock(mutex_);
  return tags_refused_;
}

int EcrRegistryProxy::ExpiredAnswers() const {
  std::lock_guard lock(mutex_);
  return expired_answers_;
}

ScriptedResponse EcrRegistryProxy::Handle(const RecordedRequest& request) {
  bool immutable = false;
  if (request.Header("Authorization") != nullptr) {
    std::lock_guard lock(mutex_);
    if (expire_after_ == 0) {
      expire_after_ = -1;
      ++expired_answers_;
      return RegistryErrorAnswer(403, "DENIED",
                                 "Your authorization token has expired. Reauthenticate and try again.");
    }
    if (expire_after_ > 0) --expire_after_;
    immutable = immutable_;
  }
  std::string reference = ManifestReference(request.path);
  if (immutable && request.method == "PUT" && !reference.empty() &&
      reference.rfind("sha256:", 0) != 0) {
    RecordedRequest head = request;
    head.method = "HEAD";
    head.body.clear();
    SetHeader(head.headers, "Accept",
              "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
              "application/vnd.docker.distribution.manifest.v2+json, "
              "application/vnd.docker.distribution.manifest.list.v2+json");
    auto exists = ForwardRequest(*http_, upstream_, head);
    if (exists.ok() && exists->status == 200) {
      std::lock_guard lock(mutex_);
      ++tags_refused_;
      std::string repository = request.path.substr(4, request.path.rfind("/manifests/") - 4);
      return RegistryErrorAnswer(400, "TAG_INVALID",
                                 "The image tag '" + reference + "' already exists in the '" +
                                     repository + "' repository and cannot be overwritten "
                                     "because the repository is immutable.");
    }
  }
  RecordedRequest forwarded = request;
  if (request.method == "POST" && request.query.find("mount=") != std::string::npos) {
    std::lock_guard lock(mutex_);
    if (decline_mounts_) {
      ++mounts_declined_;
      forwarded.query.clear();
      forwarded.target = forwarded.path;
    }
  }
  auto response = ForwardRequest(*http_, upstream_, forwarded);
  if (!response.ok()) {
    ADD_FAILURE() << "EcrRegistryProxy: the registry did not answer: " << response.error().ToString();
    return {502, {}, "", ScriptedResponse::kRespond};
  }
  EcrClient* ecr = nullptr;
  {
    std::lock_guard lock(mutex_);
    ecr = ecr_.get();
  }
  if (ecr != nullptr && request.method == "PUT" && !reference.empty() && response->status == 201) {
    const std::string* digest = FindHeader(response->headers, "Docker-Content-Digest");
    const std::string* type = request.Header("Content-Type");
    nlohmann::json input = {
        {"repositoryName", request.path.substr(4, request.path.rfind("/manifests/") - 4)},
        {"imageManifest", request.body},
        {"imageDigest", digest != nullptr ? *digest : "sha256:" + Sha256Hex(request.body)}};
    if (type != nullptr) input["imageManifestMediaType"] = *type;
    if (reference.rfind("sha256:", 0) != 0) input["imageTag"] = reference;
    auto put = CallJson(ecr->service(), kEcrJson, "PutImage", input);
    // The same manifest under a tag it already has: ECR's answer to a repeated push.
    if (!put.ok() && put.error().code != "ImageAlreadyExistsException") {
      ADD_FAILURE() << "EcrRegistryProxy: PutImage in the ECR API: " << put.error().ToString();
    }
  }
  return PassResponse(*response);
}

}  // namespace sluice::testing
