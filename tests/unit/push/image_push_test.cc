// PushImage against an in-memory registry: what is uploaded, in which order, what is skipped,
// how uncompressed layers are compressed and how failures leave no tag behind. Images are real
// OCI layouts and docker-archives written by tests/support/test_image.
#include "sluice/push/image_push.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "sluice/os/file_read.h"
#include "tests/support/child_process.h"
#include "tests/support/test_image.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A registry in memory. Blobs are read whole and kept only when they hash to their descriptor's
// digest; manifests are checked to name only content already stored. Every call is recorded in
// the order it was made. Thread-safe, like the real client.
class FakeRegistry : public Registry {
 public:
  struct Call {
    std::string op;      // "HasBlob", "PutBlob", "PutManifest"
    std::string target;  // blob digest, or the manifest's reference
    std::string media_type;
    std::string digest;  // PutManifest: the digest of the bytes
  };

  // Setup (before the push).
  void FailPutBlob(std::string digest) { fail_put_ = std::move(digest); }
  void MarkPresent(std::string digest) { present_.insert(std::move(digest)); }
  // Another repository of the same registry has the blob: a mount from it succeeds.
  void MarkInRepository(const std::string& digest, const std::string& repository) {
    elsewhere_.insert(digest + " " + repository);
  }
  void SetPutDelay(std::chrono::milliseconds delay) { put_delay_ = delay; }
  void AnswerTagsWithDigest(std::string digest) { tag_digest_override_ = std::move(digest); }
  // ECR's imageTagMutability IMMUTABLE: a tag, once put, is refused for any manifest again.
  void MakeTagsImmutable() { immutable_tags_ = true; }
  // Called at the start of each PutBlob (from the uploading thread).
  std::function<void()> on_put_blob;

  Result<bool> HasBlob(const Descriptor& blob) override {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back({"HasBlob", blob.digest, blob.media_type, ""});
    return present_.count(blob.digest) > 0 || blobs_.count(blob.digest) > 0;
  }

  Result<BlobPut> PutBlobFrom(const Descriptor& blob, const BodyOpener& open,
                              const UploadProgress& progress, const std::string& mount_from) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!mount_from.empty()) {
        calls_.push_back({"MountBlob", blob.digest, blob.media_type, mount_from});
        // The registry links a blob another of its repositories has; declines otherwise and
        // opens an upload session instead.
        if (elsewhere_.count(blob.digest + " " + mount_from)) {
          blobs_[blob.digest] = "(mounted)";
          return BlobPut::kMounted;
        }
        if (!open) return BlobPut::kDeclined;
      }
      calls_.push_back({"PutBlob", blob.digest, blob.media_type, ""});
    }
    if (on_put_blob) on_put_blob();
    int now = in_flight_.fetch_add(1) + 1;
    int seen = max_in_flight_.load();
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
    if (put_delay_.count() > 0) std::this_thread::sleep_for(put_delay_);
    Status status = Receive(blob, open, progress);
    in_flight_.fetch_sub(1);
    if (!status.ok()) return status.error();
    return BlobPut::kUploaded;
  }

  Result<std::string> PutManifest(const std::string& reference, const std::string& media_type,
                                  const std::string& bytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string digest = testing::DigestOf(bytes);
    calls_.push_back({"PutManifest", reference, media_type, digest});
    CheckReferencesStored(reference, bytes);
    if (reference.starts_with("sha256:") && reference != digest) {
      violations_.push_back("manifest put by digest " + reference + " hashes to " + digest);
    }
    if (immutable_tags_ && !reference.starts_with("sha256:") && tags_.count(reference) > 0) {
      Error e;
      e.service = "registry";
      e.operation = "PutManifest";
      e.http_status = 400;
      e.code = "TAG_INVALID";
      e.message = "The image tag '" + reference + "' already exists in the 'app' repository and "
                  "cannot be overwritten because the repository is immutable.";
      return e;
    }
    if (!reference.starts_with("sha256:")) tags_[reference] = digest;
    manifests_[digest] = bytes;
    manifest_types_[digest] = media_type;
    if (!reference.starts_with("sha256:") && !tag_digest_override_.empty()) {
      return tag_digest_override_;
    }
    return digest;
  }

  Result<std::optional<std::string>> TagDigest(const std::string& tag) override {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back({"TagDigest", tag, "", ""});
    auto it = tags_.find(tag);
    if (it == tags_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  // Inspection (after the push).
  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  std::vector<Call> CallsOf(const std::string& op) const {
    std::vector<Call> out;
    for (const Call& call : calls()) {
      if (call.op == op) out.push_back(call);
    }
    return out;
  }
  std::map<std::string, int> PutBlobCounts() const {
    std::map<std::string, int> counts;
    for (const Call& call : CallsOf("PutBlob")) ++counts[call.target];
    return counts;
  }
  bool HasStoredBlob(const std::string& digest) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return blobs_.count(digest) > 0;
  }
  std::string Blob(const std::string& digest) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blobs_.find(digest);
    return it == blobs_.end() ? "<no such blob>" : it->second;
  }
  std::string Manifest(const std::string& digest) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = manifests_.find(digest);
    return it == manifests_.end() ? "<no such manifest>" : it->second;
  }
  std::vector<std::string> violations() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return violations_;
  }
  int max_in_flight() const { return max_in_flight_.load(); }

 private:
  Status Receive(const Descriptor& blob, const BodyOpener& open, const UploadProgress& progress) {
    if (blob.digest == fail_put_)
      return Error::Network("injected failure uploading " + blob.digest);
    auto body = open();
    if (!body.ok()) return body.error();
    if ((*body)->size() != blob.size) {
      return Error::InvalidArgument("body of " + blob.digest + " is " +
                                    std::to_string((*body)->size()) + " bytes, descriptor says " +
                                    std::to_string(blob.size));
    }
    std::string bytes;
    char buffer[8192];
    while (true) {
      auto got = (*body)->Read(buffer, sizeof buffer);
      if (!got.ok()) return got.error();
      if (*got == 0) break;
      bytes.append(buffer, *got);
      if (progress) progress(bytes.size());
    }
    if (testing::DigestOf(bytes) != blob.digest) {
      std::lock_guard<std::mutex> lock(mutex_);
      violations_.push_back("blob " + blob.digest + " arrived with bytes hashing to " +
                            testing::DigestOf(bytes));
      return Error::InvalidArgument("DIGEST_INVALID: " + blob.digest);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    blobs_[blob.digest] = std::move(bytes);
    return Status::Ok();
  }

  bool Stored(const std::string& digest) const {
    return blobs_.count(digest) > 0 || present_.count(digest) > 0;
  }

  // Called with mutex_ held.
  void CheckReferencesStored(const std::string& reference, const std::string& bytes) {
    json doc = json::parse(bytes, nullptr, false);
    if (!doc.is_object()) {
      violations_.push_back(reference + " is not a JSON object");
      return;
    }
    if (doc.contains("manifests")) {
      for (const auto& entry : doc["manifests"]) {
        std::string digest = entry.value("digest", "");
        if (manifests_.count(digest) == 0) {
          violations_.push_back(reference + " names manifest " + digest + " before it is stored");
        }
      }
      return;
    }
    std::string config = doc.contains("config") ? doc["config"].value("digest", "") : "";
    if (!Stored(config))
      violations_.push_back(reference + " names config " + config + " not stored");
    for (const auto& layer : doc.value("layers", json::array())) {
      std::string digest = layer.value("digest", "");
      if (IsNonDistributableLayer(layer.value("mediaType", ""))) {
        if (Stored(digest)) violations_.push_back(reference + " had foreign layer " + digest + " uploaded");
        continue;
      }
      if (!Stored(digest))
        violations_.push_back(reference + " names layer " + digest + " not stored");
    }
  }

  mutable std::mutex mutex_;
  std::vector<Call> calls_;
  std::map<std::string, std::string> blobs_;
  std::map<std::string, std::string> manifests_;
  std::map<std::string, std::string> manifest_types_;
  std::vector<std::string> violations_;
  std::set<std::string> present_;
  std::set<std::string> elsewhere_;  // digest + " " + repository
  std::string fail_put_;
  std::string tag_digest_override_;
  bool immutable_tags_ = false;
  std::map<std::string, std::string> tags_;  // tag -> digest
  std::chrono::milliseconds put_delay_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

// CompressedDigestCache in memory.
class MemoryDigestCache : public CompressedDigestCache {
 public:
  std::optional<CompressedDigest> Lookup(const std::string& uncompressed_digest,
                                         Compression compression, int level) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(Key(uncompressed_digest, compression, level));
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void Store(const std::string& uncompressed_digest, Compression compression, int level,
             const CompressedDigest& compressed) override {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[Key(uncompressed_digest, compression, level)] = compressed;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }

 private:
  static std::string Key(const std::string& digest, Compression c, int level) {
    return digest + "/" + std::string(CompressionName(c)) + "/" + std::to_string(level);
  }
  std::mutex mutex_;
  std::map<std::string, CompressedDigest> entries_;
};

size_t IndexOfFirst(const std::vector<FakeRegistry::Call>& calls, const std::string& op) {
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].op == op) return i;
  }
  return calls.size();
}

