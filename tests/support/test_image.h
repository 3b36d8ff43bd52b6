// Small, real, valid container images for tests, made without docker: layer tars of random
// bytes from a seed (so a test picks the sizes), gzip'd layers, an image config and an OCI
// manifest, written as an OCI image layout directory, an `oci-archive:` tar, or a
// `docker-archive:` tar in both the legacy (before Docker 25) and the OCI (Docker 25+) form of
// `docker save`. Everything is deterministic: the same spec gives the same bytes and digests, so
// tests can compare them with what a registry stores. Images are held in memory; keep them to
// a few MiB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/util/result.h"

namespace sluice::testing {

inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfigType = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerGzipType = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerTarType = "application/vnd.oci.image.layer.v1.tar";

// One member of a tar made by MakeTar.
struct TarFile {
  std::string name;
  std::string content;  // regular files only
  char type = '0';      // '0' regular file, '1' hard link, '2' symlink, '5' directory
  std::string link;     // the target of a link
  uint32_t mode = 0644;
};

// A ustar archive, with a pax header for each name or link target over 100 bytes, and all
// times, owners and permissions fixed so the bytes depend on the members only.
std::string MakeTar(const std::vector<TarFile>& files);

// gzip (deflate with the gzip wrapper, mtime 0), as image layers are compressed.
std::string Gzip(std::string_view data);
// What a gzip stream decompresses to; "<inflate failed: RC>" when it is not one.
std::string Gunzip(std::string_view compressed);
// What a zstd stream decompresses to; "<zstd failed: ...>" or "<truncated zstd frame>" otherwise.
std::string Unzstd(std::string_view compressed);

// `size` pseudo-random bytes, the same for the same seed (they do not compress, so a layer's
// gzip'd size is close to its files' sizes).
std::string SeededBytes(uint64_t seed, size_t size);

// "sha256:<hex>" of the bytes.
std::string DigestOf(std::string_view data);

struct TestLayerSpec {
  std::vector<TarFile> files;
};
// A layer of `files` regular files of random bytes adding up to `bytes`, under "layer-<seed>/".
TestLayerSpec RandomLayer(uint64_t seed, size_t bytes, int files = 3);

struct TestImageSpec {
  std::vector<TestLayerSpec> layers;
  std::string architecture = "amd64";
  std::string os = "linux";
  std::vector<std::string> cmd = {"/bin/sh"};
};

struct TestLayer {
  std::string tar;         // the uncompressed layer
  std::string diff_id;     // "sha256:<hex>" of `tar`
  std::string media_type;  // as the manifest lists the blob
  std::string blob;        // the blob as stored: `tar` gzip'd, or `tar` itself
  std::string digest;      // "sha256:<hex>" of `blob`
  uint64_t size = 0;       // of `blob`
};

struct TestImage {
  std::string architecture;
  std::string os;
  std::string config;  // JSON bytes
  std::string config_digest;
  std::vector<TestLayer> layers;
  std::string manifest;  // OCI manifest bytes
  std::string manifest_digest;
};

// A multi-platform image: an OCI image index over one manifest per platform.
struct TestImageIndex {
  std::vector<TestImage> images;
  std::string index;  // JSON bytes
  std::string index_digest;
};

// An image with gzip'd layers (kOciLayerGzipType), as a registry usually holds it.
TestImage MakeTestImage(const TestImageSpec& spec);
// A small image: `layers` random layers of `layer_bytes` each, seeded from `seed`.
TestImage MakeTestImage(uint64_t seed, int layers = 2, size_t layer_bytes = 4096);
// The same image with its layers stored uncompressed (kOciLayerTarType), as `docker save` keeps
// them: the same config, a different manifest.
TestImage WithUncompressedLayers(const TestImage& image);
TestImageIndex MakeTestImageIndex(std::vector<TestImage> images);

// The writers return what the file or directory holds, to compare with what a registry ends up
// storing. An OCI layout names one manifest (or the index) with the annotation
// org.opencontainers.image.ref.name = `tag`; `dir` is created if missing.
Result<TestImage> WriteOciLayout(const std::string& dir, const TestImage& image,
                                 const std::string& tag);
Result<TestImageIndex> WriteOciLayout(const std::string& dir, const TestImageIndex& index,
                                      const std::string& tag);
// The same layout as a tar (`oci-archive:FILE`).
Result<TestImage> WriteOciArchive(const std::string& file, const TestImage& image,
                                  const std::string& tag);
Result<TestImageIndex> WriteOciArchive(const std::string& file, const TestImageIndex& index,
                                       const std::string& tag);
// `docker save` before Docker 25: manifest.json, repositories, <config hex>.json, and per layer
// <id>/layer.tar (uncompressed), <id>/VERSION and <id>/json. There is no manifest in the
// archive; the result is WithUncompressedLayers(image), whose config and layer blobs are the
// archive's (its `manifest` is what pushing those blobs as they are would give).
// `repo_tag` is "repository:tag".
Result<TestImage> WriteDockerArchiveLegacy(const std::string& file, const TestImage& image,
                                           const std::string& repo_tag);
// `docker save` from Docker 25 on: an OCI layout (uncompressed layers, index.json annotated
// with the tag) plus manifest.json whose Config and Layers are blobs/sha256/<hex> paths, and
// one symlink <id>/layer.tar -> ../blobs/sha256/<hex> for the first layer. The result is
// WithUncompressedLayers(image), whose manifest is the one in the archive.
Result<TestImage> WriteDockerArchiveOci(const std::string& file, const TestImage& image,
                                        const std::string& repo_tag);

}  // namespace sluice::testing
