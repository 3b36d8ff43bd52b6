// sluice-watch, the real binary, against moto's S3: one object through create, update, rewrite
// with identical bytes, delete and re-create; a prefix of more than 1,000 keys; --once and
// --timeout; --state across kill -9; and the errors a user can cause.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "sluice/services/s3_client.h"
#include "sluice/services/sqs_client.h"
#include "tests/peers/aws_realism_proxy.h"
#include "tests/peers/peers.h"

namespace sluice {
namespace {

using testing::MotoServer;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One sluice-watch run: stdout and stderr go to files the test reads as they grow.
class WatchRun {
 public:
  // `env` overrides the defaults (AWS_ENDPOINT_URL to go through a proxy, AWS_REGION, ...).
  WatchRun(const MotoServer& moto, const std::string& dir, const std::vector<std::string>& args,
           const Credentials* credentials = nullptr,
           const std::map<std::string, std::string>& overrides = {})
      : out_(dir + "/out." + std::to_string(++counter_)), err_(out_ + ".err") {
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$SLUICE_TEST_ERR\"",
                                     std::string(SLUICE_BIN_DIR) + "/sluice-watch"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = {
        {"SLUICE_TEST_ERR", err_},
        {"HOME", dir},
        {"AWS_CONFIG_FILE", dir + "/none"},
        {"AWS_SHARED_CREDENTIALS_FILE", dir + "/none"},
        {"AWS_EC2_METADATA_DISABLED", "true"},
        {"AWS_REGION", "us-east-1"},
        {"AWS_ENDPOINT_URL", moto.endpoint()},
        {"AWS_ACCESS_KEY_ID", (credentials ? *credentials : moto.credentials()).access_key_id},
        {"AWS_SECRET_ACCESS_KEY",
         (credentials ? *credentials : moto.credentials()).secret_access_key},
    };
    for (const auto& [name, value] : overrides) env[name] = value;
    std::string error;
    process_ = testing::ChildProcess::Start(argv, env, out_, &error);
    EXPECT_NE(process_, nullptr) << error;
  }

  std::string Stderr() const { return ReadFile(err_); }

