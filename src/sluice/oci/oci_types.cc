#include "sluice/oci/oci_types.h"

#include "sluice/util/crypto.h"

namespace sluice {

bool IsIndexMediaType(std::string_view type) {
  return type == media_type::kOciIndex || type == media_type::kDockerManifestList;
}

bool IsManifestMediaType(std::string_view type) {
  return type == media_type::kOciManifest || type == media_type::kDockerManifest;
}

bool IsDockerMediaType(std::string_view type) {
  return type.starts_with("application/vnd.docker.");
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "none";
}

Compression SniffCompression(std::string_view b) {
  if (b.size() >= 2 && static_cast<uint8_t>(b[0]) == 0x1f && static_cast<uint8_t>(b[1]) == 0x8b) {
    return Compression::kGzip;
  }
  if (b.size() >= 4 && static_cast<uint8_t>(b[0]) == 0x28 && static_cast<uint8_t>(b[1]) == 0xb5 &&
      static_cast<uint8_t>(b[2]) == 0x2f && static_cast<uint8_t>(b[3]) == 0xfd) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

bool IsUncompressedLayer(std::string_view type) {
  return type == media_type::kOciLayer || type == media_type::kDockerLayer;
}

bool IsNonDistributableLayer(std::string_view type) {
  return type.starts_with("application/vnd.oci.image.layer.nondistributable.") ||
         type.starts_with("application/vnd.docker.image.rootfs.foreign.");
}

Result<std::string> CompressedLayerType(std::string_view manifest_type, Compression c) {
  bool docker = IsDockerMediaType(manifest_type);
  switch (c) {
    case Compression::kGzip:
      return std::string(docker ? media_type::kDockerLayerGzip : media_type::kOciLayerGzip);
    case Compression::kZstd:
      if (docker) {
        return Error::InvalidArgument(
            "zstd layers need an OCI manifest, and this image has a Docker one: use "
            "--compression gzip");
      }
      return std::string(media_type::kOciLayerZstd);
    case Compression::kNone:
      break;
  }
  return Error::InvalidArgument("no compression chosen");
}

nlohmann::json Descriptor::ToJson() const {
  nlohmann::json json = extra.is_object() ? extra : nlohmann::json::object();
  json["mediaType"] = media_type;
  json["digest"] = digest;
  json["size"] = size;
  return json;
}

bool IsValidDigest(std::string_view digest) {
  if (digest.size() != 71 || digest.substr(0, 7) != "sha256:") return false;
  for (char c : digest.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string DigestOf(std::string_view bytes) { return "sha256:" + Sha256Hex(bytes); }

Result<Descriptor> ParseDescriptor(const nlohmann::json& json, std::string_view where) {
  std::string w(where);
  if (!json.is_object()) return Error::Parse(w + ": a descriptor is not a JSON object");
  Descriptor d;
  auto digest = json.find("digest");
  if (digest == json.end() || !digest->is_string() || !IsValidDigest(digest->get<std::string>())) {
    return Error::Parse(w + ": a descriptor has no valid sha256 digest");
  }
  d.digest = digest->get<std::string>();
  auto size = json.find("size");
  if (size == json.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return Error::Parse(w + ": descriptor " + d.digest + " has no valid size");
  }
  d.size = size->get<uint64_t>();
  auto type = json.find("mediaType");
  if (type != json.end() && type->is_string()) d.media_type = type->get<std::string>();
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() != "digest" && it.key() != "size" && it.key() != "mediaType") {
      d.extra[it.key()] = it.value();
    }
  }
  return d;
}

}  // namespace sluice
