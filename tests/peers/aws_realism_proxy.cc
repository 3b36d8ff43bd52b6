#include "tests/peers/aws_realism_proxy.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/peers/forwarding.h"

namespace sluice::testing {
namespace {

using nlohmann::json;

std::string Operation(const RecordedRequest& request) {
  const std::string* target = request.Header("X-Amz-Target");
  if (target == nullptr || target->rfind("AmazonEC2ContainerServiceV20141113.", 0) != 0) return "";
  return target->substr(target->find('.') + 1);
}

std::string ClusterOf(const json& body) {
  std::string cluster = body.value("cluster", "default");
  size_t slash = cluster.rfind('/');
  return slash == std::string::npos ? cluster : cluster.substr(slash + 1);
}

// The region of a SigV4 Authorization header's credential scope (AKID/date/REGION/service/...).
std::string SignedRegion(const RecordedRequest& request) {
  const std::string* auth = request.Header("Authorization");
  if (auth == nullptr) return "";
  size_t at = auth->find("Credential=");
  if (at == std::string::npos) return "";
  std::string scope = auth->substr(at + 11, auth->find(',', at) - at - 11);
  size_t first = scope.find('/');
  size_t second = first == std::string::npos ? first : scope.find('/', first + 1);
  size_t third = second == std::string::npos ? second : scope.find('/', second + 1);
  if (third == std::string::npos) return "";
  return scope.substr(second + 1, third - second - 1);
}

// The value of one query parameter, form-decoded enough for the tests' prefixes.
std::string QueryParam(const std::string& query, const std::string& name) {
  for (size_t start = 0; start <= query.size();) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    if (pair.rfind(name + "=", 0) == 0) {
      std::string value = pair.substr(name.size() + 1);
      std::string out;
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%' && i + 2 < value.size()) {
          out += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += value[i];
        }
      }
      return out;
    }
    start = end + 1;
  }
  return "";
}

std::string S3ErrorBody(const std::string& code, const std::string& message,
                        const std::string& extra = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
         message + "</Message>" + extra + "<RequestId>PROXY</RequestId></Error>";
}

}  // namespace

AwsRealismProxy::AwsRealismProxy(std::string upstream)
    : upstream_(std::move(upstream)),
      http_(MakeCurlHttpClient({.connect_timeout = std::chrono::seconds(5),
                                .idle_timeout = std::chrono::seconds(60)})),
      server_(std::make_unique<LoopbackHttpServer>(
          [this](const RecordedRequest& request) { return Handle(request); })) {}

AwsRealismProxy::~AwsRealismProxy() { server_.reset(); }

void AwsRealismProxy::MissingDescribes(int times) {
  std::lock_guard lock(mutex_);
  missing_describes_ = times;
}

void AwsRealismProxy::StopTasksWith(const std::string& stop_code,
                                    const std::string& stopped_reason) {
  std::lock_guard lock(mutex_);
  stop_code_ = stop_code;
  stopped_reason_ = stopped_reason;
}

void AwsRealismProxy::LoseRunTaskAnswers(int times) {
  std::lock_guard lock(mutex_);
  lose_run_task_answers_ = times;
}

void AwsRealismProxy::BucketInRegion(const std::string& bucket, const std::string& region) {
  std::lock_guard lock(mutex_);
  bucket_regions_[bucket] = region;
}

void AwsRealismProxy::ScopeListBucketToPrefix(const std::string& bucket, const std::string& prefix) {
  std::lock_guard lock(mutex_);
  list_prefix_scopes_[bucket] = prefix;
}

void AwsRealismProxy::EncryptWithCustomerKey(const std::string& bucket, const std::string& key) {
  std::lock_guard lock(mutex_);
  sse_c_objects_.insert(bucket + "/" + key);
}

void AwsRealismProxy::ConflictOnConditionalWrites(int times) {
  std::lock_guard lock(mutex_);
  conflicts_left_ = times;
}

int AwsRealismProxy::ConditionalWrites() const {
  std::lock_guard lock(mutex_);
  return conditional_writes_;
}

ScriptedResponse AwsRealismProxy::ConditionalWrite(const RecordedRequest& request) {
  {
    std::lock_guard lock(mutex_);
    ++conditional_writes_;
    if (conflicts_left_ > 0) {
      --conflicts_left_;
      return ScriptedResponse{409, {{"Content-Type", "application/xml"}},
                              S3ErrorBody("ConditionalRequestConflict",
                                          "A conflicting operation occurred. If using "
                                          "PutObject you can retry the request."),
                              ScriptedResponse::kRespond};
    }
  }
  std::lock_guard one_at_a_time(conditional_write_mutex_);
  auto response = Forward(request);
  if (!response.ok()) {
    ADD_FAILURE() << "AwsRealismProxy: moto did not answer: " << response.error().ToString();
    return {502, {}, "", ScriptedResponse::kRespond};
  }
  return Pass(*response);
}

