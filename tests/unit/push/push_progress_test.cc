// sluice-push's progress text: byte counts, one line per finished blob, and the status line.
#include "sluice/push/push_progress.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

using std::chrono::milliseconds;

TEST(PushProgressTest, FormatBytesShowsSmallCountsInBytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1), "1 B");
  EXPECT_EQ(FormatBytes(999), "999 B");
}

TEST(PushProgressTest, FormatBytesUsesDecimalUnitsWithThreeSignificantDigits) {
  EXPECT_EQ(FormatBytes(1000), "1.00 KB");
  EXPECT_EQ(FormatBytes(1500), "1.50 KB");
  EXPECT_EQ(FormatBytes(123'456), "123.5 KB");
  EXPECT_EQ(FormatBytes(12'300'000), "12.3 MB");
  EXPECT_EQ(FormatBytes(2'000'000'000), "2.00 GB");
  EXPECT_EQ(FormatBytes(3'000'000'000'000), "3.00 TB");
}

TEST(PushProgressTest, FormatBytesStaysInTerabytesAboveThem) {
  EXPECT_EQ(FormatBytes(5'000'000'000'000'000), "5000.0 TB");
}

// The unit is chosen after rounding: a value just under the next unit is "1.00 MB", not
// "1000.0 KB", and 9'999 B is "10.0 KB" (three significant digits), not "10.00 KB".
TEST(PushProgressTest, FormatBytesRoundsUpIntoTheNextUnit) {
  EXPECT_EQ(FormatBytes(999'999), "1.00 MB");
  EXPECT_EQ(FormatBytes(9'999), "10.0 KB");
}

// A clock the test moves by hand.
class PushProgressLinesTest : public ::testing::Test {
 protected:
  PushProgressLinesTest()
      : progress_([this](const std::string& line) { lines_.push_back(line); },
                  [this] { return now_; }) {}

  void Advance(milliseconds by) { now_ += by; }

  static std::string Digest(char c) { return "sha256:" + std::string(64, c); }
  static std::string Short(char c) { return "sha256:" + std::string(12, c); }

  static BlobEvent Event(BlobEvent::Kind kind, char c, uint64_t size, uint64_t sent = 0) {
    BlobEvent event;
    event.kind = kind;
    event.digest = Digest(c);
    event.size = size;
    event.sent = sent;
    event.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    return event;
  }

  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
  std::vector<std::string> lines_;
  PushProgress progress_;
};

TEST_F(PushProgressLinesTest, SkippedBlobPrintsAnExistsLine) {
  progress_.OnBlob(Event(BlobEvent::kSkipped, 'a', 1000));
  EXPECT_EQ(lines_, std::vector<std::string>{"exists " + Short('a') + " (1.00 KB)"});
}

TEST_F(PushProgressLinesTest, CompressingBlobPrintsACompressingLine) {
  progress_.OnBlob(Event(BlobEvent::kCompressing, 'b', 12'300'000));
  EXPECT_EQ(lines_, std::vector<std::string>{"compressing " + Short('b') + " (12.3 MB)"});
}

TEST_F(PushProgressLinesTest, PushedBlobPrintsItsSizeAndRate) {
  progress_.OnBlob(Event(BlobEvent::kUploading, 'c', 4'000'000));
  Advance(milliseconds(2000));
  progress_.OnBlob(Event(BlobEvent::kPushed, 'c', 4'000'000, 4'000'000));
  EXPECT_EQ(lines_, std::vector<std::string>{"pushed " + Short('c') + " (4.00 MB, 2.00 MB/s)"});
}

TEST_F(PushProgressLinesTest, QuickPushPrintsNoRate) {
  progress_.OnBlob(Event(BlobEvent::kUploading, 'd', 512));
  Advance(milliseconds(10));
  progress_.OnBlob(Event(BlobEvent::kPushed, 'd', 512, 512));
  EXPECT_EQ(lines_, std::vector<std::string>{"pushed " + Short('d') + " (512 B)"});
}

TEST_F(PushProgressLinesTest, UploadingAndProgressPrintNothing) {
  progress_.OnBlob(Event(BlobEvent::kUploading, 'e', 1000));
  progress_.OnBlob(Event(BlobEvent::kProgress, 'e', 1000, 500));
  EXPECT_TRUE(lines_.empty());
}

TEST_F(PushProgressLinesTest, StatusLineBeforeAnythingHappened) {
  EXPECT_EQ(progress_.StatusLine(), "0/0 blobs · 0 B of 0 B · - · 0 uploading");
}

TEST_F(PushProgressLinesTest, StatusLineCountsBlobsBytesRateAndUploads) {
  progress_.OnBlob(Event(BlobEvent::kUploading, 'a', 1'000'000));
  progress_.OnBlob(Event(BlobEvent::kProgress, 'a', 1'000'000, 500'000));
  progress_.OnBlob(Event(BlobEvent::kSkipped, 'b', 2'000'000));
  progress_.OnBlob(Event(BlobEvent::kUploading, 'c', 1'000'000));
  progress_.OnBlob(Event(BlobEvent::kPushed, 'c', 1'000'000, 1'000'000));
  Advance(milliseconds(1000));
  // The skipped blob counts as done but not in the bytes: they are of what is uploaded.
  EXPECT_EQ(progress_.StatusLine(), "2/3 blobs · 1.50 MB of 2.00 MB · 1.50 MB/s · 1 uploading");
}

TEST_F(PushProgressLinesTest, StatusLineShowsNoRateInTheFirstTenthOfASecond) {
  progress_.OnBlob(Event(BlobEvent::kUploading, 'a', 1000));
  progress_.OnBlob(Event(BlobEvent::kProgress, 'a', 1000, 100));
  Advance(milliseconds(50));
  EXPECT_EQ(progress_.StatusLine(), "0/1 blobs · 100 B of 1.00 KB · - · 1 uploading");
}

TEST_F(PushProgressLinesTest, StatusLineRateIsOverTheWholePush) {
  progress_.OnBlob(Event(BlobEvent::kUploading, 'a', 10'000'000));
  Advance(milliseconds(3000));
  progress_.OnBlob(Event(BlobEvent::kProgress, 'a', 10'000'000, 6'000'000));
  Advance(milliseconds(1000));
  EXPECT_EQ(progress_.StatusLine(), "0/1 blobs · 6.00 MB of 10.0 MB · 1.50 MB/s · 1 uploading");
}

// PushImage reports a compressed layer as kCompressing under the uncompressed digest and then as
// kUploading/kPushed under the compressed one: only the compressed blob is counted.
TEST_F(PushProgressLinesTest, StatusLineCountsACompressedLayerOnce) {
  progress_.OnBlob(Event(BlobEvent::kCompressing, 'u', 1'000'000));  // the layer.tar
  progress_.OnBlob(Event(BlobEvent::kUploading, 'z', 400'000));      // its gzip
  progress_.OnBlob(Event(BlobEvent::kPushed, 'z', 400'000, 400'000));
  Advance(milliseconds(1000));
  EXPECT_EQ(progress_.StatusLine(), "1/1 blobs · 400.0 KB of 400.0 KB · 400.0 KB/s · 0 uploading");
}

TEST(PushProgressTest, IsSafeToFeedFromSeveralThreads) {
  // `line` is called outside the lock, so count with an atomic.
  std::atomic<int> pushed{0};
  PushProgress counted([&pushed](const std::string&) { ++pushed; });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counted, t] {
      for (int i = 0; i < 50; ++i) {
        BlobEvent event;
        event.digest = "sha256:" + std::to_string(t) + "-" + std::to_string(i);
        event.size = 100;
        event.kind = BlobEvent::kUploading;
        counted.OnBlob(event);
        event.kind = BlobEvent::kProgress;
        event.sent = 50;
        counted.OnBlob(event);
        event.kind = BlobEvent::kPushed;
        event.sent = 100;
        counted.OnBlob(event);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(pushed.load(), 200);
  EXPECT_TRUE(counted.StatusLine().starts_with("200/200 blobs · 20.0 KB of 20.0 KB"))
      << counted.StatusLine();
}

}  // namespace
}  // namespace sluice
