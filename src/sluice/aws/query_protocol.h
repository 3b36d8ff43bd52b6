// The AWS Query protocol (STS, IAM): a form-encoded POST with Action and Version, answered with
// XML whose <ActionResult> element holds the output.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/aws/service_client.h"
#include "sluice/util/result.h"

namespace sluice {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Builds the HTTP request (pure; for tests).
HttpRequest BuildQueryRequest(std::string_view action, std::string_view version,
                              const QueryParams& params);

// Calls the action and returns the parsed response document.
Result<std::unique_ptr<pugi::xml_document>> CallQuery(ServiceClient& client,
                                                      std::string_view action,
                                                      std::string_view version,
                                                      const QueryParams& params,
                                                      const CallOptions& options = {});

// The <ActionResult> node of an <ActionResponse> document.
pugi::xml_node QueryResult(const pugi::xml_document& doc, std::string_view action);

}  // namespace sluice
