// The OCI distribution API's push side, one method per protocol step (as go-containerregistry's
// remote.writer has): HEAD a blob, upload one (POST, PATCH with the whole stream, PUT ?digest=),
// PUT a manifest. `Registry` is the interface the push logic uses, so it is tested against an
// in-memory registry; `RegistryClient` is the HTTP implementation.
//
// Authentication follows the registry's 401 challenge: Basic with the configured credentials,
// or Bearer with a token fetched from the challenge's realm for "repository:REPO:pull,push".
// ECR gets Basic up front (its challenge is always Basic). A 401 after authenticating, or ECR's
// 403 "Your authorization token has expired", renews the credentials once and retries the
// request.
// 429, 5xx and network failures are retried with the standard mode's backoff; an upload that
// fails midway restarts from a new upload session. ECR's ways are handled: PATCH answered 201,
// relative Location headers with query strings, zero-byte blobs (PUT with no PATCH).
// Thread-safe: blobs are uploaded from several threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/net/http.h"
#include "sluice/net/retry_policy.h"
#include "sluice/oci/oci_types.h"
#include "sluice/registry/registry_auth.h"
#include "sluice/util/result.h"

namespace sluice {

// Opens a fresh body for one attempt at uploading a blob.
using BodyOpener = std::function<Result<std::shared_ptr<BodySource>>()>;
// Bytes of the blob sent so far (called from the uploading thread; may go back on a retry).
using UploadProgress = std::function<void(uint64_t sent)>;

// What PutBlobFrom did with a blob.
enum class BlobPut {
  kUploaded,  // the bytes were sent
  kMounted,   // the registry mounted it from the other repository: nothing was sent
  kDeclined,  // mount only (no opener): the registry did not mount it; nothing was sent
};

class Registry {
 public:
  virtual ~Registry() = default;
  // Whether the repository already has the blob.
  virtual Result<bool> HasBlob(const Descriptor& blob) = 0;
  // Uploads the blob; with `mount_from` (another repository of the same registry), first asks
  // the registry to mount it from there (POST ?mount=DIGEST&from=REPO). A registry that
  // declines answers with an upload session, which the upload then uses: a declined mount costs
  // nothing. With a null `open`, only the mount is asked for (kDeclined when refused).
  virtual Result<BlobPut> PutBlobFrom(const Descriptor& blob, const BodyOpener& open,
                                      const UploadProgress& progress,
                                      const std::string& mount_from) = 0;
  Status PutBlob(const Descriptor& blob, const BodyOpener& open, const UploadProgress& progress) {
    auto put = PutBlobFrom(blob, open, progress, "");
    return put.ok() ? Status::Ok() : Status(put.error());
  }
  // Stores a manifest or index under `reference` (a tag or its digest); returns the digest the
  // registry computed (Docker-Content-Digest), or the bytes' own when it sends none.
  virtual Result<std::string> PutManifest(const std::string& reference,
                                          const std::string& media_type,
                                          const std::string& bytes) = 0;
  // The digest a tag names in the repository now, or nullopt when it names nothing.
  virtual Result<std::optional<std::string>> TagDigest(const std::string& tag) = 0;
};

// Where credentials come from, asked again when the registry refuses the ones it had (ECR tokens
// expire after 12 hours). nullopt: none (anonymous, or a bearer realm that allows it).
using CredentialSource = std::function<Result<std::optional<RegistryCredentials>>()>;

struct RegistryClientOptions {
  std::shared_ptr<HttpClient> http;
  std::string endpoint;    // scheme://host[:port] the requests go to
  std::string host;        // the image name's registry host (Location headers may name it)
  std::string repository;  // "team/app"
  CredentialSource credentials;
  bool basic_up_front = false;  // send Basic with the first request (ECR)
  std::shared_ptr<RetryPolicy> retry;
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this_thread::sleep_for
};

class RegistryClient : public Registry {
 public:
  explicit RegistryClient(RegistryClientOptions options);

  Result<bool> HasBlob(const Descriptor& blob) override;
  Result<BlobPut> PutBlobFrom(const Descriptor& blob, const BodyOpener& open,
                              const UploadProgress& progress, const std::string& mount_from) override;
  Result<std::string> PutManifest(const std::string& reference, const std::string& media_type,
                                  const std::string& bytes) override;
  // HEAD of the manifest, accepting every manifest and index type (Docker-Content-Digest).
  Result<std::optional<std::string>> TagDigest(const std::string& tag) override;

  // GET /v2/: checks the registry answers and the credentials work (authenticating if asked).
  Status Ping();

 private:
  // Sends with authentication; with `retry`, also retries throttling, 5xx and network errors
  // (rewinding the body). A 401 that survives re-authenticating is returned as it is.
  Result<HttpResponse> Send(HttpRequest request, std::string_view operation, bool retry);
  // Sets the Authorization for the next requests from the 401 `response`'s challenge (or Basic
  // up front when null), unless another thread already renewed it since `seen_generation`.
  Status Authenticate(const HttpResponse* response, int seen_generation);
  // The next attempt's delay, or nullopt to give up.
  std::optional<std::chrono::milliseconds> RetryDelay(int attempt, const Error& error,
                                                      const HttpResponse* response);

  // One POST/PATCH/PUT sequence (the POST asking for a mount when `mount_from` is given);
  // errors say whether a new session could succeed.
  Result<BlobPut> UploadOnce(const Descriptor& blob, const BodyOpener& open,
                             const UploadProgress& progress, const std::string& mount_from);
  Result<HttpRequest> RequestForLocation(const HttpResponse& response, std::string_view method,
                                         std::string_view operation);
  HttpRequest NewRequest(std::string_view method, std::string path) const;
  Error RegistryError(const HttpResponse& response, std::string_view operation) const;

  RegistryClientOptions options_;
  std::mutex auth_mutex_;  // held while authenticating, so only one thread fetches credentials
  std::mutex mutex_;
  std::string authorization_;  // guarded by mutex_: the header value in use, or ""
  int auth_generation_ = 0;    // guarded by mutex_: bumped each time authorization_ changes
};

// ECR's answer to an expired token: 403 DENIED "Your authorization token has expired" (pure).
// The answer to a HEAD has no body to say so: any 403 to a HEAD may be it (renewing once costs
// one token call; a real denial is then reported as such).
bool IsExpiredTokenAnswer(const HttpResponse& response, std::string_view method);

// Whether a PutManifest error is a tag the repository will not move (ECR's immutable tags
// answer TAG_INVALID "... cannot be overwritten because the repository is immutable").
bool IsImmutableTagError(const Error& error);

// Reads a registry's error body ({"errors":[{"code","message"}]}) into an Error; adds what to
// do for the codes users meet (NAME_UNKNOWN, DENIED, an immutable tag).
Error ParseRegistryError(const HttpResponse& response, std::string_view operation,
                         std::string_view repository);

}  // namespace sluice
