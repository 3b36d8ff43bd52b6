// The record of where blobs were pushed: a round trip through its file, merging with what other
// pushes saved meanwhile (threads saving at once lose nothing), the bounds, and a corrupt file.
#include "sluice/registry/blob_locations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "sluice/util/environment.h"
#include "tests/support/child_process.h"

namespace sluice {
namespace {

using Strings = std::vector<std::string>;

std::string Digest(int n) {
  std::string hex = std::to_string(n);
  return "sha256:" + std::string(64 - hex.size(), '0') + hex;
}

class BlobLocationsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("sluice-blob-locations-"); }
  void TearDown() override { testing::RemoveTree(dir_); }
  std::string Path() const { return dir_ + "/cache/sluice/blob-locations.json"; }
  std::string dir_;
};

TEST_F(BlobLocationsTest, WhatOnePushRecordsTheNextOneFindsForOtherRepositoriesOfTheSameHost) {
  {
    FileBlobLocations record(Path());
    record.Record(Digest(1), "r.example", "team/a");
    record.Record(Digest(1), "r.example", "team/b");
    record.Record(Digest(1), "other.example", "team/c");
    ASSERT_TRUE(record.Save());
  }
  FileBlobLocations record(Path());
  EXPECT_EQ(record.MountSources(Digest(1), "r.example", "team/new"), (Strings{"team/b", "team/a"}));
  EXPECT_EQ(record.MountSources(Digest(1), "r.example", "team/b"), Strings{"team/a"});  // never itself
  EXPECT_EQ(record.MountSources(Digest(1), "other.example", "x"), Strings{"team/c"});
  EXPECT_TRUE(record.MountSources(Digest(2), "r.example", "team/new").empty());
}

TEST_F(BlobLocationsTest, PushesSavingAtOnceMergeRatherThanLoseEachOthersEntries) {
  const int kPushes = 8;
  std::vector<std::unique_ptr<FileBlobLocations>> records;
  for (int i = 0; i < kPushes; ++i) records.push_back(std::make_unique<FileBlobLocations>(Path()));
  std::vector<std::thread> threads;
  for (int i = 0; i < kPushes; ++i) {
    threads.emplace_back([&, i] {
      records[i]->Record(Digest(i), "r.example", "team/" + std::to_string(i));
      EXPECT_TRUE(records[i]->Save());
    });
  }
  for (auto& t : threads) t.join();
  FileBlobLocations after(Path());
  for (int i = 0; i < kPushes; ++i) {
    EXPECT_EQ(after.MountSources(Digest(i), "r.example", "team/new"), Strings{"team/" + std::to_string(i)}) << i;
  }
}

TEST_F(BlobLocationsTest, BoundedToTheDigestsAndRepositoriesUsedLast) {
  std::map<std::string, FileBlobLocations::Entry> entries;
  std::map<std::string, FileBlobLocations::Entry> added;
  for (size_t i = 0; i < FileBlobLocations::kMaxDigests + 5; ++i) {
    added[Digest(static_cast<int>(i))] = {static_cast<int64_t>(1000 + i), {"r.example/team/app"}};
  }
  MergeBlobLocations(entries, added);
  EXPECT_EQ(entries.size(), FileBlobLocations::kMaxDigests);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(entries.count(Digest(i))) << i;  // the oldest went
  EXPECT_TRUE(entries.count(Digest(5)));

  std::map<std::string, FileBlobLocations::Entry> one;
  for (int r = 0; r < 6; ++r) {
    MergeBlobLocations(one, {{Digest(1), {100 + r, {"r.example/team/" + std::to_string(r)}}}});
  }
  EXPECT_EQ(one[Digest(1)].repositories,
            (Strings{"r.example/team/5", "r.example/team/4", "r.example/team/3", "r.example/team/2"}));
  // An older sighting does not push a newer one out of first place.
  MergeBlobLocations(one, {{Digest(1), {50, {"r.example/team/9"}}}});
  EXPECT_EQ(one[Digest(1)].repositories.front(), "r.example/team/5");
}

TEST_F(BlobLocationsTest, ACorruptFileIsAnEmptyRecordAndIsRewrittenWhole) {
  std::filesystem::create_directories(dir_ + "/cache/sluice");
  testing::WriteFile(Path(), "{\"blobs\": {\"sha256:nothex\": 3, ");
  FileBlobLocations record(Path());
  EXPECT_TRUE(record.MountSources(Digest(1), "r.example", "x").empty());
  record.Record(Digest(1), "r.example", "team/a");
  ASSERT_TRUE(record.Save());
  FileBlobLocations again(Path());
  EXPECT_EQ(again.MountSources(Digest(1), "r.example", "x"), Strings{"team/a"});
}

TEST(BlobLocationsPathTest, UnderTheUsersCacheDirectory) {
  MapEnvironment xdg({{"XDG_CACHE_HOME", "/c"}, {"HOME", "/h"}});
  EXPECT_EQ(FileBlobLocations::DefaultPath(xdg), "/c/sluice/blob-locations.json");
  MapEnvironment home({{"HOME", "/h"}});
  EXPECT_EQ(FileBlobLocations::DefaultPath(home), "/h/.cache/sluice/blob-locations.json");
}

}  // namespace
}  // namespace sluice
