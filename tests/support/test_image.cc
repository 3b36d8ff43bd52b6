#include "tests/support/test_image.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "sluice/util/crypto.h"

namespace sluice::testing {
namespace {

using nlohmann::json;

constexpr size_t kBlock = 512;

void PutField(char* header, size_t offset, size_t length, std::string_view text) {
  std::memcpy(header + offset, text.data(), std::min(length, text.size()));
}

// An octal field: digits padded with zeros, then a NUL.
void PutOctal(char* header, size_t offset, size_t length, uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*llo", static_cast<int>(length - 1),
                static_cast<unsigned long long>(value));
  PutField(header, offset, length - 1, text);
}

void AppendHeader(std::string& out, std::string_view name, char type, uint64_t size,
                  std::string_view link, uint32_t mode) {
  char header[kBlock] = {};
  PutField(header, 0, 100, name);
  PutOctal(header, 100, 8, mode);
  PutOctal(header, 108, 8, 0);  // uid
  PutOctal(header, 116, 8, 0);  // gid
  PutOctal(header, 124, 12, size);
  PutOctal(header, 136, 12, 0);  // mtime
  header[156] = type;
  PutField(header, 157, 100, link);
  PutField(header, 257, 6, std::string_view("ustar\0", 6));
  PutField(header, 263, 2, "00");
  PutOctal(header, 329, 8, 0);  // devmajor
  PutOctal(header, 337, 8, 0);  // devminor
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  char checksum[8];
  std::snprintf(checksum, sizeof checksum, "%06o", sum);  // six digits, NUL, space
  std::memcpy(header + 148, checksum, 7);
  out.append(header, kBlock);
}

void AppendData(std::string& out, std::string_view data) {
  out.append(data);
  out.append((kBlock - data.size() % kBlock) % kBlock, '\0');
}

// "<length> <key>=<value>\n", where the length counts its own digits.
std::string PaxRecord(std::string_view key, std::string_view value) {
  size_t rest = key.size() + value.size() + 3;  // space, '=', newline
  size_t length = rest + 1;
  while (std::to_string(length).size() + rest != length) ++length;
  return std::to_string(length) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

std::string Hex(std::string_view digest) { return std::string(digest.substr(7)); }  // "sha256:"

json Descriptor(std::string_view media_type, std::string_view bytes) {
  return {{"mediaType", media_type}, {"digest", DigestOf(bytes)}, {"size", bytes.size()}};
}

void BuildManifest(TestImage& image) {
  json layers = json::array();
  for (const TestLayer& layer : image.layers) {
    layers.push_back(
        {{"mediaType", layer.media_type}, {"digest", layer.digest}, {"size", layer.size}});
  }
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", kOciManifestType},
                   {"config", Descriptor(kOciConfigType, image.config)},
                   {"layers", layers}};
  image.manifest = manifest.dump();
  image.manifest_digest = DigestOf(image.manifest);
}

// Blobs by digest: images of an index may share some.
using Blobs = std::map<std::string, std::string_view>;

void AddBlobs(const TestImage& image, Blobs& blobs) {
  blobs[image.config_digest] = image.config;
  for (const TestLayer& layer : image.layers) blobs[layer.digest] = layer.blob;
  blobs[image.manifest_digest] = image.manifest;
}

std::string IndexJson(std::string_view media_type, std::string_view target, json annotations) {
  json descriptor = Descriptor(media_type, target);
  descriptor["annotations"] = std::move(annotations);
  json index = {
      {"schemaVersion", 2}, {"mediaType", kOciIndexType}, {"manifests", json::array({descriptor})}};
  return index.dump();
}

std::vector<TarFile> OciLayoutFiles(const Blobs& blobs, std::string index_json) {
  std::vector<TarFile> files;
  files.push_back({.name = "blobs", .type = '5', .mode = 0755});
  files.push_back({.name = "blobs/sha256", .type = '5', .mode = 0755});
  for (const auto& [digest, bytes] : blobs) {
    files.push_back({.name = "blobs/sha256/" + Hex(digest), .content = std::string(bytes)});
  }
  files.push_back({.name = "index.json", .content = std::move(index_json)});
  files.push_back({.name = "oci-layout", .content = R"({"imageLayoutVersion":"1.0.0"})"});
  return files;
}

Status WriteBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Error::Io("could not write " + path);
  return Status::Ok();
}