size_t IndexOfLast(const std::vector<FakeRegistry::Call>& calls, const std::string& op) {
  for (size_t i = calls.size(); i > 0; --i) {
    if (calls[i - 1].op == op) return i - 1;
  }
  return calls.size();
}

class ImagePushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-push-");
    ASSERT_FALSE(dir_.empty());
    temp_ = dir_ + "/tmp";
    fs::create_directories(temp_);
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  ImageSource Open(SourceKind kind, const std::string& path, const std::string& reference = "") {
    auto source = ImageSource::Open({kind, path, reference});
    EXPECT_TRUE(source.ok()) << path << ": " << (source.ok() ? "" : source.error().ToString());
    if (!source.ok()) return ImageSource();  // pushing it fails: the test fails twice, clearly
    return std::move(source).value();
  }

  ImageSource WriteOci(const testing::TestImage& image) {
    auto written = testing::WriteOciLayout(dir_ + "/oci", image, "v1");
    EXPECT_TRUE(written.ok()) << written.error().ToString();
    return Open(SourceKind::kOciLayout, dir_ + "/oci", "v1");
  }

  ImageSource WriteOci(const testing::TestImageIndex& index) {
    auto written = testing::WriteOciLayout(dir_ + "/oci", index, "v1");
    EXPECT_TRUE(written.ok()) << written.error().ToString();
    return Open(SourceKind::kOciLayout, dir_ + "/oci", "v1");
  }

  // Writes a legacy `docker save` archive; `stored` gets what it holds.
  ImageSource WriteLegacyArchive(const testing::TestImage& image, testing::TestImage* stored) {
    auto written = testing::WriteDockerArchiveLegacy(dir_ + "/app.tar", image, "team/app:v1");
    EXPECT_TRUE(written.ok()) << written.error().ToString();
    if (written.ok() && stored != nullptr) *stored = *written;
    return Open(SourceKind::kDockerArchive, dir_ + "/app.tar");
  }

  PushOptions Options(std::vector<std::string> tags = {"v1"}) {
    PushOptions options;
    options.image_name = "localhost:5000/team/app";
    options.tags = std::move(tags);
    options.jobs = 4;
    options.temp_directory = temp_;
    return options;
  }

  Result<PushResult> Push(const ImageSource& source, const PushOptions& options,
                          FakeRegistry* registry = nullptr) {
    PushDeps deps;
    deps.registry = registry != nullptr ? registry : &registry_;
    deps.locations = locations_;
    deps.on_blob = [this](const BlobEvent& event) {
      std::lock_guard<std::mutex> lock(events_mutex_);
      events_.push_back(event);
    };
    deps.cancelled = cancelled_;
    deps.digest_cache = digest_cache_;
    return PushImage(source, options, deps);
  }

  std::vector<BlobEvent> EventsOf(BlobEvent::Kind kind) {
    std::lock_guard<std::mutex> lock(events_mutex_);
    std::vector<BlobEvent> out;
    for (const BlobEvent& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

  // The manifest put under `tag`, parsed.
  json TaggedManifest(const std::string& tag) {
    for (const auto& call : registry_.CallsOf("PutManifest")) {
      if (call.target == tag) return json::parse(registry_.Manifest(call.digest));
    }
    ADD_FAILURE() << "no manifest was put under " << tag;
    return json::object();
  }

  std::string dir_;
  std::string temp_;
  FakeRegistry registry_;
  std::function<bool()> cancelled_;
  CompressedDigestCache* digest_cache_ = nullptr;
  BlobLocations* locations_ = nullptr;
  std::mutex events_mutex_;
  std::vector<BlobEvent> events_;
};

TEST_F(ImagePushTest, PushesAnOciLayoutsBlobsAndManifestUnchanged) {
  testing::TestImage image = testing::MakeTestImage(1, 2, 4096);
  ImageSource source = WriteOci(image);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();

  EXPECT_EQ(registry_.Blob(image.config_digest), image.config);
  for (const testing::TestLayer& layer : image.layers) {
    EXPECT_TRUE(registry_.Blob(layer.digest) == layer.blob) << layer.digest;
  }
  auto puts = registry_.CallsOf("PutManifest");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].target, "v1");
  EXPECT_EQ(puts[0].media_type, media_type::kOciManifest);
  EXPECT_EQ(registry_.Manifest(puts[0].digest), image.manifest);

  EXPECT_EQ(result->digest, image.manifest_digest);
  EXPECT_EQ(result->image, "localhost:5000/team/app@" + image.manifest_digest);
  EXPECT_EQ(result->media_type, media_type::kOciManifest);
  EXPECT_EQ(result->tags, std::vector<std::string>{"v1"});
  EXPECT_TRUE(result->platform_manifests.empty());
  EXPECT_EQ(result->blobs_pushed, 3);
  EXPECT_EQ(result->blobs_skipped, 0);
  EXPECT_EQ(result->layers_compressed, 0);
  uint64_t blob_bytes = image.config.size() + image.layers[0].size + image.layers[1].size;
  EXPECT_EQ(result->bytes_uploaded, blob_bytes + image.manifest.size());
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, EveryBlobIsStoredBeforeAnyManifest) {
  ImageSource source = WriteOci(testing::MakeTestImage(2, 3, 2048));
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  auto calls = registry_.calls();
  ASSERT_LT(IndexOfLast(calls, "PutBlob"), calls.size());
  ASSERT_LT(IndexOfFirst(calls, "PutManifest"), calls.size());
  EXPECT_LT(IndexOfLast(calls, "PutBlob"), IndexOfFirst(calls, "PutManifest"));
  EXPECT_LT(IndexOfLast(calls, "HasBlob"), IndexOfFirst(calls, "PutManifest"));
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, EachBlobIsCheckedWithHasBlobBeforeItsUpload) {
  ImageSource source = WriteOci(testing::MakeTestImage(3, 2, 2048));
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  auto calls = registry_.calls();
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].op != "PutBlob") continue;
    bool checked = false;
    for (size_t j = 0; j < i; ++j)
      checked |= calls[j].op == "HasBlob" && calls[j].target == calls[i].target;
    EXPECT_TRUE(checked) << calls[i].target << " uploaded without a HasBlob first";
  }
}

