// Environment: read access to environment variables and the home directory, behind an interface
// so credential, region and endpoint resolution are tested without touching the process.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when unset. An empty value is returned as "".
  virtual std::optional<std::string> Get(std::string_view name) const = 0;

  // The value when set and non-empty, else nullopt: what most AWS settings mean by "set".
  std::optional<std::string> GetNonEmpty(std::string_view name) const;
  std::string HomeDirectory() const;  // $HOME, else the passwd entry
  // Where sluice keeps its caches: $XDG_CACHE_HOME/sluice, else ~/.cache/sluice.
  std::string CacheDirectory() const;
};

// The real process environment.
const Environment& ProcessEnvironment();

// A fixed set of variables, for tests.
class MapEnvironment : public Environment {
 public:
  MapEnvironment() = default;
  MapEnvironment(std::initializer_list<std::pair<const std::string, std::string>> vars)
      : vars_(vars) {}
  std::optional<std::string> Get(std::string_view name) const override;
  void Set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace sluice
