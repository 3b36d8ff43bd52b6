// The OCI image spec's and Docker's media types and content descriptors, as the push code needs
// them: which document is an index or a manifest, which layer is compressed how, and the
// descriptor JSON that manifests use to point at blobs. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sluice/util/result.h"

namespace sluice {

namespace media_type {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media_type

bool IsIndexMediaType(std::string_view type);
bool IsManifestMediaType(std::string_view type);
bool IsDockerMediaType(std::string_view type);

enum class Compression { kNone, kGzip, kZstd };
std::string_view CompressionName(Compression c);  // "none", "gzip", "zstd"

// What the first bytes of a blob say about its compression (gzip 1f 8b, zstd 28 b5 2f fd).
Compression SniffCompression(std::string_view first_bytes);

// Is `type` a layer whose bytes are an uncompressed tar (the ones sluice-push compresses)?
bool IsUncompressedLayer(std::string_view type);
// Layers the image spec says are not pushed (their blobs live at the descriptor's `urls`, e.g.
// Windows base layers): application/vnd.oci.image.layer.nondistributable.v1.tar[+gzip|+zstd]
// and Docker's application/vnd.docker.image.rootfs.foreign.diff.tar.gzip.
bool IsNonDistributableLayer(std::string_view type);

// The media type of a layer after compressing it with `c`, in the family (OCI or Docker) of
// `manifest_type`. Docker manifests have no zstd layer type: an Error says so.
Result<std::string> CompressedLayerType(std::string_view manifest_type, Compression c);

// A content descriptor: what a manifest or index says about one blob.
struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<64 hex>"
  uint64_t size = 0;
  nlohmann::json extra = nlohmann::json::object();  // platform, annotations, urls: kept as given

  nlohmann::json ToJson() const;
};

// Reads a descriptor object; checks the digest's form and that size is a non-negative integer.
Result<Descriptor> ParseDescriptor(const nlohmann::json& json, std::string_view where);

// True for "sha256:" followed by 64 lower-case hex digits (the only algorithm accepted here,
// as ECR and most registries do).
bool IsValidDigest(std::string_view digest);
std::string DigestOf(std::string_view bytes);  // "sha256:" + hex SHA-256

}  // namespace sluice
