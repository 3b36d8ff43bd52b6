// Error: the one error type of the library. It carries what a user needs to act on a failure
// (which service and operation, the HTTP status, AWS's error code and message, the request id)
// and whether retrying could help. Tools print it with ToString() as one line.
#pragma once

#include <string>

namespace sluice {

enum class ErrorKind {
  kService,          // the service answered with an error (http_status and code are set)
  kNetwork,          // connection refused/reset, DNS, TLS: the request may not have arrived
  kTimeout,          // connect or idle timeout
  kCredentials,      // no credentials, or a credential source failed
  kConfig,           // bad configuration: region, endpoint, profile, flags
  kParse,            // a response or file could not be understood
  kInvalidArgument,  // the caller passed something invalid
  kIo,               // local file or process I/O
  kInterrupted,      // a signal asked us to stop
};

struct Error {
  ErrorKind kind = ErrorKind::kService;
  std::string service;    // "s3", "ecs", ... (empty when not a service call)
  std::string operation;  // "PutObject", ...
  int http_status = 0;
  std::string code;     // AWS error code, e.g. "SignatureDoesNotMatch"
  std::string message;  // human-readable text (already free of secrets)
  std::string request_id;
  // The region the service says the resource lives in: S3's x-amz-bucket-region header or the
  // <Region> of its error body, when a bucket is asked for in another region.
  std::string region;
  bool retryable = false;

  // "s3 PutObject: SignatureDoesNotMatch (HTTP 403): The request signature... [request id X]"
  std::string ToString() const;

  static Error Network(std::string message);
  static Error Timeout(std::string message);
  static Error Credentials(std::string message);
  static Error Config(std::string message);
  static Error Parse(std::string message);
  static Error InvalidArgument(std::string message);
  static Error Io(std::string message);
  static Error Interrupted(std::string message);
};

}  // namespace sluice
