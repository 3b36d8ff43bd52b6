// FileDigestCache: entries survive a save and a reopen, saves from two processes merge, and a
// corrupt or unwritable file never fails anything (a cache only saves work).
#include "sluice/image/compressed_digest_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/child_process.h"

namespace sluice {
namespace {

const std::string kLayerA = "sha256:" + std::string(64, 'a');
const std::string kLayerB = "sha256:" + std::string(64, 'b');
const std::string kGzA = "sha256:" + std::string(64, 'c');
const std::string kGzB = "sha256:" + std::string(64, 'd');

class FileDigestCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("sluice-digest-cache"); }
  void TearDown() override { testing::RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(FileDigestCacheTest, EntriesSurviveSaveAndReopenPerCompressionAndLevel) {
  std::string path = dir_ + "/sub/dir/cache.json";
  {
    FileDigestCache cache(path);
    EXPECT_FALSE(cache.Lookup(kLayerA, Compression::kGzip, -1));
    cache.Store(kLayerA, Compression::kGzip, -1, {kGzA, 123});
    EXPECT_TRUE(cache.Save());
  }
  FileDigestCache reopened(path);
  auto hit = reopened.Lookup(kLayerA, Compression::kGzip, -1);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->digest, kGzA);
  EXPECT_EQ(hit->size, 123u);
  EXPECT_FALSE(reopened.Lookup(kLayerA, Compression::kZstd, -1));
  EXPECT_FALSE(reopened.Lookup(kLayerA, Compression::kGzip, 9));
}

TEST_F(FileDigestCacheTest, SavesOfTwoPushesMerge) {
  std::string path = dir_ + "/cache.json";
  FileDigestCache first(path);
  FileDigestCache second(path);
  first.Store(kLayerA, Compression::kGzip, -1, {kGzA, 1});
  second.Store(kLayerB, Compression::kGzip, -1, {kGzB, 2});
  EXPECT_TRUE(first.Save());
  EXPECT_TRUE(second.Save());
  FileDigestCache after(path);
  EXPECT_TRUE(after.Lookup(kLayerA, Compression::kGzip, -1));
  EXPECT_TRUE(after.Lookup(kLayerB, Compression::kGzip, -1));
}

TEST_F(FileDigestCacheTest, CorruptFileIsAnEmptyCacheAndBadEntriesAreIgnored) {
  std::string path = dir_ + "/cache.json";
  testing::WriteFile(path, "{not json");
  FileDigestCache corrupt(path);
  EXPECT_FALSE(corrupt.Lookup(kLayerA, Compression::kGzip, -1));
  testing::WriteFile(path, R"({"entries":{")" + kLayerA + R"( gzip -1":{"digest":"md5:x","size":1}}})");
  FileDigestCache bad_entry(path);
  EXPECT_FALSE(bad_entry.Lookup(kLayerA, Compression::kGzip, -1));
}

TEST_F(FileDigestCacheTest, UnwritableLocationFailsOnlyTheSave) {
  testing::WriteFile(dir_ + "/file", "x");
  FileDigestCache cache(dir_ + "/file/cache.json");  // a path under a regular file
  cache.Store(kLayerA, Compression::kGzip, -1, {kGzA, 1});
  EXPECT_FALSE(cache.Save());
  EXPECT_TRUE(cache.Lookup(kLayerA, Compression::kGzip, -1));
}

TEST(FileDigestCachePathTest, FollowsXdgCacheHomeThenHome) {
  MapEnvironment xdg{{"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}};
  EXPECT_EQ(FileDigestCache::DefaultPath(xdg), "/x/sluice/compressed-digests.json");
  MapEnvironment home{{"HOME", "/h"}};
  EXPECT_EQ(FileDigestCache::DefaultPath(home), "/h/.cache/sluice/compressed-digests.json");
}

}  // namespace
}  // namespace sluice
