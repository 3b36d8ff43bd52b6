#include "sluice/watch/watch_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "sluice/os/file_read.h"
#include "sluice/os/file_write.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

constexpr int kFormatVersion = 1;

using nlohmann::json;

// Every failure to load names the file and the way out: the watcher refuses to start rather
// than treat a damaged file as empty, which would emit every object again.
Error Unusable(const std::string& path, const std::string& why) {
  return Error::Config("state file " + path + " is unusable: " + why +
                       " (fix it, or delete it to start over: everything is then emitted again)");
}

std::optional<ObjectVersion> ParseObjectVersion(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto etag = j.find("etag");
  auto size = j.find("size");
  auto last_modified = j.find("last_modified");
  auto version_id = j.find("version_id");
  if (etag == j.end() || !etag->is_string() || size == j.end() || !size->is_number_unsigned() ||
      last_modified == j.end() || !last_modified->is_string() ||
      (version_id != j.end() && !version_id->is_string())) {
    return std::nullopt;
  }
  auto time = ParseIso8601(last_modified->get<std::string>());
  if (!time) return std::nullopt;
  ObjectVersion v;
  v.etag = etag->get<std::string>();
  v.size = size->get<uint64_t>();
  v.last_modified = *time;
  // Optional: it is empty for every object of an unversioned bucket.
  if (version_id != j.end()) v.version_id = version_id->get<std::string>();
  return v;
}

}  // namespace

Result<WatchState> WatchState::Parse(std::string_view text, const std::string& path_for_errors) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Unusable(path_for_errors, "not valid JSON");
  if (!j.is_object()) return Unusable(path_for_errors, "not a JSON object");
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer()) {
    return Unusable(path_for_errors, "no \"version\" number");
  }
  if (*version != kFormatVersion) {
    // A newer sluice wrote it; guessing at its meaning could emit or drop events wrongly.
    return Unusable(path_for_errors, "format version " + version->dump() + " is not supported " +
                                         "(this sluice reads version " +
                                         std::to_string(kFormatVersion) + ")");
  }
  auto targets = j.find("targets");
  if (targets == j.end() || !targets->is_object()) {
    return Unusable(path_for_errors, "\"targets\" is missing or not an object");
  }
  WatchState state;
  for (const auto& [target, objects] : targets->items()) {
    if (!objects.is_object()) {
      return Unusable(path_for_errors, "the entry for " + target + " is not an object");
    }
    Snapshot snapshot;
    for (const auto& [key, fields] : objects.items()) {
      auto v = ParseObjectVersion(fields);
      if (!v) {
        return Unusable(path_for_errors,
                        "the entry for key \"" + key + "\" of " + target +
                            " needs a string etag, a non-negative integer size, "
                            "an ISO 8601 last_modified, and a string version_id if any");
      }
      snapshot.emplace(key, std::move(*v));
    }
    state.targets_.emplace(target, std::move(snapshot));
  }
  if (auto replay = j.find("replay"); replay != j.end()) {
    if (!replay->is_array()) return Unusable(path_for_errors, "\"replay\" is not an array");
    for (json& event : *replay) {
      if (!event.is_object()) return Unusable(path_for_errors, "a \"replay\" entry is not an object");
      state.replay_.push_back(std::move(event));
    }
  }
  if (auto lease = j.find("lease"); lease != j.end()) {
    state.lease_ = LeaseFromJson(*lease);
    if (!state.lease_) {
      return Unusable(path_for_errors,
                      "\"lease\" needs a string owner and whole-number duration_ms and sequence");
    }
  }
  return state;
}

std::string WatchState::Serialize() const {
  json targets = json::object();
  for (const auto& [target, snapshot] : targets_) {
    json objects = json::object();
    for (const auto& [key, v] : snapshot) {
      objects[key] = {{"etag", v.etag},
                      {"size", v.size},
                      {"last_modified", FormatIso8601(v.last_modified)},
                      {"version_id", v.version_id}};
    }
    targets[target] = std::move(objects);
  }
  json j = {{"version", kFormatVersion}, {"targets", std::move(targets)}};
  if (!replay_.empty()) j["replay"] = replay_;
  if (lease_) j["lease"] = LeaseToJson(*lease_);
  // S3 keys are always UTF-8; a local file name need not be. Such a name is written with U+FFFD
  // in place of its bad bytes rather than failing the save, so after a restart that one file is
  // reported as deleted and created again.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<WatchState> WatchState::Load(const std::string& path) {
  int error = 0;
  auto text = ReadWholeFile(path, &error);
  if (!text) {
    // The first run, or a deliberate fresh start.
    if (error == ENOENT) return WatchState();
    return Unusable(path, std::strerror(error));
  }
  return Parse(*text, path);
}

Status WatchState::Save(const std::string& path) const {
  Status written = WriteFileAtomically(path, Serialize());
  if (!written.ok()) {
    return Error::Io("cannot save state file " + path + ": " + written.error().message);
  }
  return Status::Ok();
}

const Snapshot* WatchState::Find(const std::string& target) const {
  auto it = targets_.find(target);
  return it == targets_.end() ? nullptr : &it->second;
}

void WatchState::Set(const std::string& target, Snapshot snapshot) {
  targets_[target] = std::move(snapshot);
}

}  // namespace sluice
