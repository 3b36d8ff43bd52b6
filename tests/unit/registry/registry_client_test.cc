// RegistryClient against a scripted registry (FakeHttpClient), for what docker-registry cannot
// show: ECR's protocol quirks (PATCH answered 201, relative Location headers carrying the upload
// state in the query, zero-byte blobs), its error codes (NAME_UNKNOWN, an immutable tag), a
// token that expires mid-push, throttling, an upload failing midway, and Bearer challenges.
#include "sluice/registry/registry_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "sluice/util/crypto.h"
#include "tests/support/fake_http_client.h"

namespace sluice {
namespace {

using testing::FakeHttpClient;

// An ECR-like registry: Basic auth with "AWS:token-<generation>", relative Locations with a
// state query, 201 for PATCH. Knobs make it expire tokens, throttle, fail or refuse.
class ScriptedRegistry {
 public:
  ScriptedRegistry() {
    http_ = std::make_shared<FakeHttpClient>([this](const HttpRequest& r) { return Handle(r); });
  }

  RegistryClient Client(bool basic_up_front = true) {
    RegistryClientOptions options;
    options.http = http_;
    options.endpoint = "https://123456789012.dkr.ecr.us-east-1.amazonaws.com";
    options.host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    options.repository = "team/app";
    options.basic_up_front = basic_up_front;
    options.credentials = [this]() -> Result<std::optional<RegistryCredentials>> {
      int n = ++credential_calls;
      return std::optional<RegistryCredentials>(
          RegistryCredentials{"AWS", "token-" + std::to_string(n), ""});
    };
    options.retry = std::make_shared<RetryPolicy>(RetryOptions{.max_attempts = 3},
                                                  [] { return 0.0; });
    options.sleep = [this](std::chrono::milliseconds) { ++sleeps; };
    return RegistryClient(std::move(options));
  }

  std::vector<HttpRequest> Requests() const { return http_->requests(); }

  // Knobs.
  int accept_generation = 1;            // the token generation the registry accepts
  int expire_after = -1;                // after this many accepted requests, only the next generation works
  int throttle_heads = 0;               // answer this many HEADs with 429 first
  int fail_patches = 0;                 // answer this many PATCHes with 500 first
  std::string post_error_code;          // answer POST with 404 and this code
  std::string manifest_error;           // answer manifest PUTs with 400 TAG_INVALID and this message
  bool expire_with_403 = false;         // expiry answered as ECR does: 403 DENIED, not 401
  std::map<std::string, std::string> tag_digests;  // what manifest HEADs by tag answer
  std::set<std::string> mountable;      // "repo digest": a mount from repo succeeds
  int mount_status = 0;                 // answer mount POSTs with this (a token without pull on the source: 401)
  std::atomic<int> credential_calls{0};
  std::atomic<int> sleeps{0};

