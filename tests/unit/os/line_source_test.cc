// Reading lines from a descriptor: lines split across reads, a last line without a newline,
// over-long lines cut, and waiting without input.
#include "sluice/os/line_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace sluice {
namespace {

using std::chrono::milliseconds;

class LineSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::pipe(fds_), 0); }
  void TearDown() override {
    ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
  }
  void Write(const std::string& data) {
    ASSERT_EQ(::write(fds_[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  void Close() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }
  int fds_[2] = {-1, -1};
};

TEST_F(LineSourceTest, JoinsPartsAndKeepsALastLineWithoutNewline) {
  auto source = MakeFdLineSource(fds_[0], 100);
  std::string line;
  Write("one\ntw");
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kLine);
  EXPECT_EQ(line, "one");
  EXPECT_EQ(source->Next(line, milliseconds(10)), LineSource::Status::kIdle);
  Write("o\n\nthree");
  Close();
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kLine);
  EXPECT_EQ(line, "two");
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kLine);
  EXPECT_EQ(line, "");
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kLine);
  EXPECT_EQ(line, "three");
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kEnd);
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kEnd);
}

TEST_F(LineSourceTest, CutsLongLinesToTheLimitPlusOne) {
  auto source = MakeFdLineSource(fds_[0], 4);
  Write("123456789\nok\n");
  Close();
  std::string line;
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kLine);
  EXPECT_EQ(line, "12345");
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kLine);
  EXPECT_EQ(line, "ok");
  EXPECT_EQ(source->Next(line, milliseconds(1000)), LineSource::Status::kEnd);
}

}  // namespace
}  // namespace sluice