void AwsRealismProxy::FailLambdaInvocations(int times, const std::string& error_type,
                                            const std::string& message) {
  std::lock_guard lock(mutex_);
  lambda_failures_left_ = times;
  lambda_error_type_ = error_type;
  lambda_error_message_ = message;
}

int AwsRealismProxy::LambdaInvocations() const {
  std::lock_guard lock(mutex_);
  return lambda_invocations_;
}

std::optional<ScriptedResponse> AwsRealismProxy::LambdaQuirk(const RecordedRequest& request) {
  bool invoke = request.method == "POST" && request.path.rfind("/2015-03-31/functions/", 0) == 0 &&
                request.path.size() > 12 &&
                request.path.compare(request.path.size() - 12, 12, "/invocations") == 0;
  if (!invoke) return std::nullopt;
  std::lock_guard lock(mutex_);
  ++lambda_invocations_;
  if (lambda_failures_left_ == 0) return std::nullopt;
  --lambda_failures_left_;
  return ScriptedResponse{200,
                          {{"Content-Type", "application/json"},
                           {"X-Amz-Function-Error", "Unhandled"},
                           {"X-Amz-Executed-Version", "$LATEST"}},
                          json{{"errorType", lambda_error_type_},
                               {"errorMessage", lambda_error_message_},
                               {"trace", json::array()}}
                              .dump(),
                          ScriptedResponse::kRespond};
}

void AwsRealismProxy::SlowLambdaUpdates(int reads) {
  std::lock_guard lock(mutex_);
  slow_update_reads_ = reads;
}

void AwsRealismProxy::FailLambdaUpdates(const std::string& reason_code, const std::string& reason) {
  std::lock_guard lock(mutex_);
  update_failure_code_ = reason_code;
  update_failure_reason_ = reason;
}

void AwsRealismProxy::KeepVersionImages(const RecordedRequest& request, HttpResponse& response) {
  const std::string prefix = "/2015-03-31/functions";
  if (request.path.rfind(prefix, 0) != 0 || response.status / 100 != 2) return;
  std::string rest = request.path.substr(prefix.size());  // "", "/NAME", "/NAME/code", ...
  std::string name = rest.size() > 1 ? rest.substr(1, rest.find('/', 1) - 1) : "";
  std::string tail = name.empty() ? "" : rest.substr(1 + name.size());
  std::string qualifier;
  if (request.query.rfind("Qualifier=", 0) == 0) qualifier = request.query.substr(10);
  std::lock_guard lock(mutex_);
  if (request.method == "POST" && name.empty()) {  // CreateFunction
    json body = json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("/Code/ImageUri"_json_pointer)) {
      latest_image_[body.value("FunctionName", "")] = body["Code"]["ImageUri"];
    }
  } else if (request.method == "PUT" && tail == "/code") {  // UpdateFunctionCode
    json body = json::parse(request.body, nullptr, false);
    if (body.is_object() && body.value("ImageUri", json()).is_string()) latest_image_[name] = body["ImageUri"];
  } else if (request.method == "POST" && tail == "/versions") {  // PublishVersion
    json answer = json::parse(response.body, nullptr, false);
    auto latest = latest_image_.find(name);
    if (answer.is_object() && latest != latest_image_.end()) {
      version_images_[name + ":" + answer.value("Version", "")] = latest->second;
    }
  } else if (request.method == "GET" && tail.empty()) {  // GetFunction
    json answer = json::parse(response.body, nullptr, false);
    if (!answer.is_object() || !answer.contains("/Code/ImageUri"_json_pointer)) return;
    if (qualifier.empty() || qualifier == "$LATEST" || qualifier == "%24LATEST") {
      latest_image_[name] = answer["Code"]["ImageUri"];
      return;
    }
    auto kept = version_images_.find(name + ":" + qualifier);
    if (kept == version_images_.end()) return;
    answer["Code"]["ImageUri"] = kept->second;
    answer["Code"]["ResolvedImageUri"] = kept->second;
    response.body = answer.dump();
  }
}