  // Waits until stderr says the baseline is taken.
  bool WaitUntilWatching() {
    for (int i = 0; i < 1500; ++i) {
      if (Stderr().find("watching ") != std::string::npos) return true;
      if (!process_->Running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Waits for at least `n` event lines (up to 30 s) and returns every line so far.
  std::vector<nlohmann::json> WaitForEvents(size_t n) {
    std::vector<nlohmann::json> events;
    for (int i = 0; i < 1500; ++i) {
      events = Events();
      if (events.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return events;
  }

  std::vector<nlohmann::json> Events() const {
    std::vector<nlohmann::json> events;
    std::stringstream lines(ReadFile(out_));
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
      events.push_back(j);
    }
    return events;
  }

  std::optional<int> Wait(int timeout_ms) { return process_->Wait(timeout_ms); }
  void Signal(int signal) { process_->Signal(signal); }
  bool Running() { return process_->Running(); }
  pid_t pid() const { return process_->pid(); }

 private:
  static inline int counter_ = 0;
  std::string out_, err_;
  std::unique_ptr<testing::ChildProcess> process_;
};

class WatchTest : public testing::MotoSuiteTest<> {
 protected:
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server did not start";
    dir_ = testing::MakeTempDir("sluice-watch-");
    auto s3 = S3Client::Make(moto_->Context());
    ASSERT_TRUE(s3.ok());
    s3_ = std::move(s3).value();
    bucket_ = "watch-" + std::to_string(++bucket_counter_);
    ASSERT_TRUE(s3_->CreateBucket(bucket_).ok());
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  void Put(const std::string& key, const std::string& body) {
    auto put = s3_->PutObject(bucket_, key, body);
    ASSERT_TRUE(put.ok()) << put.error().ToString();
  }

  static inline int bucket_counter_ = 0;
  std::string dir_;
  std::string bucket_;
  std::unique_ptr<S3Client> s3_;
};

TEST_F(WatchTest, OneObjectThroughItsLife) {
  WatchRun run(*moto_, dir_, {"--interval", "200ms", "s3://" + bucket_ + "/data.csv"});
  ASSERT_TRUE(run.WaitUntilWatching()) << run.Stderr();

  Put("data.csv", "v1");
  auto events = run.WaitForEvents(1);
  ASSERT_EQ(events.size(), 1u) << run.Stderr();
  EXPECT_EQ(events[0]["event"], "created");
  EXPECT_EQ(events[0]["uri"], "s3://" + bucket_ + "/data.csv");
  EXPECT_EQ(events[0]["bucket"], bucket_);
  EXPECT_EQ(events[0]["key"], "data.csv");
  EXPECT_EQ(events[0]["size"], 2);
  EXPECT_EQ(events[0]["source"], "poll");
  EXPECT_FALSE(events[0]["etag"].get<std::string>().empty());
  EXPECT_FALSE(events[0]["detected_at"].get<std::string>().empty());

  Put("data.csv", "version two");
  events = run.WaitForEvents(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["event"], "updated");
  EXPECT_EQ(events[1]["size"], 11);

  // The same bytes again, a second later: same ETag, new Last-Modified, still an update.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Put("data.csv", "version two");
  events = run.WaitForEvents(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2]["event"], "updated");
  EXPECT_EQ(events[2]["etag"], events[1]["etag"]);
  EXPECT_NE(events[2]["last_modified"], events[1]["last_modified"]);

  ASSERT_TRUE(s3_->DeleteObject(bucket_, "data.csv").ok());
  events = run.WaitForEvents(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3]["event"], "deleted");

  Put("data.csv", "back");
  events = run.WaitForEvents(5);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[4]["event"], "created");

  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(10000), 130);
}

TEST_F(WatchTest, PrefixWithMoreThanAThousandKeys) {
  constexpr int kKeys = 1003;
  for (int i = 0; i < kKeys; ++i) Put("uploads/user-" + std::to_string(i % 7) + "/f" + std::to_string(i), "x");
  Put("other/outside.csv", "x");
  WatchRun run(*moto_, dir_,
               {"--interval", "200ms", "--initial", "s3://" + bucket_ + "/uploads/"});
  auto events = run.WaitForEvents(kKeys);
  ASSERT_EQ(events.size(), static_cast<size_t>(kKeys)) << run.Stderr();
  for (const auto& e : events) ASSERT_EQ(e["event"], "exists");
  ASSERT_TRUE(run.WaitUntilWatching());

  Put("uploads/user-3/new.csv", "new");
  ASSERT_TRUE(s3_->DeleteObject(bucket_, "uploads/user-1/f1").ok());
  Put("other/ignored.csv", "x");
  events = run.WaitForEvents(kKeys + 2);
  ASSERT_EQ(events.size(), static_cast<size_t>(kKeys + 2));
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = kKeys; i < events.size(); ++i) seen.insert({events[i]["event"].get<std::string>(), events[i]["key"].get<std::string>()});
  EXPECT_EQ(seen, (std::set<std::pair<std::string, std::string>>{
                      {"created", "uploads/user-3/new.csv"}, {"deleted", "uploads/user-1/f1"}}));
}

TEST_F(WatchTest, OnceExitsAfterTheFirstEventAndFiltersApply) {
  WatchRun run(*moto_, dir_,
               {"--interval", "200ms", "--once", "--include", "*.csv", "--exclude", "tmp/**",
                "s3://" + bucket_ + "/"});
  ASSERT_TRUE(run.WaitUntilWatching()) << run.Stderr();
  Put("tmp/skip.csv", "x");
  Put("notes.txt", "x");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  Put("in/take.csv", "x");
  EXPECT_EQ(run.Wait(30000), 0) << run.Stderr();
  auto events = run.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["key"], "in/take.csv");
}