TEST_F(ImagePushTest, IndexPutsEachPlatformManifestByDigestBeforeTheIndexByTag) {
  testing::TestImageIndex index = testing::MakeTestImageIndex(
      {testing::MakeTestImage({.layers = {testing::RandomLayer(1, 3000)}}),
       testing::MakeTestImage(
           {.layers = {testing::RandomLayer(2, 3000)}, .architecture = "arm64"})});
  ImageSource source = WriteOci(index);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();

  auto puts = registry_.CallsOf("PutManifest");
  ASSERT_EQ(puts.size(), 3u);
  EXPECT_EQ(puts[0].target, index.images[0].manifest_digest);
  EXPECT_EQ(puts[0].media_type, media_type::kOciManifest);
  EXPECT_EQ(puts[1].target, index.images[1].manifest_digest);
  EXPECT_EQ(puts[1].media_type, media_type::kOciManifest);
  EXPECT_EQ(puts[2].target, "v1");
  EXPECT_EQ(puts[2].media_type, media_type::kOciIndex);
  EXPECT_EQ(registry_.Manifest(puts[2].digest), index.index);

  EXPECT_EQ(result->digest, index.index_digest);
  EXPECT_EQ(result->media_type, media_type::kOciIndex);
  EXPECT_EQ(
      result->platform_manifests,
      (std::vector<std::string>{index.images[0].manifest_digest, index.images[1].manifest_digest}));
  EXPECT_EQ(result->blobs_pushed, 4);  // two configs, two layers
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, TagsArePutOnlyAfterEveryBlobAndManifest) {
  testing::TestImageIndex index = testing::MakeTestImageIndex(
      {testing::MakeTestImage(4, 2, 2048), testing::MakeTestImage(5, 1, 2048)});
  ImageSource source = WriteOci(index);
  auto result = Push(source, Options({"v1", "v1.2", "latest"}));
  ASSERT_TRUE(result.ok()) << result.error().ToString();

  auto calls = registry_.calls();
  ASSERT_GE(calls.size(), 3u);
  std::vector<std::string> tail;
  for (size_t i = calls.size() - 3; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].op, "PutManifest");
    EXPECT_EQ(calls[i].digest, index.index_digest);
    tail.push_back(calls[i].target);
  }
  EXPECT_EQ(tail, (std::vector<std::string>{"v1", "v1.2", "latest"}));
  for (size_t i = 0; i + 3 < calls.size(); ++i) {
    EXPECT_FALSE(calls[i].op == "PutManifest" && !calls[i].target.starts_with("sha256:"))
        << "tag " << calls[i].target << " put before the end";
  }
  EXPECT_EQ(result->tags, (std::vector<std::string>{"v1", "v1.2", "latest"}));
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, EveryTagOfAManifestIsPut) {
  testing::TestImage image = testing::MakeTestImage(6, 1, 2048);
  ImageSource source = WriteOci(image);
  auto result = Push(source, Options({"a", "b"}));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  auto puts = registry_.CallsOf("PutManifest");
  ASSERT_EQ(puts.size(), 2u);
  EXPECT_EQ(puts[0].target, "a");
  EXPECT_EQ(puts[1].target, "b");
  EXPECT_EQ(puts[0].digest, image.manifest_digest);
  EXPECT_EQ(puts[1].digest, image.manifest_digest);
}