 private:
  Result<HttpResponse> Handle(const HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string* auth = FindHeader(r.headers, "authorization");
    std::string expected = "Basic " + Base64Encode("AWS:token-" + std::to_string(accept_generation));
    if (auth == nullptr || *auth != expected) {
      return HttpResponse{401, {{"WWW-Authenticate", "Basic realm=\"https://ecr\",service=\"ecr.amazonaws.com\""}},
                          R"({"errors":[{"code":"DENIED","message":"Your authorization token has expired."}]})"};
    }
    if (expire_after >= 0 && ++accepted_ > expire_after) {
      ++accept_generation;  // the old token stops working; the next one works
      expire_after = -1;
      if (expire_with_403) {
        // A HEAD's answer has no body, as HTTP has it: nothing says the token expired.
        return HttpResponse{403, {{"Content-Type", "application/json; charset=utf-8"}},
                            r.method == "HEAD" ? "" : R"({"errors":[{"code":"DENIED","message":"Your authorization token has expired. Reauthenticate and try again."}]})"};
      }
      return HttpResponse{401, {{"WWW-Authenticate", "Basic realm=\"https://ecr\""}}, ""};
    }
    if (r.method == "HEAD" && r.path.find("/manifests/") != std::string::npos) {
      std::string tag = r.path.substr(r.path.rfind('/') + 1);
      auto known = tag_digests.find(tag);
      if (known == tag_digests.end()) return HttpResponse{404, {}, ""};
      return HttpResponse{200, {{"Docker-Content-Digest", known->second}}, ""};
    }
    if (r.method == "HEAD") {
      if (throttle_heads > 0) {
        --throttle_heads;
        return HttpResponse{429, {}, ""};
      }
      return HttpResponse{stored_.count(r.path) ? 200 : 404, {}, ""};
    }
    if (r.method == "POST") {
      if (!post_error_code.empty()) {
        return HttpResponse{404, {}, R"({"errors":[{"code":")" + post_error_code +
                                         R"(","message":"The repository with name 'team/app' does not exist"}]})"};
      }
      if (r.query.starts_with("mount=") && mount_status != 0) {
        return HttpResponse{mount_status, {}, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"};
      }
      if (r.query.starts_with("mount=")) {
        size_t from = r.query.find("&from=");
        std::string digest = UriDecodeForTest(r.query.substr(6, from - 6));
        std::string repo = UriDecodeForTest(r.query.substr(from + 6));
        if (mountable.count(repo + " " + digest)) {
          stored_.insert("/v2/team/app/blobs/" + digest);
          return HttpResponse{201, {{"Location", "/v2/team/app/blobs/" + digest}, {"Docker-Content-Digest", digest}}, ""};
        }
      }
      ++sessions_;
      return HttpResponse{202, {{"Location", "/v2/team/app/blobs/uploads/u" + std::to_string(sessions_) + "?_state=s1"}}, ""};
    }
    if (r.method == "PATCH") {
      if (fail_patches > 0) {
        --fail_patches;
        return HttpResponse{500, {}, R"({"errors":[{"code":"UNKNOWN","message":"boom"}]})"};
      }
      patched_ += r.body;
      return HttpResponse{201, {{"Location", r.path + "?_state=s2"}}, ""};
    }
    if (r.method == "PUT" && r.path.find("/blobs/uploads/") != std::string::npos) {
      size_t d = r.query.find("digest=");
      std::string digest = UriDecodeForTest(r.query.substr(d + 7));
      stored_.insert("/v2/team/app/blobs/" + digest);
      return HttpResponse{201, {{"Docker-Content-Digest", digest}}, ""};
    }
    if (r.method == "PUT" && r.path.find("/manifests/") != std::string::npos) {
      if (!manifest_error.empty()) {
        return HttpResponse{400, {}, R"({"errors":[{"code":"TAG_INVALID","message":")" + manifest_error + R"("}]})"};
      }
      return HttpResponse{201, {{"Docker-Content-Digest", DigestOf(r.body)}}, ""};
    }
    return HttpResponse{405, {}, ""};
  }
  static std::string UriDecodeForTest(std::string s) {
    for (const auto& [encoded, plain] : {std::pair<std::string, std::string>{"%3A", ":"}, {"%2F", "/"}}) {
      for (size_t p = s.find(encoded); p != std::string::npos; p = s.find(encoded)) s.replace(p, 3, plain);
    }
    return s;
  }

  std::shared_ptr<FakeHttpClient> http_;
  std::mutex mutex_;
  std::set<std::string> stored_;
  int sessions_ = 0;
  int accepted_ = 0;
  std::string patched_;
};

Descriptor Blob(const std::string& bytes) {
  return {"application/octet-stream", DigestOf(bytes), bytes.size()};
}

BodyOpener BodyOf(const std::string& bytes, int* opens = nullptr) {
  return [bytes, opens]() -> Result<std::shared_ptr<BodySource>> {
    if (opens != nullptr) ++*opens;
    return StringBody(bytes);
  };
}

