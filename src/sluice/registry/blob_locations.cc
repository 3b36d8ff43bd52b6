#include "sluice/registry/blob_locations.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/oci/oci_types.h"
#include "sluice/os/file_read.h"
#include "sluice/os/file_write.h"

namespace sluice {
namespace {

std::map<std::string, FileBlobLocations::Entry> ReadEntries(const std::string& path) {
  std::map<std::string, FileBlobLocations::Entry> entries;
  int error = 0;
  auto text = ReadWholeFile(path, &error);
  if (!text) return entries;
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("blobs") || !json["blobs"].is_object()) return entries;
  for (const auto& [digest, value] : json["blobs"].items()) {
    if (!IsValidDigest(digest) || !value.is_object()) continue;
    FileBlobLocations::Entry entry;
    if (auto used = value.find("used"); used != value.end() && used->is_number_integer()) {
      entry.used = used->get<int64_t>();
    }
    for (const auto& repository : value.value("in", nlohmann::json::array())) {
      if (repository.is_string() && repository.get<std::string>().find('/') != std::string::npos &&
          entry.repositories.size() < FileBlobLocations::kMaxRepositories) {
        entry.repositories.push_back(repository.get<std::string>());
      }
    }
    if (!entry.repositories.empty()) entries[digest] = std::move(entry);
  }
  return entries;
}

// An flock held for the object's life (none when the lock file cannot be opened: the atomic
// rename still keeps the file whole).
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace

void MergeBlobLocations(std::map<std::string, FileBlobLocations::Entry>& entries,
                        const std::map<std::string, FileBlobLocations::Entry>& added) {
  for (const auto& [digest, entry] : added) {
    FileBlobLocations::Entry& into = entries[digest];
    const FileBlobLocations::Entry* newer = entry.used >= into.used ? &entry : &into;
    const FileBlobLocations::Entry* older = newer == &entry ? &into : &entry;
    std::vector<std::string> merged = newer->repositories;
    for (const std::string& r : older->repositories) {
      if (std::find(merged.begin(), merged.end(), r) == merged.end()) merged.push_back(r);
    }
    if (merged.size() > FileBlobLocations::kMaxRepositories) merged.resize(FileBlobLocations::kMaxRepositories);
    into.used = std::max(into.used, entry.used);
    into.repositories = std::move(merged);
  }
  if (entries.size() <= FileBlobLocations::kMaxDigests) return;
  // Drop the ones used longest ago.
  std::vector<std::pair<int64_t, std::string>> by_use;
  for (const auto& [digest, entry] : entries) by_use.emplace_back(entry.used, digest);
  std::sort(by_use.begin(), by_use.end());
  for (size_t i = 0; i + FileBlobLocations::kMaxDigests < by_use.size(); ++i) entries.erase(by_use[i].second);
}

FileBlobLocations::FileBlobLocations(std::string path) : path_(std::move(path)) {
  entries_ = ReadEntries(path_);
}

std::string FileBlobLocations::DefaultPath(const Environment& env) {
  return env.CacheDirectory() + "/blob-locations.json";
}

std::vector<std::string> FileBlobLocations::MountSources(const std::string& digest,
                                                         const std::string& host,
                                                         const std::string& repository) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> sources;
  auto it = entries_.find(digest);
  if (it == entries_.end()) return sources;
  const std::string prefix = host + "/";
  for (const std::string& r : it->second.repositories) {
    if (r.starts_with(prefix) && r.substr(prefix.size()) != repository) sources.push_back(r.substr(prefix.size()));
  }
  return sources;
}

void FileBlobLocations::Record(const std::string& digest, const std::string& host,
                               const std::string& repository) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry entry{static_cast<int64_t>(std::time(nullptr)), {host + "/" + repository}};
  std::map<std::string, Entry> one = {{digest, entry}};
  MergeBlobLocations(entries_, one);
  MergeBlobLocations(added_, one);
}

bool FileBlobLocations::Save() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (added_.empty()) return true;
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ignored);
  FileLock file_lock(path_ + ".lock");
  std::map<std::string, Entry> merged = ReadEntries(path_);  // what other pushes saved meanwhile
  MergeBlobLocations(merged, added_);
  nlohmann::json blobs = nlohmann::json::object();
  for (const auto& [digest, entry] : merged) blobs[digest] = {{"used", entry.used}, {"in", entry.repositories}};
  nlohmann::json document = {{"version", 1}, {"blobs", std::move(blobs)}};
  if (!WriteFileAtomically(path_, document.dump() + "\n").ok()) return false;
  added_.clear();
  return true;
}

}  // namespace sluice