TEST_F(ImagePushTest, BlobsSharedBetweenPlatformsAreUploadedOnce) {
  // Both platforms have the same layer (same seed) and different configs.
  testing::TestImageIndex index = testing::MakeTestImageIndex(
      {testing::MakeTestImage({.layers = {testing::RandomLayer(1, 3000)}}),
       testing::MakeTestImage(
           {.layers = {testing::RandomLayer(1, 3000)}, .architecture = "arm64"})});
  ASSERT_EQ(index.images[0].layers[0].digest, index.images[1].layers[0].digest);
  ImageSource source = WriteOci(index);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();

  auto counts = registry_.PutBlobCounts();
  EXPECT_EQ(counts.size(), 3u);
  for (const auto& [digest, count] : counts) EXPECT_EQ(count, 1) << digest;
  EXPECT_EQ(counts[index.images[0].layers[0].digest], 1);
  EXPECT_EQ(registry_.CallsOf("HasBlob").size(), 3u);
  EXPECT_EQ(result->blobs_pushed, 3);
}

TEST_F(ImagePushTest, BlobsTheRegistryHasAreSkipped) {
  testing::TestImage image = testing::MakeTestImage(7, 2, 2048);
  ImageSource source = WriteOci(image);
  registry_.MarkPresent(image.config_digest);
  registry_.MarkPresent(image.layers[0].digest);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();

  auto puts = registry_.CallsOf("PutBlob");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].target, image.layers[1].digest);
  EXPECT_EQ(result->blobs_skipped, 2);
  EXPECT_EQ(result->blobs_pushed, 1);
  EXPECT_EQ(result->bytes_uploaded, image.layers[1].size + image.manifest.size());
  EXPECT_EQ(EventsOf(BlobEvent::kSkipped).size(), 2u);
  EXPECT_EQ(EventsOf(BlobEvent::kPushed).size(), 1u);
  EXPECT_EQ(registry_.CallsOf("PutManifest").size(), 1u);
}

TEST_F(ImagePushTest, AnImageTheRegistryHasWholeUploadsNoBlob) {
  testing::TestImage image = testing::MakeTestImage(8, 2, 2048);
  ImageSource source = WriteOci(image);
  registry_.MarkPresent(image.config_digest);
  for (const auto& layer : image.layers) registry_.MarkPresent(layer.digest);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_TRUE(registry_.CallsOf("PutBlob").empty());
  EXPECT_EQ(result->blobs_skipped, 3);
  EXPECT_EQ(result->blobs_pushed, 0);
  EXPECT_EQ(registry_.CallsOf("PutManifest").size(), 1u);
}

TEST_F(ImagePushTest, AFailingBlobMeansNoManifestIsPut) {
  testing::TestImage image = testing::MakeTestImage(9, 3, 2048);
  ImageSource source = WriteOci(image);
  registry_.FailPutBlob(image.layers[1].digest);
  auto result = Push(source, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kNetwork);
  EXPECT_NE(result.error().message.find("injected failure"), std::string::npos)
      << result.error().ToString();
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
}

TEST_F(ImagePushTest, AFailingBlobWithOneJobStopsTheRemainingUploads) {
  testing::TestImage image = testing::MakeTestImage(10, 3, 2048);
  ImageSource source = WriteOci(image);
  registry_.FailPutBlob(image.config_digest);  // the first job
  PushOptions options = Options();
  options.jobs = 1;
  auto result = Push(source, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(registry_.CallsOf("PutBlob").size(), 1u);
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
}

TEST_F(ImagePushTest, LegacyDockerArchiveLayersAreCompressedWithGzip) {
  testing::TestImage image = testing::MakeTestImage(11, 2, 4096);
  testing::TestImage stored;
  ImageSource source = WriteLegacyArchive(image, &stored);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();

  EXPECT_EQ(result->layers_compressed, 2);
  EXPECT_EQ(result->blobs_pushed, 3);
  EXPECT_EQ(result->media_type, media_type::kDockerManifest);
  auto puts = registry_.CallsOf("PutManifest");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].media_type, media_type::kDockerManifest);
  EXPECT_EQ(result->digest, puts[0].digest);

  json manifest = TaggedManifest("v1");
  EXPECT_EQ(manifest["mediaType"], media_type::kDockerManifest);
  EXPECT_EQ(manifest["config"]["mediaType"], media_type::kDockerConfig);
  EXPECT_EQ(manifest["config"]["digest"], stored.config_digest);
  EXPECT_EQ(registry_.Blob(stored.config_digest), stored.config);
  ASSERT_EQ(manifest["layers"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const json& layer = manifest["layers"][i];
    EXPECT_EQ(layer["mediaType"], media_type::kDockerLayerGzip);
    std::string digest = layer["digest"].get<std::string>();
    EXPECT_NE(digest, stored.layers[i].diff_id);
    std::string blob = registry_.Blob(digest);
    EXPECT_EQ(layer["size"], blob.size());
    std::string tar = testing::Gunzip(blob);
    EXPECT_EQ(testing::DigestOf(tar), stored.layers[i].diff_id) << "layer " << i;
  }
  EXPECT_EQ(EventsOf(BlobEvent::kCompressing).size(), 2u);
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, CompressedLayerTempFilesAreGoneAfterThePush) {
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(12, 2, 4096), nullptr);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_TRUE(fs::is_empty(temp_));
}

