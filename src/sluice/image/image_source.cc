#include "sluice/image/image_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "sluice/image/tar_reader.h"
#include "sluice/os/file_read.h"
#include "sluice/util/crypto.h"

namespace sluice {

// Documents bigger than this are not manifests or configs: refuse rather than read gigabytes.
constexpr uint64_t kMaxDocumentSize = 16 << 20;
constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

class ImageSourceLoader {
 public:
  static Result<ImageSource> OciLayout(const SourceSpec& spec);
  static Result<ImageSource> OciArchive(const SourceSpec& spec);
  static Result<ImageSource> DockerArchive(const SourceSpec& spec);

 private:
  // Picks the index.json entry for `reference` (or the only one) as the root.
  static Status PickFromIndex(ImageSource& source, const std::string& index_bytes,
                              const std::string& where, const std::string& reference);
  static void AddArchiveBlobs(ImageSource& source, const TarIndex& tar);
};

namespace {

std::string SourceDescription(const SourceSpec& spec) {
  std::string prefix = spec.kind == SourceKind::kOciLayout    ? "oci:"
                       : spec.kind == SourceKind::kOciArchive ? "oci-archive:"
                                                              : "docker-archive:";
  return prefix + spec.path + (spec.reference.empty() ? "" : ":" + spec.reference);
}

Result<nlohmann::json> ParseJsonDocument(const std::string& bytes, const std::string& where) {
  auto json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Error::Parse(where + " is not valid JSON");
  return json;
}

Result<std::string> ReadMember(const TarIndex& tar, const std::string& name) {
  const TarEntry* entry = tar.Find(name);
  if (entry == nullptr) return Error::Parse(tar.path() + " has no " + name);
  return ReadTarMember(tar, *entry, kMaxDocumentSize);
}

// "blobs/sha256/<hex>" -> "sha256:<hex>", or "" for any other path.
std::string DigestFromBlobPath(std::string_view path) {
  if (path.substr(0, 2) == "./") path.remove_prefix(2);
  if (path.substr(0, 6) != "blobs/") return "";
  path.remove_prefix(6);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return "";
  std::string digest = std::string(path.substr(0, slash)) + ":" + std::string(path.substr(slash + 1));
  return IsValidDigest(digest) ? digest : "";
}

class VerifyingBodySource : public BodySource {
 public:
  VerifyingBodySource(std::shared_ptr<BodySource> inner, std::string digest, std::string what)
      : inner_(std::move(inner)), digest_(std::move(digest)), what_(std::move(what)) {}
  uint64_t size() const override { return inner_->size(); }
  Result<size_t> Read(char* buffer, size_t n) override {
    Result<size_t> got = inner_->Read(buffer, n);
    if (!got.ok()) return got;
    if (*got > 0) {
      hasher_->Update(std::string_view(buffer, *got));
      return got;
    }
    if (!checked_) {
      checked_ = true;
      std::string actual = "sha256:" + HexEncode(hasher_->Finish());
      if (actual != digest_) {
        return Error::InvalidArgument(what_ + " does not match its digest " + digest_ +
                                      " (its bytes hash to " + actual +
                                      "): the image is corrupt; nothing was tagged");
      }
    }
    return got;
  }
  Status Rewind() override {
    hasher_ = std::make_unique<Sha256Hasher>();
    checked_ = false;
    return inner_->Rewind();
  }

