#include "sluice/services/s3_client.h"

#include <cctype>
#include <sstream>
#include <pugixml.hpp>

#include "sluice/aws/sigv4.h"
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
  auto client = ServiceClient::Make(std::move(context), kS3);
  if (!client.ok()) return client.error();
  return std::unique_ptr<S3Client>(new S3Client(std::move(client).value(), force_path_style));
}

HttpRequest S3Client::Request(std::string method, std::string_view bucket,
                              std::string_view key) const {
  S3Address address = AddressS3(client_->endpoint(), bucket, key, force_path_style_);
  HttpRequest request;
  request.method = std::move(method);
  request.endpoint = std::move(address.endpoint);
  request.path = std::move(address.path);
  return request;
}

Status S3Client::CreateBucket(const std::string& bucket) {
  HttpRequest request = Request("PUT", bucket, "");
  if (client_->region() != "us-east-1") {
    request.body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" + client_->region() + "</LocationConstraint></CreateBucketConfiguration>";
  }
  auto response = client_->Call("CreateBucket", std::move(request));
  if (!response.ok()) return response.error();
  return Status::Ok();
}

Result<S3Object> S3Client::PutObject(const std::string& bucket, const std::string& key,
                                     std::string body, const std::string& content_type) {
  HttpRequest request = Request("PUT", bucket, key);
  if (!content_type.empty()) request.headers.push_back({"content-type", content_type});
  request.body = std::move(body);
  auto response = client_->Call("PutObject", std::move(request));
  if (!response.ok()) return response.error();
  S3Object o = ObjectFromHeaders(response->headers, key);
  return o;
}

Result<S3Object> S3Client::PutObject(const std::string& bucket, const std::string& key,
                                     std::shared_ptr<BodySource> body,
                                     const std::string& content_type) {
  HttpRequest request = Request("PUT", bucket, key);
  if (!content_type.empty()) request.headers.push_back({"content-type", content_type});
  request.body_source = std::move(body);
  CallOptions options;
  options.payload_hash = std::string(kUnsignedPayload);
  auto response = client_->Call("PutObject", std::move(request), options);
  if (!response.ok()) return response.error();
  return ObjectFromHeaders(response->headers, key);
}

Result<std::string> S3Client::GetObject(const std::string& bucket, const std::string& key) {
  auto response = client_->Call("GetObject", Request("GET", bucket, key));
  if (!response.ok()) return response.error();
  return std::move(response->body);
}

Result<S3Object> S3Client::GetObject(const std::string& bucket, const std::string& key,
                                     std::function<bool(std::string_view)> sink) {
  HttpRequest request = Request("GET", bucket, key);
  request.on_body = std::move(sink);
  auto response = client_->Call("GetObject", std::move(request));
  if (!response.ok()) return response.error();
  return ObjectFromHeaders(response->headers, key);
}

Result<HeadObjectResult> S3Client::HeadObject(const std::string& bucket, const std::string& key,
                                              const std::string& if_none_match) {
  HttpRequest request = Request("HEAD", bucket, key);
  if (!if_none_match.empty()) request.headers.push_back({"if-none-match", "\"" + if_none_match + "\""});
  CallOptions options;
  options.is_success = [](int status) { return (status >= 200 && status < 300) || status == 304; };
  auto response = client_->Call("HeadObject", std::move(request), options);
  if (!response.ok()) return response.error();
  HeadObjectResult result;
  result.not_modified = response->status == 304;
  result.object = ObjectFromHeaders(response->headers, key);
  if (result.not_modified && result.object.etag.empty()) result.object.etag = if_none_match;
  return result;
}

Result<ListObjectsPage> S3Client::ListObjectsV2(const std::string& bucket,
                                                const ListObjectsParams& params) {
  HttpRequest request = Request("GET", bucket, "");
  std::vector<std::pair<std::string, std::string>> q{{"list-type", "2"}, {"encoding-type", "url"}};
  if (!params.prefix.empty()) q.emplace_back("prefix", params.prefix);
  if (!params.delimiter.empty()) q.emplace_back("delimiter", params.delimiter);
  if (!params.continuation_token.empty()) q.emplace_back("continuation-token", params.continuation_token);
  if (!params.start_after.empty()) q.emplace_back("start-after", params.start_after);
  if (params.max_keys > 0) q.emplace_back("max-keys", std::to_string(params.max_keys));
  request.query = BuildQuery(q);
  auto response = client_->Call("ListObjectsV2", std::move(request));
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
  auto response = client_->Call("DeleteObject", Request("DELETE", bucket, key));
  if (!response.ok()) return response.error();
  return Status::Ok();
}

Status S3Client::HeadBucket(const std::string& bucket) {
  auto response = client_->Call("HeadBucket", Request("HEAD", bucket, ""));
  if (!response.ok()) {
    Error e = response.error();
    if (e.http_status == 404) {
      e.code = "NoSuchBucket";
      e.message = "bucket " + bucket + " does not exist (check the name, the region and the "
                  "endpoint)";
    } else if (e.http_status == 403) {
      e.code = "AccessDenied";
      e.message = "no permission to read bucket " + bucket + " (s3:ListBucket) with the "
                  "credentials in use";
    }
    return e;
  }
  return Status::Ok();
}

Status S3Client::NotifyQueue(const std::string& bucket, const std::string& queue_arn) {
  HttpRequest request = Request("PUT", bucket, "");
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
  auto response = client_->Call("PutBucketNotificationConfiguration", std::move(request));
  if (!response.ok()) return response.error();
  return Status::Ok();
}

}  // namespace sluice