TEST_F(ImagePushTest, CompressedLayerTempFilesAreGoneAfterAFailedPush) {
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(13, 2, 4096), nullptr);
  // A first push (elsewhere) tells the compressed digest of the second layer.
  FakeRegistry scratch;
  auto first = PushImage(source, Options(), PushDeps{.registry = &scratch});
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  std::string compressed =
      json::parse(scratch.Manifest(first->digest))["layers"][1]["digest"].get<std::string>();

  registry_.FailPutBlob(compressed);
  auto result = Push(source, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find(compressed), std::string::npos);
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
  EXPECT_TRUE(fs::is_empty(temp_));
}

TEST_F(ImagePushTest, ZstdTurnsALegacyDockerManifestIntoAnOciOne) {
  testing::TestImage stored;
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(14, 2, 4096), &stored);
  PushOptions options = Options();
  options.compression = Compression::kZstd;
  auto result = Push(source, options);
  ASSERT_TRUE(result.ok()) << result.error().ToString();

  EXPECT_EQ(result->media_type, media_type::kOciManifest);
  json manifest = TaggedManifest("v1");
  EXPECT_EQ(manifest["mediaType"], media_type::kOciManifest);
  EXPECT_EQ(manifest["config"]["mediaType"], media_type::kOciConfig);
  ASSERT_EQ(manifest["layers"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(manifest["layers"][i]["mediaType"], media_type::kOciLayerZstd);
    std::string tar = testing::Unzstd(registry_.Blob(manifest["layers"][i]["digest"].get<std::string>()));
    EXPECT_EQ(testing::DigestOf(tar), stored.layers[i].diff_id) << "layer " << i;
  }
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, DockerArchiveInOciFormIsPushedAsDockerSaveWouldWithGzipLayers) {
  // Docker 25's archive holds an OCI layout too, but a docker-archive is pushed from its
  // manifest.json, as a Docker schema 2 manifest (sluice/image/image_source.h).
  auto written = testing::WriteDockerArchiveOci(dir_ + "/oci.tar",
                                                testing::MakeTestImage(15, 2, 4096), "team/app:v1");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  ImageSource source = Open(SourceKind::kDockerArchive, dir_ + "/oci.tar");
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->layers_compressed, 2);
  json manifest = TaggedManifest("v1");
  EXPECT_EQ(manifest["mediaType"], media_type::kDockerManifest);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(manifest["layers"][i]["mediaType"], media_type::kDockerLayerGzip);
    std::string tar = testing::Gunzip(registry_.Blob(manifest["layers"][i]["digest"].get<std::string>()));
    EXPECT_EQ(testing::DigestOf(tar), written->layers[i].diff_id);
  }
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, OciArchiveIsPushedLikeTheLayout) {
  testing::TestImage image = testing::MakeTestImage(29, 2, 2048);
  auto written = testing::WriteOciArchive(dir_ + "/image.tar", image, "v1");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  ImageSource source = Open(SourceKind::kOciArchive, dir_ + "/image.tar", "v1");
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->digest, image.manifest_digest);
  EXPECT_EQ(registry_.Blob(image.layers[0].digest), image.layers[0].blob);
  EXPECT_EQ(result->layers_compressed, 0);
}

TEST_F(ImagePushTest, RepushingACompressedImageSkipsEveryBlob) {
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(16, 2, 4096), nullptr);
  auto first = Push(source, Options());
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto second = Push(source, Options());
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->digest, first->digest) << "compression is not deterministic";
  EXPECT_EQ(second->blobs_skipped, 3);
  EXPECT_EQ(second->blobs_pushed, 0);
  EXPECT_EQ(registry_.CallsOf("PutBlob").size(), 3u);  // all from the first push
}

TEST_F(ImagePushTest, WithADigestCacheARepushNeitherCompressesNorUploads) {
  MemoryDigestCache cache;
  digest_cache_ = &cache;
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(30, 2, 4096), nullptr);
  auto first = Push(source, Options());
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->layers_compressed, 2);
  EXPECT_EQ(cache.size(), 2u);
  events_.clear();

  auto second = Push(source, Options());
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->digest, first->digest);
  EXPECT_EQ(second->layers_compressed, 0);
  EXPECT_EQ(second->blobs_skipped, 3);
  EXPECT_EQ(second->blobs_pushed, 0);
  EXPECT_TRUE(EventsOf(BlobEvent::kCompressing).empty());
  EXPECT_EQ(registry_.CallsOf("PutBlob").size(), 3u);  // all from the first push
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, ACachedDigestTheRegistryLacksIsCompressedAsUsual) {
  MemoryDigestCache cache;
  digest_cache_ = &cache;
  testing::TestImage stored;
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(31, 1, 4096), &stored);
  std::string stale = "sha256:" + std::string(64, 'e');
  cache.Store(stored.layers[0].diff_id, Compression::kGzip, -1, {stale, 123});
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->layers_compressed, 1);
  json manifest = TaggedManifest("v1");
  std::string digest = manifest["layers"][0]["digest"].get<std::string>();
  EXPECT_NE(digest, stale);
  EXPECT_TRUE(registry_.HasStoredBlob(digest));
  auto updated = cache.Lookup(stored.layers[0].diff_id, Compression::kGzip, -1);
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->digest, digest);
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

