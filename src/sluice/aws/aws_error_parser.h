// Turns an AWS error response into an Error, whatever the protocol: JSON ("__type"/"code" and
// "message"), REST-XML (<Error><Code>), Query (<ErrorResponse><Error><Code>), or no body at all
// (HEAD), where the code comes from the status. Pure.
#pragma once

#include <string_view>

#include "sluice/net/http.h"
#include "sluice/util/error.h"

namespace sluice {

Error ParseErrorResponse(const HttpResponse& response, std::string_view service,
                         std::string_view operation);

// The request id a response carries in its headers (x-amzn-RequestId, x-amz-request-id), or "".
std::string RequestIdFromHeaders(const HttpHeaders& headers);

}  // namespace sluice
