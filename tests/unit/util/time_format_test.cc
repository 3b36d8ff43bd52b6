#include "sluice/util/time_format.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(TimeFormatTest, Iso8601RoundTripsAndAcceptsVariants) {
  auto t = ParseIso8601("2015-08-30T12:36:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatIso8601(*t), "2015-08-30T12:36:00Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2015-08-30T12:36:00.999Z")), "2015-08-30T12:36:00Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2015-08-30T14:36:00+02:00")), "2015-08-30T12:36:00Z");
  EXPECT_FALSE(ParseIso8601("yesterday"));
  EXPECT_FALSE(ParseIso8601("2015-13-30T12:36:00Z"));
  EXPECT_FALSE(ParseIso8601(""));
}

TEST(TimeFormatTest, HttpDates) {
  auto t = ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatIso8601(*t), "2015-08-30T12:36:00Z");
  EXPECT_EQ(FormatHttpDate(*t), "Sun, 30 Aug 2015 12:36:00 GMT");
  EXPECT_FALSE(ParseHttpDate("30/08/2015"));
  EXPECT_FALSE(ParseHttpDate("Sun, 30 Foo 2015 12:36:00 GMT"));
}

TEST(TimeFormatTest, EpochSeconds) {
  auto t = FromEpochSeconds(1440938160.5);
  EXPECT_DOUBLE_EQ(ToEpochSeconds(t), 1440938160.5);
  EXPECT_EQ(FormatIso8601(t), "2015-08-30T12:36:00Z");
}

}  // namespace
}  // namespace sluice