TEST(RegistryClientTest, FollowsRelativeLocationsWithStateQueriesAndAcceptsPatch201) {
  ScriptedRegistry registry;
  RegistryClient client = registry.Client();
  std::string bytes = "layer bytes";
  ASSERT_TRUE(client.PutBlob(Blob(bytes), BodyOf(bytes), nullptr).ok());

  auto requests = registry.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v2/team/app/blobs/uploads/");
  EXPECT_EQ(requests[1].method, "PATCH");
  EXPECT_EQ(requests[1].path, "/v2/team/app/blobs/uploads/u1");
  EXPECT_EQ(requests[1].query, "_state=s1");
  EXPECT_EQ(requests[1].body, bytes);
  EXPECT_EQ(requests[1].endpoint, "https://123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(requests[2].method, "PUT");
  EXPECT_EQ(requests[2].query, "_state=s2&digest=" + std::string("sha256%3A") + Sha256Hex(bytes));
  EXPECT_TRUE(requests[2].body.empty());
  EXPECT_EQ(registry.credential_calls, 1);
  auto has = client.HasBlob(Blob(bytes));
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
}

TEST(RegistryClientTest, AMountTheRegistryGrantsSendsNoBytes) {
  ScriptedRegistry registry;
  RegistryClient client = registry.Client();
  std::string bytes = "shared base layer";
  registry.mountable.insert("team/base " + DigestOf(bytes));
  int opens = 0;
  auto put = client.PutBlobFrom(Blob(bytes), BodyOf(bytes, &opens), nullptr, "team/base");
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  EXPECT_EQ(*put, BlobPut::kMounted);
  EXPECT_EQ(opens, 0);
  auto requests = registry.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v2/team/app/blobs/uploads/");
  EXPECT_EQ(requests[0].query, "mount=sha256%3A" + Sha256Hex(bytes) + "&from=team%2Fbase");
  EXPECT_TRUE(*client.HasBlob(Blob(bytes)));
}

TEST(RegistryClientTest, ADeclinedMountUploadsThroughTheSessionItOpened) {
  ScriptedRegistry registry;  // as ECR with blob mounting off: every mount gets a session
  RegistryClient client = registry.Client();
  std::string bytes = "not shared";
  auto put = client.PutBlobFrom(Blob(bytes), BodyOf(bytes), nullptr, "team/base");
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  EXPECT_EQ(*put, BlobPut::kUploaded);
  auto requests = registry.Requests();
  ASSERT_EQ(requests.size(), 3u);  // POST (mount asked, session given), PATCH, PUT: no extra call
  EXPECT_EQ(requests[0].query.substr(0, 6), "mount=");
  EXPECT_EQ(requests[1].method, "PATCH");
  EXPECT_EQ(requests[1].path, "/v2/team/app/blobs/uploads/u1");
  EXPECT_EQ(requests[2].method, "PUT");
  EXPECT_TRUE(*client.HasBlob(Blob(bytes)));

  // Mount only (no body to upload): declined, and the session is given back.
  auto only = client.PutBlobFrom(Blob("other"), nullptr, nullptr, "team/base");
  ASSERT_TRUE(only.ok()) << only.error().ToString();
  EXPECT_EQ(*only, BlobPut::kDeclined);
  requests = registry.Requests();
  EXPECT_EQ(requests.back().method, "DELETE");
  EXPECT_EQ(requests.back().path, "/v2/team/app/blobs/uploads/u2");
}

TEST(RegistryClientTest, AMountRefusedOutrightIsAnUploadNotAFailure) {
  for (int status : {401, 403, 404}) {
    ScriptedRegistry registry;  // as distribution with token auth: the token has no pull on the source
    registry.mount_status = status;
    RegistryClient client = registry.Client();
    std::string bytes = "layer " + std::to_string(status);
    auto put = client.PutBlobFrom(Blob(bytes), BodyOf(bytes), nullptr, "team/base");
    ASSERT_TRUE(put.ok()) << status << ": " << put.error().ToString();
    EXPECT_EQ(*put, BlobPut::kUploaded) << status;
    EXPECT_TRUE(*client.HasBlob(Blob(bytes))) << status;
    auto only = client.PutBlobFrom(Blob("x"), nullptr, nullptr, "team/base");
    ASSERT_TRUE(only.ok()) << status << ": " << only.error().ToString();
    EXPECT_EQ(*only, BlobPut::kDeclined) << status;
  }
}

TEST(RegistryClientTest, ZeroByteBlobIsCommittedWithoutAPatch) {
  ScriptedRegistry registry;
  RegistryClient client = registry.Client();
  ASSERT_TRUE(client.PutBlob(Blob(""), BodyOf(""), nullptr).ok());
  auto requests = registry.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].query, "_state=s1&digest=sha256%3A" + Sha256Hex(""));
}

TEST(RegistryClientTest, MissingRepositorySaysToCreateIt) {
  ScriptedRegistry registry;
  registry.post_error_code = "NAME_UNKNOWN";
  RegistryClient client = registry.Client();
  Status put = client.PutBlob(Blob("x"), BodyOf("x"), nullptr);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "NAME_UNKNOWN");
  EXPECT_NE(put.error().ToString().find("--create-repository"), std::string::npos)
      << put.error().ToString();
}

TEST(RegistryClientTest, ImmutableTagRefusalIsExplained) {
  ScriptedRegistry registry;
  registry.manifest_error =
      "The image tag 'v1' already exists in the 'team/app' repository and cannot be overwritten "
      "because the repository is immutable.";
  RegistryClient client = registry.Client();
  auto put = client.PutManifest("v1", "application/vnd.oci.image.manifest.v1+json", "{}");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "TAG_INVALID");
  EXPECT_NE(put.error().ToString().find("push a new tag"), std::string::npos)
      << put.error().ToString();
}

