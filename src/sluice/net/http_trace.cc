#include "sluice/net/http_trace.h"

#include <cstdio>
#include <string>

#include "sluice/util/logging.h"

namespace sluice {
namespace {

// How much of a body a trace shows. The redaction runs over a larger prefix so that a secret
// straddling the cut is still recognised whole.
constexpr size_t kTraceBodyLimit = 2048;
constexpr size_t kRedactScanLimit = 64 * 1024;

bool IsPrintable(std::string_view text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return false;
  }
  return true;
}

// Appends a body to a trace block, one "> " or "< " line per body line, redacted and cut.
void AppendBody(std::string& block, std::string_view prefix, std::string_view body) {
  if (body.empty()) return;
  if (!IsPrintable(body.substr(0, kTraceBodyLimit))) {
    block +=
        "\n" + std::string(prefix) + "<" + std::to_string(body.size()) + " bytes of binary data>";
    return;
  }
  std::string shown = RedactText(body.substr(0, kRedactScanLimit));
  bool cut = shown.size() > kTraceBodyLimit || body.size() > kRedactScanLimit;
  if (shown.size() > kTraceBodyLimit) {
    size_t keep = kTraceBodyLimit;
    // Do not split a UTF-8 sequence.
    while (keep > 0 && (static_cast<unsigned char>(shown[keep]) & 0xC0) == 0x80) --keep;
    shown.resize(keep);
  }
  size_t start = 0;
  while (start <= shown.size()) {
    size_t newline = shown.find('\n', start);
    size_t stop = newline == std::string::npos ? shown.size() : newline;
    std::string_view line(shown.data() + start, stop - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    block += "\n" + std::string(prefix) + std::string(line);
    if (newline == std::string::npos) break;
    start = newline + 1;
  }
  if (cut) {
    block += "\n" + std::string(prefix) + "... (" + std::to_string(body.size()) + " bytes in all)";
  }
}

}  // namespace

void TraceRequest(const HttpRequest& request) {
  if (!Verbose()) return;
  std::string block = "> " + request.method + " " + RedactText(request.Url());
  for (const HttpHeader& header : request.headers) {
    block += "\n> " + header.name + ": " + RedactHeaderValue(header.name, header.value);
  }
  if (request.body_source) {
    block += "\n> <" + std::to_string(request.body_source->size()) + " bytes streamed>";
  } else {
    AppendBody(block, "> ", request.body);
  }
  LogLine(block);
}

void TraceResponse(const HttpRequest& request, const HttpResponse& response, double seconds) {
  if (!Verbose()) return;
  char timing[48];
  std::snprintf(timing, sizeof timing, " (%.3f s)", seconds);
  std::string block = "< " + std::to_string(response.status) + timing;
  for (const HttpHeader& header : response.headers) {
    block += "\n< " + header.name + ": " + RedactHeaderValue(header.name, header.value);
  }
  bool streamed = request.on_body && response.status >= 200 && response.status < 300;
  if (streamed) {
    block += "\n< <body streamed to the caller>";
  } else {
    AppendBody(block, "< ", response.body);
  }
  LogLine(block);
}

}  // namespace sluice
