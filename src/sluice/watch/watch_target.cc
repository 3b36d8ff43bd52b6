#include "sluice/watch/watch_target.h"

#include <filesystem>

namespace sluice {

bool IsValidBucketName(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(bucket.front()) && alnum(bucket.back()) && bucket.find("..") == std::string_view::npos;
}

std::string WatchTarget::ObjectUri(std::string_view object_key) const {
  if (kind == kLocal) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(std::string(object_key), ec).lexically_normal();
    return "file://" + (ec ? std::string(object_key) : absolute.string());
  }
  return "s3://" + bucket + "/" + std::string(object_key);
}

Result<WatchTarget> ParseWatchTarget(std::string_view text) {
  WatchTarget target;
  if (text.starts_with("s3://")) {
    std::string_view rest = text.substr(5);
    size_t slash = rest.find('/');
    target.bucket = std::string(rest.substr(0, slash));
    if (!IsValidBucketName(target.bucket)) {
      return Error::InvalidArgument("invalid target \"" + std::string(text) + "\": \"" +
                                    target.bucket +
                                    "\" is not a bucket name (3-63 characters: a-z, 0-9, '.', '-')");
    }
    target.key = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
    target.kind = target.key.empty() || target.key.back() == '/' ? WatchTarget::kS3Prefix
                                                                  : WatchTarget::kS3Object;
    target.uri = "s3://" + target.bucket + "/" + target.key;
    return target;
  }
  if (text.find("://") != std::string_view::npos && !text.starts_with("file://")) {
    return Error::InvalidArgument("invalid target \"" + std::string(text) +
                                  "\": use s3://bucket/key, s3://bucket/prefix/, or a local path");
  }
  std::string_view path = text.starts_with("file://") ? text.substr(7) : text;
  if (path.empty()) return Error::InvalidArgument("invalid target: an empty path");
  target.kind = WatchTarget::kLocal;
  target.path = std::string(path);
  target.uri = target.path;
  return target;
}

}  // namespace sluice
