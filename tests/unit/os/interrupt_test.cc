// The SIGINT/SIGTERM handlers, in a child process each (a death test): the first signal sets the
// flag, a second within half a second is the same stop delivered twice, a later one exits 130.
#include "sluice/os/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

namespace sluice {
namespace {

TEST(InterruptDeathTest, TheSameSignalTwiceAtOnceIsOneStop) {
  EXPECT_EXIT(
      {
        InstallInterruptHandlers();
        raise(SIGTERM);  // a SIGTERM to the whole process group...
        raise(SIGTERM);  // ...passed on again by the script that runs this tool
        _exit(Interrupted() ? 0 : 3);  // still here, to stop cleanly
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(InterruptDeathTest, ASecondSignalLaterQuitsAtOnce) {
  EXPECT_EXIT(
      {
        InstallInterruptHandlers();
        raise(SIGINT);
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        raise(SIGINT);  // a second Ctrl-C: the user means it
        _exit(4);
      },
      ::testing::ExitedWithCode(130), "");
}

TEST(InterruptDeathTest, OneSignalOnlySetsTheFlag) {
  EXPECT_EXIT(
      {
        InstallInterruptHandlers();
        raise(SIGINT);
        _exit(Interrupted() && !SleepUnlessInterrupted(std::chrono::seconds(5)) ? 0 : 5);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace sluice
