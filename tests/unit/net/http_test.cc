// The HTTP data types: case-insensitive header helpers and URLs; and FakeHttpClient, which other
// tests rely on to behave like the real client.
#include "sluice/net/http.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

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
