// SigV4 signing throughput: the two requests the tools sign most, an S3 GET (sluice-watch,
// downloads) and an ECS JSON POST (sluice-run-once, sluice-deploy). One SigV4Signer is reused
// as a service client reuses it, so the derived key is cached; each iteration copies a template
// request and signs the copy, which is what a call pays. bench/sigv4_botocore.py signs the same
// requests with botocore; bench/run-sigv4 runs both and prints the table in bench/README.md.
#include <benchmark/benchmark.h>

#include <string>

#include "sluice/aws/sigv4.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

// A ~300-byte RunTask body, the same bytes as in bench/sigv4_botocore.py.
constexpr char kRunTaskBody[] =
    R"({"cluster":"default","taskDefinition":"sluice-demo:3","launchType":"FARGATE",)"
    R"("count":1,"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0abc1234"],)"
    R"("securityGroups":["sg-0def5678"],"assignPublicIp":"ENABLED"}},)"
    R"("overrides":{"containerOverrides":[{"name":"app","command":["process","s3://bucket/in/x.csv"]}]}})";

Credentials BenchCredentials() {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

SystemTime BenchTime() { return *ParseIso8601("2026-11-23T12:34:56Z"); }

// Copies `request_template`, signs the copy, and counts signatures (items_per_second).
void SignLoop(benchmark::State& state, const HttpRequest& request_template,
              const SigningParams& params) {
  SigV4Signer signer;
  Credentials credentials = BenchCredentials();
  for (auto _ : state) {
    HttpRequest request = request_template;
    auto result = signer.SignHeaders(request, credentials, params);
    if (!result.ok()) {
      state.SkipWithError(result.error().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(request.headers.data());
    benchmark::DoNotOptimize(result->signature.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// GET s3://examplebucket/data/2026/11/23/part-00042.parquet (virtual-hosted): host,
// x-amz-content-sha256 (the empty body's hash, given rather than computed), x-amz-date.
void BM_SignS3Get(benchmark::State& state) {
  HttpRequest request;
  request.method = "GET";
  request.endpoint = "https://examplebucket.s3.us-east-1.amazonaws.com";
  request.path = "/data/2026/11/23/part-00042.parquet";
  request.headers = {{"Host", "examplebucket.s3.us-east-1.amazonaws.com"}};
  SigningParams params = SigningParams::ForS3("us-east-1", BenchTime());
  params.payload_hash = std::string(kEmptySha256);
  SignLoop(state, request, params);
}
BENCHMARK(BM_SignS3Get);

// POST / to ECS with a RunTask JSON body: content-type, host, x-amz-date, x-amz-target, and the
// body hashed on every call.
void BM_SignEcsJsonPost(benchmark::State& state) {
  HttpRequest request;
  request.method = "POST";
  request.endpoint = "https://ecs.us-east-1.amazonaws.com";
  request.path = "/";
  request.headers = {
      {"Host", "ecs.us-east-1.amazonaws.com"},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask"},
  };
  request.body = kRunTaskBody;
  SignLoop(state, request, SigningParams::ForService("us-east-1", "ecs", BenchTime()));
}
BENCHMARK(BM_SignEcsJsonPost);

}  // namespace
}  // namespace sluice

BENCHMARK_MAIN();
