// The real peers integration tests run against, each started on a free 127.0.0.1 port by the
// test itself and stopped when it goes away:
//   - MotoServer: moto_server emulating S3, SQS, STS, IAM, ECR's API, ECS and CloudWatch Logs.
//     With `verify_signatures`, it checks SigV4 for real after a few unauthenticated set-up calls
//     that create an IAM user with an allow-all policy and an access key (see
//     ../shared/notes/local-peers.md).
//   - RegistryServer: docker-registry (the CNCF distribution registry) with optional htpasswd
//     Basic auth.
// A missing peer is a test failure with a message that says how to install it, never a skip.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sluice/aws/client_context.h"
#include "sluice/aws/credentials/credentials.h"
#include "sluice/util/environment.h"
#include "tests/support/child_process.h"

namespace sluice::testing {

class MotoServer {
 public:
  struct Options {
    bool verify_signatures = false;
  };
  // Starts moto; on failure records a gtest failure and returns null.
  static std::unique_ptr<MotoServer> Start(const Options& options);
  ~MotoServer();

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // With verify_signatures: the access key of the IAM user created for the tests; otherwise
  // any key moto accepts.
  const Credentials& credentials() const { return credentials_; }
  const std::string& account_id() const { return account_id_; }

  // A client context pointed at this moto with the given credentials (default: credentials()),
  // region us-east-1, and an environment isolated from the developer's ~/.aws; `endpoint`, when
  // given, instead of moto's (a proxy in front of it).
  std::shared_ptr<const ClientContext> Context(const Credentials* credentials = nullptr,
                                              const std::string& endpoint = "") const;
  std::string LogTail() const { return process_->LogTail(); }

  // Creates an IAM user with this inline policy and returns its access key: with
  // verify_signatures, moto then answers that key's calls as IAM would (AccessDenied for what
  // the policy does not allow).
  Result<Credentials> CreateUser(const std::string& name, const std::string& policy_document);

 private:
  MotoServer() = default;
  bool CreateSigningUser();

  int port_ = 0;
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
  Credentials credentials_;
  std::string account_id_ = "123456789012";
  std::unique_ptr<MapEnvironment> env_;
};

class RegistryServer {
 public:
  struct Options {
    std::string username;  // non-empty: htpasswd Basic auth with this user
    std::string password;
  };
  static std::unique_ptr<RegistryServer> Start(const Options& options);
  ~RegistryServer();

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::string LogTail() const { return process_->LogTail(); }

 private:
  RegistryServer() = default;
  int port_ = 0;
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
};

// A fixture that shares one moto_server among a suite's tests (starting one takes seconds):
// started before the suite's first test, stopped after its last.
template <bool kVerifySignatures = false>
class MotoSuiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = MotoServer::Start({.verify_signatures = kVerifySignatures}).release();
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(moto_, nullptr) << "moto_server did not start"; }

  static inline MotoServer* moto_ = nullptr;
};

}  // namespace sluice::testing
