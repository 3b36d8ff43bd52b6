// The clean-up's "what is in use" rule (pure): which ECR images a clean-up deletes, as a table of
// cases: digests shared across revisions, the same image named by tag and by digest, a running
// task's own digest after its tag moved, protected tags, images outside ECR. The clean-up
// against moto: tests/integration/deploy_cleanup_test.cc.
#include "sluice/deploy/image_cleanup.h"

#include <gtest/gtest.h>

#include "sluice/util/time_format.h"

namespace sluice {
namespace {

const std::string kHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const std::string kApp = kHost + "/team/app";
const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');

const SystemTime kPushed = FromEpochSeconds(1000);   // when team/app's images were pushed
const SystemTime kNamed = FromEpochSeconds(2000);    // when the removed revisions named them
const SystemTime kBefore = FromEpochSeconds(500);    // a revision registered before the push

// team/app: D1 tagged v1 and release-1, D2 tagged v2, D3 untagged.
std::map<std::string, std::vector<EcrImage>> Listing() {
  return {{"123456789012:us-east-1:team/app",
           {{kD1, {"v1", "release-1"}, kPushed}, {kD2, {"v2"}, kPushed}, {kD3, {}, kPushed}}}};
}

struct Case {
  const char* name;
  std::vector<ImageUse> removed;
  std::vector<ImageUse> in_use;
  std::vector<std::string> protect;
  std::vector<std::string> deleted;  // digests
  std::vector<std::string> reasons;  // of the kept ones, in order
};

TEST(PlanImageCleanupTest, DeletesOnlyWhatNothingThatStaysOrRunsNames) {
  const std::vector<Case> cases = {
      {"an image only a removed revision names goes, tags and all",
       {{kApp + "@" + kD1, "revision web:1"}}, {{kApp + "@" + kD2, "revision web:2"}}, {}, {kD1}, {}},
      {"a digest a kept revision shares stays",
       {{kApp + "@" + kD1, "revision web:1"}}, {{kApp + "@" + kD1, "revision web:3"}}, {}, {},
       {"in use by revision web:3"}},
      {"named by tag when removed, by digest when kept: one image, kept",
       {{kApp + ":v1", "revision web:1"}}, {{kApp + "@" + kD1, "service web"}}, {}, {},
       {"in use by service web"}},
      {"named by digest when removed, by a tag on it when kept: kept",
       {{kApp + "@" + kD2, "revision web:1"}}, {{kApp + ":v2", "lambda resize:4"}}, {}, {},
       {"in use by lambda resize:4"}},
      {"a running task's own digest keeps its image even after its tag moved on",
       {{kApp + "@" + kD3, "revision web:1"}},
       {{kApp + ":v2", "revision web:2"}, {kApp + "@" + kD3, "task abc (web:1)"}}, {}, {},
       {"in use by task abc (web:1)"}},
      {"two removed revisions naming one digest: deleted once",
       {{kApp + "@" + kD3, "revision web:1"}, {kApp + ":v2", "revision web:2", kNamed},
        {kApp + "@" + kD3, "revision web:3"}},
       {}, {}, {kD3, kD2}, {}},
      {"named by tag, and the tag's image was pushed after the revision named it: kept",
       {{kApp + ":v2", "revision web:1", kBefore}}, {}, {}, {},
       {"tag v2 now names an image pushed after revision web:1 named it"}},
      {"named by tag with no registration time: kept, the tag may have moved",
       {{kApp + ":v2", "revision web:1"}}, {}, {}, {},
       {"named by tag v2, which may have moved since revision web:1 named it (no registration time to tell)"}},
      {"a tag matching --protect-tag keeps the image (every tag of it counts)",
       {{kApp + ":v1", "revision web:1", kNamed}, {kApp + "@" + kD2, "revision web:2"}}, {}, {"release-*"},
       {kD2}, {"tag release-1 matches --protect-tag release-*"}},
      {"the same digest in another repository does not count",
       {{kApp + "@" + kD1, "revision web:1"}}, {{kHost + "/team/other@" + kD1, "service other"}}, {},
       {kD1}, {}},
      {"another region's registry is another registry",
       {{kApp + "@" + kD1, "revision web:1"}},
       {{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@" + kD1, "service eu"}}, {}, {kD1}, {}},
      {"host names compare without case; repo:tag@digest is pinned by its digest",
       {{kApp + ":v9@" + kD1, "revision web:1"}},
       {{"123456789012.DKR.ECR.us-east-1.amazonaws.com/team/app@" + kD1, "service web"}}, {}, {},
       {"in use by service web"}},
      {"a dual-stack host names the same registry",
       {{kApp + "@" + kD1, "revision web:1"}},
       {{"123456789012.dkr-ecr.us-east-1.on.aws/team/app@" + kD1, "service web"}}, {}, {},
       {"in use by service web"}},
      {"images outside ECR are never touched",
       {{"docker.io/library/nginx:1.25", "revision web:1"}, {"public.ecr.aws/x/y:1", "revision web:1"}},
       {}, {}, {}, {"not in ECR: left alone", "not in ECR: left alone"}},
      {"a tag no image carries any more, a digest already gone, a repository that is not there",
       {{kApp + ":v0", "revision web:1"}, {kApp + "@sha256:" + std::string(64, '9'), "revision web:1"},
        {kHost + "/team/gone:v1", "revision web:1"}},
       {}, {}, {},
       {"no image is tagged v0 any more", "already gone from the repository",
        "repository team/gone not found"}},
      {"a kept image named by a tag that is on nothing protects nothing",
       {{kApp + "@" + kD2, "revision web:1"}}, {{kApp + ":v7", "revision web:2"}}, {}, {kD2}, {}},
      {"a bare repository means :latest, which is on nothing here",
       {{kApp, "revision web:1"}}, {}, {}, {}, {"no image is tagged latest any more"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ImageCleanupInput input;
    input.removed = c.removed;
    input.in_use = c.in_use;
    for (const std::string& p : c.protect) input.protect_tags.push_back(*Glob::Parse(p));
    input.repositories = Listing();
    ImageCleanupPlan plan = PlanImageCleanup(input);
    std::vector<std::string> deleted, reasons;
    for (const ImageToDelete& d : plan.deletions) deleted.push_back(d.digest);
    for (const ImageKept& k : plan.kept) reasons.push_back(k.reason);
    EXPECT_EQ(deleted, c.deleted);
    EXPECT_EQ(reasons, c.reasons);
  }
}

TEST(PlanImageCleanupTest, ADeletionSaysWhatGoesWithItAndWhoNamedIt) {
  ImageCleanupInput input;
  input.removed = {{kApp + ":v1", "revision web:1", kNamed}, {kApp + "@" + kD1, "revision web:2"}};
  input.repositories = Listing();
  ImageCleanupPlan plan = PlanImageCleanup(input);
  ASSERT_EQ(plan.deletions.size(), 1u);
  EXPECT_EQ(plan.deletions[0].Uri(), kApp + "@" + kD1);
  EXPECT_EQ(plan.deletions[0].repository.registry_id, "123456789012");
  EXPECT_EQ(plan.deletions[0].repository.region, "us-east-1");
  EXPECT_EQ(plan.deletions[0].repository.repository, "team/app");
  EXPECT_EQ(plan.deletions[0].tags, (std::vector<std::string>{"v1", "release-1"}));
  EXPECT_EQ(plan.deletions[0].removed_by, (std::vector<std::string>{"revision web:1", "revision web:2"}));
}

TEST(EcrImageUriTest, SplitsTheRegistryTheRepositoryAndTheTagOrDigest) {
  auto tagged = ParseEcrImageUri(kHost + "/team/app:v1");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->registry_id, "123456789012");
  EXPECT_EQ(tagged->region, "us-east-1");
  EXPECT_EQ(tagged->repository, "team/app");
  EXPECT_EQ(tagged->tag, "v1");
  EXPECT_EQ(tagged->digest, "");
  auto pinned = ParseEcrImageUri(kHost + "/app@" + kD1);
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->repository, "app");
  EXPECT_EQ(pinned->digest, kD1);
  EXPECT_EQ(ParseEcrImageUri("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1")->region, "cn-north-1");
  EXPECT_FALSE(ParseEcrImageUri("nginx:1.25"));
  EXPECT_FALSE(ParseEcrImageUri("127.0.0.1:5000/app:1"));
  EXPECT_FALSE(ParseEcrImageUri(kHost + "/app@md5:abc"));
  EXPECT_FALSE(ParseEcrImageUri(kHost + "/"));
}

TEST(EcrImageUriTest, PinnedImageReplacesTheTagWithWhatEcsPulled) {
  EXPECT_EQ(PinnedImage(kApp + ":v1", kD1), kApp + "@" + kD1);
  EXPECT_EQ(PinnedImage(kApp, kD1), kApp + "@" + kD1);
  EXPECT_EQ(PinnedImage(kApp + "@" + kD2, kD1), kApp + "@" + kD1);
  EXPECT_EQ(PinnedImage("127.0.0.1:5000/app", kD1), "127.0.0.1:5000/app@" + kD1);
}

}  // namespace
}  // namespace sluice
