// examples/Dockerfile, checked as far as a machine without Docker can:
//   - its runtime stage installs a Debian package for every shared library the built tools load
//     (each NEEDED entry, found with ldconfig and traced to its package with dpkg -S), beyond
//     those debian:12-slim already has;
//   - its build stage copies only what exists, and a tree of just those copies configures with
//     the stage's cmake flags (no tests/, bench/ or scripts/ needed);
//   - its build stage installs the build packages scripts/install-deps lists.
// Building the image and running it are not checked here.
#include <gtest/gtest.h>
#include <stdio.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "tests/peers/examples.h"
#include "tests/peers/tool_run.h"
#include "tests/support/child_process.h"

namespace sluice {
namespace {

using testing::ReadFile;

// `command`'s standard output (sh -c), or "" when it could not run.
std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string RepositoryRoot() {
  return std::filesystem::canonical(std::string(SLUICE_TEST_DATA_DIR) + "/../..").string();
}

// The Dockerfile's stages, the text after each FROM line (index 0: the build stage).
std::vector<std::string> Stages() {
  std::string text = ReadFile(testing::ExamplePath("Dockerfile"));
  std::vector<std::string> stages;
  std::regex from(R"((^|\n)FROM [^\n]*)");
  std::vector<size_t> starts;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), from); it != std::sregex_iterator(); ++it) {
    starts.push_back(it->position() + it->length());
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t end = i + 1 < starts.size() ? text.rfind("FROM ", starts[i + 1]) : text.size();
    stages.push_back(text.substr(starts[i], end - starts[i]));
  }
  return stages;
}

// The packages a stage's `apt-get install` names.
std::set<std::string> InstalledPackages(const std::string& stage) {
  std::set<std::string> packages;
  size_t at = stage.find("apt-get install");
  if (at == std::string::npos) return packages;
  std::string command = stage.substr(at + 15, stage.find("&&", at) - at - 15);
  std::stringstream words(command);
  std::string word;
  while (words >> word) {
    if (word[0] != '-' && word != "\\") packages.insert(word);
  }
  return packages;
}

TEST(DockerfileExampleTest, ItsRuntimeStageInstallsEveryLibraryTheToolsLoad) {
  std::vector<std::string> stages = Stages();
  ASSERT_EQ(stages.size(), 2u);
  std::set<std::string> runtime = InstalledPackages(stages[1]);
  ASSERT_FALSE(runtime.empty()) << stages[1];
  // What debian:12-slim has already (Priority: required).
  const std::set<std::string> in_base = {"libc6", "libstdc++6", "libgcc-s1"};
  std::set<std::string> needed_packages;
  for (const char* tool : {"sluice", "sluice-watch", "sluice-trigger", "sluice-push", "sluice-deploy", "sluice-run-once"}) {
    const std::string binary = std::string(SLUICE_BIN_DIR) + "/" + tool;
    std::string needed = Shell("objdump -p '" + binary + "' | awk '/NEEDED/ {print $2}'");
    ASSERT_FALSE(needed.empty()) << "objdump found no NEEDED entries in " << binary;
    for (const std::string& library : testing::Lines(needed)) {
      if (library.find("asan") != std::string::npos || library.find("ubsan") != std::string::npos) continue;
      std::string path = Shell("ldconfig -p | awk -v l='" + library + "' '$1 == l {print $NF; exit}'");
      path = path.substr(0, path.find('\n'));
      ASSERT_FALSE(path.empty()) << library << " (needed by " << tool << ") is not in ldconfig's cache";
      // Debian 12 merged /lib into /usr/lib; a package lists either one.
      std::string owner = Shell("dpkg -S '" + path + "' 2>/dev/null || dpkg -S '/usr" + path + "' 2>/dev/null");
      owner = owner.substr(0, owner.find(':'));
      ASSERT_FALSE(owner.empty()) << "no Debian package has " << path;
      needed_packages.insert(owner);
      EXPECT_TRUE(runtime.count(owner) || in_base.count(owner))
          << tool << " loads " << library << " from package " << owner
          << ", which the Dockerfile's runtime stage does not install";
    }
  }
  EXPECT_GE(needed_packages.size(), 5u);
}

TEST(DockerfileExampleTest, ItsBuildStageCopiesWhatExistsAndThatAloneConfigures) {
  std::vector<std::string> stages = Stages();
  ASSERT_EQ(stages.size(), 2u);
  const std::string root = RepositoryRoot();
  const std::string tree = testing::MakeTempDir("sluice-dockerfile-build-");
  std::regex copy(R"(\nCOPY ([^-\n][^ \n]*) ([^\n]+))");
  int copies = 0;
  for (auto it = std::sregex_iterator(stages[0].begin(), stages[0].end(), copy); it != std::sregex_iterator(); ++it) {
    const std::string source = (*it)[1];
    ASSERT_TRUE(std::filesystem::exists(root + "/" + source)) << "COPY " << source << ": no such path";
    std::filesystem::copy(root + "/" + source, tree + "/" + source, std::filesystem::copy_options::recursive);
    ++copies;
  }
  EXPECT_GE(copies, 3);
  std::smatch flags;
  ASSERT_TRUE(std::regex_search(stages[0], flags, std::regex(R"(cmake -S \. -B build ((?:[^&]|\\\n)*)&&)")));
  std::string cmake_flags = std::regex_replace(flags[1].str(), std::regex(R"(\\\n)"), " ");
  std::string out = Shell("cd '" + tree + "' && cmake -S . -B build " + cmake_flags + " >configure.log 2>&1; echo $?");
  EXPECT_EQ(out, "0\n") << ReadFile(tree + "/configure.log");
  testing::RemoveTree(tree);
}

TEST(DockerfileExampleTest, ItsBuildStageInstallsTheBuildPackagesOfInstallDeps) {
  std::vector<std::string> stages = Stages();
  ASSERT_EQ(stages.size(), 2u);
  std::set<std::string> build = InstalledPackages(stages[0]);
  std::string deps = ReadFile(RepositoryRoot() + "/scripts/install-deps");
  std::smatch list;
  ASSERT_TRUE(std::regex_search(deps, list, std::regex(R"(\nbuild_packages=\(([^)]*)\))")))
      << "scripts/install-deps has no build_packages=(...) list";
  std::stringstream words(list[1].str());
  std::string package;
  int count = 0;
  while (words >> package) {
    EXPECT_TRUE(build.count(package)) << "the Dockerfile's build stage does not install " << package
                                      << " (scripts/install-deps' build_packages does)";
    ++count;
  }
  EXPECT_GE(count, 10);
}

}  // namespace
}  // namespace sluice
