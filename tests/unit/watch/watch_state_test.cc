#include "sluice/watch/watch_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "sluice/util/time_format.h"
#include "tests/support/child_process.h"

namespace sluice {
namespace {

using testing::MakeTempDir;
using testing::RemoveTree;
using testing::WriteFile;

SystemTime At(const char* iso8601) { return *ParseIso8601(iso8601); }

WatchState SampleState() {
  WatchState state;
  state.Set("s3://bucket/prefix/",
            {
                {"prefix/a.csv", {"\"etag-a\"", 12, At("2026-11-23T10:00:00Z"), ""}},
                {"prefix/versioned", {"\"etag-v\"", 0, At("2026-11-23T10:00:01Z"), "3HL4kqtJl"}},
                {"prefix/huge",
                 {"\"x\"", std::numeric_limits<uint64_t>::max(), At("1999-12-31T23:59:59Z"), ""}},
                // Keys are arbitrary UTF-8: all of these must survive the JSON escaping.
                {"prefix/caf\u00e9 \U0001F600.csv", {"e1", 1, At("2026-01-01T00:00:00Z"), ""}},
                {"prefix/\"quoted\" \\back\\slash", {"e2", 2, At("2026-01-01T00:00:00Z"), ""}},
                {"prefix/line\nbreak\ttab\r", {"e3", 3, At("2026-01-01T00:00:00Z"), ""}},
                {std::string("prefix/nul\0byte", 15), {"e4", 4, At("2026-01-01T00:00:00Z"), ""}},
            });
  state.Set("/srv/incoming/", {});  // watched and empty, which differs from never watched
  return state;
}

void ExpectSameAsSample(const WatchState& state) {
  WatchState sample = SampleState();
  for (const char* target : {"s3://bucket/prefix/", "/srv/incoming/"}) {
    ASSERT_NE(state.Find(target), nullptr) << target;
    EXPECT_EQ(*state.Find(target), *sample.Find(target)) << target;
  }
  EXPECT_EQ(state.Find("s3://other/"), nullptr);
}

class WatchStateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("sluice-watch-state-");
    ASSERT_FALSE(dir_.empty());
    path_ = dir_ + "/watch.state";
  }
  void TearDown() override { RemoveTree(dir_); }

  std::vector<std::string> DirectoryEntries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  std::string dir_;
  std::string path_;
};

TEST(WatchStateTest, SerializeAndParseRoundTrip) {
  std::string json = SampleState().Serialize();
  auto parsed = WatchState::Parse(json, "state.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ExpectSameAsSample(*parsed);
  EXPECT_EQ(parsed->Serialize(), json);  // stable: saving unchanged state rewrites the same bytes
}

TEST(WatchStateTest, WritesTheDocumentedFormat) {
  WatchState state;
  state.Set("s3://b/p/", {{"k", {"\"e\"", 1, At("2026-11-23T10:00:00Z"), "v1"}}});
  EXPECT_EQ(
      state.Serialize(),
      R"({"targets":{"s3://b/p/":{"k":{"etag":"\"e\"","last_modified":"2026-11-23T10:00:00Z",)"
      R"("size":1,"version_id":"v1"}}},"version":1})"
      "\n");
}

TEST(WatchStateTest, IgnoresFieldsItDoesNotKnowAndAMissingVersionId) {
  auto parsed = WatchState::Parse(
      R"({"version": 1, "written_by": "a newer sluice", "targets": {"s3://b/": {"k": {
          "etag": "e", "size": 5, "last_modified": "2026-11-23T10:00:00.123Z", "storage": "GLACIER"
      }}}})",
      "state.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_NE(parsed->Find("s3://b/"), nullptr);
  const ObjectVersion& v = parsed->Find("s3://b/")->at("k");
  EXPECT_EQ(v.etag, "e");
  EXPECT_EQ(v.size, 5u);
  EXPECT_EQ(FormatIso8601(v.last_modified), "2026-11-23T10:00:00Z");
  EXPECT_EQ(v.version_id, "");
}

