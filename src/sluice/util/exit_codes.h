// The exit codes every sluice tool documents (README "Exit codes").
#pragma once

namespace sluice {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitDataError = 65;  // sysexits EX_DATAERR: --strict and bad input
inline constexpr int kExitTimeout = 124;   // as timeout(1)
inline constexpr int kExitInterrupted = 130;

}  // namespace sluice