TEST(RegistryClientTest, TokenThatExpiresMidPushIsRenewedOnceAndTheRequestRetried) {
  ScriptedRegistry registry;
  registry.expire_after = 2;  // POST and PATCH pass, the PUT meets an expired token
  RegistryClient client = registry.Client();
  std::string bytes = "some layer";
  int opens = 0;
  ASSERT_TRUE(client.PutBlob(Blob(bytes), BodyOf(bytes, &opens), nullptr).ok());
  EXPECT_EQ(registry.credential_calls, 2);
  auto has = client.HasBlob(Blob(bytes));
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
  EXPECT_EQ(registry.credential_calls, 2);  // the renewed token keeps working
}

// Before the fix ECR's 403 for an expired token was "DENIED: may not push" and the push failed.
TEST(RegistryClientTest, EcrsExpiredToken403IsRenewedOnceToo) {
  ScriptedRegistry registry;
  registry.expire_after = 2;
  registry.expire_with_403 = true;
  RegistryClient client = registry.Client();
  std::string bytes = "another layer";
  ASSERT_TRUE(client.PutBlob(Blob(bytes), BodyOf(bytes), nullptr).ok());
  EXPECT_EQ(registry.credential_calls, 2);
  EXPECT_TRUE(IsExpiredTokenAnswer(HttpResponse{403, {}, R"({"errors":[{"code":"DENIED","message":"Your Authorization Token has expired."}]})"}, "PUT"));
  EXPECT_FALSE(IsExpiredTokenAnswer(HttpResponse{403, {}, R"({"errors":[{"code":"DENIED","message":"not allowed"}]})"}, "PUT"));
  EXPECT_FALSE(IsExpiredTokenAnswer(HttpResponse{401, {}, "token has expired"}, "PUT"));
  // A HEAD's 403 has no body: it may be the expired token. Seen in CI when the expiry fell on
  // a HeadBlob of the parallel uploads: "DENIED: the credentials may not push".
  EXPECT_TRUE(IsExpiredTokenAnswer(HttpResponse{403, {}, ""}, "HEAD"));
}

// The expiry falling on a HEAD (HeadBlob of one of the parallel uploads): a bodyless 403.
TEST(RegistryClientTest, AnExpiredTokensBodyless403ToAHeadIsRenewedOnce) {
  ScriptedRegistry registry;
  registry.expire_after = 1;
  registry.expire_with_403 = true;
  RegistryClient client = registry.Client();
  std::string bytes = "a layer";
  ASSERT_TRUE(client.HasBlob(Blob(bytes)).ok());
  auto second = client.HasBlob(Blob(bytes));
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(registry.credential_calls, 2);
}

TEST(RegistryClientTest, TagDigestHeadsTheManifestAcceptingEveryType) {
  ScriptedRegistry registry;
  registry.tag_digests["v1"] = "sha256:" + std::string(64, 'a');
  RegistryClient client = registry.Client();
  auto known = client.TagDigest("v1");
  ASSERT_TRUE(known.ok()) << known.error().ToString();
  ASSERT_TRUE(known->has_value());
  EXPECT_EQ(**known, "sha256:" + std::string(64, 'a'));
  HttpRequest head = registry.Requests().back();
  EXPECT_EQ(head.method, "HEAD");
  const std::string* accept = FindHeader(head.headers, "accept");
  ASSERT_NE(accept, nullptr);
  EXPECT_NE(accept->find("application/vnd.oci.image.index.v1+json"), std::string::npos) << *accept;
  EXPECT_NE(accept->find("application/vnd.docker.distribution.manifest.v2+json"), std::string::npos);
  auto missing = client.TagDigest("v2");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(RegistryClientTest, CredentialsRefusedAfterRenewalAreAnErrorNotALoop) {
  ScriptedRegistry registry;
  registry.accept_generation = 99;  // no token the client can get is accepted
  RegistryClient client = registry.Client();
  auto has = client.HasBlob(Blob("x"));
  ASSERT_FALSE(has.ok());
  EXPECT_EQ(has.error().http_status, 401);
  EXPECT_LE(registry.credential_calls, 2);
  EXPECT_LE(registry.Requests().size(), 2u);
}

TEST(RegistryClientTest, ThrottledRequestsAreRetriedWithBackoff) {
  ScriptedRegistry registry;
  registry.throttle_heads = 2;
  RegistryClient client = registry.Client();
  auto has = client.HasBlob(Blob("x"));
  ASSERT_TRUE(has.ok()) << has.error().ToString();
  EXPECT_FALSE(*has);
  EXPECT_EQ(registry.sleeps, 2);
  EXPECT_EQ(registry.Requests().size(), 3u);
}

TEST(RegistryClientTest, UploadFailingMidwayStartsANewSession) {
  ScriptedRegistry registry;
  registry.fail_patches = 1;
  RegistryClient client = registry.Client();
  std::string bytes = "retry me";
  int opens = 0;
  ASSERT_TRUE(client.PutBlob(Blob(bytes), BodyOf(bytes, &opens), nullptr).ok());
  EXPECT_EQ(opens, 2);
  int posts = 0;
  for (const auto& r : registry.Requests()) posts += r.method == "POST";
  EXPECT_EQ(posts, 2);
}

TEST(RegistryClientTest, BodyThatFailsVerificationIsNotCommittedOrRetried) {
  ScriptedRegistry registry;
  RegistryClient client = registry.Client();
  BodyOpener failing = []() -> Result<std::shared_ptr<BodySource>> {
    return CallbackBody(
        4, [](char*, size_t) -> Result<size_t> { return Error::InvalidArgument("does not match its digest"); },
        [] { return Status::Ok(); });
  };
  Descriptor blob{"application/octet-stream", DigestOf("abcd"), 4};
  Status put = client.PutBlob(blob, failing, nullptr);
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.error().message.find("does not match"), std::string::npos);
  for (const auto& r : registry.Requests()) EXPECT_NE(r.method, "PUT");
}

