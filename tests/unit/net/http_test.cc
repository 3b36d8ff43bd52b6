// The HTTP data types: case-insensitive header helpers, URLs, and the file and callback body
// sources (reading in pieces, rewinding, a file changing size under us); and FakeHttpClient,
// which other tests rely on to behave like the real client.
#include "sluice/net/http.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "tests/support/fake_http_client.h"

namespace sluice {
namespace {

TEST(HttpHeadersTest, FindHeaderIgnoresCaseAndTakesTheFirst) {
  HttpHeaders headers = {{"Content-Type", "text/plain"}, {"X-Amz-Date", "a"}, {"x-amz-date", "b"}};
  ASSERT_NE(FindHeader(headers, "content-type"), nullptr);
  EXPECT_EQ(*FindHeader(headers, "CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(*FindHeader(headers, "x-AMZ-date"), "a");
  EXPECT_EQ(FindHeader(headers, "content-length"), nullptr);
  EXPECT_EQ(FindHeader(headers, "content-typ"), nullptr);
  EXPECT_EQ(FindHeader({}, "host"), nullptr);
}

TEST(HttpHeadersTest, SetHeaderReplacesEveryCopyInPlace) {
  HttpHeaders headers = {{"Host", "h"}, {"x-a", "1"}, {"Accept", "x"}, {"X-A", "2"}};
  SetHeader(headers, "X-a", "3");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].name, "Host");
  EXPECT_EQ(headers[1].name, "X-a");
  EXPECT_EQ(headers[1].value, "3");
  EXPECT_EQ(headers[2].name, "Accept");

  SetHeader(headers, "new", "");
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers[3].name, "new");
  EXPECT_EQ(headers[3].value, "");
}

TEST(HttpHeadersTest, RemoveHeaderRemovesEveryCopy) {
  HttpHeaders headers = {{"A", "1"}, {"b", "2"}, {"a", "3"}};
  RemoveHeader(headers, "a");
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].name, "b");
  RemoveHeader(headers, "missing");
  EXPECT_EQ(headers.size(), 1u);
}

TEST(HttpRequestTest, UrlJoinsEndpointPathAndQuery) {
  HttpRequest request;
  request.endpoint = "https://s3.us-east-1.amazonaws.com";
  request.path = "/bucket/a%20b";
  EXPECT_EQ(request.Url(), "https://s3.us-east-1.amazonaws.com/bucket/a%20b");
  request.query = "list-type=2&prefix=x";
  EXPECT_EQ(request.Url(), "https://s3.us-east-1.amazonaws.com/bucket/a%20b?list-type=2&prefix=x");
}

TEST(HttpRequestTest, BodySizeComesFromTheSourceWhenThereIsOne) {
  HttpRequest request;
  request.body = "hello";
  EXPECT_EQ(request.BodySize(), 5u);
  request.body_source = CallbackBody(
      42, [](char*, size_t) { return Result<size_t>(0); }, nullptr);
  EXPECT_EQ(request.BodySize(), 42u);
}

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

using ::sluice::testing::FakeHttpClient;

TEST(FakeHttpClientTest, AnswersFromTheQueueThenTheHandler) {
  FakeHttpClient fake([](const HttpRequest& r) -> Result<HttpResponse> {
    return HttpResponse{200, {}, "handled " + r.path};
  });
  fake.Enqueue(500, "busy");
  fake.Enqueue(Error::Network("reset"));
  HttpRequest request;
  request.path = "/x";
  auto first = fake.Send(request);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, 500);
  EXPECT_EQ(first->body, "busy");
  auto second = fake.Send(request);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kNetwork);
  auto third = fake.Send(request);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->body, "handled /x");
  EXPECT_EQ(fake.request_count(), 3u);
  EXPECT_EQ(fake.last_request().path, "/x");
}

TEST(FakeHttpClientTest, DefaultsTo200) {
  FakeHttpClient fake;
  auto response = fake.Send(HttpRequest{});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
}

TEST(FakeHttpClientTest, RecordsAStreamedBodyAsText) {
  FakeHttpClient fake;
  std::string data(40000, 'd');
  size_t offset = 0;
  HttpRequest request;
  request.body_source = CallbackBody(
      data.size(),
      [&](char* buffer, size_t n) -> Result<size_t> {
        size_t count = std::min(n, data.size() - offset);
        data.copy(buffer, count, offset);
        offset += count;
        return count;
      },
      [&]() -> Status {
        offset = 0;
        return Status::Ok();
      });
  ASSERT_TRUE(fake.Send(request).ok());
  EXPECT_EQ(fake.requests().at(0).body, data);
}

TEST(FakeHttpClientTest, StreamsSuccessfulBodiesToOnBody) {
  FakeHttpClient fake;
  fake.set_body_chunk_size(3);
  fake.Enqueue(200, "abcdefgh");
  fake.Enqueue(404, "missing");
  fake.Enqueue(200, "abcdefgh");
  std::vector<std::string> chunks;
  HttpRequest request;
  request.on_body = [&](std::string_view chunk) {
    chunks.emplace_back(chunk);
    return true;
  };
  auto ok = fake.Send(request);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->body, "");
  EXPECT_EQ(chunks, (std::vector<std::string>{"abc", "def", "gh"}));

  auto missing = fake.Send(request);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->body, "missing");
  EXPECT_EQ(chunks.size(), 3u);

  request.on_body = [](std::string_view) { return false; };
  auto aborted = fake.Send(request);
  ASSERT_FALSE(aborted.ok());
  EXPECT_FALSE(aborted.error().retryable);
}

TEST(FakeHttpClientTest, IsThreadSafe) {
  FakeHttpClient fake;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) EXPECT_TRUE(fake.Send(HttpRequest{}).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(fake.request_count(), 400u);
}

}  // namespace
}  // namespace sluice