void AwsRealismProxy::RewriteLambda(const RecordedRequest& request, HttpResponse& response) {
  KeepVersionImages(request, response);
  if (request.path.rfind("/2015-03-31/functions/", 0) != 0 || response.status / 100 != 2) return;
  auto ends_with = [&](std::string_view tail) {
    return request.path.size() >= tail.size() &&
           request.path.compare(request.path.size() - tail.size(), tail.size(), tail) == 0;
  };
  std::lock_guard lock(mutex_);
  bool update = request.method == "PUT" && (ends_with("/code") || ends_with("/configuration"));
  bool read = request.method == "GET" && ends_with("/configuration");
  if (update) {
    update_pending_ = true;
    in_progress_left_ = slow_update_reads_;
  }
  if (!(update || read) || !update_pending_) return;
  json answer = json::parse(response.body, nullptr, false);
  if (!answer.is_object()) return;
  if (update || in_progress_left_ > 0) {
    if (read) --in_progress_left_;
    answer["LastUpdateStatus"] = "InProgress";
  } else if (!update_failure_code_.empty()) {
    answer["LastUpdateStatus"] = "Failed";
    answer["LastUpdateStatusReasonCode"] = update_failure_code_;
    answer["LastUpdateStatusReason"] = update_failure_reason_;
  } else {
    answer["LastUpdateStatus"] = "Successful";
    update_pending_ = false;
  }
  response.body = answer.dump();
}

int AwsRealismProxy::RegionRedirects() const {
  std::lock_guard lock(mutex_);
  return region_redirects_;
}

std::optional<ScriptedResponse> AwsRealismProxy::S3Quirk(const RecordedRequest& request) {
  if (request.Header("X-Amz-Target") != nullptr || request.path.size() < 2) return std::nullopt;
  size_t slash = request.path.find('/', 1);
  std::string bucket = request.path.substr(1, slash == std::string::npos ? slash : slash - 1);
  std::string key = slash == std::string::npos ? "" : request.path.substr(slash + 1);
  bool head = request.method == "HEAD";
  std::lock_guard lock(mutex_);
  if (auto region = bucket_regions_.find(bucket); region != bucket_regions_.end()) {
    std::string signed_for = SignedRegion(request);
    if (!signed_for.empty() && signed_for != region->second) {
      ++region_redirects_;
      ScriptedResponse wrong;
      wrong.headers = {{"x-amz-bucket-region", region->second}, {"Content-Type", "application/xml"}};
      if (head) {
        wrong.status = 301;
        wrong.headers.push_back({"Content-Length", "0"});
      } else {
        wrong.status = 400;
        wrong.body = S3ErrorBody("AuthorizationHeaderMalformed",
                                 "The authorization header is malformed; the region '" + signed_for +
                                     "' is wrong; expecting '" + region->second + "'",
                                 "<Region>" + region->second + "</Region>");
      }
      return wrong;
    }
  }
  if (auto scope = list_prefix_scopes_.find(bucket); scope != list_prefix_scopes_.end() && key.empty()) {
    bool listing = request.method == "GET" && request.query.find("list-type=") != std::string::npos;
    if (head) return ScriptedResponse{403, {{"Content-Length", "0"}}, "", ScriptedResponse::kRespond};
    if (listing && QueryParam(request.query, "prefix").rfind(scope->second, 0) != 0) {
      return ScriptedResponse{403, {{"Content-Type", "application/xml"}},
                              S3ErrorBody("AccessDenied", "Access Denied"),
                              ScriptedResponse::kRespond};
    }
  }
  if (sse_c_objects_.count(bucket + "/" + key) > 0 &&
      request.Header("x-amz-server-side-encryption-customer-key") == nullptr) {
    if (head) return ScriptedResponse{400, {{"Content-Length", "0"}}, "", ScriptedResponse::kRespond};
    if (request.method == "GET") {
      return ScriptedResponse{400, {{"Content-Type", "application/xml"}},
                              S3ErrorBody("InvalidRequest",
                                          "The object was stored using a form of Server Side "
                                          "Encryption. The correct parameters must be provided "
                                          "to retrieve the object."),
                              ScriptedResponse::kRespond};
    }
  }
  return std::nullopt;
}

int AwsRealismProxy::RunTaskCalls() const {
  std::lock_guard lock(mutex_);
  return run_task_calls_;
}

std::vector<std::string> AwsRealismProxy::TasksStarted() const {
  std::lock_guard lock(mutex_);
  return tasks_started_;
}

std::vector<std::string> AwsRealismProxy::ClientTokens() const {
  std::lock_guard lock(mutex_);
  return client_tokens_;
}

Result<HttpResponse> AwsRealismProxy::Forward(const RecordedRequest& request) {
  return ForwardRequest(*http_, upstream_, request);
}

ScriptedResponse AwsRealismProxy::Pass(const HttpResponse& response) { return PassResponse(response); }