TEST_F(WatchTest, TimeoutWithoutEventsExits124) {
  WatchRun run(*moto_, dir_, {"--interval", "200ms", "--timeout", "1s", "s3://" + bucket_ + "/x"});
  EXPECT_EQ(run.Wait(30000), 124) << run.Stderr();
  EXPECT_TRUE(run.Events().empty());
}

TEST_F(WatchTest, StateSurvivesKillNineWithoutMissingOrRepeating) {
  std::string state = dir_ + "/state.json";
  std::string target = "s3://" + bucket_ + "/in/";
  Put("in/a.csv", "a1");
  {
    WatchRun run(*moto_, dir_, {"--interval", "200ms", "--state", state, target});
    ASSERT_TRUE(run.WaitUntilWatching()) << run.Stderr();
    Put("in/b.csv", "b1");
    auto events = run.WaitForEvents(1);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["key"], "in/b.csv");
    // Let the state with b.csv be written, then kill without warning.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    run.Signal(SIGKILL);
    EXPECT_EQ(run.Wait(10000), 128 + SIGKILL);
  }
  // While it is down: one update, one create, one delete.
  Put("in/a.csv", "a2");
  Put("in/c.csv", "c1");
  ASSERT_TRUE(s3_->DeleteObject(bucket_, "in/b.csv").ok());

  WatchRun again(*moto_, dir_, {"--interval", "200ms", "--state", state, target});
  ASSERT_TRUE(again.WaitUntilWatching()) << again.Stderr();
  auto events = again.WaitForEvents(3);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // room for a wrong extra event
  events = again.Events();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& e : events) seen.insert({e["event"].get<std::string>(), e["key"].get<std::string>()});
  EXPECT_EQ(events.size(), 3u);
  EXPECT_EQ(seen, (std::set<std::pair<std::string, std::string>>{
                      {"updated", "in/a.csv"}, {"created", "in/c.csv"}, {"deleted", "in/b.csv"}}));
}

// --state s3://…: moto honours If-Match and If-None-Match: * on PutObject (412, and 404 for an
// If-Match on no object), which is all the store needs; what S3 adds (atomic check-and-write,
// 409 to a raced write) is in WatchRealS3Test below.
TEST_F(WatchTest, StateInS3ResumesInAReplacementAfterACleanStopAndAfterAKill) {
  std::string state = "s3://" + bucket_ + "/watchers/in.state";
  std::string target = "s3://" + bucket_ + "/in/";
  std::vector<std::string> args = {"--interval", "200ms", "--state", state, "--state-lease", "3s",
                                   target};
  Put("in/a.csv", "a1");
  {
    WatchRun run(*moto_, dir_, args);
    ASSERT_TRUE(run.WaitUntilWatching()) << run.Stderr();
    Put("in/b.csv", "b1");
    auto events = run.WaitForEvents(1);
    ASSERT_EQ(events.size(), 1u) << run.Stderr();
    EXPECT_EQ(events[0]["key"], "in/b.csv");
    run.Signal(SIGTERM);  // as ECS stops a task
    EXPECT_EQ(run.Wait(10000), 130) << run.Stderr();
  }
  auto saved = s3_->GetObject(bucket_, "watchers/in.state");
  ASSERT_TRUE(saved.ok()) << saved.error().ToString();
  EXPECT_NE(saved->find("\"released\":true"), std::string::npos) << *saved;
  Put("in/c.csv", "c1");  // while no watcher runs
  {
    // The replacement: the lease was released, so it resumes at once, with only what changed.
    WatchRun run(*moto_, dir_, args);
    ASSERT_TRUE(run.WaitUntilWatching()) << run.Stderr();
    EXPECT_EQ(run.Stderr().find("waiting"), std::string::npos) << run.Stderr();
    auto events = run.WaitForEvents(1);
    ASSERT_EQ(events.size(), 1u) << run.Stderr();
    EXPECT_EQ(events[0]["event"], "created");
    EXPECT_EQ(events[0]["key"], "in/c.csv");
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the state with c.csv saved
    run.Signal(SIGKILL);  // the task dies, or its machine
    EXPECT_EQ(run.Wait(10000), 128 + SIGKILL);
  }
  Put("in/d.csv", "d1");
  WatchRun run(*moto_, dir_, args);
  // This one waits for the dead watcher's lease to lapse (it saw no renewal), then resumes.
  ASSERT_TRUE(run.WaitUntilWatching()) << run.Stderr();
  std::string err = run.Stderr();
  EXPECT_NE(err.find("is held by pid "), std::string::npos) << err;
  EXPECT_NE(err.find("lapsed without a renewal: taking the state over"), std::string::npos) << err;
  auto events = run.WaitForEvents(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // room for a wrong extra event
  events = run.Events();
  ASSERT_EQ(events.size(), 1u) << run.Stderr();
  EXPECT_EQ(events[0]["key"], "in/d.csv");
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(10000), 130) << run.Stderr();
}

