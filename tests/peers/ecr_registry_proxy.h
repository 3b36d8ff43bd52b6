// EcrRegistryProxy: a loopback proxy in front of docker-registry that answers as ECR's registry
// does where docker-registry does not (../shared/notes/local-peers.md). Requests go on to the
// registry as they came (its htpasswd still checks the Basic header the tool sent); only the
// behaviours a test switches on answer instead:
//   - ImmutableTags(): imageTagMutability IMMUTABLE. A manifest PUT by tag for a tag the
//     repository already has gets 400 TAG_INVALID "... cannot be overwritten because the
//     repository is immutable", whatever digest it names (ECR refuses the same digest too).
//   - ExpireTokenAfter(n): after n more authenticated requests the token in use has expired:
//     the next request gets ECR's 403 DENIED "Your authorization token has expired", not a 401.
//     The one after passes again (moto hands out the same token each time, so the renewed one
//     looks like the old one).
//   - DeclineMounts(): blob mounting off, ECR's default (it is turned on per registry with
//     PutAccountSetting BLOB_MOUNTING): a POST asking for a cross-repository mount reaches the
//     registry without its mount and from parameters, so it answers with an upload session.
//   - RecordPushesIn(context): ECR's registry and its API are one store, so a pushed image is
//     one DescribeImages lists. Each manifest PUT the registry accepted is also registered in
//     the ECR API behind `context` (moto) with PutImage: the manifest, its media type, digest
//     and tag. (BatchDeleteImage there is not carried back to docker-registry.)
// Point --registry-endpoint at endpoint().
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "sluice/net/http.h"
#include "sluice/services/ecr_client.h"
#include "tests/support/loopback_http_server.h"

namespace sluice::testing {

class EcrRegistryProxy {
 public:
  explicit EcrRegistryProxy(std::string upstream);  // docker-registry's endpoint
  ~EcrRegistryProxy();

  std::string endpoint() const { return server_->endpoint(); }

  void ImmutableTags();
  void ExpireTokenAfter(int requests);
  void RecordPushesIn(std::shared_ptr<const ClientContext> context);
  void DeclineMounts();
  int MountsDeclined() const;

  int TagsRefused() const;
  int ExpiredAnswers() const;

 private:
  ScriptedResponse Handle(const RecordedRequest& request);

  std::string upstream_;
  std::unique_ptr<HttpClient> http_;

  mutable std::mutex mutex_;
  bool immutable_ = false;
  int expire_after_ = -1;  // authenticated requests left before the 403; -1: never
  int tags_refused_ = 0;
  int expired_answers_ = 0;
  std::unique_ptr<EcrClient> ecr_;  // RecordPushesIn
  bool decline_mounts_ = false;
  int mounts_declined_ = 0;

  std::unique_ptr<LoopbackHttpServer> server_;  // last: stops before the state goes
};

}  // namespace sluice::testing
