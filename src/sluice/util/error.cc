#include "sluice/util/error.h"

namespace sluice {

std::string Error::ToString() const {
  std::string out;
  if (!service.empty()) {
    out += service;
    if (!operation.empty()) out += " " + operation;
    out += ": ";
  }
  if (!code.empty()) out += code;
  if (http_status != 0) out += (code.empty() ? "HTTP " : " (HTTP ") + std::to_string(http_status) + (code.empty() ? "" : ")");
  if (!message.empty()) {
    if (!code.empty() || http_status != 0) out += ": ";
    out += message;
  }
  if (!request_id.empty()) out += " [request id " + request_id + "]";
  // One line, always: messages from services can carry newlines.
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

namespace {
Error Make(ErrorKind kind, std::string message, bool retryable = false) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  e.retryable = retryable;
  return e;
}
}  // namespace

Error Error::Network(std::string m) { return Make(ErrorKind::kNetwork, std::move(m), true); }
Error Error::Timeout(std::string m) { return Make(ErrorKind::kTimeout, std::move(m), true); }
Error Error::Credentials(std::string m) { return Make(ErrorKind::kCredentials, std::move(m)); }
Error Error::Config(std::string m) { return Make(ErrorKind::kConfig, std::move(m)); }
Error Error::Parse(std::string m) { return Make(ErrorKind::kParse, std::move(m)); }
Error Error::InvalidArgument(std::string m) { return Make(ErrorKind::kInvalidArgument, std::move(m)); }
Error Error::Io(std::string m) { return Make(ErrorKind::kIo, std::move(m)); }
Error Error::Interrupted(std::string m) { return Make(ErrorKind::kInterrupted, std::move(m)); }

}  // namespace sluice