std::vector<JsonCall> AwsRealismProxy::JsonCalls() const {
  std::lock_guard lock(mutex_);
  return json_calls_;
}

ScriptedResponse AwsRealismProxy::Handle(const RecordedRequest& request) {
  if (const std::string* target = request.Header("X-Amz-Target")) {
    std::lock_guard lock(mutex_);
    json_calls_.push_back({*target, request.body});
  }
  std::string operation = Operation(request);
  json body = json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
  if (operation == "RunTask" && body.is_object()) return RunTask(request, body);
  if (auto quirk = S3Quirk(request)) return *quirk;
  if (auto quirk = LambdaQuirk(request)) return *quirk;
  if (request.method == "PUT" && request.Header("X-Amz-Target") == nullptr &&
      (request.Header("If-Match") != nullptr || request.Header("If-None-Match") != nullptr)) {
    return ConditionalWrite(request);
  }

  auto response = Forward(request);
  if (!response.ok()) {
    ADD_FAILURE() << "AwsRealismProxy: moto did not answer: " << response.error().ToString();
    return {502, {}, "", ScriptedResponse::kRespond};
  }
  RewriteLambda(request, *response);
  if (operation == "DescribeTasks" && response->status == 200) {
    json answer = json::parse(response->body, nullptr, false);
    if (answer.is_object()) {
      RewriteDescribeTasks(answer);
      response->body = answer.dump();
    }
  }
  return Pass(*response);
}

ScriptedResponse AwsRealismProxy::RunTask(const RecordedRequest& request, const json& body) {
  std::string token = body.value("clientToken", "");
  std::string key = ClusterOf(body) + "\n" + token;
  {
    std::lock_guard lock(mutex_);
    ++run_task_calls_;
    client_tokens_.push_back(token);
    auto known = token_answers_.find(key);
    if (!token.empty() && known != token_answers_.end()) {
      // ECS's idempotency: the same answer, no second task.
      ScriptedResponse same;
      same.headers = {{"Content-Type", "application/x-amz-json-1.1"}};
      same.body = known->second;
      return same;
    }
  }
  auto response = Forward(request);
  if (!response.ok()) {
    ADD_FAILURE() << "AwsRealismProxy: moto did not answer RunTask: " << response.error().ToString();
    return {502, {}, "", ScriptedResponse::kRespond};
  }
  std::lock_guard lock(mutex_);
  if (response->status == 200) {
    json answer = json::parse(response->body, nullptr, false);
    if (answer.is_object()) {
      for (const json& task : answer.value("tasks", json::array())) {
        std::string arn = task.value("taskArn", "");
        if (arn.empty()) continue;
        if (std::find(tasks_started_.begin(), tasks_started_.end(), arn) == tasks_started_.end()) {
          tasks_started_.push_back(arn);
        }
        missing_left_[arn] = missing_describes_;
      }
    }
    if (!token.empty()) token_answers_[key] = response->body;
  }
  if (lose_run_task_answers_ > 0) {
    --lose_run_task_answers_;
    ScriptedResponse lost;
    lost.action = ScriptedResponse::kResetConnection;
    return lost;
  }
  return Pass(*response);
}

void AwsRealismProxy::PullImagesAs(const std::string& image, const std::string& digest) {
  std::lock_guard lock(mutex_);
  pulled_as_[image] = digest;
}

void AwsRealismProxy::RewriteDescribeTasks(json& answer) {
  std::lock_guard lock(mutex_);
  json tasks = json::array();
  json failures = answer.value("failures", json::array());
  for (json& task : answer.value("tasks", json::array())) {
    std::string arn = task.value("taskArn", "");
    auto missing = missing_left_.find(arn);
    if (missing != missing_left_.end() && missing->second > 0) {
      --missing->second;
      failures.push_back({{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    if (task.contains("containers") && task["containers"].is_array()) {
      for (json& container : task["containers"]) {
        if (!container.is_object()) continue;
        auto now = pulled_as_.find(container.value("image", ""));
        if (now == pulled_as_.end()) continue;
        auto kept = task_digests_.emplace(arn + "\n" + container.value("name", ""), now->second).first;
        container["imageDigest"] = kept->second;
      }
    }
    if (!stop_code_.empty() && task.value("lastStatus", "") == "STOPPED") {
      task["stopCode"] = stop_code_;
      task["stoppedReason"] = stopped_reason_;
    }
    tasks.push_back(std::move(task));
  }
  answer["tasks"] = std::move(tasks);
  answer["failures"] = std::move(failures);
}

}  // namespace sluice::testing
