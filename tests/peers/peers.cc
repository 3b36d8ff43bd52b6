#include "tests/peers/peers.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "sluice/aws/query_protocol.h"
#include "sluice/aws/service_client.h"
#include "sluice/services/default_client_context.h"

namespace sluice::testing {
namespace {

constexpr int kStartTimeoutMs = 60000;

// IAM calls made before moto starts checking signatures: CreateUser, PutUserPolicy,
// CreateAccessKey.
constexpr int kSetupCalls = 3;

std::unique_ptr<MapEnvironment> IsolatedEnvironment(const std::string& dir) {
  auto env = std::make_unique<MapEnvironment>();
  env->Set("HOME", dir);
  env->Set("AWS_CONFIG_FILE", dir + "/no-config");
  env->Set("AWS_SHARED_CREDENTIALS_FILE", dir + "/no-credentials");
  env->Set("AWS_EC2_METADATA_DISABLED", "true");
  return env;
}

std::string RunAndCapture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  return out;
}

}  // namespace

std::unique_ptr<MotoServer> MotoServer::Start(const Options& options) {
  if (!OnPath("moto_server")) {
    ADD_FAILURE() << "moto_server is not on PATH: the integration tests need it. Install it with "
                     "`pip install 'moto[server]'` (Python 3.11), then run the tests again.";
    return nullptr;
  }
  std::unique_ptr<MotoServer> server(new MotoServer());
  server->dir_ = MakeTempDir("sluice-moto-");
  server->port_ = FreeLoopbackPort();
  std::map<std::string, std::string> env;
  if (options.verify_signatures) {
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = std::to_string(kSetupCalls);
  }
  std::string error;
  server->process_ = ChildProcess::Start(
      {"moto_server", "-H", "127.0.0.1", "-p", std::to_string(server->port_)}, env,
      server->dir_ + "/moto.log", &error);
  if (!server->process_) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  if (!WaitForPort(server->port_, kStartTimeoutMs, server->process_.get())) {
    ADD_FAILURE() << "moto_server did not start on port " << server->port_ << ":\n"
                  << server->process_->LogTail();
    return nullptr;
  }
  server->env_ = IsolatedEnvironment(server->dir_);
  server->credentials_ = Credentials{"AKIAIOSFODNN7EXAMPLE", "moto-does-not-check-this", "", {},
                                     "test"};
  if (options.verify_signatures && !server->CreateSigningUser()) return nullptr;
  return server;
}

bool MotoServer::CreateSigningUser() {
  auto user = CreateUser(
      "sluice-test",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
  if (!user.ok()) {
    ADD_FAILURE() << "setting up moto's IAM user failed: " << user.error().ToString();
    return false;
  }
  credentials_ = *user;
  return true;
}

Result<Credentials> MotoServer::CreateUser(const std::string& name,
                                           const std::string& policy_document) {
  auto iam = ServiceClient::Make(Context(), kIam);
  if (!iam.ok()) return iam.error();
  constexpr std::string_view kVersion = "2010-05-08";
  auto created = CallQuery(**iam, "CreateUser", kVersion, {{"UserName", name}});
  if (!created.ok()) return created.error();
  auto policy = CallQuery(**iam, "PutUserPolicy", kVersion,
                          {{"UserName", name},
                           {"PolicyName", name + "-policy"},
                           {"PolicyDocument", policy_document}});
  if (!policy.ok()) return policy.error();
  auto key = CallQuery(**iam, "CreateAccessKey", kVersion, {{"UserName", name}});
  if (!key.ok()) return key.error();
  pugi::xml_node access_key = QueryResult(*key.value(), "CreateAccessKey").child("AccessKey");
  Credentials credentials{access_key.child_value("AccessKeyId"),
                          access_key.child_value("SecretAccessKey"), "", {}, "moto IAM user"};
  if (credentials.empty()) return Error::Parse("moto's CreateAccessKey returned no key");
  return credentials;
}

std::shared_ptr<const ClientContext> MotoServer::Context(const Credentials* credentials,
                                                        const std::string& endpoint_url) const {
  ClientOptions options;
  options.region = "us-east-1";
  options.endpoint_url = endpoint_url.empty() ? endpoint() : endpoint_url;
  options.env = env_.get();
  options.credentials = StaticCredentials(credentials != nullptr ? *credentials : credentials_);
  RetryOptions retry;
  retry.base_delay = std::chrono::milliseconds(10);  // keep retried tests quick
  options.retry = std::make_shared<RetryPolicy>(retry);
  auto context = MakeClientContext(options);
  if (!context.ok()) {
    ADD_FAILURE() << context.error().ToString();
    return nullptr;
  }
  return std::move(context).value();
}

MotoServer::~MotoServer() {
  if (process_) process_->Stop();
  RemoveTree(dir_);
}

std::unique_ptr<RegistryServer> RegistryServer::Start(const Options& options) {
  if (!OnPath("docker-registry")) {
    ADD_FAILURE() << "docker-registry is not on PATH: install it with "
                     "`apt-get install docker-registry`, then run the tests again.";
    return nullptr;
  }
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  server->dir_ = MakeTempDir("sluice-registry-");
  server->port_ = FreeLoopbackPort();
  std::string config =
      "version: 0.1\n"
      "log:\n  level: warn\n"
      "storage:\n  filesystem:\n    rootdirectory: " + server->dir_ + "/data\n"
      "  delete:\n    enabled: true\n"
      "http:\n  addr: 127.0.0.1:" + std::to_string(server->port_) + "\n"
      "  secret: sluice-test-secret\n";
  if (!options.username.empty()) {
    if (!OnPath("htpasswd")) {
      ADD_FAILURE() << "htpasswd is not on PATH: install it with `apt-get install apache2-utils`.";
      return nullptr;
    }
    std::string line = RunAndCapture("htpasswd -Bbn '" + options.username + "' '" +
                                      options.password + "'");
    WriteFile(server->dir_ + "/htpasswd", line);
    config += "auth:\n  htpasswd:\n    realm: sluice-test\n    path: " + server->dir_ + "/htpasswd\n";
  }
  WriteFile(server->dir_ + "/config.yml", config);
  std::string error;
  server->process_ = ChildProcess::Start({"docker-registry", "serve", server->dir_ + "/config.yml"},
                                         {}, server->dir_ + "/registry.log", &error);
  if (!server->process_) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  if (!WaitForPort(server->port_, kStartTimeoutMs, server->process_.get())) {
    ADD_FAILURE() << "docker-registry did not start on port " << server->port_ << ":\n"
                  << server->process_->LogTail();
    return nullptr;
  }
  return server;
}

RegistryServer::~RegistryServer() {
  if (process_) process_->Stop();
  RemoveTree(dir_);
}

}  // namespace sluice::testing
