// CompressLayer: gzip and zstd blobs that decompress to the layer, deterministic digests, the
// input checked against its diff_id, and temporary files that never outlive their use.
#include "sluice/image/layer_compressor.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "sluice/os/file_read.h"
#include "tests/support/child_process.h"
#include "tests/support/test_image.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  int error = 0;
  return ReadWholeFile(path, &error).value_or("<missing>");
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().string());
  return names;
}

class LayerCompressorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-compress-");
    ASSERT_FALSE(dir_.empty());
    // A real layer tar, big enough to take several of the compressor's 1 MiB blocks.
    layer_ = testing::MakeTar(testing::RandomLayer(11, 2'500'000, 3).files);
    layer_ += std::string(600'000, 'z');  // and a stretch that compresses well
    digest_ = testing::DigestOf(layer_);
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  CompressOptions Options(Compression compression) {
    CompressOptions options;
    options.compression = compression;
    options.temp_directory = dir_;
    return options;
  }

  Result<CompressedLayer> Compress(const std::string& bytes, const std::string& digest,
                                   const CompressOptions& options, size_t chunk = SIZE_MAX) {
    auto body = StringBody(bytes, chunk);
    return CompressLayer(*body, digest, options);
  }

  std::string dir_;
  std::string layer_;
  std::string digest_;
};

TEST_F(LayerCompressorTest, GzipOutputDecompressesToTheInput) {
  auto layer = Compress(layer_, digest_, Options(Compression::kGzip));
  ASSERT_TRUE(layer.ok()) << layer.error().ToString();
  std::string bytes = ReadFile(layer->file.path());
  EXPECT_EQ(SniffCompression(bytes), Compression::kGzip);
  EXPECT_LT(bytes.size(), layer_.size());
  EXPECT_TRUE(testing::Gunzip(bytes) == layer_) << "the gzip blob does not decompress to the layer";
}

TEST_F(LayerCompressorTest, ZstdOutputDecompressesToTheInput) {
  auto layer = Compress(layer_, digest_, Options(Compression::kZstd));
  ASSERT_TRUE(layer.ok()) << layer.error().ToString();
  std::string bytes = ReadFile(layer->file.path());
  EXPECT_EQ(SniffCompression(bytes), Compression::kZstd);
  EXPECT_LT(bytes.size(), layer_.size());
  EXPECT_TRUE(testing::Unzstd(bytes) == layer_) << "the zstd blob does not decompress to the layer";
}

TEST_F(LayerCompressorTest, ZlibLevelsGiveTheSameBlobWhateverTheReadSizes) {
  CompressOptions options = Options(Compression::kGzip);
  options.level = 6;
  auto whole = Compress(layer_, digest_, options);
  auto pieces = Compress(layer_, digest_, options, /*chunk=*/4093);
  ASSERT_TRUE(whole.ok()) << whole.error().ToString();
  ASSERT_TRUE(pieces.ok()) << pieces.error().ToString();
  EXPECT_EQ(whole->digest, pieces->digest);
  EXPECT_TRUE(testing::Gunzip(ReadFile(pieces->file.path())) == layer_);
}

// igzip (levels 1-3, and the default) emits different deflate blocks for different input
// splits, so CompressLayer feeds it whole 1 MiB blocks: short reads (4093 bytes here; a pread cut
// short on NFS/FUSE in real life) must not change the compressed digest.
TEST_F(LayerCompressorTest, DefaultGzipGivesTheSameBlobWhateverTheReadSizes) {
  auto whole = Compress(layer_, digest_, Options(Compression::kGzip));
  auto pieces = Compress(layer_, digest_, Options(Compression::kGzip), /*chunk=*/4093);
  ASSERT_TRUE(whole.ok()) << whole.error().ToString();
  ASSERT_TRUE(pieces.ok()) << pieces.error().ToString();
  EXPECT_EQ(whole->digest, pieces->digest);
  EXPECT_TRUE(testing::Gunzip(ReadFile(pieces->file.path())) == layer_);
}

TEST_F(LayerCompressorTest, ZstdGivesTheSameBlobWhateverTheReadSizes) {
  auto whole = Compress(layer_, digest_, Options(Compression::kZstd));
  auto pieces = Compress(layer_, digest_, Options(Compression::kZstd), /*chunk=*/4093);
  ASSERT_TRUE(whole.ok()) << whole.error().ToString();
  ASSERT_TRUE(pieces.ok()) << pieces.error().ToString();
  EXPECT_EQ(whole->digest, pieces->digest);
}

