#include "sluice/util/logging.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>

namespace sluice {
namespace {

std::atomic<bool> g_verbose{false};

constexpr std::string_view kRedacted = "<redacted>";

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Characters that end an unquoted secret (a query parameter, a token after "Bearer", a value in
// "Credential=...,"). Base64, base64url, JWTs and percent-encoding never contain them.
bool EndsBareValue(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '&':
    case ',':
    case ';':
    case '"':
    case '\'':
    case '<':
    case '>':
    case '\\':
    case '#':
    case ')':
    case ']':
    case '}':
      return true;
    default:
      return false;
  }
}

// Header names (lowercase) whose whole value is a secret.
constexpr std::string_view kSecretHeaders[] = {
    "authorization",
    "proxy-authorization",
    "x-amz-security-token",
    "cookie",
    "set-cookie",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-registry-auth",
};

// Field names (lowercase) whose values are secrets in JSON, XML, form and query syntax.
constexpr std::string_view kSecretFields[] = {
    "secretaccesskey",
    "sessiontoken",
    "token",
    "accesstoken",
    "password",
    "authorizationtoken",
    "secret",
    "secret_access_key",
    "aws_secret_access_key",
    "aws_session_token",
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
    "webidentitytoken",
    "x-amz-signature",
    "x-amz-security-token",
    "x-amz-credential",
    // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." and SigV2 queries.
    "credential",
    "signature",
    "signatureprovided",
    "authorization",
    "proxy-authorization",
    "secretstring",
    "secretbinary",
    "private_key",
    "privatekey",
    "api_key",
    "apikey",
};

// Names ending in "token" that are pagination or idempotency markers, not credentials: keeping
// them makes a trace of a paginated listing readable.
constexpr std::string_view kHarmlessTokenParts[] = {
    "next",     "continuation", "client",   "idempotency", "page",
    "sequence", "forward",      "backward", "pagination",  "start",
};

// Auth-params that may follow "Bearer" in a WWW-Authenticate challenge (RFC 6750, RFC 7235):
// what comes after them is a realm or a scope, not a credential.
constexpr std::string_view kAuthParams[] = {
    "realm",     "service", "scope",     "error", "error_description",
    "error_uri", "charset", "algorithm", "nonce", "qop",
    "opaque",    "domain",  "stale",
};

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view lower) {
  for (std::string_view item : list) {
    if (item == lower) return true;
  }
  return false;
}

bool IsSecretField(std::string_view word) {
  std::string lower = ToLower(word);
  if (In(kSecretFields, lower)) return true;
  if (Contains(lower, "secret") || Contains(lower, "password") || Contains(lower, "passwd")) {
    return true;
  }
  if (lower.ends_with("customer-key")) return true;
  if (lower.ends_with("token")) {
    for (std::string_view part : kHarmlessTokenParts) {
      if (Contains(lower, part)) return false;
    }
    return true;
  }
  return false;
}

struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// The end of a JSON string whose contents start at `pos`. At nesting level 1 the JSON sits
// inside another JSON string (`{\"Token\":\"...\"}`), so its quotes arrive escaped. An
// unterminated string runs to the end of the text: a cut body still hides its secret.
size_t JsonStringEnd(std::string_view text, size_t pos, int level) {
  size_t n = text.size();
  if (level == 0) {
    for (size_t j = pos; j < n; ++j) {
      if (text[j] == '\\') {
        ++j;
      } else if (text[j] == '"') {
        return j;
      }
    }
    return n;
  }
  bool inner_escape = false;
  for (size_t j = pos; j < n;) {
    bool escaped = text[j] == '\\' && j + 1 < n;
    char decoded = escaped ? text[j + 1] : text[j];
    if (!escaped && decoded == '"') return j;  // the outer string ended first
    if (inner_escape) {
      inner_escape = false;
    } else if (decoded == '\\') {
      inner_escape = true;
    } else if (decoded == '"') {
      return j;
    }
    j += escaped ? 2 : 1;
  }
  return n;
}

size_t SkipSpaces(std::string_view text, size_t pos) {
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  return pos;
}

size_t SkipBlanks(std::string_view text, size_t pos) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  return pos;
}

// "name": "value" (also with the quotes escaped, as JSON inside a JSON string).
bool FindJsonValue(std::string_view text, size_t begin, size_t end, Span* value) {
  if (begin == 0 || text[begin - 1] != '"') return false;
  int level = begin >= 2 && text[begin - 2] == '\\' ? 1 : 0;
  std::string_view quote = level == 0 ? "\"" : "\\\"";
  if (text.substr(end, quote.size()) != quote) return false;
  size_t pos = SkipSpaces(text, end + quote.size());
  if (pos >= text.size() || text[pos] != ':') return false;
  pos = SkipSpaces(text, pos + 1);
  if (text.substr(pos, quote.size()) == quote) {
    value->begin = pos + quote.size();
    value->end = JsonStringEnd(text, value->begin, level);
    return true;
  }
  // A number or another bare scalar; objects, arrays and null hold nothing to hide here.
  if (pos >= text.size() || text[pos] == '{' || text[pos] == '[' || text.substr(pos, 4) == "null") {
    return false;
  }
  value->begin = pos;
  value->end = pos;
  while (value->end < text.size() && !EndsBareValue(text[value->end])) ++value->end;
  return true;
}