TEST_F(WatchTest, StateInS3MustNameOneObject) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--state", "s3://" + bucket_ + "/states/", "s3://" + bucket_ + "/in/"},
           {"--state", dir_ + "/state.json", "--state-lease", "10s", "s3://" + bucket_ + "/in/"},
           {"--state", "s3://" + bucket_ + "/s", "--state-lease", "1s", "s3://" + bucket_ + "/in/"},
           {"--state", "s3://" + bucket_ + "/in/.state", "s3://" + bucket_ + "/in/"}}) {
    WatchRun run(*moto_, dir_, args);
    EXPECT_EQ(run.Wait(30000), 2) << run.Stderr();
    std::string err = run.Stderr();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  // A missing bucket is named as such, not taken for a first run.
  WatchRun run(*moto_, dir_, {"--state", "s3://no-such-bucket-here/s", "s3://" + bucket_ + "/in/"});
  EXPECT_EQ(run.Wait(30000), 1) << run.Stderr();
  EXPECT_NE(run.Stderr().find("NoSuchBucket"), std::string::npos) << run.Stderr();
}

// S3 → SQS notifications as moto sends them: a test event first, then form-encoded keys.
TEST_F(WatchTest, SqsModeEmitsNotificationsAndDeletesOnlyWhatItWrote) {
  auto sqs = SqsClient::Make(moto_->Context());
  ASSERT_TRUE(sqs.ok());
  std::string queue_name = bucket_ + "-events";
  auto url = (*sqs)->CreateQueue(queue_name);
  ASSERT_TRUE(url.ok()) << url.error().ToString();
  ASSERT_TRUE(s3_->NotifyQueue(bucket_, "arn:aws:sqs:us-east-1:" + moto_->account_id() + ":" +
                                            queue_name)
                  .ok());
  ASSERT_TRUE((*sqs)->SendMessage(*url, "this is not an S3 event").ok());

  WatchRun run(*moto_, dir_, {"--sqs-queue", *url, "--include", "in/**"});
  ASSERT_TRUE(run.WaitUntilWatching()) << run.Stderr();
  Put("in/a b+c.csv", "x");
  Put("out/skipped.csv", "x");
  ASSERT_TRUE(s3_->DeleteObject(bucket_, "in/a b+c.csv").ok());
  auto events = run.WaitForEvents(2);
  ASSERT_EQ(events.size(), 2u) << run.Stderr();
  EXPECT_EQ(events[0]["event"], "created");
  EXPECT_EQ(events[0]["key"], "in/a b+c.csv");
  EXPECT_EQ(events[0]["bucket"], bucket_);
  EXPECT_EQ(events[0]["source"], "sqs");
  EXPECT_EQ(events[0]["size"], 1);
  EXPECT_EQ(events[1]["event"], "deleted");
  // The malformed message was reported, not silently dropped, and the watch went on.
  EXPECT_NE(run.Stderr().find("is not an S3 event"), std::string::npos) << run.Stderr();
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(40000), 130);

  // Everything written was deleted from the queue; only the malformed message remains (hidden
  // for its visibility timeout).
  auto left = (*sqs)->ReceiveMessage(*url, 10, 0);
  ASSERT_TRUE(left.ok()) << left.error().ToString();
  EXPECT_TRUE(left->empty()) << left->size() << " messages left, first: " << left->front().body;
}