TEST(WatchStateTest, RejectsMalformedStateNamingTheFile) {
  // One object's entry with the given fields.
  auto entry = [](const std::string& fields) {
    return R"({"version": 1, "targets": {"s3://b/": {"k": {)" + fields + "}}}}";
  };
  const std::string good_time = R"("last_modified": "2026-11-23T10:00:00Z")";
  const std::vector<std::string> bad = {
      "",
      "not json",
      R"({"version": 1, "targets": {})",  // torn
      "[]",
      R"({"targets": {}})",
      R"({"version": "1", "targets": {}})",
      R"({"version": 1})",
      R"({"version": 1, "targets": []})",
      R"({"version": 1, "targets": {"s3://b/": []}})",
      R"({"version": 1, "targets": {"s3://b/": {"k": 1}}})",
      entry(R"("size": 1, )" + good_time),
      entry(R"("etag": 1, "size": 1, )" + good_time),
      entry(R"("etag": "e", "size": -1, )" + good_time),
      entry(R"("etag": "e", "size": 1.5, )" + good_time),
      entry(R"("etag": "e", "size": "1", )" + good_time),
      entry(R"("etag": "e", "size": 1, "last_modified": "yesterday")"),
      entry(R"("etag": "e", "size": 1, "last_modified": 1700000000)"),
      entry(R"("etag": "e", "size": 1, "version_id": null, )" + good_time),
  };
  for (const std::string& text : bad) {
    auto parsed = WatchState::Parse(text, "/var/lib/uploads.state");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kConfig) << text;
    EXPECT_NE(parsed.error().message.find("/var/lib/uploads.state"), std::string::npos)
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("delete it"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(WatchStateTest, RejectsAnUnknownVersion) {
  auto parsed = WatchState::Parse(R"({"version": 2, "targets": {}})", "s.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, ErrorKind::kConfig);
  EXPECT_NE(parsed.error().message.find("version 2"), std::string::npos) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("s.json"), std::string::npos);
}

TEST_F(WatchStateFileTest, SaveAndLoadRoundTrip) {
  ASSERT_TRUE(SampleState().Save(path_).ok());
  auto loaded = WatchState::Load(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  ExpectSameAsSample(*loaded);
}

TEST_F(WatchStateFileTest, SaveReplacesTheFileAndLeavesNoTempFileBehind) {
  WriteFile(path_, "old contents");
  ASSERT_TRUE(SampleState().Save(path_).ok());
  WatchState smaller;
  smaller.Set("s3://b/", {{"k", {"e", 1, At("2026-11-23T10:00:00Z"), ""}}});
  ASSERT_TRUE(smaller.Save(path_).ok());
  EXPECT_EQ(DirectoryEntries(), std::vector<std::string>{"watch.state"});
  auto loaded = WatchState::Load(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->Find("s3://bucket/prefix/"), nullptr);  // truncated, not merged
  ASSERT_NE(loaded->Find("s3://b/"), nullptr);
  EXPECT_EQ(loaded->Find("s3://b/")->size(), 1u);
}

TEST_F(WatchStateFileTest, LoadOfAMissingFileIsAnEmptyState) {
  auto loaded = WatchState::Load(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->Find("s3://bucket/prefix/"), nullptr);
}

TEST_F(WatchStateFileTest, LoadOfAMalformedFileIsAnErrorNotAnEmptyState) {
  WriteFile(path_, "{\"version\": 1, \"targets\": {\"s3://b/\": {\"k\": {\"etag\"");
  auto loaded = WatchState::Load(path_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, ErrorKind::kConfig);
  EXPECT_NE(loaded.error().message.find(path_), std::string::npos) << loaded.error().message;
}

TEST_F(WatchStateFileTest, LoadOfAnUnreadableFileIsAnError) {
  std::filesystem::create_directory(path_);  // reading a directory fails whoever runs the test
  auto loaded = WatchState::Load(path_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, ErrorKind::kConfig);
  EXPECT_NE(loaded.error().message.find(path_), std::string::npos) << loaded.error().message;
}

TEST_F(WatchStateFileTest, SaveIntoAMissingDirectoryIsAnIoError) {
  std::string path = dir_ + "/no/such/dir/watch.state";
  Status saved = SampleState().Save(path);
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().kind, ErrorKind::kIo);
  EXPECT_NE(saved.error().message.find(path), std::string::npos) << saved.error().message;
  EXPECT_NE(saved.error().message.find("No such file or directory"), std::string::npos)
      << saved.error().message;
}

TEST_F(WatchStateFileTest, AFailedRenameRemovesTheTempFile) {
  // Renaming a file over a non-empty directory fails after the temp file is written.
  std::filesystem::create_directories(path_ + "/occupied");
  Status saved = SampleState().Save(path_);
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().kind, ErrorKind::kIo);
  EXPECT_NE(saved.error().message.find(path_), std::string::npos) << saved.error().message;
  EXPECT_EQ(DirectoryEntries(), std::vector<std::string>{"watch.state"});
}

}  // namespace
}  // namespace sluice