// Where blobs were pushed, in memory, as FileBlobLocations keeps it.
class MemoryBlobLocations : public BlobLocations {
 public:
  std::vector<std::string> MountSources(const std::string& digest, const std::string& host,
                                        const std::string& repository) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const std::string& r : in_[digest]) {
      if (r.starts_with(host + "/") && r != host + "/" + repository) out.push_back(r.substr(host.size() + 1));
    }
    return out;
  }
  void Record(const std::string& digest, const std::string& host, const std::string& repository) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& list = in_[digest];
    list.erase(std::remove(list.begin(), list.end(), host + "/" + repository), list.end());
    list.insert(list.begin(), host + "/" + repository);
  }
  std::vector<std::string> In(const std::string& digest) {
    std::lock_guard<std::mutex> lock(mutex_);
    return in_[digest];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> in_;
};

TEST_F(ImagePushTest, ASecondRepositoryMountsEveryBlobTheFirstPushRecorded) {
  MemoryBlobLocations locations;
  locations_ = &locations;
  testing::TestImage image = testing::MakeTestImage(40, 2, 4096);
  ImageSource source = WriteOci(image);
  auto first = Push(source, Options());
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(locations.In(image.layers[0].digest), std::vector<std::string>{"localhost:5000/team/app"});

  FakeRegistry other;  // team/other, in the same registry as team/app
  for (const std::string& d : {image.config_digest, image.layers[0].digest, image.layers[1].digest}) {
    other.MarkInRepository(d, "team/app");
  }
  PushOptions options = Options();
  options.image_name = "localhost:5000/team/other";
  auto second = Push(source, options, &other);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->blobs_mounted, 3);
  EXPECT_EQ(second->blobs_pushed, 0);
  EXPECT_EQ(second->bytes_uploaded, image.manifest.size());  // the manifest alone
  EXPECT_TRUE(other.CallsOf("PutBlob").empty());
  ASSERT_EQ(other.CallsOf("MountBlob").size(), 3u);
  EXPECT_EQ(other.CallsOf("MountBlob")[0].digest, "team/app");  // where it was asked from
  EXPECT_EQ(EventsOf(BlobEvent::kMounted).size(), 3u);
  EXPECT_EQ(locations.In(image.layers[0].digest),
            (std::vector<std::string>{"localhost:5000/team/other", "localhost:5000/team/app"}));
  EXPECT_TRUE(other.violations().empty()) << other.violations()[0];
}

TEST_F(ImagePushTest, AMountTheRegistryDeclinesUploadsInstead) {
  MemoryBlobLocations locations;
  locations_ = &locations;
  testing::TestImage image = testing::MakeTestImage(41, 1, 4096);
  ImageSource source = WriteOci(image);
  for (const std::string& d : {image.config_digest, image.layers[0].digest}) {
    locations.Record(d, "localhost:5000", "team/gone");  // stale: the registry no longer has it
  }
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->blobs_mounted, 0);
  EXPECT_EQ(result->blobs_pushed, 2);
  EXPECT_EQ(registry_.CallsOf("MountBlob").size(), 2u);
  EXPECT_EQ(registry_.CallsOf("PutBlob").size(), 2u);
  EXPECT_EQ(registry_.Blob(image.layers[0].digest), image.layers[0].blob);
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, MountFromIsAskedWithoutARecordAndOtherHostsAreNever) {
  MemoryBlobLocations locations;
  locations_ = &locations;
  testing::TestImage image = testing::MakeTestImage(42, 1, 4096);
  ImageSource source = WriteOci(image);
  locations.Record(image.layers[0].digest, "other-registry:5000", "team/app");  // another registry
  for (const std::string& d : {image.config_digest, image.layers[0].digest}) {
    registry_.MarkInRepository(d, "team/base");
  }
  auto plain = Push(source, Options());
  ASSERT_TRUE(plain.ok()) << plain.error().ToString();
  EXPECT_TRUE(registry_.CallsOf("MountBlob").empty());  // nothing recorded for this registry

  FakeRegistry fresh;
  for (const std::string& d : {image.config_digest, image.layers[0].digest}) fresh.MarkInRepository(d, "team/base");
  PushOptions options = Options();
  options.mount_from = "team/base";
  auto mounted = Push(source, options, &fresh);
  ASSERT_TRUE(mounted.ok()) << mounted.error().ToString();
  EXPECT_EQ(mounted->blobs_mounted, 2);
  EXPECT_TRUE(fresh.CallsOf("PutBlob").empty());
}

TEST_F(ImagePushTest, ALayerKnownCompressedIsMountedWithoutCompressingIt) {
  MemoryDigestCache cache;
  digest_cache_ = &cache;
  MemoryBlobLocations locations;
  locations_ = &locations;
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(43, 2, 4096), nullptr);
  auto first = Push(source, Options());
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->layers_compressed, 2);

  FakeRegistry other;
  for (const auto& call : registry_.CallsOf("PutBlob")) other.MarkInRepository(call.target, "team/app");
  events_.clear();
  PushOptions options = Options();
  options.image_name = "localhost:5000/team/other";
  auto second = Push(source, options, &other);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->digest, first->digest);
  EXPECT_EQ(second->layers_compressed, 0);
  EXPECT_EQ(second->blobs_mounted, 3);
  EXPECT_TRUE(EventsOf(BlobEvent::kCompressing).empty());
  EXPECT_TRUE(other.CallsOf("PutBlob").empty());
  EXPECT_TRUE(other.violations().empty()) << other.violations()[0];
}

