#include "sluice/services/s3_client.h"

#include <cctype>
#include <sstream>
#include <pugixml.hpp>

#include "sluice/aws/config/region.h"
#include "sluice/aws/sigv4.h"
#include "sluice/util/logging.h"
#include "sluice/util/crypto.h"
#include "sluice/util/time_format.h"
#include "sluice/util/uri.h"

namespace sluice {
namespace {

std::string Unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

// Virtual-hosted addressing needs a bucket that is a valid DNS label without dots (dots break
// the TLS wildcard certificate).
bool IsVirtualHostable(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      return false;
    }
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

S3Object ObjectFromHeaders(const HttpHeaders& headers, std::string key) {
  S3Object o;
  o.key = std::move(key);
  if (const auto* v = FindHeader(headers, "etag")) o.etag = Unquote(*v);
  if (const auto* v = FindHeader(headers, "content-length")) o.size = std::strtoull(v->c_str(), nullptr, 10);
  if (const auto* v = FindHeader(headers, "last-modified")) {
    if (auto t = ParseHttpDate(*v)) o.last_modified = *t;
  }
  if (const auto* v = FindHeader(headers, "x-amz-version-id")) o.version_id = *v;
  if (const auto* v = FindHeader(headers, "x-amz-storage-class")) o.storage_class = *v;
  return o;
}

}  // namespace

S3Address AddressS3(const ResolvedEndpoint& endpoint, std::string_view bucket, std::string_view key, bool force_path_style) {
  S3Address out;
  std::string encoded_key = UriEncode(key, /*keep_slash=*/true);
  if (!endpoint.custom && !force_path_style && IsVirtualHostable(bucket)) {
    ParsedUrl url = endpoint.url;
    url.host = std::string(bucket) + "." + url.host;
    out.endpoint = url.Endpoint();
    out.path = "/" + encoded_key;
  } else {
    out.endpoint = endpoint.url.Endpoint();
    out.path = PathPrefix(endpoint) + "/" + UriEncode(bucket);
    if (!key.empty()) out.path += "/" + encoded_key;
  }
  return out;
}

Result<ListObjectsPage> ParseListObjectsV2(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return Error::Parse("ListObjectsV2 response is not XML");
  pugi::xml_node root = doc.child("ListBucketResult");
  if (!root) return Error::Parse("ListObjectsV2 response has no ListBucketResult");
  bool url_encoded = std::string_view(root.child_value("EncodingType")) == "url";
  auto decode = [&](const char* s) { return url_encoded ? FormDecode(s) : std::string(s); };
  ListObjectsPage page;
  for (pugi::xml_node c : root.children("Contents")) {
    S3Object o;
    o.key = decode(c.child_value("Key"));
    o.etag = Unquote(c.child_value("ETag"));
    o.size = std::strtoull(c.child_value("Size"), nullptr, 10);
    if (auto t = ParseIso8601(c.child_value("LastModified"))) o.last_modified = *t;
    o.storage_class = c.child_value("StorageClass");
    page.objects.push_back(std::move(o));
  }
  for (pugi::xml_node p : root.children("CommonPrefixes")) {
    page.common_prefixes.push_back(decode(p.child_value("Prefix")));
  }
  if (std::string_view(root.child_value("IsTruncated")) == "true") {
    page.next_continuation_token = root.child_value("NextContinuationToken");
    if (page.next_continuation_token.empty()) {
      return Error::Parse("ListObjectsV2 response is truncated but has no NextContinuationToken");
    }
  }
  return page;
}

Result<std::unique_ptr<S3Client>> S3Client::Make(std::shared_ptr<const ClientContext> context) {
  bool force_path_style = false;
  if (const Profile* profile = context->profile()) {
    if (const std::string* style = profile->Get("s3.addressing_style")) {
      force_path_style = *style == "path";
    }
  }
  auto client = ServiceClient::Make(context, kS3);
  if (!client.ok()) return client.error();
  return std::unique_ptr<S3Client>(
      new S3Client(std::move(context), std::move(client).value(), force_path_style));
}

std::string S3Client::LearntRegion(const std::string& bucket) const {
  std::lock_guard lock(mutex_);
  auto it = bucket_regions_.find(bucket);
  return it == bucket_regions_.end() ? "" : it->second;
}

std::shared_ptr<ServiceClient> S3Client::ClientFor(const std::string& bucket) {
  std::string region = LearntRegion(bucket);
  if (region.empty()) return client_;
  std::lock_guard lock(mutex_);
  auto it = regional_clients_.find(region);
  return it != regional_clients_.end() ? it->second : client_;
}

Result<std::shared_ptr<ServiceClient>> S3Client::ClientForRegion(const std::string& region) {
  if (region == client_->region()) return client_;
  std::lock_guard lock(mutex_);
  std::shared_ptr<ServiceClient>& slot = regional_clients_[region];
  if (!slot) {
    // Same credentials, connections and retry quota; the endpoint and signing region of the
    // bucket's region (a custom endpoint stays, and only the signing region changes).
    auto made = ServiceClient::Make(WithRegion(context_, region), kS3);
    if (!made.ok()) {
      regional_clients_.erase(region);
      return made.error();
    }
    slot = std::move(made).value();
  }
  return slot;
}

Result<HttpResponse> S3Client::SendTo(ServiceClient& client, std::string_view operation,
                                      std::string_view bucket, std::string_view key,
                                      HttpRequest request, const CallOptions& options) {
  S3Address address = AddressS3(client.endpoint(), bucket, key, force_path_style_);
  request.endpoint = std::move(address.endpoint);
  request.path = std::move(address.path);
  request.abortable = !finish_after_interrupt_;
  return client.Call(operation, std::move(request), options);
}

std::string S3Client::RedirectRegion(ServiceClient& client, std::string_view operation,
                                     std::string_view method, const std::string& bucket,
                                     const Error& e) {
  if (e.kind != ErrorKind::kService || bucket.empty()) return "";
  bool redirect = e.http_status == 301 || e.http_status == 302 || e.http_status == 307 ||
                  e.code == "PermanentRedirect" ||
                  (e.code == "AuthorizationHeaderMalformed" && !e.region.empty()) ||
                  (method == "HEAD" && e.http_status == 400 && !e.region.empty());
  if (!redirect) return "";
  std::string region = e.region;
  if (region.empty() && operation != "HeadBucket") {
    // S3 names the region on every HeadBucket answer, whatever its status.
    HttpRequest head;
    head.method = "HEAD";
    CallOptions any;
    any.is_success = [](int status) { return status < 500; };
    auto answer = SendTo(client, "HeadBucket", bucket, "", std::move(head), any);
    if (answer.ok()) {
      if (const std::string* r = answer->Header("x-amz-bucket-region")) region = *r;
    } else {
      region = answer.error().region;
    }
  }
  // A region name becomes part of a host name, so nothing else is taken.
  return IsValidRegionName(region) ? region : "";
}

void S3Client::ExplainBodylessHead(ServiceClient& client, std::string_view bucket,
                                   std::string_view key, Error& e) {
  HttpRequest probe;
  probe.method = "GET";
  std::string_view operation = "GetObject";
  if (key.empty()) {
    operation = "GetBucketLocation";
    probe.query = "location=";
  } else {
    probe.headers.push_back({"range", "bytes=0-0"});  // one byte at most, whatever the object
  }
  auto answer = SendTo(client, operation, bucket, key, std::move(probe), {});
  if (answer.ok()) return;  // the GET is allowed: the HEAD's reason stays unknown
  const Error& learnt = answer.error();
  if (learnt.kind != ErrorKind::kService || learnt.code.empty() || learnt.code == "BadRequest" ||
      learnt.code == "Forbidden" || learnt.code == "InvalidRange") {
    return;
  }
  e.code = learnt.code;
  e.message = learnt.message;
  if (e.code == "InvalidRequest" && learnt.message.find("Server Side Encryption") != std::string::npos) {
    e.code = "SSECustomerKeyRequired";
    e.message = "s3://" + std::string(bucket) + "/" + std::string(key) +
                " is encrypted with a customer-provided key (SSE-C), which sluice does not "
                "send: watch it through its prefix (a listing needs no key) or store it with "
                "SSE-S3 or SSE-KMS (" + learnt.message + ")";
  }
  e.message += std::string(e.message.empty() ? "" : " ") +
               "[learnt from a GET: a HEAD answer has no body to say why]";
}

Result<HttpResponse> S3Client::Send(std::string_view operation, const std::string& bucket,
                                    std::string_view key, HttpRequest request,
                                    const CallOptions& options) {
  std::shared_ptr<ServiceClient> client = ClientFor(bucket);
  std::string method = request.method;
  HttpRequest again = request;  // for the one re-send to the bucket's region
  auto response = SendTo(*client, operation, bucket, key, std::move(request), options);
  if (!response.ok()) {
    std::string region = RedirectRegion(*client, operation, method, bucket, response.error());
    if (!region.empty() && region != client->region()) {
      auto regional = ClientForRegion(region);
      if (regional.ok()) {
        bool first = false;
        {
          std::lock_guard lock(mutex_);
          std::string& known = bucket_regions_[bucket];
          first = known != region;
          known = region;
        }
        if (first) {
          LogLine("note: s3://" + bucket + " is in region " + region + ", not " +
                  client->region() + ": its requests go there from now on (AWS_REGION=" +
                  region + " saves the redirect)");
        }
        if (again.body_source) {
          if (Status s = again.body_source->Rewind(); !s.ok()) return s.error();
        }
        client = *regional;
        response = SendTo(*client, operation, bucket, key, std::move(again), options);
      }
    }
  }
  if (!response.ok() && method == "HEAD" &&
      (response.error().code == "BadRequest" || response.error().code == "Forbidden")) {
    ExplainBodylessHead(*client, bucket, key, response.error());
  }
  return response;
}

Status S3Client::CreateBucket(const std::string& bucket) {
  HttpRequest request;
  request.method = "PUT";
  if (client_->region() != "us-east-1") {
    request.body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" + client_->region() + "</LocationConstraint></CreateBucketConfiguration>";
  }
  // Not through Send: a new bucket goes to the client's region, wherever a name was seen before.
  auto response = SendTo(*client_, "CreateBucket", bucket, "", std::move(request), {});
  if (!response.ok()) return response.error();
  return Status::Ok();
}

Result<S3Object> S3Client::PutObject(const std::string& bucket, const std::string& key,
                                     std::string body, const std::string& content_type,
                                     const S3WriteCondition& condition) {
  HttpRequest request;
  request.method = "PUT";
  if (!content_type.empty()) request.headers.push_back({"content-type", content_type});
  if (!condition.if_match.empty()) {
    request.headers.push_back({"if-match", "\"" + condition.if_match + "\""});
  }
  if (condition.if_none_exists) request.headers.push_back({"if-none-match", "*"});
  request.body = std::move(body);
  auto response = Send("PutObject", bucket, key, std::move(request));
  if (!response.ok()) return response.error();
  return ObjectFromHeaders(response->headers, key);
}

Result<S3Object> S3Client::PutObject(const std::string& bucket, const std::string& key,
                                     std::shared_ptr<BodySource> body,
                                     const std::string& content_type) {
  HttpRequest request;
  request.method = "PUT";
  if (!content_type.empty()) request.headers.push_back({"content-type", content_type});
  request.body_source = std::move(body);
  CallOptions options;
  options.payload_hash = std::string(kUnsignedPayload);
  auto response = Send("PutObject", bucket, key, std::move(request), options);
  if (!response.ok()) return response.error();
  return ObjectFromHeaders(response->headers, key);
}

Result<std::string> S3Client::GetObject(const std::string& bucket, const std::string& key) {
  HttpRequest request;
  request.method = "GET";
  auto response = Send("GetObject", bucket, key, std::move(request));
  if (!response.ok()) return response.error();
  return std::move(response->body);
}

Result<S3ObjectRead> S3Client::ReadObject(const std::string& bucket, const std::string& key) {
  HttpRequest request;
  request.method = "GET";
  auto response = Send("GetObject", bucket, key, std::move(request));
  if (!response.ok()) return response.error();
  S3ObjectRead read;
  read.object = ObjectFromHeaders(response->headers, key);
  read.body = std::move(response->body);
  if (const auto* date = response->Header("date")) read.served_at = ParseHttpDate(*date);
  return read;
}

Result<S3Object> S3Client::GetObject(const std::string& bucket, const std::string& key,
                                     std::function<bool(std::string_view)> sink) {
  HttpRequest request;
  request.method = "GET";
  request.on_body = std::move(sink);
  auto response = Send("GetObject", bucket, key, std::move(request));
  if (!response.ok()) return response.error();
  return ObjectFromHeaders(response->headers, key);
}

Result<HeadObjectResult> S3Client::HeadObject(const std::string& bucket, const std::string& key,
                                              const std::string& if_none_match) {
  HttpRequest request;
  request.method = "HEAD";
  if (!if_none_match.empty()) request.headers.push_back({"if-none-match", "\"" + if_none_match + "\""});
  CallOptions options;
  options.is_success = [](int status) { return (status >= 200 && status < 300) || status == 304; };
  auto response = Send("HeadObject", bucket, key, std::move(request), options);
  if (!response.ok()) {
    Error e = response.error();
    if (e.code == "AccessDenied") {
      e.message = "no permission to read s3://" + bucket + "/" + key +
                  " with the credentials in use: it needs s3:GetObject on the object, and "
                  "s3:ListBucket on the bucket for a missing object to read as missing" +
                  (e.message.empty() ? "" : " (" + e.message + ")");
    }
    return e;
  }
  HeadObjectResult result;
  result.not_modified = response->status == 304;
  result.object = ObjectFromHeaders(response->headers, key);
  if (result.not_modified && result.object.etag.empty()) result.object.etag = if_none_match;
  return result;
}

Result<ListObjectsPage> S3Client::ListObjectsV2(const std::string& bucket,
                                                const ListObjectsParams& params) {
  HttpRequest request;
  request.method = "GET";
  std::vector<std::pair<std::string, std::string>> q{{"list-type", "2"}, {"encoding-type", "url"}};
  if (!params.prefix.empty()) q.emplace_back("prefix", params.prefix);
  if (!params.delimiter.empty()) q.emplace_back("delimiter", params.delimiter);
  if (!params.continuation_token.empty()) q.emplace_back("continuation-token", params.continuation_token);
  if (!params.start_after.empty()) q.emplace_back("start-after", params.start_after);
  if (params.max_keys > 0) q.emplace_back("max-keys", std::to_string(params.max_keys));
  request.query = BuildQuery(q);
  auto response = Send("ListObjectsV2", bucket, "", std::move(request));
  if (!response.ok()) return response.error();
  auto page = ParseListObjectsV2(response->body);
  if (!page.ok()) {
    Error e = page.error();
    e.service = "s3";
    e.operation = "ListObjectsV2";
    return e;
  }
  return page;
}

Result<std::vector<S3Object>> S3Client::ListAllObjects(const std::string& bucket,
                                                       const std::string& prefix) {
  std::vector<S3Object> all;
  ListObjectsParams params;
  params.prefix = prefix;
  do {
    auto page = ListObjectsV2(bucket, params);
    if (!page.ok()) return page.error();
    for (auto& o : page->objects) all.push_back(std::move(o));
    if (page->next_continuation_token == params.continuation_token &&
        !params.continuation_token.empty()) {
      return Error::Parse("ListObjectsV2 returned the same continuation token twice");
    }
    params.continuation_token = page->next_continuation_token;
  } while (!params.continuation_token.empty());
  return all;
}

Status S3Client::DeleteObject(const std::string& bucket, const std::string& key) {
  HttpRequest request;
  request.method = "DELETE";
  auto response = Send("DeleteObject", bucket, key, std::move(request));
  if (!response.ok()) return response.error();
  return Status::Ok();
}

Status S3Client::HeadBucket(const std::string& bucket) {
  HttpRequest request;
  request.method = "HEAD";
  auto response = Send("HeadBucket", bucket, "", std::move(request));
  if (!response.ok()) {
    Error e = response.error();
    if (e.http_status == 404) {
      e.code = "NoSuchBucket";
      e.message = "bucket " + bucket + " does not exist (check the name, the region and the "
                  "endpoint)";
    } else if (e.code == "Forbidden" || e.code == "AccessDenied") {
      e.code = "AccessDenied";
      e.message = "no permission to read bucket " + bucket + " (s3:ListBucket) with the "
                  "credentials in use";
    }
    return e;
  }
  return Status::Ok();
}

Status S3Client::NotifyQueue(const std::string& bucket, const std::string& queue_arn) {
  HttpRequest request;
  request.method = "PUT";
  request.query = "notification=";
  pugi::xml_document doc;
  auto config = doc.append_child("NotificationConfiguration");
  config.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  auto queue = config.append_child("QueueConfiguration");
  queue.append_child("Queue").text() = queue_arn.c_str();
  queue.append_child("Event").text() = "s3:ObjectCreated:*";
  queue.append_child("Event").text() = "s3:ObjectRemoved:*";
  std::ostringstream xml;
  doc.save(xml, "", pugi::format_raw | pugi::format_no_declaration);
  request.body = xml.str();
  auto response = Send("PutBucketNotificationConfiguration", bucket, "", std::move(request));
  if (!response.ok()) return response.error();
  return Status::Ok();
}

}  // namespace sluice