Status WriteTree(const std::string& dir, const std::vector<TarFile>& files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::Io("mkdir " + dir + ": " + ec.message());
  for (const TarFile& file : files) {
    fs::path path = fs::path(dir) / file.name;
    fs::create_directories(file.type == '5' ? path : path.parent_path(), ec);
    if (ec) return Error::Io("mkdir " + path.string() + ": " + ec.message());
    if (file.type == '0') {
      if (Status s = WriteBytes(path.string(), file.content); !s.ok()) return s;
    } else if (file.type == '2') {
      fs::create_symlink(file.link, path, ec);
      if (ec) return Error::Io("symlink " + path.string() + ": " + ec.message());
    } else if (file.type != '5') {
      return Error::InvalidArgument("WriteTree cannot make members of type " +
                                    std::string(1, file.type));
    }
  }
  return Status::Ok();
}

// "registry:5000/team/app:v1" -> {"registry:5000/team/app", "v1"}; no tag means "latest".
std::pair<std::string, std::string> SplitRepoTag(const std::string& repo_tag) {
  size_t colon = repo_tag.rfind(':');
  size_t slash = repo_tag.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return {repo_tag, "latest"};
  }
  return {repo_tag.substr(0, colon), repo_tag.substr(colon + 1)};
}

// What containerd (and so Docker 25) writes as io.containerd.image.name.
std::string FullyQualified(const std::string& repo) {
  size_t slash = repo.find('/');
  std::string first = repo.substr(0, slash);
  bool has_registry = slash != std::string::npos &&
                      (first.find_first_of(".:") != std::string::npos || first == "localhost");
  if (has_registry) return repo;
  if (slash == std::string::npos) return "docker.io/library/" + repo;
  return "docker.io/" + repo;
}

}  // namespace

std::string MakeTar(const std::vector<TarFile>& files) {
  std::string out;
  for (const TarFile& file : files) {
    std::string name = file.name;
    if (file.type == '5' && !name.ends_with("/")) name += '/';
    std::string pax;
    if (name.size() > 100) pax += PaxRecord("path", name);
    if (file.link.size() > 100) pax += PaxRecord("linkpath", file.link);
    if (!pax.empty()) {
      // The header's own name and link are cut to fit; readers take the pax records instead.
      std::string base = name.substr(name.find_last_of('/', name.size() - 2) + 1);
      AppendHeader(out, ("PaxHeaders/" + base).substr(0, 100), 'x', pax.size(), "", 0644);
      AppendData(out, pax);
    }
    std::string_view content = file.type == '0' ? std::string_view(file.content) : "";
    AppendHeader(out, std::string_view(name).substr(0, std::min<size_t>(name.size(), 100)),
                 file.type, content.size(), std::string_view(file.link).substr(0, 100), file.mode);
    AppendData(out, content);
  }
  out.append(2 * kBlock, '\0');
  return out;
}

std::string Gzip(std::string_view data) {
  z_stream stream = {};
  // windowBits 15 + 16: the gzip wrapper, with mtime 0 and no name, so the bytes are stable.
  if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return result == Z_STREAM_END ? out : "";
}

std::string Gunzip(std::string_view compressed) {
  z_stream stream = {};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return "<inflateInit2 failed>";
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      return "<inflate failed: " + std::to_string(rc) + ">";
    }
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  bool trailing = stream.avail_in != 0;
  inflateEnd(&stream);
  return trailing ? "<bytes after the gzip stream>" : out;
}

std::string Unzstd(std::string_view compressed) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  std::string out;
  std::vector<char> buffer(ZSTD_DStreamOutSize());
  size_t rc = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
    rc = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(rc)) {
      ZSTD_freeDCtx(ctx);
      return std::string("<zstd failed: ") + ZSTD_getErrorName(rc) + ">";
    }
    out.append(buffer.data(), o.pos);
  }
  // Drain what is still buffered once all input has been consumed.
  while (rc != 0) {
    ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
    rc = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(rc) || o.pos == 0) break;
    out.append(buffer.data(), o.pos);
  }
  ZSTD_freeDCtx(ctx);
  return rc == 0 ? out : "<truncated zstd frame>";
}