TEST_F(ImagePushTest, IndexOfUncompressedImagesNamesTheRewrittenPlatformManifests) {
  testing::TestImageIndex index = testing::MakeTestImageIndex(
      {testing::WithUncompressedLayers(testing::MakeTestImage(17, 1, 2048)),
       testing::WithUncompressedLayers(testing::MakeTestImage(18, 1, 2048))});
  ImageSource source = WriteOci(index);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->layers_compressed, 2);

  auto puts = registry_.CallsOf("PutManifest");
  ASSERT_EQ(puts.size(), 3u);
  json pushed_index = json::parse(registry_.Manifest(puts[2].digest));
  EXPECT_EQ(puts[2].target, "v1");
  EXPECT_EQ(result->digest, puts[2].digest);
  EXPECT_NE(result->digest, index.index_digest);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE(puts[i].target, index.images[i].manifest_digest) << "platform " << i;
    EXPECT_EQ(pushed_index["manifests"][i]["digest"], puts[i].target);
    EXPECT_EQ(pushed_index["manifests"][i]["size"], registry_.Manifest(puts[i].digest).size());
    EXPECT_EQ(pushed_index["manifests"][i]["platform"]["architecture"], "amd64");
    json platform = json::parse(registry_.Manifest(puts[i].digest));
    EXPECT_EQ(platform["layers"][0]["mediaType"], media_type::kOciLayerGzip);
  }
  EXPECT_EQ(result->platform_manifests, (std::vector<std::string>{puts[0].target, puts[1].target}));
  EXPECT_TRUE(registry_.violations().empty()) << registry_.violations()[0];
}

TEST_F(ImagePushTest, NoMoreThanJobsUploadsRunAtOnce) {
  ImageSource source = WriteOci(testing::MakeTestImage(19, 7, 1024));  // 8 blobs
  registry_.SetPutDelay(std::chrono::milliseconds(30));
  PushOptions options = Options();
  options.jobs = 3;
  auto result = Push(source, options);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->blobs_pushed, 8);
  EXPECT_LE(registry_.max_in_flight(), 3);
  EXPECT_GE(registry_.max_in_flight(), 2) << "uploads did not overlap at all";
}

TEST_F(ImagePushTest, OneJobUploadsOneBlobAtATime) {
  ImageSource source = WriteOci(testing::MakeTestImage(20, 5, 1024));
  registry_.SetPutDelay(std::chrono::milliseconds(10));
  PushOptions options = Options();
  options.jobs = 1;
  auto result = Push(source, options);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->blobs_pushed, 6);
  EXPECT_EQ(registry_.max_in_flight(), 1);
}

TEST_F(ImagePushTest, CancelledStopsThePushWithInterrupted) {
  ImageSource source = WriteOci(testing::MakeTestImage(21, 2, 2048));
  cancelled_ = [] { return true; };
  auto result = Push(source, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kInterrupted);
  EXPECT_TRUE(registry_.CallsOf("PutBlob").empty());
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
}

TEST_F(ImagePushTest, CancelledMidwayPutsNoManifest) {
  ImageSource source = WriteOci(testing::MakeTestImage(22, 4, 2048));
  std::atomic<bool> stop{false};
  registry_.on_put_blob = [&stop] { stop = true; };  // a signal during the first upload
  cancelled_ = [&stop] { return stop.load(); };
  PushOptions options = Options();
  options.jobs = 1;
  auto result = Push(source, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kInterrupted);
  EXPECT_EQ(registry_.CallsOf("PutBlob").size(), 1u);
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
}

TEST_F(ImagePushTest, CancelledWhileCompressingStopsWithInterrupted) {
  ImageSource source = WriteLegacyArchive(testing::MakeTestImage(23, 2, 4096), nullptr);
  std::atomic<int> polls{0};
  cancelled_ = [&polls] { return ++polls > 1; };
  auto result = Push(source, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kInterrupted);
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
  EXPECT_TRUE(fs::is_empty(temp_));
}

TEST_F(ImagePushTest, CorruptBlobIsRefusedAndNoManifestIsPut) {
  testing::TestImage image = testing::MakeTestImage(24, 2, 4096);
  ImageSource source = WriteOci(image);
  const testing::TestLayer& layer = image.layers[1];
  std::string path = dir_ + "/oci/blobs/sha256/" + layer.digest.substr(7);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(file.is_open()) << path;
    file.seekg(static_cast<std::streamoff>(layer.size / 2));
    char c = 0;
    file.read(&c, 1);
    c = static_cast<char>(c ^ 0x01);
    file.seekp(static_cast<std::streamoff>(layer.size / 2));
    file.write(&c, 1);
  }
  auto result = Push(source, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("does not match its digest"), std::string::npos)
      << result.error().ToString();
  EXPECT_NE(result.error().message.find(layer.digest), std::string::npos);
  EXPECT_FALSE(registry_.HasStoredBlob(layer.digest));
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
}

TEST_F(ImagePushTest, CorruptLegacyLayerIsRefusedBeforeUpload) {
  testing::TestImage image = testing::MakeTestImage(25, 1, 4096);
  auto written = testing::WriteDockerArchiveLegacy(dir_ + "/app.tar", image, "team/app:v1");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  // Flip a byte inside the layer's file content (its random bytes appear once in the archive).
  int error = 0;
  std::string archive = ReadWholeFile(dir_ + "/app.tar", &error).value_or("");
  std::string needle = testing::SeededBytes(25 * 100 * 1000, 64);  // RandomLayer(2500)'s file 0
  size_t at = archive.find(needle);
  ASSERT_NE(at, std::string::npos);
  archive[at + 10] = static_cast<char>(archive[at + 10] ^ 0x01);
  testing::WriteFile(dir_ + "/app.tar", archive);
  ImageSource source = Open(SourceKind::kDockerArchive, dir_ + "/app.tar");

  auto result = Push(source, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("does not match its digest"), std::string::npos)
      << result.error().ToString();
  EXPECT_TRUE(registry_.CallsOf("PutBlob").size() <= 1u) << "only the config may go up";
  EXPECT_TRUE(registry_.CallsOf("PutManifest").empty());
  EXPECT_TRUE(fs::is_empty(temp_));
}

