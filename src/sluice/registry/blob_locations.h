// Where this machine pushed each blob lately (digest -> the "host/repo"s that have it), so that a
// push to another repository of the same registry asks for a cross-repository mount instead of
// uploading the bytes again; skopeo's blob-info cache does the same. A wrong or stale entry costs
// nothing: the registry declines the mount and answers with the upload session the push then
// uses.
//
// FileBlobLocations keeps them in one JSON file ($XDG_CACHE_HOME/sluice/blob-locations.json by
// default), read when opened. Save merges what this process recorded into the file's current
// contents under an flock of PATH.lock, then rewrites it atomically, so concurrent pushes neither
// corrupt the file nor lose each other's entries. Bounded: the 20,000 digests used last, each
// with its 4 repositories used last. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/util/environment.h"

namespace sluice {

class BlobLocations {
 public:
  virtual ~BlobLocations() = default;
  // The other repositories of `host` known to have the blob, the one recorded last first.
  virtual std::vector<std::string> MountSources(const std::string& digest, const std::string& host,
                                                const std::string& repository) = 0;
  // `host/repository` has the blob now (pushed, mounted, or found there).
  virtual void Record(const std::string& digest, const std::string& host,
                      const std::string& repository) = 0;
};

class FileBlobLocations : public BlobLocations {
 public:
  static constexpr size_t kMaxDigests = 20000;
  static constexpr size_t kMaxRepositories = 4;

  // Opens (reading if present) the record at `path`; an unreadable or corrupt file is an empty
  // record, never an error.
  explicit FileBlobLocations(std::string path);
  static std::string DefaultPath(const Environment& env);

  std::vector<std::string> MountSources(const std::string& digest, const std::string& host,
                                        const std::string& repository) override;
  void Record(const std::string& digest, const std::string& host,
              const std::string& repository) override;
  // Writes what was recorded since opening, merged into the file; false (and nothing else) when
  // it cannot be written: a record is never worth failing a push.
  bool Save();

  struct Entry {
    int64_t used = 0;                        // when last recorded (seconds since the epoch)
    std::vector<std::string> repositories;   // "host/repo", the one recorded last first
  };

 private:
  std::string path_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // guarded by mutex_
  std::map<std::string, Entry> added_;    // guarded by mutex_
};

// Merges `added` into `entries` (the newer use first, repositories deduplicated) and bounds the
// result (pure; for tests).
void MergeBlobLocations(std::map<std::string, FileBlobLocations::Entry>& entries,
                        const std::map<std::string, FileBlobLocations::Entry>& added);

}  // namespace sluice