TEST(RegistryClientTest, BearerChallengeFetchesATokenForPushScope) {
  auto http = std::make_shared<FakeHttpClient>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.endpoint == "https://auth.example") {
      if (r.path != "/token") return HttpResponse{404, {}, ""};
      return HttpResponse{200, {}, R"({"token":"tok-1","expires_in":300})"};
    }
    const std::string* auth = FindHeader(r.headers, "authorization");
    if (auth == nullptr || *auth != "Bearer tok-1") {
      return HttpResponse{401,
                          {{"WWW-Authenticate",
                            R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull")"}},
                          ""};
    }
    return HttpResponse{404, {}, ""};
  });
  RegistryClientOptions options;
  options.http = http;
  options.endpoint = "https://registry.example";
  options.host = "registry.example";
  options.repository = "team/app";
  options.credentials = []() -> Result<std::optional<RegistryCredentials>> {
    return std::optional<RegistryCredentials>(RegistryCredentials{"u", "p", ""});
  };
  RegistryClient client(std::move(options));
  auto has = client.HasBlob(Blob("x"));
  ASSERT_TRUE(has.ok()) << has.error().ToString();
  EXPECT_FALSE(*has);
  auto requests = http->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].endpoint, "https://auth.example");
  EXPECT_NE(requests[1].query.find("scope=repository%3Ateam%2Fapp%3Apull%2Cpush"), std::string::npos)
      << requests[1].query;
  EXPECT_NE(requests[1].query.find("service=registry.example"), std::string::npos);
}

TEST(RegistryClientTest, AbsoluteLocationNamingTheImageHostStaysOnTheRegistryEndpoint) {
  auto http = std::make_shared<FakeHttpClient>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "POST") {
      return HttpResponse{202, {{"Location", "https://registry.example/v2/team/app/blobs/uploads/abc"}}, ""};
    }
    if (r.method == "PATCH") {
      return HttpResponse{202, {{"Location", "https://registry.example/v2/team/app/blobs/uploads/abc?s=2"}}, ""};
    }
    return HttpResponse{201, {}, ""};
  });
  RegistryClientOptions options;
  options.http = http;
  options.endpoint = "http://127.0.0.1:5000";  // --registry-endpoint
  options.host = "registry.example";
  options.repository = "team/app";
  RegistryClient client(std::move(options));
  ASSERT_TRUE(client.PutBlob(Blob("abc"), BodyOf("abc"), nullptr).ok());
  for (const auto& r : http->requests()) {
    EXPECT_EQ(r.endpoint, "http://127.0.0.1:5000") << r.method << " " << r.path;
  }
}

TEST(RegistryClientTest, RegistryErrorBodiesBecomeOneLineErrors) {
  HttpResponse response{403, {}, R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})"};
  Error error = ParseRegistryError(response, "PutManifest", "team/app");
  EXPECT_EQ(error.code, "DENIED");
  EXPECT_EQ(error.http_status, 403);
  std::string text = error.ToString();
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find("team/app"), std::string::npos) << text;

  HttpResponse html{502, {}, "<html>\n<body>Bad gateway</body>\n</html>"};
  Error gateway = ParseRegistryError(html, "HeadBlob", "team/app");
  EXPECT_TRUE(gateway.retryable);
  EXPECT_EQ(gateway.ToString().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace sluice
