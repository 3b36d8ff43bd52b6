#include "sluice/util/environment.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace sluice {

std::optional<std::string> Environment::GetNonEmpty(std::string_view name) const {
  auto v = Get(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string Environment::HomeDirectory() const {
  if (auto home = GetNonEmpty("HOME")) return *home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "/";
}

std::string Environment::CacheDirectory() const {
  if (auto xdg = GetNonEmpty("XDG_CACHE_HOME")) return *xdg + "/sluice";
  return HomeDirectory() + "/.cache/sluice";
}

namespace {
class RealEnvironment : public Environment {
 public:
  std::optional<std::string> Get(std::string_view name) const override {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }
};
}  // namespace

const Environment& ProcessEnvironment() {
  static RealEnvironment env;
  return env;
}

std::optional<std::string> MapEnvironment::Get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sluice
