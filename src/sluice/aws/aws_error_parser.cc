#include "sluice/aws/aws_error_parser.h"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

namespace sluice {
namespace {

// "com.amazonaws.ecs#ClusterNotFoundException" or "ClusterNotFoundException:http://..." -> the name.
std::string CleanCode(std::string code) {
  if (auto hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
  if (auto colon = code.find(':'); colon != std::string::npos) code = code.substr(0, colon);
  return code;
}

std::string CodeForStatus(int status) {
  switch (status) {
    case 301: return "PermanentRedirect";
    case 304: return "NotModified";
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 502: return "BadGateway";
    case 503: return "ServiceUnavailable";
    case 504: return "GatewayTimeout";
    default: return "";
  }
}

bool ParseJsonError(const std::string& body, Error* e) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  for (const char* key : {"__type", "code", "Code"}) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) {
      e->code = CleanCode(it->get<std::string>());
      break;
    }
  }
  for (const char* key : {"message", "Message", "errorMessage"}) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) {
      e->message = it->get<std::string>();
      break;
    }
  }
  return !e->code.empty() || !e->message.empty();
}

bool ParseXmlError(const std::string& body, Error* e) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return false;
  pugi::xml_node error = doc.child("Error");                     // REST-XML (S3)
  if (!error) error = doc.child("ErrorResponse").child("Error");  // Query (STS, IAM)
  // Query errors wrapped in <Errors>, as moto's STS and IAM send them (and EC2-style services).
  if (!error) error = doc.child("ErrorResponse").child("Errors").child("Error");
  if (!error) error = doc.child("Response").child("Errors").child("Error");  // EC2 style
  if (!error) return false;
  e->code = error.child_value("Code");
  e->message = error.child_value("Message");
  std::string request_id = error.child_value("RequestId");
  if (request_id.empty()) request_id = doc.child("ErrorResponse").child_value("RequestId");
  if (request_id.empty()) request_id = doc.child("Response").child_value("RequestID");
  if (!request_id.empty()) e->request_id = request_id;
  // S3 says which region a bucket lives in when it is asked in the wrong one.
  e->region = error.child_value("Region");
  return !e->code.empty() || !e->message.empty();
}

}  // namespace

std::string RequestIdFromHeaders(const HttpHeaders& headers) {
  for (const char* name : {"x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"}) {
    if (const std::string* v = FindHeader(headers, name)) return *v;
  }
  return "";
}

Error ParseErrorResponse(const HttpResponse& response, std::string_view service,
                         std::string_view operation) {
  Error e;
  e.kind = ErrorKind::kService;
  e.service = std::string(service);
  e.operation = std::string(operation);
  e.http_status = response.status;
  e.request_id = RequestIdFromHeaders(response.headers);

  size_t first = response.body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos) {
    if (response.body[first] == '{') {
      ParseJsonError(response.body, &e);
    } else if (response.body[first] == '<') {
      ParseXmlError(response.body, &e);
    }
  }
  if (e.code.empty()) {
    if (const std::string* type = FindHeader(response.headers, "x-amzn-errortype")) {
      e.code = CleanCode(*type);
    }
  }
  if (e.code.empty()) e.code = CodeForStatus(response.status);
  if (const std::string* region = FindHeader(response.headers, "x-amz-bucket-region")) {
    e.region = *region;  // the only word a bodyless 301 or 400 to a HEAD has
  }
  if (!e.region.empty()) e.message += std::string(e.message.empty() ? "" : " ") + "(the bucket is in region " + e.region + ")";
  if (e.message.empty() && first != std::string::npos && response.body.size() < 300 &&
      response.body[first] != '<' && response.body[first] != '{') {
    e.message = response.body.substr(first);  // plain-text error bodies (proxies, registries)
    while (!e.message.empty() && (e.message.back() == '\n' || e.message.back() == '\r')) {
      e.message.pop_back();
    }
  }
  return e;
}

}  // namespace sluice
