#include "sluice/umbrella/command_dispatch.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(CommandDispatchTest, OnlyPlainNamesAreCommands) {
  for (const char* name : {"push", "run-once", "watch2"}) EXPECT_TRUE(IsValidCommandName(name)) << name;
  for (const char* name : {"", "-v", "../bin/sh", "Push", "a/b", "a b", "push;rm"}) {
    EXPECT_FALSE(IsValidCommandName(name)) << name;
  }
}

TEST(CommandDispatchTest, TheToolBesideTheUmbrellaComesFirstThenPath) {
  EXPECT_EQ(CommandCandidates("push", "/opt/sluice/bin"),
            (std::vector<std::string>{"/opt/sluice/bin/sluice-push", "sluice-push"}));
  EXPECT_EQ(CommandCandidates("push", ""), (std::vector<std::string>{"sluice-push"}));
}

TEST(CommandDispatchTest, HelpListsEveryCommand) {
  std::string help = UmbrellaHelp();
  ASSERT_EQ(Commands().size(), 5u);
  for (const CommandInfo& c : Commands()) {
    EXPECT_NE(help.find("  " + std::string(c.name) + " "), std::string::npos) << c.name;
  }
}

}  // namespace
}  // namespace sluice