TEST_F(LayerCompressorTest, GzipOfTheSameInputHasTheSameDigestEveryTime) {
  for (int level : {-1, 1, 6}) {  // igzip's default, igzip, zlib
    CompressOptions options = Options(Compression::kGzip);
    options.level = level;
    auto first = Compress(layer_, digest_, options);
    auto second = Compress(layer_, digest_, options);
    ASSERT_TRUE(first.ok()) << first.error().ToString();
    ASSERT_TRUE(second.ok()) << second.error().ToString();
    EXPECT_EQ(first->digest, second->digest) << "level " << level;
    EXPECT_EQ(first->size, second->size) << "level " << level;
    EXPECT_NE(first->file.path(), second->file.path());
  }
}

TEST_F(LayerCompressorTest, ZstdOfTheSameInputHasTheSameDigestEveryTime) {
  auto first = Compress(layer_, digest_, Options(Compression::kZstd));
  auto second = Compress(layer_, digest_, Options(Compression::kZstd));
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(first->digest, second->digest);
  EXPECT_EQ(first->size, second->size);
}

TEST_F(LayerCompressorTest, GzipHeaderHasNoTimeStampOrName) {
  for (int level : {-1, 9}) {
    CompressOptions options = Options(Compression::kGzip);
    options.level = level;
    auto layer = Compress(layer_, digest_, options);
    ASSERT_TRUE(layer.ok()) << layer.error().ToString();
    std::string bytes = ReadFile(layer->file.path());
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes[3] & 0x08, 0) << "FNAME set, level " << level;
    EXPECT_EQ(bytes.substr(4, 4), std::string(4, '\0')) << "MTIME set, level " << level;
  }
}

TEST_F(LayerCompressorTest, DigestAndSizeMatchTheTempFile) {
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    auto layer = Compress(layer_, digest_, Options(c));
    ASSERT_TRUE(layer.ok()) << layer.error().ToString();
    std::string bytes = ReadFile(layer->file.path());
    EXPECT_EQ(layer->digest, testing::DigestOf(bytes)) << CompressionName(c);
    EXPECT_EQ(layer->size, bytes.size()) << CompressionName(c);
    EXPECT_TRUE(IsValidDigest(layer->digest));
  }
}

TEST_F(LayerCompressorTest, WritesTheTempFileInTheGivenDirectory) {
  auto layer = Compress(layer_, digest_, Options(Compression::kGzip));
  ASSERT_TRUE(layer.ok()) << layer.error().ToString();
  EXPECT_EQ(fs::path(layer->file.path()).parent_path(), fs::path(dir_));
  EXPECT_EQ(ListDir(dir_), std::vector<std::string>{layer->file.path()});
}

