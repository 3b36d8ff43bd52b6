#include "sluice/aws/query_protocol.h"

#include "sluice/util/uri.h"

namespace sluice {

HttpRequest BuildQueryRequest(std::string_view action, std::string_view version,
                              const QueryParams& params) {
  QueryParams all;
  all.reserve(params.size() + 2);
  all.emplace_back("Action", std::string(action));
  all.emplace_back("Version", std::string(version));
  all.insert(all.end(), params.begin(), params.end());
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers.push_back({"content-type", "application/x-www-form-urlencoded; charset=utf-8"});
  request.body = BuildQuery(all);
  return request;
}

Result<std::unique_ptr<pugi::xml_document>> CallQuery(ServiceClient& client,
                                                      std::string_view action,
                                                      std::string_view version,
                                                      const QueryParams& params,
                                                      const CallOptions& options) {
  auto response = client.Call(action, BuildQueryRequest(action, version, params), options);
  if (!response.ok()) return response.error();
  auto doc = std::make_unique<pugi::xml_document>();
  if (!doc->load_buffer(response->body.data(), response->body.size())) {
    Error e = Error::Parse("response is not XML");
    e.service = std::string(client.service().signing_name);
    e.operation = std::string(action);
    return e;
  }
  return doc;
}

pugi::xml_node QueryResult(const pugi::xml_document& doc, std::string_view action) {
  std::string response_name = std::string(action) + "Response";
  std::string result_name = std::string(action) + "Result";
  return doc.child(response_name.c_str()).child(result_name.c_str());
}

}  // namespace sluice