// <Name>value</Name>, <Name attr="x">value</Name> and <ns:Name>value</ns:Name>.
bool FindXmlValue(std::string_view text, size_t begin, size_t end, Span* value) {
  if (begin == 0) return false;
  if (text[begin - 1] == ':') {
    size_t p = begin - 1;
    while (p > 0 && IsWordChar(text[p - 1])) --p;
    if (p == 0 || p == begin - 1 || text[p - 1] != '<') return false;
  } else if (text[begin - 1] != '<') {
    return false;
  }
  size_t close = end;
  if (close < text.size() && text[close] != '>') {
    if (!IsSpace(text[close])) return false;
    close = text.find('>', close);
    if (close == std::string_view::npos) return false;
    if (text[close - 1] == '/') return false;  // <Token/>: empty
  }
  if (close >= text.size()) return false;
  value->begin = close + 1;
  value->end = text.find('<', value->begin);
  if (value->end == std::string_view::npos) value->end = text.size();
  return true;
}

// name=value (query strings, form bodies, "Credential=..." in an Authorization value, ini
// files) and name="value"; also "name: value" to the end of the line (header lines quoted in
// a text, YAML).
bool FindAssignedValue(std::string_view text, size_t end, Span* value) {
  size_t pos = SkipBlanks(text, end);
  if (pos >= text.size()) return false;
  if (text[pos] == ':') {
    if (pos != end || pos + 1 >= text.size() || (text[pos + 1] != ' ' && text[pos + 1] != '\t')) {
      return false;
    }
    value->begin = SkipBlanks(text, pos + 1);
    value->end = value->begin;
    while (value->end < text.size() && text[value->end] != '\r' && text[value->end] != '\n') {
      ++value->end;
    }
    return true;
  }
  if (text[pos] != '=') return false;
  pos = SkipBlanks(text, pos + 1);
  if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
    value->begin = pos + 1;
    value->end = text.find(text[pos], value->begin);
    if (value->end == std::string_view::npos) value->end = text.size();
    return true;
  }
  value->begin = pos;
  value->end = pos;
  while (value->end < text.size() && !EndsBareValue(text[value->end])) ++value->end;
  return true;
}

// "Basic xxx" / "Bearer xxx": the credential after an HTTP auth scheme, unless what follows is
// a challenge's auth-param (`Bearer realm="..."`).
bool FindSchemeCredential(std::string_view text, size_t end, Span* value) {
  if (end >= text.size() || text[end] != ' ') return false;
  size_t pos = SkipBlanks(text, end);
  size_t stop = pos;
  while (stop < text.size() && !EndsBareValue(text[stop])) ++stop;
  if (stop == pos) return false;
  size_t word_end = pos;
  while (word_end < stop && IsWordChar(text[word_end])) ++word_end;
  if (word_end < stop && text[word_end] == '=' &&
      In(kAuthParams, ToLower(text.substr(pos, word_end - pos)))) {
    return false;
  }
  value->begin = pos;
  value->end = stop;
  return true;
}

}  // namespace

void SetVerbose(bool verbose) { g_verbose.store(verbose, std::memory_order_relaxed); }
bool Verbose() { return g_verbose.load(std::memory_order_relaxed); }

void LogLine(std::string_view line) {
  // One write(2) per line, under a mutex, so lines from threads never interleave (stdio's
  // stderr is unbuffered and could split a line into several writes).
  static std::mutex mutex;
  std::string buffer(line);
  buffer += '\n';
  std::lock_guard lock(mutex);
  size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::write(STDERR_FILENO, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report it
    }
    done += static_cast<size_t>(n);
  }
}

void TraceLine(std::string_view line) {
  if (Verbose()) LogLine(line);
}

std::string RedactHeaderValue(std::string_view name, std::string_view value) {
  std::string lower = ToLower(name);
  if (In(kSecretHeaders, lower) || Contains(lower, "token") || Contains(lower, "secret") ||
      Contains(lower, "password") || lower.ends_with("customer-key")) {
    return std::string(kRedacted);
  }
  // Other values can still carry one: a Location with a presigned URL, say.
  return RedactText(value);
}

std::string RedactText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;  // text[0, copied) is already in `out`
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordChar(text[i]) || (i > 0 && IsWordChar(text[i - 1]))) {
      ++i;
      continue;
    }
    size_t word_end = i;
    while (word_end < text.size() && IsWordChar(text[word_end])) ++word_end;
    std::string_view word = text.substr(i, word_end - i);
    Span value;
    bool found = false;
    if (IsSecretField(word)) {
      found = FindJsonValue(text, i, word_end, &value) || FindXmlValue(text, i, word_end, &value) ||
              FindAssignedValue(text, word_end, &value);
    }
    if (!found) {
      std::string lower = ToLower(word);
      if (lower == "basic" || lower == "bearer") {
        found = FindSchemeCredential(text, word_end, &value);
      }
    }
    if (found && value.end > value.begin) {
      out.append(text.substr(copied, value.begin - copied));
      out.append(kRedacted);
      copied = value.end;
      i = value.end;
    } else {
      i = word_end;
    }
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace sluice
