// The ClientContext every tool builds: sluice/aws/client_context.h's MakeClientContext with
// role credentials (role_arn with source_profile or credential_source, web identity) reaching
// STS through StsClient. It sits here, beside the service clients, because the AWS core below
// must not depend on one.
#pragma once

#include <memory>

#include "sluice/aws/client_context.h"
#include "sluice/util/result.h"

namespace sluice {

Result<std::shared_ptr<const ClientContext>> MakeClientContext(const ClientOptions& options);

}  // namespace sluice
