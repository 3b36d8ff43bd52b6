#include "sluice/net/http.h"

#include <utility>

namespace sluice {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

const std::string* FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const HttpHeader& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return &header.value;
  }
  return nullptr;
}

void SetHeader(HttpHeaders& headers, std::string_view name, std::string value) {
  // The first header of that name keeps its position (and its spelling is replaced by the
  // caller's), so a trace reads in the order headers were first added.
  bool placed = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (!EqualsIgnoreCase(it->name, name)) {
      ++it;
    } else if (!placed) {
      it->name = std::string(name);
      it->value = std::move(value);
      placed = true;
      ++it;
    } else {
      it = headers.erase(it);
    }
  }
  if (!placed) headers.push_back({std::string(name), std::move(value)});
}

void RemoveHeader(HttpHeaders& headers, std::string_view name) {
  std::erase_if(headers, [&](const HttpHeader& h) { return EqualsIgnoreCase(h.name, name); });
}

std::string HttpRequest::Url() const {
  std::string url = endpoint + path;
  if (!query.empty()) url += "?" + query;
  return url;
}


}  // namespace sluice
