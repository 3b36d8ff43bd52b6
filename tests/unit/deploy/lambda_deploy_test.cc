// Which Lambda versions --keep-versions deletes (pure). The deploy itself against moto:
// tests/integration/deploy_lambda_test.cc.
#include "sluice/deploy/lambda_deploy.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using V = std::vector<std::string>;

TEST(VersionsToDeleteTest, OldUnaliasedNumberedVersionsBeyondTheNewestN) {
  // Numbers compare as numbers ("10" is newer than "9"); $LATEST is never a candidate.
  EXPECT_EQ(VersionsToDelete({"$LATEST", "9", "10", "2", "11"}, {}, 2, "11"), (V{"2", "9"}));
  // An alias's version stays, however old; so does the one just published.
  EXPECT_EQ(VersionsToDelete({"$LATEST", "1", "2", "3", "4"}, {"1", "3"}, 1, "4"), (V{"2"}));
  EXPECT_EQ(VersionsToDelete({"1", "2"}, {}, 0, "2"), (V{"1"}));
  // Fewer versions than kept: none.
  EXPECT_TRUE(VersionsToDelete({"$LATEST", "1"}, {}, 3, "1").empty());
  EXPECT_TRUE(VersionsToDelete({}, {}, 1, "").empty());
}

}  // namespace
}  // namespace sluice
