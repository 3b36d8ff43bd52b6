// The umbrella `sluice` binary and the installed layout: every command in its table runs the
// real tool (its --help exits 0), versions agree, unknown commands are usage errors, and
// `cmake --install` puts every tool and man page in place.
#include <gtest/gtest.h>

#include <filesystem>

#include "sluice/umbrella/command_dispatch.h"
#include "tests/peers/tool_run.h"

namespace sluice {
namespace {

using testing::Contains;
using testing::ToolRun;

class UmbrellaTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("sluice-umbrella"); }
  void TearDown() override { testing::RemoveTree(dir_); }
  ToolRun Run(const std::vector<std::string>& args) {
    return ToolRun("sluice", dir_, testing::AwsEnv(dir_, "", "", ""), args);
  }
  std::string dir_;
};

TEST_F(UmbrellaTest, EveryCommandRunsItsTool) {
  for (const CommandInfo& c : Commands()) {
    ToolRun run = Run({std::string(c.name), "--help"});
    EXPECT_EQ(run.ExitCode(), 0) << c.name << "\n" << run.Stderr();
    EXPECT_TRUE(Contains(run.Stdout(), "--help")) << c.name << "\n" << run.Stdout();
    ToolRun help = Run({"help", std::string(c.name)});
    EXPECT_EQ(help.ExitCode(), 0) << c.name;
    EXPECT_EQ(help.Stdout(), run.Stdout()) << c.name;
  }
}

TEST_F(UmbrellaTest, OneVersionForAll) {
  ToolRun umbrella = Run({"--version"});
  ASSERT_EQ(umbrella.ExitCode(), 0);
  EXPECT_EQ(umbrella.Stdout(), std::string("sluice ") + SLUICE_VERSION + "\n");
  for (const CommandInfo& c : Commands()) {
    ToolRun run = Run({std::string(c.name), "--version"});
    EXPECT_EQ(run.ExitCode(), 0) << c.name;
    EXPECT_EQ(run.Stdout(), umbrella.Stdout()) << c.name;
  }
}

TEST_F(UmbrellaTest, UnknownCommandsAndNoCommandAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"nope"}, {"../../bin/sh"}, {}}) {
    ToolRun run = Run(args);
    EXPECT_EQ(run.ExitCode(), 2) << ::testing::PrintToString(args);
    EXPECT_TRUE(Contains(run.Stderr(), "sluice --help") || Contains(run.Stderr(), "usage:"))
        << run.Stderr();
  }
  ToolRun exit_code = Run({"run-once", "--local", "--", "sh", "-c", "exit 7"});
  EXPECT_EQ(exit_code.ExitCode(), 7) << exit_code.Stderr();
}

TEST_F(UmbrellaTest, CmakeInstallPutsToolsAndManPagesInPlace) {
  std::string build_dir = std::filesystem::path(SLUICE_BIN_DIR).parent_path().string();
  std::string prefix = dir_ + "/prefix";
  std::string command = "cmake --install '" + build_dir + "' --prefix '" + prefix + "' >'" +
                        dir_ + "/install.log' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << testing::ReadFile(dir_ + "/install.log");
  EXPECT_TRUE(std::filesystem::exists(prefix + "/bin/sluice"));
  for (const CommandInfo& c : Commands()) {
    std::string name = "sluice-" + std::string(c.name);
    EXPECT_TRUE(std::filesystem::exists(prefix + "/bin/" + name)) << name;
    EXPECT_TRUE(std::filesystem::exists(prefix + "/share/man/man1/" + name + ".1")) << name;
  }
  // The installed umbrella runs the installed tools.
  std::string out = dir_ + "/version.out";
  ASSERT_EQ(std::system(("'" + prefix + "/bin/sluice' push --version >'" + out + "'").c_str()), 0);
  EXPECT_EQ(testing::ReadFile(out), std::string("sluice ") + SLUICE_VERSION + "\n");
}

}  // namespace
}  // namespace sluice