TEST_F(WatchTest, SqsModeOnceAndMissingQueue) {
  auto sqs = SqsClient::Make(moto_->Context());
  ASSERT_TRUE(sqs.ok());
  std::string queue_name = bucket_ + "-once";
  auto url = (*sqs)->CreateQueue(queue_name);
  ASSERT_TRUE(url.ok());
  ASSERT_TRUE(s3_->NotifyQueue(bucket_, "arn:aws:sqs:us-east-1:" + moto_->account_id() + ":" +
                                            queue_name)
                  .ok());
  Put("first.csv", "1");
  Put("second.csv", "2");
  WatchRun run(*moto_, dir_, {"--once", "--sqs-queue", *url});
  EXPECT_EQ(run.Wait(40000), 0) << run.Stderr();
  auto events = run.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["key"], "first.csv");

  WatchRun missing(*moto_, dir_,
                   {"--sqs-queue", moto_->endpoint() + "/" + moto_->account_id() + "/no-such-queue"});
  EXPECT_EQ(missing.Wait(40000), 1) << missing.Stderr();
  EXPECT_NE(missing.Stderr().find("cannot read queue"), std::string::npos) << missing.Stderr();
}

TEST_F(WatchTest, MissingBucketIsExit1WithAClearLine) {
  WatchRun run(*moto_, dir_, {"s3://no-such-bucket-here/key"});
  EXPECT_EQ(run.Wait(30000), 1);
  std::string err = run.Stderr();
  EXPECT_NE(err.find("NoSuchBucket"), std::string::npos) << err;
  EXPECT_NE(err.find("no-such-bucket-here"), std::string::npos) << err;
}

TEST_F(WatchTest, BadTargetsAndFlagsAreUsageErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"s3://UPPER/key"},
           {"http://example.com/x"},
           {},
           {"--interval", "soon", "s3://" + bucket_ + "/k"},
           {"--events", "created,moved", "s3://" + bucket_ + "/k"},
           {"--include", "[abc", "s3://" + bucket_ + "/k"},
           {"--no-such-flag", "s3://" + bucket_ + "/k"},
       }) {
    WatchRun run(*moto_, dir_, args);
    EXPECT_EQ(run.Wait(30000), 2) << ::testing::PrintToString(args) << run.Stderr();
    std::string err = run.Stderr();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find("sluice-watch: "), std::string::npos) << err;
  }
}

// With moto checking signatures and IAM: a key whose policy denies S3 gets one clear line and
// exit 1 at the first poll, not a retry loop.
class WatchAccessTest : public testing::MotoSuiteTest<true> {};

