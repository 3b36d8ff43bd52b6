// Pushing one image (a manifest, or an index with its platform manifests) from an ImageSource to
// a Registry, in the order the distribution spec needs: every blob first (config and layers, the
// ones the registry has skipped after a HEAD, the rest uploaded `jobs` at a time), then each
// platform manifest by digest, then the root manifest or index under each tag. A tag is written
// only after everything it points at is stored, so a failed push never leaves a tag pointing at
// a half-pushed image.
//
// Uncompressed layers (docker save's) are compressed on the way (gzip, or zstd with OCI
// manifests), in parallel, and the manifests that name them rewritten. Every byte read from the
// source is checked against its digest before the registry is asked to keep it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sluice/image/compressed_digest_cache.h"
#include "sluice/image/image_source.h"
#include "sluice/image/layer_compressor.h"
#include "sluice/oci/oci_types.h"
#include "sluice/registry/blob_locations.h"
#include "sluice/registry/registry_client.h"
#include "sluice/util/result.h"

namespace sluice {

struct PushOptions {
  std::string image_name;         // "host/repo", for the result's image field
  std::vector<std::string> tags;  // at least one
  Compression compression = Compression::kGzip;  // for uncompressed layers
  int compression_level = -1;
  int jobs = 4;  // blobs uploaded (and layers compressed) at once
  std::string temp_directory;
  // --mount-from: another repository of the same registry to mount blobs from, asked instead of
  // the one `PushDeps::locations` knows.
  std::string mount_from;
};

// What happens to each blob, for progress displays (called from worker threads).
struct BlobEvent {
  enum Kind { kCompressing, kUploading, kProgress, kPushed, kSkipped, kMounted } kind = kProgress;
  std::string digest;
  uint64_t size = 0;  // the blob's size as pushed
  uint64_t sent = 0;  // bytes sent so far (kProgress)
  std::string media_type;
  std::string from;  // kMounted: the repository it was mounted from
};

struct PushDeps {
  Registry* registry = nullptr;
  std::function<void(const BlobEvent&)> on_blob;  // optional
  std::function<bool()> cancelled;                 // optional: true stops the push
  // Optional: what layers compressed to before, so a layer the registry already has in that
  // form is neither compressed nor uploaded again.
  CompressedDigestCache* digest_cache = nullptr;
  // Optional: where blobs were pushed before, for cross-repository mounts; what this push
  // stores (or finds) is recorded there too.
  BlobLocations* locations = nullptr;
};

struct PushResult {
  std::string image;   // "host/repo@sha256:..."
  std::string digest;  // of the root manifest or index as pushed
  std::string media_type;
  std::vector<std::string> tags;
  // Of `tags`, those an immutable repository already had on this digest: a re-run of the same
  // push, which is success with nothing written.
  std::vector<std::string> tags_unchanged;
  std::vector<std::string> platform_manifests;  // digests, for an index
  int blobs_pushed = 0;
  int blobs_skipped = 0;
  int blobs_mounted = 0;  // mounted from another repository: not uploaded
  uint64_t bytes_uploaded = 0;
  int layers_compressed = 0;
};

Result<PushResult> PushImage(const ImageSource& source, const PushOptions& options,
                             const PushDeps& deps);

}  // namespace sluice
