// SigV4 in three stages over one request: canonical request, string to sign, signature.
// See sigv4.h for the S3-versus-other-services rules; the references are the SigV4 docs and
// aws-c-auth's aws_signing.c, whose test suite tests/data/aws-signing-test-suite reproduces.
#include "sluice/aws/sigv4.h"

#include <algorithm>
#include <ctime>
#include <vector>

#include "sluice/util/uri.h"

namespace sluice {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// Headers a proxy or the HTTP stack may add, drop or rewrite on the way: signing them would
// make a correct request fail verification (aws-c-auth skips the same ones).
bool IsUnsignedHeader(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "user-agent" ||
         lower_name == "x-amzn-trace-id" || lower_name == "expect" ||
         lower_name == "connection" || lower_name == "transfer-encoding" ||
         lower_name == "proxy-authorization" || lower_name == "upgrade";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims the value and collapses each run of whitespace (also the line breaks of a folded
// header) into one space.
void AppendCanonicalValue(std::string& out, std::string_view value) {
  size_t i = 0, n = value.size();
  while (i < n && IsSpace(value[i])) ++i;
  while (n > i && IsSpace(value[n - 1])) --n;
  bool in_space = false;
  for (; i < n; ++i) {
    if (IsSpace(value[i])) {
      in_space = true;
      continue;
    }
    if (in_space) out += ' ';
    in_space = false;
    out += value[i];
  }
}

struct CanonicalHeader {
  std::string name;  // lower case
  std::string value;  // canonical; several headers of one name joined with ','
};

// The headers to sign, sorted by name, duplicates joined in the order they appear.
std::vector<CanonicalHeader> CanonicalHeaders(const HttpHeaders& headers) {
  std::vector<CanonicalHeader> out;
  out.reserve(headers.size());
  for (const HttpHeader& header : headers) {
    std::string name = ToLower(header.name);
    if (IsUnsignedHeader(name)) continue;
    auto existing = std::find_if(out.begin(), out.end(),
                                 [&](const CanonicalHeader& h) { return h.name == name; });
    if (existing != out.end()) {
      existing->value += ',';
      AppendCanonicalValue(existing->value, header.value);
      continue;
    }
    CanonicalHeader h{std::move(name), {}};
    AppendCanonicalValue(h.value, header.value);
    out.push_back(std::move(h));
  }
  // Names are unique after merging, so an unstable sort is enough.
  std::sort(out.begin(), out.end(),
                   [](const CanonicalHeader& a, const CanonicalHeader& b) { return a.name < b.name; });
  return out;
}

std::string SignedHeaderNames(const std::vector<CanonicalHeader>& headers) {
  std::string out;
  for (const CanonicalHeader& h : headers) {
    if (!out.empty()) out += ';';
    out += h.name;
  }
  return out;
}

// Each parameter decoded and encoded again, so a query written either way ("%E1%88%B4" or the
// raw UTF-8) signs the same; sorted by name, then value.
std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    size_t end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view key = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      params.emplace_back(UriEncode(UriDecode(key)), UriEncode(UriDecode(value)));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalPath(std::string_view wire_path, const SigningParams& params) {
  std::string path = params.normalize_path ? NormalizePath(wire_path) : std::string(wire_path);
  if (params.double_uri_encode) path = UriEncode(path, /*keep_slash=*/true);
  if (path.empty()) path = "/";
  return path;
}

std::string Scope(const std::string& date, const SigningParams& params) {
  return date + "/" + params.region + "/" + params.service + "/aws4_request";
}

Result<std::string> PayloadHash(const HttpRequest& request, const SigningParams& params) {
  if (!params.payload_hash.empty()) return params.payload_hash;
  if (request.body_source) {
    return Error::InvalidArgument(
        "a streamed request body must be signed with its SHA-256 or UNSIGNED-PAYLOAD");
  }
  return Sha256Hex(request.body);
}

std::string BuildCanonicalRequest(const HttpRequest& request, const SigningParams& params,
                                  const std::vector<CanonicalHeader>& headers,
                                  const std::string& signed_headers,
                                  const std::string& payload_hash) {
  std::string out;
  out.reserve(256 + request.path.size() + request.query.size());
  out += request.method;
  out += '\n';
  out += CanonicalPath(request.path, params);
  out += '\n';
  out += CanonicalQuery(request.query);
  out += '\n';
  for (const CanonicalHeader& h : headers) {
    out += h.name;
    out += ':';
    out += h.value;
    out += '\n';
  }
  out += '\n';
  out += signed_headers;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string BuildStringToSign(const std::string& canonical_request, const SigningParams& params,
                              const std::string& amz_date) {
  std::string out;
  out.reserve(160);
  out += kAlgorithm;
  out += '\n';
  out += amz_date;
  out += '\n';
  out += Scope(amz_date.substr(0, 8), params);
  out += '\n';
  out += Sha256Hex(canonical_request);
  return out;
}

bool HasHost(const std::vector<CanonicalHeader>& headers) {
  return std::any_of(headers.begin(), headers.end(),
                     [](const CanonicalHeader& h) { return h.name == "host"; });
}

}  // namespace

SigningParams SigningParams::ForService(std::string region, std::string service, SystemTime time) {
  SigningParams p;
  p.region = std::move(region);
  p.service = std::move(service);
  p.time = time;
  return p;
}

SigningParams SigningParams::ForS3(std::string region, SystemTime time) {
  SigningParams p = ForService(std::move(region), "s3", time);
  p.normalize_path = false;
  p.double_uri_encode = false;
  p.add_content_sha256_header = true;
  return p;
}

std::string FormatAmzDate(SystemTime time) {
  // Civil date from days since the epoch (Howard Hinnant's algorithm): gmtime_r takes the
  // time-zone lock and strftime parses a format, which showed up in every signature.
  int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[17];
  auto put = [&](int pos, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[pos + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, year, 4);
  put(4, month, 2);
  put(6, day, 2);
  buf[8] = 'T';
  put(9, rest / 3600, 2);
  put(11, rest % 3600 / 60, 2);
  put(13, rest % 60, 2);
  buf[15] = 'Z';
  return std::string(buf, 16);
}

std::string SigV4Signer::CanonicalRequest(const HttpRequest& request, const SigningParams& params,
                                          std::string* signed_headers_out) {
  auto headers = CanonicalHeaders(request.headers);
  std::string signed_headers = SignedHeaderNames(headers);
  if (signed_headers_out != nullptr) *signed_headers_out = signed_headers;
  auto hash = PayloadHash(request, params);
  return BuildCanonicalRequest(request, params, headers, signed_headers,
                               hash.ok() ? *hash : std::string(kUnsignedPayload));
}

std::string SigV4Signer::StringToSign(const std::string& canonical_request,
                                      const SigningParams& params) {
  return BuildStringToSign(canonical_request, params, FormatAmzDate(params.time));
}

Sha256Digest SigV4Signer::SigningKey(const std::string& secret, const std::string& date,
                                     const std::string& region, const std::string& service) {
  std::lock_guard lock(key_mutex_);
  if (key_valid_ && key_date_ == date && key_region_ == region && key_service_ == service &&
      key_secret_ == secret) {
    return key_;
  }
  Sha256Digest k_date = HmacSha256("AWS4" + secret, date);
  auto view = [](const Sha256Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
  };
  Sha256Digest k_region = HmacSha256(view(k_date), region);
  Sha256Digest k_service = HmacSha256(view(k_region), service);
  key_ = HmacSha256(view(k_service), "aws4_request");
  key_secret_ = secret;
  key_date_ = date;
  key_region_ = region;
  key_service_ = service;
  key_valid_ = true;
  return key_;
}

Result<SigningResult> SigV4Signer::SignHeaders(HttpRequest& request,
                                               const Credentials& credentials,
                                               const SigningParams& params) {
  if (credentials.empty()) {
    return Error::Credentials("cannot sign: the credentials have no access key id or secret");
  }
  auto payload_hash = PayloadHash(request, params);
  if (!payload_hash.ok()) return payload_hash.error();
  // Checked before the request is touched, so a refused request is left as it was.
  if (FindHeader(request.headers, "host") == nullptr) {
    return Error::InvalidArgument("cannot sign a request without a Host header");
  }

  std::string amz_date = FormatAmzDate(params.time);
  RemoveHeader(request.headers, "authorization");
  SetHeader(request.headers, "X-Amz-Date", amz_date);
  bool token = !credentials.session_token.empty();
  if (token && !params.omit_session_token) {
    SetHeader(request.headers, "X-Amz-Security-Token", credentials.session_token);
  } else {
    RemoveHeader(request.headers, "x-amz-security-token");
  }
  if (params.add_content_sha256_header) {
    SetHeader(request.headers, "X-Amz-Content-Sha256", *payload_hash);
  }

  auto headers = CanonicalHeaders(request.headers);
  if (!HasHost(headers)) return Error::InvalidArgument("cannot sign a request without a Host header");
  SigningResult result;
  result.signed_headers = SignedHeaderNames(headers);
  result.canonical_request =
      BuildCanonicalRequest(request, params, headers, result.signed_headers, *payload_hash);
  result.string_to_sign = BuildStringToSign(result.canonical_request, params, amz_date);
  std::string date = amz_date.substr(0, 8);
  Sha256Digest key = SigningKey(credentials.secret_access_key, date, params.region, params.service);
  result.signature = HexEncode(HmacSha256(
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
      result.string_to_sign));

  std::string authorization;
  authorization.reserve(200);
  authorization += kAlgorithm;
  authorization += " Credential=";
  authorization += credentials.access_key_id;
  authorization += '/';
  authorization += Scope(date, params);
  authorization += ", SignedHeaders=";
  authorization += result.signed_headers;
  authorization += ", Signature=";
  authorization += result.signature;
  SetHeader(request.headers, "Authorization", std::move(authorization));
  // Some services want the token sent but not signed (the suite's post-sts-header-after).
  if (token && params.omit_session_token) {
    SetHeader(request.headers, "X-Amz-Security-Token", credentials.session_token);
  }
  return result;
}

Result<SigningResult> SigV4Signer::Presign(HttpRequest& request, const Credentials& credentials,
                                           const SigningParams& params) {
  if (credentials.empty()) {
    return Error::Credentials("cannot sign: the credentials have no access key id or secret");
  }
  if (params.expires < std::chrono::seconds(1) || params.expires > std::chrono::hours(24 * 7)) {
    return Error::InvalidArgument("a presigned URL must expire within 1 second to 7 days");
  }
  auto payload_hash = PayloadHash(request, params);
  if (!payload_hash.ok()) return payload_hash.error();
  auto headers = CanonicalHeaders(request.headers);
  if (!HasHost(headers)) return Error::InvalidArgument("cannot sign a request without a Host header");

  std::string amz_date = FormatAmzDate(params.time);
  std::string date = amz_date.substr(0, 8);
  SigningResult result;
  result.signed_headers = SignedHeaderNames(headers);
  std::vector<std::pair<std::string, std::string>> added = {
      {"X-Amz-Algorithm", std::string(kAlgorithm)},
      {"X-Amz-Credential", credentials.access_key_id + "/" + Scope(date, params)},
      {"X-Amz-Date", amz_date},
      {"X-Amz-Expires", std::to_string(params.expires.count())},
      {"X-Amz-SignedHeaders", result.signed_headers},
  };
  bool token = !credentials.session_token.empty();
  if (token && !params.omit_session_token) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  std::string query = BuildQuery(added);
  request.query = request.query.empty() ? query : request.query + "&" + query;

  result.canonical_request =
      BuildCanonicalRequest(request, params, headers, result.signed_headers, *payload_hash);
  result.string_to_sign = BuildStringToSign(result.canonical_request, params, amz_date);
  Sha256Digest key = SigningKey(credentials.secret_access_key, date, params.region, params.service);
  result.signature = HexEncode(HmacSha256(
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
      result.string_to_sign));
  request.query += "&X-Amz-Signature=" + result.signature;
  if (token && params.omit_session_token) {
    request.query += "&X-Amz-Security-Token=" + UriEncode(credentials.session_token);
  }
  return result;
}

}  // namespace sluice
