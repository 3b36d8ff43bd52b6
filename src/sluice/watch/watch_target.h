// What sluice-watch is asked to watch, parsed from its arguments (pure):
//   s3://bucket/key       one object
//   s3://bucket/prefix/   every object under a prefix (trailing slash)
//   s3://bucket           the whole bucket
//   /path, ./path, file:///path   a local file or directory
#pragma once

#include <string>
#include <string_view>

#include "sluice/util/result.h"

namespace sluice {

struct WatchTarget {
  enum Kind { kS3Object, kS3Prefix, kLocal };
  Kind kind = kS3Object;
  std::string bucket;
  std::string key;   // the object's key, or the prefix ("" for a whole bucket)
  std::string path;  // kLocal
  // The canonical text: "s3://bucket/key", "s3://bucket/prefix/", "s3://bucket/", or the path.
  // It names the target in --state files.
  std::string uri;

  // The URI of one object of this target: s3://bucket/key, or file:///absolute/path.
  std::string ObjectUri(std::string_view object_key) const;
};

// An error says what a target should look like.
Result<WatchTarget> ParseWatchTarget(std::string_view text);

// S3's bucket naming rules (3-63 characters of a-z 0-9 . -, starting and ending with a letter
// or digit).
bool IsValidBucketName(std::string_view bucket);

}  // namespace sluice
