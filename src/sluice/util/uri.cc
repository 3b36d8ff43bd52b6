#include "sluice/util/uri.h"

#include <charconv>

namespace sluice {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

std::string UriDecode(std::string_view text) { return Decode(text, false); }
std::string FormDecode(std::string_view text) { return Decode(text, true); }

std::string NormalizePath(std::string_view path) {
  // RFC 3986 remove_dot_segments over '/'-separated segments, with empty segments dropped
  // (AWS collapses "//"); the leading slash is always kept, and so is a trailing one.
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  // A trailing slash survives ("/a/" stays "/a/"), as in botocore; "/a/b/.." becomes "/a".
  if (!segments.empty() && path.ends_with('/')) out += '/';
  return out;
}

std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += UriEncode(key);
    out += '=';
    out += UriEncode(value);
  }
  return out;
}

std::string ParsedUrl::Endpoint() const {
  std::string out = scheme + "://";
  out += HostHeader();
  return out;
}

std::string ParsedUrl::HostHeader() const {
  bool ipv6 = host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + host + "]" : host;
  bool default_port = port == 0 || (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

bool ParseUrl(std::string_view url, ParsedUrl* out) {
  ParsedUrl parsed;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string scheme(url.substr(0, scheme_end));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (scheme != "http" && scheme != "https") return false;
  parsed.scheme = scheme;
  std::string_view rest = url.substr(scheme_end + 3);
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return false;  // no credentials in URLs
  if (authority.empty()) return false;
  std::string_view port_text;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    parsed.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return false;
  for (char c : parsed.host) {
    if (c <= ' ' || c == '/' || c == '\\' || c == '"' || c == 0x7f) return false;
  }
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return false;
    }
    parsed.port = port;
  }
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t question = rest.find('?');
  parsed.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) parsed.query = std::string(rest.substr(question + 1));
  if (parsed.path.empty()) parsed.path = "/";
  *out = std::move(parsed);
  return true;
}

}  // namespace sluice
