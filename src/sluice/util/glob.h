// Glob patterns for --include/--exclude over object keys and file paths (pure):
//   *      any run of characters except '/'
//   **     any run of characters, '/' included ("logs/**/*.gz"; "**/" also matches nothing)
//   ?      one character except '/'
//   [abc] [a-z] [!a-z]  one character of (or not of) a set
//   \x     the character x itself
// A pattern without '/' is matched against the last path segment only, as .gitignore and
// `aws s3 --include` users expect ("*.csv" matches "uploads/u1/a.csv").
#pragma once

#include <string>
#include <string_view>

#include "sluice/util/result.h"

namespace sluice {

class Glob {
 public:
  // An error for an unterminated [set] or a trailing backslash.
  static Result<Glob> Parse(std::string_view pattern);
  bool Matches(std::string_view path) const;
  const std::string& pattern() const { return pattern_; }

 private:
  explicit Glob(std::string pattern, bool basename_only)
      : pattern_(std::move(pattern)), basename_only_(basename_only) {}
  std::string pattern_;
  bool basename_only_;
};

}  // namespace sluice