 private:
  std::shared_ptr<BodySource> inner_;
  std::string digest_;
  std::string what_;
  std::unique_ptr<Sha256Hasher> hasher_ = std::make_unique<Sha256Hasher>();
  bool checked_ = false;
};

}  // namespace

std::shared_ptr<BodySource> VerifyingBody(std::shared_ptr<BodySource> inner, std::string digest,
                                          std::string what) {
  return std::make_shared<VerifyingBodySource>(std::move(inner), std::move(digest),
                                               std::move(what));
}

Status ImageSourceLoader::PickFromIndex(ImageSource& source, const std::string& index_bytes,
                                        const std::string& where, const std::string& reference) {
  auto index = ParseJsonDocument(index_bytes, where);
  if (!index.ok()) return index.error();
  if (!index->is_object() || !index->contains("manifests") || !(*index)["manifests"].is_array()) {
    return Error::Parse(where + " has no \"manifests\" list: is this an OCI image layout?");
  }
  std::vector<Descriptor> entries;
  for (const auto& item : (*index)["manifests"]) {
    auto descriptor = ParseDescriptor(item, where);
    if (!descriptor.ok()) return descriptor.error();
    entries.push_back(std::move(descriptor).value());
  }
  auto name_of = [](const Descriptor& d) -> std::string {
    auto annotations = d.extra.find("annotations");
    if (annotations == d.extra.end() || !annotations->is_object()) return "";
    auto name = annotations->find(kRefNameAnnotation);
    return name != annotations->end() && name->is_string() ? name->get<std::string>() : "";
  };
  std::string names;
  for (const Descriptor& d : entries) {
    std::string name = name_of(d);
    names += (names.empty() ? "" : ", ") + (name.empty() ? d.digest : name);
  }
  const Descriptor* chosen = nullptr;
  if (reference.empty()) {
    if (entries.size() != 1) {
      return Error::InvalidArgument(where + " holds " + std::to_string(entries.size()) +
                                    " images (" + names + "): name one as " +
                                    source.description() + ":TAG");
    }
    chosen = &entries[0];
  } else {
    for (const Descriptor& d : entries) {
      if (name_of(d) == reference) {
        if (chosen != nullptr && chosen->digest != d.digest) {
          return Error::Parse(where + " names two different images '" + reference + "'");
        }
        chosen = &d;
      }
    }
    if (chosen == nullptr) {
      return Error::InvalidArgument(where + " has no image tagged '" + reference + "' (it has: " +
                                    (names.empty() ? "none" : names) + ")");
    }
  }
  if (!IsIndexMediaType(chosen->media_type) && !IsManifestMediaType(chosen->media_type)) {
    return Error::Parse(where + ": " + chosen->digest + " has media type '" +
                        chosen->media_type + "', not an image manifest or index");
  }
  source.root_ = *chosen;
  source.root_.extra = nlohmann::json::object();  // annotations of index.json are not pushed
  return Status::Ok();
}

void ImageSourceLoader::AddArchiveBlobs(ImageSource& source, const TarIndex& tar) {
  for (const TarEntry& entry : tar.entries()) {
    std::string digest = DigestFromBlobPath(entry.name);
    if (!digest.empty()) source.in_archive_[digest] = {tar.path(), entry.offset, entry.size};
  }
}

Result<ImageSource> ImageSourceLoader::OciLayout(const SourceSpec& spec) {
  ImageSource source;
  source.description_ = SourceDescription(spec);
  source.blob_directory_ = spec.path;
  int err = 0;
  std::string layout_path = spec.path + "/oci-layout";
  if (!ReadWholeFile(layout_path, &err)) {
    struct stat st;
    if (::stat(spec.path.c_str(), &st) != 0) {
      return Error::InvalidArgument("source directory " + spec.path + ": " + std::strerror(errno));
    }
    return Error::InvalidArgument(spec.path + " is not an OCI image layout (it has no oci-layout "
                                  "file); for a `docker save` tar use docker-archive:");
  }
  std::string index_path = spec.path + "/index.json";
  auto index = ReadWholeFile(index_path, &err);
  if (!index) return Error::Io(index_path + ": " + std::strerror(err));
  Status picked = PickFromIndex(source, *index, index_path, spec.reference);
  if (!picked.ok()) return picked.error();
  return source;
}

Result<ImageSource> ImageSourceLoader::OciArchive(const SourceSpec& spec) {
  auto tar = TarIndex::Read(spec.path);
  if (!tar.ok()) return tar.error();
  ImageSource source;
  source.description_ = SourceDescription(spec);
  if (tar->Find("oci-layout") == nullptr) {
    return Error::InvalidArgument(spec.path + " is not an OCI archive (it has no oci-layout "
                                  "member); for a `docker save` tar use docker-archive:");
  }
  auto index = ReadMember(*tar, "index.json");
  if (!index.ok()) return index.error();
  Status picked = PickFromIndex(source, *index, spec.path + ":index.json", spec.reference);
  if (!picked.ok()) return picked.error();
  AddArchiveBlobs(source, *tar);
  return source;
}

Result<ImageSource> ImageSourceLoader::DockerArchive(const SourceSpec& spec) {
  auto tar = TarIndex::Read(spec.path);
  if (!tar.ok()) return tar.error();
  if (tar->Find("manifest.json") == nullptr) {
    if (tar->Find("index.json") != nullptr) return OciArchive(spec);
    return Error::InvalidArgument(spec.path + " is not a `docker save` archive (it has no "
                                  "manifest.json)");
  }
  ImageSource source;
  source.description_ = SourceDescription(spec);
  std::string where = spec.path + ":manifest.json";
  auto manifest_bytes = ReadMember(*tar, "manifest.json");
  if (!manifest_bytes.ok()) return manifest_bytes.error();
  auto entries = ParseJsonDocument(*manifest_bytes, where);
  if (!entries.ok()) return entries.error();
  if (!entries->is_array() || entries->empty()) {
    return Error::Parse(where + " is not a non-empty list of images");
  }

  // Pick the image: by one of its RepoTags, or the only one.
  const nlohmann::json* chosen = nullptr;
  std::string tags;
  for (const auto& entry : *entries) {
    if (!entry.is_object()) return Error::Parse(where + " has an entry that is not an object");
    for (const auto& tag : entry.value("RepoTags", nlohmann::json::array())) {
      if (!tag.is_string()) continue;
      std::string t = tag.get<std::string>();
      tags += (tags.empty() ? "" : ", ") + t;
      if (!spec.reference.empty() &&
          (t == spec.reference || t == "docker.io/library/" + spec.reference ||
           t == "docker.io/" + spec.reference)) {
        chosen = &entry;
      }
    }
  }
  if (spec.reference.empty()) {
    if (entries->size() != 1) {
      return Error::InvalidArgument(spec.path + " holds " + std::to_string(entries->size()) +
                                    " images (" + tags + "): name one as docker-archive:" +
                                    spec.path + ":REPO:TAG");
    }
    chosen = &(*entries)[0];
  } else if (chosen == nullptr) {
    return Error::InvalidArgument(spec.path + " has no image tagged '" + spec.reference +
                                  "' (it has: " + (tags.empty() ? "none" : tags) + ")");
  }

  auto config_path = chosen->find("Config");
  auto layer_paths = chosen->find("Layers");
  if (config_path == chosen->end() || !config_path->is_string() || layer_paths == chosen->end() ||
      !layer_paths->is_array()) {
    return Error::Parse(where + ": the image has no Config file or Layers list");
  }
  const TarEntry* config_entry = tar->Find(config_path->get<std::string>());
  if (config_entry == nullptr) {
    return Error::Parse(spec.path + " has no " + config_path->get<std::string>() +
                        " (named as the image's Config in manifest.json)");
  }
  auto config_bytes = ReadTarMember(*tar, *config_entry, kMaxDocumentSize);
  if (!config_bytes.ok()) return config_bytes.error();
  auto config = ParseJsonDocument(*config_bytes, spec.path + ":" + config_path->get<std::string>());
  if (!config.ok()) return config.error();
  nlohmann::json diff_ids = nlohmann::json::array();
  if (config->is_object() && config->contains("rootfs") && (*config)["rootfs"].is_object()) {
    diff_ids = (*config)["rootfs"].value("diff_ids", nlohmann::json::array());
  }
  if (!diff_ids.is_array() || diff_ids.size() != layer_paths->size()) {
    return Error::Parse(spec.path + ": the config lists " + std::to_string(diff_ids.size()) +
                        " layers (rootfs.diff_ids) but manifest.json " +
                        std::to_string(layer_paths->size()));
  }

  Descriptor config_descriptor{std::string(media_type::kDockerConfig), DigestOf(*config_bytes),
                               config_bytes->size()};
  source.in_archive_[config_descriptor.digest] = {tar->path(), config_entry->offset,
                                                  config_entry->size};
  std::vector<Descriptor> layers;
  bool any_zstd = false;
  for (size_t i = 0; i < layer_paths->size(); ++i) {
    const auto& path = (*layer_paths)[i];
    if (!path.is_string()) return Error::Parse(where + ": a layer path is not a string");
    const TarEntry* entry = tar->Find(path.get<std::string>());
    if (entry == nullptr) {
      return Error::Parse(spec.path + " has no " + path.get<std::string>() +
                          " (named as a layer in manifest.json)");
    }
    Descriptor layer;
    layer.size = entry->size;
    // Docker 25 names layers by digest; the legacy <id>/layer.tar is the uncompressed tar whose
    // digest is the config's diff_id (checked while it is read).
    layer.digest = DigestFromBlobPath(path.get<std::string>());
    if (layer.digest.empty()) {
      if (!diff_ids[i].is_string() || !IsValidDigest(diff_ids[i].get<std::string>())) {
        return Error::Parse(spec.path + ": diff_id " + std::to_string(i) + " is not a sha256 digest");
      }
      layer.digest = diff_ids[i].get<std::string>();
    }
    source.in_archive_[layer.digest] = {tar->path(), entry->offset, entry->size};
    auto prefix = source.ReadPrefix(layer, 4);
    if (!prefix.ok()) return prefix.error();
    switch (SniffCompression(*prefix)) {
      case Compression::kNone: layer.media_type = media_type::kDockerLayer; break;
      case Compression::kGzip: layer.media_type = media_type::kDockerLayerGzip; break;
      case Compression::kZstd:
        layer.media_type = media_type::kOciLayerZstd;
        any_zstd = true;
        break;
    }
    layers.push_back(std::move(layer));
  }

  // Docker's manifest types cannot say zstd: an image with zstd layers gets OCI types throughout.
  nlohmann::json manifest;
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = any_zstd ? media_type::kOciManifest : media_type::kDockerManifest;
  if (any_zstd) config_descriptor.media_type = media_type::kOciConfig;
  manifest["config"] = config_descriptor.ToJson();
  manifest["layers"] = nlohmann::json::array();
  for (Descriptor& layer : layers) {
    if (any_zstd && layer.media_type == media_type::kDockerLayer) layer.media_type = media_type::kOciLayer;
    if (any_zstd && layer.media_type == media_type::kDockerLayerGzip) {
      layer.media_type = media_type::kOciLayerGzip;
    }
    manifest["layers"].push_back(layer.ToJson());
  }
  std::string bytes = manifest.dump();
  source.root_ = {manifest["mediaType"].get<std::string>(), DigestOf(bytes), bytes.size()};
  source.in_memory_[source.root_.digest] = std::move(bytes);
  return source;
}

Result<ImageSource> ImageSource::Open(const SourceSpec& spec) {
  switch (spec.kind) {
    case SourceKind::kOciLayout: return ImageSourceLoader::OciLayout(spec);
    case SourceKind::kOciArchive: return ImageSourceLoader::OciArchive(spec);
    case SourceKind::kDockerArchive: return ImageSourceLoader::DockerArchive(spec);
  }
  return Error::InvalidArgument("unknown source kind");
}

Result<ImageSource::Location> ImageSource::Find(const Descriptor& descriptor) const {
  if (!IsValidDigest(descriptor.digest)) {
    return Error::Parse(description_ + ": '" + descriptor.digest + "' is not a sha256 digest");
  }
  Location location;
  if (!blob_directory_.empty()) {
    location.path = blob_directory_ + "/blobs/sha256/" + descriptor.digest.substr(7);
    struct stat st;
    if (::stat(location.path.c_str(), &st) != 0) {
      return Error::InvalidArgument(description_ + " is missing blob " + descriptor.digest + " (" +
                                    location.path + ": " + std::strerror(errno) + ")");
    }
    location.size = static_cast<uint64_t>(st.st_size);
  } else {
    auto it = in_archive_.find(descriptor.digest);
    if (it == in_archive_.end()) {
      return Error::InvalidArgument(description_ + " is missing blob " + descriptor.digest);
    }
    location = it->second;
  }
  if (location.size != descriptor.size) {
    return Error::InvalidArgument(description_ + ": blob " + descriptor.digest + " is " +
                                  std::to_string(location.size) + " bytes, but its descriptor says " +
                                  std::to_string(descriptor.size) + ": the image is corrupt");
  }
  return location;
}

Result<std::string> ImageSource::ReadDocument(const Descriptor& descriptor) const {
  auto memory = in_memory_.find(descriptor.digest);
  if (memory != in_memory_.end()) return memory->second;
  if (descriptor.size > kMaxDocumentSize) {
    return Error::InvalidArgument(description_ + ": " + descriptor.digest + " (" +
                                  descriptor.media_type + ") is " +
                                  std::to_string(descriptor.size) + " bytes, too big for a manifest or config");
  }
  auto body = OpenBlob(descriptor);
  if (!body.ok()) return body.error();
  std::string bytes(descriptor.size, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    auto got = (*body)->Read(bytes.data() + done, bytes.size() - done);
    if (!got.ok()) return got.error();
    if (*got == 0) return Error::Io(description_ + ": " + descriptor.digest + " ended early");
    done += *got;
  }
  std::string actual = DigestOf(bytes);
  if (actual != descriptor.digest) {
    return Error::InvalidArgument(description_ + ": " + descriptor.digest + " (" +
                                  descriptor.media_type + ") does not match its digest (its bytes "
                                  "hash to " + actual + "): the image is corrupt");
  }
  return bytes;
}

Result<std::shared_ptr<BodySource>> ImageSource::OpenBlob(const Descriptor& descriptor) const {
  auto memory = in_memory_.find(descriptor.digest);
  if (memory != in_memory_.end()) {
    return StringBody(memory->second);
  }
  auto location = Find(descriptor);
  if (!location.ok()) return location.error();
  return FileRangeBody(location->path, location->offset, location->size);
}

Result<std::string> ImageSource::ReadPrefix(const Descriptor& descriptor, size_t n) const {
  auto location = Find(descriptor);
  if (!location.ok()) return location.error();
  auto body = FileRangeBody(location->path, location->offset, std::min<uint64_t>(n, location->size));
  if (!body.ok()) return body.error();
  std::string bytes(static_cast<size_t>((*body)->size()), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    auto got = (*body)->Read(bytes.data() + done, bytes.size() - done);
    if (!got.ok()) return got.error();
    if (*got == 0) break;
    done += *got;
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace sluice