TEST_F(ImagePushTest, NoTagIsAnError) {
  ImageSource source = WriteOci(testing::MakeTestImage(26, 1, 1024));
  auto result = Push(source, Options({}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(registry_.calls().empty());
}

TEST_F(ImagePushTest, ARegistryStoringTheTagAsAnotherDigestIsAnError) {
  ImageSource source = WriteOci(testing::MakeTestImage(27, 1, 1024));
  registry_.AnswerTagsWithDigest("sha256:" + std::string(64, '0'));
  auto result = Push(source, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("sha256:" + std::string(64, '0')), std::string::npos)
      << result.error().ToString();
}

// Before the fix every CI re-run of a push to an immutable repository failed with TAG_INVALID.
TEST_F(ImagePushTest, AnImmutableTagAlreadyNamingTheDigestIsSuccess) {
  registry_.MakeTagsImmutable();
  ImageSource source = WriteOci(testing::MakeTestImage(29, 1, 1024));
  auto first = Push(source, Options({"v1"}));
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_TRUE(first->tags_unchanged.empty());
  auto again = Push(source, Options({"v1"}));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->tags, std::vector<std::string>{"v1"});
  EXPECT_EQ(again->tags_unchanged, std::vector<std::string>{"v1"});
  EXPECT_EQ(again->digest, first->digest);
}

TEST_F(ImagePushTest, AnImmutableTagNamingAnotherImageNamesBothDigests) {
  registry_.MakeTagsImmutable();
  auto first = Push(WriteOci(testing::MakeTestImage(30, 1, 1024)), Options({"v1"}));
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto other = Push(WriteOci(testing::MakeTestImage(31, 1, 1024)), Options({"v1"}));
  ASSERT_FALSE(other.ok());
  std::string message = other.error().ToString();
  EXPECT_EQ(other.error().code, "TAG_INVALID");
  EXPECT_NE(message.find(first->digest), std::string::npos) << message;
  EXPECT_NE(message.find("not the pushed sha256:"), std::string::npos) << message;
}

// Before the fix a foreign layer was uploaded (and, uncompressed, re-typed as gzip). The layout
// holds no blob for it, as a Windows base image's layout does not.
TEST_F(ImagePushTest, NonDistributableLayersAreNeitherUploadedNorRetyped) {
  for (std::string foreign_type : {"application/vnd.oci.image.layer.nondistributable.v1.tar",
                                   "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                                   "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"}) {
    SCOPED_TRACE(foreign_type);
    FakeRegistry registry;
    testing::TestImage image = testing::MakeTestImage(32, 2, 1024);
    auto written = testing::WriteOciLayout(dir_ + "/foreign", image, "v1");
    ASSERT_TRUE(written.ok()) << written.error().ToString();
    // Make layer 0 foreign: its entry gets the type and urls, its blob leaves the layout.
    std::string blobs = dir_ + "/foreign/blobs/sha256/";
    auto read = [](const std::string& path) {
      std::ifstream in(path, std::ios::binary);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    json index = json::parse(read(dir_ + "/foreign/index.json"));
    std::string old_digest = index["manifests"][0]["digest"];
    json manifest = json::parse(read(blobs + old_digest.substr(7)));
    json& layer = manifest["layers"][0];
    layer["mediaType"] = foreign_type;
    layer["urls"] = {"https://mcr.microsoft.com/v2/windows/blobs/" + layer["digest"].get<std::string>()};
    std::string foreign_digest = layer["digest"];
    fs::remove(blobs + foreign_digest.substr(7));
    std::string bytes = manifest.dump();
    std::string digest = testing::DigestOf(bytes);
    std::ofstream(blobs + digest.substr(7), std::ios::binary) << bytes;
    index["manifests"][0]["digest"] = digest;
    index["manifests"][0]["size"] = bytes.size();
    std::ofstream(dir_ + "/foreign/index.json") << index.dump();

    ImageSource source = Open(SourceKind::kOciLayout, dir_ + "/foreign", "v1");
    PushDeps deps;
    deps.registry = &registry;
    auto result = PushImage(source, Options(), deps);
    ASSERT_TRUE(result.ok()) << result.error().ToString();
    EXPECT_TRUE(registry.violations().empty()) << ::testing::PrintToString(registry.violations());
    for (const auto& call : registry.calls()) EXPECT_NE(call.target, foreign_digest) << call.op;
    json pushed = json::parse(registry.Manifest(result->digest));
    EXPECT_EQ(pushed["layers"][0], layer);  // type, digest, size and urls as they were
    fs::remove_all(dir_ + "/foreign");
  }
}

TEST_F(ImagePushTest, ProgressEventsFollowEachUpload) {
  testing::TestImage image = testing::MakeTestImage(28, 1, 20000);
  ImageSource source = WriteOci(image);
  auto result = Push(source, Options());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  auto uploading = EventsOf(BlobEvent::kUploading);
  auto pushed = EventsOf(BlobEvent::kPushed);
  auto progress = EventsOf(BlobEvent::kProgress);
  EXPECT_EQ(uploading.size(), 2u);
  EXPECT_EQ(pushed.size(), 2u);
  ASSERT_FALSE(progress.empty());
  for (const BlobEvent& e : pushed) EXPECT_EQ(e.sent, e.size);
  uint64_t last_layer_sent = 0;
  for (const BlobEvent& e : progress) {
    EXPECT_LE(e.sent, e.size);
    if (e.digest == image.layers[0].digest) last_layer_sent = e.sent;
  }
  EXPECT_EQ(last_layer_sent, image.layers[0].size);
}

}  // namespace
}  // namespace sluice
