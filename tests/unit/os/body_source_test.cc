// The file and callback body sources: reading in pieces, rewinding, a file changing size under us.
#include "sluice/os/body_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

namespace sluice {
namespace {

class FileBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "sluice_file_body_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void Write(const std::string& content, bool append = false) {
    std::ofstream out(path_, append ? std::ios::app | std::ios::binary : std::ios::binary);
    out << content;
  }

  static std::string ReadAll(BodySource& source, size_t piece) {
    std::string out;
    std::vector<char> buffer(piece);
    while (true) {
      Result<size_t> got = source.Read(buffer.data(), buffer.size());
      EXPECT_TRUE(got.ok()) << got.error().ToString();
      if (!got.ok() || *got == 0) break;
      out.append(buffer.data(), *got);
    }
    return out;
  }

  std::string path_;
};

TEST_F(FileBodyTest, ReadsInPiecesAndRewinds) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += std::to_string(i) + ",";
  Write(content);
  auto body = FileBody(path_);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  EXPECT_EQ((*body)->size(), content.size());
  EXPECT_EQ(ReadAll(**body, 7), content);

  char byte;
  Result<size_t> end = (*body)->Read(&byte, 1);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 0u);

  ASSERT_TRUE((*body)->Rewind().ok());
  EXPECT_EQ(ReadAll(**body, 4096), content);
}

TEST_F(FileBodyTest, EmptyFileEndsAtOnce) {
  Write("");
  auto body = FileBody(path_);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)->size(), 0u);
  EXPECT_EQ(ReadAll(**body, 16), "");
}

TEST_F(FileBodyTest, MissingFileIsAnIoErrorNamingThePath) {
  auto body = FileBody(path_ + ".missing");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind, ErrorKind::kIo);
  EXPECT_NE(body.error().message.find(path_ + ".missing"), std::string::npos);
}

TEST_F(FileBodyTest, DirectoryIsRejected) {
  auto body = FileBody(::testing::TempDir());
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind, ErrorKind::kIo);
}

TEST_F(FileBodyTest, FileThatShrinksWhileReadIsAnError) {
  Write(std::string(100, 'a'));
  auto body = FileBody(path_);
  ASSERT_TRUE(body.ok());
  char buffer[10];
  ASSERT_TRUE((*body)->Read(buffer, sizeof buffer).ok());
  ASSERT_EQ(::truncate(path_.c_str(), 50), 0);
  Result<size_t> got(size_t{0});
  do {
    got = (*body)->Read(buffer, sizeof buffer);
  } while (got.ok() && *got > 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kIo);
  EXPECT_NE(got.error().message.find("changed size"), std::string::npos);
}

TEST_F(FileBodyTest, FileThatGrowsWhileReadIsAnError) {
  Write(std::string(20, 'a'));
  auto body = FileBody(path_);
  ASSERT_TRUE(body.ok());
  Write("more", /*append=*/true);
  char buffer[64];
  Result<size_t> first = (*body)->Read(buffer, sizeof buffer);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 20u);  // never more than the size the upload declared
  Result<size_t> end = (*body)->Read(buffer, sizeof buffer);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().kind, ErrorKind::kIo);
}

TEST(CallbackBodyTest, ReadsAndRewindsThroughTheCallbacks) {
  std::string data = "abcdef";
  size_t offset = 0;
  int rewinds = 0;
  auto body = CallbackBody(
      data.size(),
      [&](char* buffer, size_t n) -> Result<size_t> {
        size_t count = std::min(n, data.size() - offset);
        data.copy(buffer, count, offset);
        offset += count;
        return count;
      },
      [&]() -> Status {
        ++rewinds;
        offset = 0;
        return Status::Ok();
      });
  EXPECT_EQ(body->size(), 6u);
  char buffer[4];
  EXPECT_EQ(*body->Read(buffer, 4), 4u);
  EXPECT_EQ(*body->Read(buffer, 4), 2u);
  EXPECT_EQ(*body->Read(buffer, 4), 0u);
  ASSERT_TRUE(body->Rewind().ok());
  EXPECT_EQ(rewinds, 1);
  EXPECT_EQ(*body->Read(buffer, 4), 4u);
  EXPECT_EQ(std::string(buffer, 4), "abcd");
}

TEST(CallbackBodyTest, WithoutARewindCallbackRewindFails) {
  auto body = CallbackBody(
      1, [](char*, size_t) -> Result<size_t> { return size_t{0}; }, nullptr);
  EXPECT_FALSE(body->Rewind().ok());
}

}  // namespace
}  // namespace sluice
