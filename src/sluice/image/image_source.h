// ImageSource: an image on disk as sluice-push reads it — an OCI image layout directory, the same
// layout in a tar (oci-archive), or `docker save` output (docker-archive, both the legacy layout
// with <id>/layer.tar and Docker 25's OCI-in-tar layout). Opening one reads only the small
// documents (index.json, manifest.json, manifests, configs); blobs stay on disk and are streamed
// from their file or from their offset inside the archive when pushed.
//
// A docker-archive has no registry manifest: one is made from manifest.json (a Docker schema 2
// manifest with the archive's config and layers, as `docker push` would), and held in memory.
// Thread-safe once opened (blob bodies are separate objects).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/oci/image_reference.h"
#include "sluice/oci/oci_types.h"
#include "sluice/os/body_source.h"
#include "sluice/util/result.h"

namespace sluice {

class ImageSource {
 public:
  // Reads the source's index or manifest.json and picks the image spec.reference names (or the
  // only one). Errors name the file and what is wrong with it.
  static Result<ImageSource> Open(const SourceSpec& spec);

  // The document to push under the destination tag: a manifest or an index.
  const Descriptor& root() const { return root_; }
  // "oci:DIR:TAG" as the user gave it, for messages.
  const std::string& description() const { return description_; }

  // A small document (manifest, index, config) read whole and checked against its digest and size.
  Result<std::string> ReadDocument(const Descriptor& descriptor) const;
  // A blob's bytes, streamed from disk; the size is checked here, the digest by the caller while
  // it streams (see VerifyingBody).
  Result<std::shared_ptr<BodySource>> OpenBlob(const Descriptor& descriptor) const;
  // Up to `n` first bytes of a blob (to sniff its compression).
  Result<std::string> ReadPrefix(const Descriptor& descriptor, size_t n) const;

 private:
  struct Location {
    std::string path;
    uint64_t offset = 0;
    uint64_t size = 0;
  };
  Result<Location> Find(const Descriptor& descriptor) const;

  std::string description_;
  Descriptor root_;
  std::string blob_directory_;  // OCI layout directory: blobs are <dir>/blobs/<alg>/<hex>
  std::map<std::string, Location> in_archive_;    // digest -> bytes inside an archive
  std::map<std::string, std::string> in_memory_;  // digest -> a synthesized document

  friend class ImageSourceLoader;
};

// A body that hashes what passes through it and fails the read that reaches the end when the
// bytes do not match `digest` (so an upload is aborted before it is committed).
std::shared_ptr<BodySource> VerifyingBody(std::shared_ptr<BodySource> inner, std::string digest,
                                          std::string what);

}  // namespace sluice
