// One S3 object read and replaced only if nobody replaced it meanwhile (S3 conditional writes:
// If-Match on the ETag last seen, If-None-Match: * for "only if there is none"): the few calls
// a leased state needs, behind an interface so that its logic is tested without a network.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "sluice/util/result.h"

namespace sluice {

struct ClientContext;

struct StoredObject {
  std::string body;
  std::string etag;
  // How long ago it was last written, in the store's own clock (S3's Date minus Last-Modified).
  std::optional<std::chrono::milliseconds> age;
};

class ConditionalObject {
 public:
  virtual ~ConditionalObject() = default;
  // nullopt when there is no object.
  virtual Result<std::optional<StoredObject>> Get() = 0;
  // Its ETag alone (HEAD), cheaper than Get for a large state; nullopt when there is none.
  virtual Result<std::optional<std::string>> CurrentEtag() = 0;
  // Writes `body` only if the object's ETag is still `if_match` (empty: only if there is no
  // object). Returns the new ETag. A condition that failed is an error for which
  // IsConditionFailure() holds.
  virtual Result<std::string> Put(const std::string& body, const std::string& if_match) = 0;
  virtual const std::string& uri() const = 0;
};

// 412 PreconditionFailed, 409 ConditionalRequestConflict, or 404 NoSuchKey to an If-Match write.
bool IsConditionFailure(const Error& e);

// The object `uri` (s3://bucket/key) names, over an S3 client of its own whose calls run to
// their end after a signal (the last write is what a successor resumes from). An
// Error::InvalidArgument, naming `flag`, when `uri` names no object.
Result<std::unique_ptr<ConditionalObject>> OpenS3ConditionalObject(
    const std::string& uri, const std::string& flag, std::shared_ptr<const ClientContext> context);

}  // namespace sluice
