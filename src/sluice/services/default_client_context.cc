#include "sluice/services/default_client_context.h"

#include <utility>

#include "sluice/aws/config/aws_service.h"
#include "sluice/aws/service_client.h"
#include "sluice/services/sts_client.h"

namespace sluice {

Result<std::shared_ptr<const ClientContext>> MakeClientContext(const ClientOptions& options) {
  return MakeClientContext(
      options, [](std::shared_ptr<const ClientContext> sts_context) -> std::unique_ptr<StsApi> {
        auto client = ServiceClient::Make(std::move(sts_context), kSts);
        if (!client.ok()) return nullptr;
        return std::make_unique<StsClient>(std::move(client).value());
      });
}

}  // namespace sluice
