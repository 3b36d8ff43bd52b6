// Percent-encoding as AWS defines it (RFC 3986 unreserved characters kept: A-Z a-z 0-9 - . _ ~),
// and small URL helpers. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

// Encodes every byte but the unreserved ones; '/' is kept when keep_slash is true (paths).
std::string UriEncode(std::string_view text, bool keep_slash = false);
// Decodes %XX escapes ('+' stays '+'). Invalid escapes are kept as they are.
std::string UriDecode(std::string_view text);
// Decodes application/x-www-form-urlencoded text: '+' is a space (as in S3 event keys).
std::string FormDecode(std::string_view text);

// Removes "." and ".." segments and collapses repeated slashes (the SigV4 path normalisation for
// services other than S3). Keeps a trailing slash.
std::string NormalizePath(std::string_view path);

// Builds "a=1&b=2" with keys and values UriEncoded, in the given order.
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

struct ParsedUrl {
  std::string scheme;  // "https"
  std::string host;    // "s3.amazonaws.com" or "127.0.0.1" (IPv6 without brackets)
  int port = 0;        // 0 when the URL names none
  std::string path;    // "/" when empty
  std::string query;   // without '?'

  // scheme://host[:port]; the port only when it is not the scheme's default.
  std::string Endpoint() const;
  // host[:port] as sent in the Host header.
  std::string HostHeader() const;
};

// Parses an absolute http(s) URL; false when it is not one.
bool ParseUrl(std::string_view url, ParsedUrl* out);

}  // namespace sluice