TEST_F(LayerCompressorTest, WrongInputDigestFailsAndLeavesNoFile) {
  std::string wrong = testing::DigestOf("something else");
  auto layer = Compress(layer_, wrong, Options(Compression::kGzip));
  ASSERT_FALSE(layer.ok());
  EXPECT_EQ(layer.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(layer.error().message.find("does not match its digest"), std::string::npos)
      << layer.error().message;
  EXPECT_NE(layer.error().message.find(digest_), std::string::npos) << "names the actual hash";
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, ZstdWithAWrongInputDigestLeavesNoFile) {
  auto layer = Compress(layer_, testing::DigestOf("x"), Options(Compression::kZstd));
  ASSERT_FALSE(layer.ok());
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, ReadErrorFailsAndLeavesNoFile) {
  auto calls = std::make_shared<int>(0);
  auto body = CallbackBody(
      1 << 22,
      [calls](char* out, size_t n) -> Result<size_t> {
        if (++*calls > 2) return Error::Io("disk on fire");
        std::memset(out, 'a', n);
        return n;
      },
      [] { return Status::Ok(); });
  auto layer = CompressLayer(*body, digest_, Options(Compression::kGzip));
  ASSERT_FALSE(layer.ok());
  EXPECT_EQ(layer.error().kind, ErrorKind::kIo);
  EXPECT_NE(layer.error().message.find("disk on fire"), std::string::npos);
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, TempFileIsDeletedWhenTheLayerGoesAway) {
  std::string path;
  {
    auto layer = Compress(layer_, digest_, Options(Compression::kGzip));
    ASSERT_TRUE(layer.ok()) << layer.error().ToString();
    path = layer->file.path();
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, MovingTheLayerMovesTheDutyToDelete) {
  std::string path;
  std::optional<CompressedLayer> kept;
  {
    auto layer = Compress(layer_, digest_, Options(Compression::kGzip));
    ASSERT_TRUE(layer.ok()) << layer.error().ToString();
    path = layer->file.path();
    kept = std::move(layer).value();
  }
  EXPECT_TRUE(fs::exists(path)) << "deleted by the moved-from object";
  EXPECT_EQ(kept->file.path(), path);
  kept.reset();
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(LayerCompressorTest, MoveAssigningATempFileDeletesTheOldFile) {
  std::string a = dir_ + "/a";
  std::string b = dir_ + "/b";
  testing::WriteFile(a, "a");
  testing::WriteFile(b, "b");
  {
    TempFile first(a);
    TempFile second(b);
    first = std::move(second);
    EXPECT_FALSE(fs::exists(a));
    EXPECT_TRUE(fs::exists(b));
    EXPECT_EQ(first.path(), b);
  }
  EXPECT_FALSE(fs::exists(b));
}

TEST_F(LayerCompressorTest, CancelledGivesInterruptedAndLeavesNoFile) {
  CompressOptions options = Options(Compression::kGzip);
  options.cancelled = [] { return true; };
  auto layer = Compress(layer_, digest_, options);
  ASSERT_FALSE(layer.ok());
  EXPECT_EQ(layer.error().kind, ErrorKind::kInterrupted);
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, CancelledMidwayGivesInterrupted) {
  CompressOptions options = Options(Compression::kZstd);
  auto polls = std::make_shared<std::atomic<int>>(0);
  options.cancelled = [polls] { return ++*polls > 1; };  // after the first block
  auto layer = Compress(layer_, digest_, options);
  ASSERT_FALSE(layer.ok());
  EXPECT_EQ(layer.error().kind, ErrorKind::kInterrupted);
  EXPECT_GE(polls->load(), 2);
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, NotCancelledCompletes) {
  CompressOptions options = Options(Compression::kGzip);
  options.cancelled = [] { return false; };
  auto layer = Compress(layer_, digest_, options);
  ASSERT_TRUE(layer.ok()) << layer.error().ToString();
}

TEST_F(LayerCompressorTest, EmptyInputWorksForGzip) {
  auto layer = Compress("", testing::DigestOf(""), Options(Compression::kGzip));
  ASSERT_TRUE(layer.ok()) << layer.error().ToString();
  std::string bytes = ReadFile(layer->file.path());
  EXPECT_GT(layer->size, 0u) << "a gzip stream has a header even for no data";
  EXPECT_EQ(layer->size, bytes.size());
  EXPECT_EQ(layer->digest, testing::DigestOf(bytes));
  EXPECT_EQ(testing::Gunzip(bytes), "");
}

TEST_F(LayerCompressorTest, EmptyInputWorksForZstd) {
  auto layer = Compress("", testing::DigestOf(""), Options(Compression::kZstd));
  ASSERT_TRUE(layer.ok()) << layer.error().ToString();
  std::string bytes = ReadFile(layer->file.path());
  EXPECT_GT(layer->size, 0u);
  EXPECT_EQ(layer->digest, testing::DigestOf(bytes));
  EXPECT_EQ(testing::Unzstd(bytes), "");
}

TEST_F(LayerCompressorTest, EveryGzipLevelRoundTrips) {
  for (int level : {0, 1, 2, 3, 4, 9}) {  // 0-3 igzip, 4-9 zlib
    CompressOptions options = Options(Compression::kGzip);
    options.level = level;
    auto layer = Compress(layer_, digest_, options);
    ASSERT_TRUE(layer.ok()) << layer.error().ToString();
    EXPECT_TRUE(testing::Gunzip(ReadFile(layer->file.path())) == layer_) << "level " << level;
  }
  CompressOptions zstd = Options(Compression::kZstd);
  zstd.level = 12;
  auto layer = Compress(layer_, digest_, zstd);
  ASSERT_TRUE(layer.ok()) << layer.error().ToString();
  EXPECT_TRUE(testing::Unzstd(ReadFile(layer->file.path())) == layer_);
}

TEST_F(LayerCompressorTest, GzipLevelAboveNineIsRefusedAndLeavesNoFile) {
  CompressOptions options = Options(Compression::kGzip);
  options.level = 10;
  auto layer = Compress(layer_, digest_, options);
  ASSERT_FALSE(layer.ok());
  EXPECT_EQ(layer.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, NoCompressionIsRefusedAndLeavesNoFile) {
  auto layer = Compress(layer_, digest_, Options(Compression::kNone));
  ASSERT_FALSE(layer.ok());
  EXPECT_EQ(layer.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(ListDir(dir_).empty());
}

TEST_F(LayerCompressorTest, MissingTempDirectoryIsAnIoErrorNamingIt) {
  CompressOptions options = Options(Compression::kGzip);
  options.temp_directory = dir_ + "/does-not-exist";
  auto layer = Compress(layer_, digest_, options);
  ASSERT_FALSE(layer.ok());
  EXPECT_EQ(layer.error().kind, ErrorKind::kIo);
  EXPECT_NE(layer.error().message.find(options.temp_directory), std::string::npos);
}

}  // namespace
}  // namespace sluice