TEST_F(WatchAccessTest, AccessDeniedIsExit1WithAClearLine) {
  std::string dir = testing::MakeTempDir("sluice-watch-access-");
  auto s3 = S3Client::Make(moto_->Context());
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE((*s3)->CreateBucket("guarded").ok());
  ASSERT_TRUE((*s3)->PutObject("guarded", "data.csv", "x").ok());
  auto denied = moto_->CreateUser(
      "no-s3",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]})");
  ASSERT_TRUE(denied.ok()) << denied.error().ToString();

  for (std::string target : {"s3://guarded/data.csv", "s3://guarded/"}) {
    WatchRun run(*moto_, dir, {target}, &*denied);
    EXPECT_EQ(run.Wait(30000), 1) << target << run.Stderr();
    std::string err = run.Stderr();
    EXPECT_NE(err.find("403"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  // The allowed user still sees the object: the denial came from the policy, not the set-up.
  WatchRun allowed(*moto_, dir, {"--initial", "--once", "s3://guarded/data.csv"});
  EXPECT_EQ(allowed.Wait(30000), 0) << allowed.Stderr();
  testing::RemoveTree(dir);
}

// Through AwsRealismProxy (tests/peers/aws_realism_proxy.h): what real S3 answers and moto does
// not. Each of these failed before its fix, as the comments say.
class WatchRealS3Test : public WatchTest {
 protected:
  void SetUp() override {
    WatchTest::SetUp();
    proxy_ = std::make_unique<testing::AwsRealismProxy>(moto_->endpoint());
  }
  WatchRun Run(const std::vector<std::string>& args, const std::string& region = "us-east-1") {
    return WatchRun(*moto_, dir_, args, nullptr,
                    {{"AWS_ENDPOINT_URL", proxy_->endpoint()}, {"AWS_REGION", region}});
  }
  std::unique_ptr<testing::AwsRealismProxy> proxy_;
};

// Before: "PermanentRedirect (HTTP 301)" at the check and exit 1.
TEST_F(WatchRealS3Test, ABucketInAnotherRegionIsFollowedAndSaidOnce) {
  auto eu = S3Client::Make(WithRegion(moto_->Context(), "eu-west-1"));
  ASSERT_TRUE(eu.ok());
  std::string bucket = bucket_ + "-eu";
  ASSERT_TRUE((*eu)->CreateBucket(bucket).ok());
  ASSERT_TRUE((*eu)->PutObject(bucket, "in/a.csv", "a").ok());
  proxy_->BucketInRegion(bucket, "eu-west-1");

  for (std::string target : {"s3://" + bucket + "/in/a.csv", "s3://" + bucket + "/in/"}) {
    int redirects_before = proxy_->RegionRedirects();
    WatchRun run = Run({"--initial", "--once", target});
    EXPECT_EQ(run.Wait(30000), 0) << target << run.Stderr();
    auto events = run.Events();
    ASSERT_EQ(events.size(), 1u) << run.Stderr();
    EXPECT_EQ(events[0]["key"], "in/a.csv");
    std::string err = run.Stderr();
    size_t said = err.find("is in region eu-west-1");
    EXPECT_NE(said, std::string::npos) << err;
    EXPECT_EQ(err.find("is in region eu-west-1", said + 1), std::string::npos) << err;
    // One redirect: later requests went to the bucket's region straight away.
    EXPECT_EQ(proxy_->RegionRedirects(), redirects_before + 1) << err;
  }
  // Started in the bucket's region, nothing is redirected.
  int redirects_before = proxy_->RegionRedirects();
  WatchRun there = Run({"--initial", "--once", "s3://" + bucket + "/in/"}, "eu-west-1");
  EXPECT_EQ(there.Wait(30000), 0) << there.Stderr();
  EXPECT_EQ(proxy_->RegionRedirects(), redirects_before);
}

// Before: HeadBucket's 403 ("no permission to read bucket") and the watcher never started.
TEST_F(WatchRealS3Test, ListBucketScopedToThePrefixIsEnoughForAPrefixTarget) {
  Put("uploads/u1/photo.jpg", "p");
  Put("uploads/u2/other.jpg", "o");
  proxy_->ScopeListBucketToPrefix(bucket_, "uploads/u1/");
  WatchRun mine = Run({"--initial", "--once", "s3://" + bucket_ + "/uploads/u1/"});
  EXPECT_EQ(mine.Wait(30000), 0) << mine.Stderr();
  auto events = mine.Events();
  ASSERT_EQ(events.size(), 1u) << mine.Stderr();
  EXPECT_EQ(events[0]["key"], "uploads/u1/photo.jpg");

  WatchRun theirs = Run({"--initial", "--once", "s3://" + bucket_ + "/uploads/u2/"});
  EXPECT_EQ(theirs.Wait(30000), 1) << theirs.Stderr();
  std::string err = theirs.Stderr();
  EXPECT_NE(err.find("no permission to list s3://" + bucket_ + "/uploads/u2/"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// Before: a bodyless 400 every interval, "retrying every interval" for ever.
TEST_F(WatchRealS3Test, AnSseCObjectIsReportedAndStops) {
  Put("secret.bin", "s");
  proxy_->EncryptWithCustomerKey(bucket_, "secret.bin");
  WatchRun run = Run({"--interval", "1s", "s3://" + bucket_ + "/secret.bin"});
  EXPECT_EQ(run.Wait(30000), 1) << run.Stderr();
  std::string err = run.Stderr();
  EXPECT_NE(err.find("SSE-C"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// Two watchers on one --state s3://…: the second is refused, naming the first, which goes on.
// Through the proxy, conditional writes are atomic and the first two are answered 409
// ConditionalRequestConflict, which the store retries.
TEST_F(WatchRealS3Test, ASecondWatcherOnOneS3StateIsRefusedNamingTheFirst) {
  std::string state = "s3://" + bucket_ + "/in.state";
  std::string target = "s3://" + bucket_ + "/in/";
  std::vector<std::string> args = {"--interval", "200ms", "--state", state, "--state-lease", "3s",
                                   target};
  proxy_->ConflictOnConditionalWrites(2);
  WatchRun first = Run(args);
  ASSERT_TRUE(first.WaitUntilWatching()) << first.Stderr();
  WatchRun second = Run(args);
  EXPECT_EQ(second.Wait(30000), 1) << second.Stderr();
  std::string err = second.Stderr();
  EXPECT_NE(err.find("is in use by another sluice-watch (pid " + std::to_string(first.pid())),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("give this one a --state of its own"), std::string::npos) << err;
  EXPECT_TRUE(second.Events().empty());
  // The first still holds the state and still watches.
  Put("in/a.csv", "a1");
  auto events = first.WaitForEvents(1);
  ASSERT_EQ(events.size(), 1u) << first.Stderr();
  EXPECT_TRUE(first.Running());
  EXPECT_EQ(first.Stderr().find("cannot save"), std::string::npos) << first.Stderr();
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(10000), 130) << first.Stderr();
  // Every write of the state was conditional: the two 409s, then the claim and the renewals.
  EXPECT_GE(proxy_->ConditionalWrites(), 2 + 1 + 2);
}

// Against a moto that checks signatures: HEAD answers carry no body, yet the line names the
// real code. Before: "no permission to read bucket ... (s3:ListBucket)" for a wrong secret.
TEST_F(WatchAccessTest, AWrongSecretOrKeyIdIsNamedAsSuch) {
  std::string dir = testing::MakeTempDir("sluice-watch-keys-");
  auto s3 = S3Client::Make(moto_->Context());
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE((*s3)->CreateBucket("keys").ok());
  Credentials wrong_secret = moto_->credentials();
  wrong_secret.secret_access_key += "x";
  Credentials unknown_key = moto_->credentials();
  unknown_key.access_key_id = "AKIAUNKNOWNUNKNOWN00";
  for (auto [credentials, code] : {std::pair{&wrong_secret, "SignatureDoesNotMatch"},
                                   std::pair{&unknown_key, "InvalidAccessKeyId"}}) {
    for (std::string target : {"s3://keys/data.csv", "s3://keys/"}) {
      WatchRun run(*moto_, dir, {target}, credentials);
      EXPECT_EQ(run.Wait(30000), 1) << target << run.Stderr();
      std::string err = run.Stderr();
      EXPECT_NE(err.find(code), std::string::npos) << target << ": " << err;
      EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    }
  }
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace sluice