std::string SeededBytes(uint64_t seed, size_t size) {
  // splitmix64: tiny, fast, and the same everywhere (unlike std::uniform_*_distribution).
  std::string out(size, '\0');
  uint64_t state = seed;
  for (size_t i = 0; i < size; i += 8) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::memcpy(out.data() + i, &z, std::min<size_t>(8, size - i));
  }
  return out;
}

std::string DigestOf(std::string_view data) { return "sha256:" + Sha256Hex(data); }

TestLayerSpec RandomLayer(uint64_t seed, size_t bytes, int files) {
  TestLayerSpec layer;
  std::string dir = "layer-" + std::to_string(seed);
  layer.files.push_back({.name = dir, .type = '5', .mode = 0755});
  size_t count = static_cast<size_t>(std::max(files, 1));
  for (size_t i = 0; i < count; ++i) {
    size_t size = bytes / count + (i == count - 1 ? bytes % count : 0);
    layer.files.push_back({.name = dir + "/file-" + std::to_string(i) + ".bin",
                           .content = SeededBytes(seed * 1000 + i, size)});
  }
  return layer;
}

TestImage MakeTestImage(const TestImageSpec& spec) {
  TestImage image;
  image.architecture = spec.architecture;
  image.os = spec.os;
  json diff_ids = json::array();
  for (const TestLayerSpec& layer_spec : spec.layers) {
    TestLayer layer;
    layer.tar = MakeTar(layer_spec.files);
    layer.diff_id = DigestOf(layer.tar);
    layer.media_type = kOciLayerGzipType;
    layer.blob = Gzip(layer.tar);
    layer.digest = DigestOf(layer.blob);
    layer.size = layer.blob.size();
    diff_ids.push_back(layer.diff_id);
    image.layers.push_back(std::move(layer));
  }
  json config = {{"architecture", spec.architecture},
                 {"os", spec.os},
                 {"created", "1970-01-01T00:00:00Z"},
                 {"config", {{"Cmd", spec.cmd}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  image.config = config.dump();
  image.config_digest = DigestOf(image.config);
  BuildManifest(image);
  return image;
}

TestImage MakeTestImage(uint64_t seed, int layers, size_t layer_bytes) {
  TestImageSpec spec;
  for (int i = 0; i < layers; ++i) {
    spec.layers.push_back(RandomLayer(seed * 100 + static_cast<uint64_t>(i), layer_bytes));
  }
  return MakeTestImage(spec);
}

TestImage WithUncompressedLayers(const TestImage& image) {
  TestImage out = image;
  for (TestLayer& layer : out.layers) {
    layer.media_type = kOciLayerTarType;
    layer.blob = layer.tar;
    layer.digest = layer.diff_id;
    layer.size = layer.tar.size();
  }
  BuildManifest(out);
  return out;
}

TestImageIndex MakeTestImageIndex(std::vector<TestImage> images) {
  TestImageIndex index;
  json manifests = json::array();
  for (const TestImage& image : images) {
    json descriptor = Descriptor(kOciManifestType, image.manifest);
    descriptor["platform"] = {{"architecture", image.architecture}, {"os", image.os}};
    manifests.push_back(std::move(descriptor));
  }
  index.images = std::move(images);
  index.index =
      json{{"schemaVersion", 2}, {"mediaType", kOciIndexType}, {"manifests", manifests}}.dump();
  index.index_digest = DigestOf(index.index);
  return index;
}

namespace {

std::vector<TarFile> OciLayoutFiles(const TestImage& image, const std::string& tag) {
  Blobs blobs;
  AddBlobs(image, blobs);
  return OciLayoutFiles(blobs, IndexJson(kOciManifestType, image.manifest,
                                         {{"org.opencontainers.image.ref.name", tag}}));
}

std::vector<TarFile> OciLayoutFiles(const TestImageIndex& index, const std::string& tag) {
  Blobs blobs;
  for (const TestImage& image : index.images) AddBlobs(image, blobs);
  blobs[index.index_digest] = index.index;
  return OciLayoutFiles(
      blobs, IndexJson(kOciIndexType, index.index, {{"org.opencontainers.image.ref.name", tag}}));
}

}  // namespace

Result<TestImage> WriteOciLayout(const std::string& dir, const TestImage& image,
                                 const std::string& tag) {
  if (Status s = WriteTree(dir, OciLayoutFiles(image, tag)); !s.ok()) return s.error();
  return image;
}

Result<TestImageIndex> WriteOciLayout(const std::string& dir, const TestImageIndex& index,
                                      const std::string& tag) {
  if (Status s = WriteTree(dir, OciLayoutFiles(index, tag)); !s.ok()) return s.error();
  return index;
}

Result<TestImage> WriteOciArchive(const std::string& file, const TestImage& image,
                                  const std::string& tag) {
  if (Status s = WriteBytes(file, MakeTar(OciLayoutFiles(image, tag))); !s.ok()) return s.error();
  return image;
}

Result<TestImageIndex> WriteOciArchive(const std::string& file, const TestImageIndex& index,
                                       const std::string& tag) {
  if (Status s = WriteBytes(file, MakeTar(OciLayoutFiles(index, tag))); !s.ok()) return s.error();
  return index;
}

Result<TestImage> WriteDockerArchiveLegacy(const std::string& file, const TestImage& image,
                                           const std::string& repo_tag) {
  TestImage stored = WithUncompressedLayers(image);
  std::vector<TarFile> files;
  json layer_paths = json::array();
  std::string parent;
  for (size_t i = 0; i < stored.layers.size(); ++i) {
    const TestLayer& layer = stored.layers[i];
    // Docker derived these v1 ids from the layer chain; any stable 64-hex name will do.
    std::string id = Sha256Hex(parent + " " + layer.diff_id);
    json v1 = {{"id", id}, {"created", "1970-01-01T00:00:00Z"}, {"os", stored.os}};
    if (!parent.empty()) v1["parent"] = parent;
    if (i + 1 == stored.layers.size()) v1["architecture"] = stored.architecture;
    files.push_back({.name = id, .type = '5', .mode = 0755});
    files.push_back({.name = id + "/VERSION", .content = "1.0"});
    files.push_back({.name = id + "/json", .content = v1.dump()});
    files.push_back({.name = id + "/layer.tar", .content = layer.tar});
    layer_paths.push_back(id + "/layer.tar");
    parent = id;
  }
  std::string config_name = Hex(stored.config_digest) + ".json";
  files.push_back({.name = config_name, .content = stored.config});
  json manifest = json::array(
      {{{"Config", config_name}, {"RepoTags", json::array({repo_tag})}, {"Layers", layer_paths}}});
  files.push_back({.name = "manifest.json", .content = manifest.dump()});
  auto [repo, tag] = SplitRepoTag(repo_tag);
  files.push_back({.name = "repositories", .content = json{{repo, {{tag, parent}}}}.dump()});
  if (Status s = WriteBytes(file, MakeTar(files)); !s.ok()) return s.error();
  return stored;
}

Result<TestImage> WriteDockerArchiveOci(const std::string& file, const TestImage& image,
                                        const std::string& repo_tag) {
  TestImage stored = WithUncompressedLayers(image);
  auto [repo, tag] = SplitRepoTag(repo_tag);
  Blobs blobs;
  AddBlobs(stored, blobs);
  std::vector<TarFile> files = OciLayoutFiles(
      blobs, IndexJson(kOciManifestType, stored.manifest,
                       {{"io.containerd.image.name", FullyQualified(repo) + ":" + tag},
                        {"org.opencontainers.image.ref.name", tag}}));
  json layer_paths = json::array();
  for (const TestLayer& layer : stored.layers) {
    layer_paths.push_back("blobs/sha256/" + Hex(layer.digest));
  }
  json manifest = json::array({{{"Config", "blobs/sha256/" + Hex(stored.config_digest)},
                                {"RepoTags", json::array({repo_tag})},
                                {"Layers", layer_paths}}});
  files.push_back({.name = "manifest.json", .content = manifest.dump()});
  if (!stored.layers.empty()) {
    // Docker 25 itself lists blobs only; a legacy-looking link exercises link resolution.
    std::string id = Hex(stored.layers[0].diff_id);
    files.push_back({.name = id, .type = '5', .mode = 0755});
    files.push_back({.name = id + "/layer.tar",
                     .type = '2',
                     .link = "../blobs/sha256/" + Hex(stored.layers[0].digest),
                     .mode = 0777});
  }
  if (Status s = WriteBytes(file, MakeTar(files)); !s.ok()) return s.error();
  return stored;
}

}  // namespace sluice::testing
