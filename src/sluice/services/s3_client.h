// S3 over REST-XML: the object calls the tools build on. Addressing follows the SDKs:
// virtual-hosted style (bucket.s3.region.amazonaws.com) on AWS, path style (endpoint/bucket/key)
// for custom endpoints, bucket names with dots, or the profile's s3.addressing_style = path.
// Keys are encoded once and signed exactly as sent (see sigv4.h). Thread-safe.
//
// Two things real S3 does that every call goes through (botocore does the same):
//   - A bucket in another region than the client's is answered 301 (a HEAD: no body, only the
//     x-amz-bucket-region header) or 400 AuthorizationHeaderMalformed naming the <Region>. The
//     request is re-sent once, addressed and signed for that region; the bucket's region is
//     remembered for later calls and said once on stderr.
//   - A HEAD that fails with 400 or 403 has no body to say why. One signed GET (a one-byte range
//     of the object, or ?location of the bucket) learns the real code: SignatureDoesNotMatch,
//     InvalidAccessKeyId, AccessDenied, or an object encrypted with a customer key (SSE-C).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sluice/aws/service_client.h"
#include "sluice/util/clock.h"
#include "sluice/util/result.h"

namespace sluice {

struct S3Object {
  std::string key;
  std::string etag;  // with its quotes removed
  uint64_t size = 0;
  SystemTime last_modified;
  std::string version_id;  // when the bucket is versioned and the call returns it
  std::string storage_class;
};

// A write that happens only if the object is as the caller last saw it (S3 conditional writes):
// If-Match with its ETag, or If-None-Match: * for "only if there is none". A failed condition
// is an Error with http_status 412 (PreconditionFailed), 404 (If-Match on a missing object) or
// 409 (ConditionalRequestConflict: another conditional write raced this one).
struct S3WriteCondition {
  std::string if_match;         // the ETag the object must still have
  bool if_none_exists = false;  // If-None-Match: *
};

// An object's bytes and metadata, and when S3 answered (its Date header: ages measured in S3's
// own clock, free of this machine's clock skew).
struct S3ObjectRead {
  S3Object object;
  std::string body;
  std::optional<SystemTime> served_at;
};

struct HeadObjectResult {
  bool not_modified = false;  // 304: If-None-Match matched; `object` holds only what was sent
  S3Object object;
};

struct ListObjectsPage {
  std::vector<S3Object> objects;
  std::vector<std::string> common_prefixes;
  std::string next_continuation_token;  // empty on the last page
};

struct ListObjectsParams {
  std::string prefix;
  std::string delimiter;
  std::string continuation_token;
  std::string start_after;
  int max_keys = 0;  // 0: the service default (1,000)
};

// Where an S3 request for bucket/key goes (pure; for tests).
struct S3Address {
  std::string endpoint;  // scheme://host[:port]
  std::string path;      // encoded once
};
S3Address AddressS3(const ResolvedEndpoint& endpoint, std::string_view bucket, std::string_view key, bool force_path_style);

// Parses a ListObjectsV2 response body (pure; for tests). Keys are URL-decoded when the
// response says EncodingType=url.
Result<ListObjectsPage> ParseListObjectsV2(std::string_view xml);

class S3Client {
 public:
  static Result<std::unique_ptr<S3Client>> Make(std::shared_ptr<const ClientContext> context);

  Status CreateBucket(const std::string& bucket);
  // Uploads a body held in memory (its SHA-256 is signed).
  Result<S3Object> PutObject(const std::string& bucket, const std::string& key, std::string body,
                             const std::string& content_type = "",
                             const S3WriteCondition& condition = {});
  // Streams a body from a source of known length (signed as UNSIGNED-PAYLOAD; TLS protects it).
  Result<S3Object> PutObject(const std::string& bucket, const std::string& key,
                             std::shared_ptr<BodySource> body, const std::string& content_type = "");
  Result<std::string> GetObject(const std::string& bucket, const std::string& key);
  Result<S3ObjectRead> ReadObject(const std::string& bucket, const std::string& key);
  // Streams the object's bytes to `sink`; returns its metadata.
  Result<S3Object> GetObject(const std::string& bucket, const std::string& key,
                             std::function<bool(std::string_view)> sink);
  // HEAD with an optional If-None-Match ETag: a 304 costs the least when nothing changed.
  Result<HeadObjectResult> HeadObject(const std::string& bucket, const std::string& key,
                                      const std::string& if_none_match = "");
  Result<ListObjectsPage> ListObjectsV2(const std::string& bucket, const ListObjectsParams& params);
  // Every object under a prefix, following continuation tokens.
  Result<std::vector<S3Object>> ListAllObjects(const std::string& bucket, const std::string& prefix);
  Status DeleteObject(const std::string& bucket, const std::string& key);
  // Whether the bucket exists and may be read: a HEAD on a missing object cannot tell a missing
  // bucket from a missing key (neither has a body), this can. Needs s3:ListBucket without an
  // s3:prefix condition; a caller that may list only a prefix checks with ListObjectsV2.
  Status HeadBucket(const std::string& bucket);
  // The region S3 says the bucket is in, once a call learnt it elsewhere ("" otherwise).
  std::string LearntRegion(const std::string& bucket) const;
  // Sends every object-created and object-removed event of the bucket to an SQS queue.
  Status NotifyQueue(const std::string& bucket, const std::string& queue_arn);

  // This client's calls run to their end (or their timeouts) after a signal, rather than being
  // aborted with the tool's other calls: for the last save of a --state.
  void FinishCallsAfterInterrupt() { finish_after_interrupt_ = true; }

  ServiceClient& service() { return *client_; }

 private:
  S3Client(std::shared_ptr<const ClientContext> context, std::shared_ptr<ServiceClient> client,
           bool force_path_style)
      : context_(std::move(context)), client_(std::move(client)), force_path_style_(force_path_style) {}

  // Sends `request` (method, query, headers, body; the address is filled in here) for
  // bucket/key to the bucket's region, following a region redirect and explaining a bodyless
  // HEAD error as the class comment says.
  Result<HttpResponse> Send(std::string_view operation, const std::string& bucket,
                            std::string_view key, HttpRequest request,
                            const CallOptions& options = {});
  Result<HttpResponse> SendTo(ServiceClient& client, std::string_view operation,
                              std::string_view bucket, std::string_view key, HttpRequest request,
                              const CallOptions& options);
  // The client for the bucket's region (the learnt one, else the tool's).
  std::shared_ptr<ServiceClient> ClientFor(const std::string& bucket);
  Result<std::shared_ptr<ServiceClient>> ClientForRegion(const std::string& region);
  // The region a redirect-shaped error points at: from the error itself, else from one HEAD of
  // the bucket (whose answer always carries x-amz-bucket-region). "" when it is no redirect.
  std::string RedirectRegion(ServiceClient& client, std::string_view operation,
                             std::string_view method, const std::string& bucket, const Error& e);
  // Replaces a bodyless HEAD error's code and message with what a signed GET is told.
  void ExplainBodylessHead(ServiceClient& client, std::string_view bucket, std::string_view key,
                           Error& e);

  std::shared_ptr<const ClientContext> context_;
  std::shared_ptr<ServiceClient> client_;  // the tool's region
  bool force_path_style_;
  bool finish_after_interrupt_ = false;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> bucket_regions_;                      // learnt, by bucket
  std::map<std::string, std::shared_ptr<ServiceClient>> regional_clients_;  // by region
};

}  // namespace sluice
