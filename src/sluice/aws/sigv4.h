// AWS Signature Version 4: header signing and presigned URLs. Pure: the time is an input, the
// credentials are an input, nothing is read from the clock or the network. The stages
// (canonical request -> string to sign -> signature) are returned for tests and --verbose.
//
// Path rules differ by service:
//  - Most services: the wire path is normalised ("." and ".." removed, "//" collapsed) and then
//    URI-encoded again ("double encoding").
//  - S3: the wire path (the key encoded once) is used exactly as sent; a key like "a//b/../c" must
//    be signed as it is. S3 also wants the x-amz-content-sha256 header, possibly
//    "UNSIGNED-PAYLOAD".
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "sluice/aws/credentials/credentials.h"
#include "sluice/net/http.h"
#include "sluice/util/clock.h"
#include "sluice/util/crypto.h"

namespace sluice {

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "s3", "ecs", "sts", "logs", ...
  SystemTime time;
  bool normalize_path = true;     // false for S3
  bool double_uri_encode = true;  // false for S3
  // Adds x-amz-content-sha256 to the signed headers (S3 always; optional elsewhere).
  bool add_content_sha256_header = false;
  // Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD". Empty: computed from request.body (a request
  // with a body_source must give its hash, or UNSIGNED-PAYLOAD).
  std::string payload_hash;
  // Signs without the session token and adds it afterwards (a few services want that).
  bool omit_session_token = false;
  std::chrono::seconds expires{3600};  // presigned URLs only

  static SigningParams ForService(std::string region, std::string service, SystemTime time);
  static SigningParams ForS3(std::string region, SystemTime time);
};

// What signing produced, stage by stage.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // hex
  std::string signed_headers;  // "host;x-amz-date"
};

// Formats a time as SigV4 wants it: "20150830T123600Z".
std::string FormatAmzDate(SystemTime time);

class SigV4Signer {
 public:
  // Adds X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256 (when asked) and Authorization
  // to request.headers. request.headers must contain "host". Headers already named
  // Authorization or X-Amz-Date are replaced.
  Result<SigningResult> SignHeaders(HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params);

  // Appends X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Security-Token and
  // -Signature to request.query, making request.Url() a presigned URL.
  Result<SigningResult> Presign(HttpRequest& request, const Credentials& credentials,
                                const SigningParams& params);

  // The stages alone, without touching the request (for tests). The request must already carry
  // the X-Amz-Date header (header signing) or the X-Amz-* query parameters (presigning).
  static std::string CanonicalRequest(const HttpRequest& request, const SigningParams& params,
                                      std::string* signed_headers_out);
  static std::string StringToSign(const std::string& canonical_request, const SigningParams& params);

 private:
  // The derived signing key depends only on (secret, date, region, service): cache the last
  // one, since a process signs thousands of requests a day with the same four.
  Sha256Digest SigningKey(const std::string& secret, const std::string& date,
                          const std::string& region, const std::string& service);

  std::mutex key_mutex_;
  std::string key_secret_, key_date_, key_region_, key_service_;
  Sha256Digest key_{};
  bool key_valid_ = false;
};

}  // namespace sluice
