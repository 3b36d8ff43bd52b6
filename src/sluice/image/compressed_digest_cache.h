// What an uncompressed layer compressed to last time: (uncompressed digest, compression, level)
// -> (compressed digest, size). Compression is deterministic, so with this a re-push of the same
// `docker save` archive can HEAD the compressed blob and skip compressing it at all when the
// registry has it (skopeo's blob-info cache does the same). A wrong or stale entry costs only
// that shortcut: the layer is then compressed as usual.
//
// FileDigestCache keeps the entries in one JSON file ($XDG_CACHE_HOME/sluice/compressed-digests.json
// by default), read when opened and rewritten atomically (write, fsync, rename) by Save, merged
// with what other processes saved meanwhile. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/oci/oci_types.h"
#include "sluice/util/environment.h"

namespace sluice {

struct CompressedDigest {
  std::string digest;
  uint64_t size = 0;
};

class CompressedDigestCache {
 public:
  virtual ~CompressedDigestCache() = default;
  virtual std::optional<CompressedDigest> Lookup(const std::string& uncompressed_digest,
                                                 Compression compression, int level) = 0;
  virtual void Store(const std::string& uncompressed_digest, Compression compression, int level,
                     const CompressedDigest& compressed) = 0;
};

class FileDigestCache : public CompressedDigestCache {
 public:
  // Opens (reading if present) the cache at `path`; an unreadable or corrupt file is an empty
  // cache, never an error.
  explicit FileDigestCache(std::string path);
  // $XDG_CACHE_HOME/sluice/compressed-digests.json, else ~/.cache/sluice/...
  static std::string DefaultPath(const Environment& env);

  std::optional<CompressedDigest> Lookup(const std::string& uncompressed_digest,
                                         Compression compression, int level) override;
  void Store(const std::string& uncompressed_digest, Compression compression, int level,
             const CompressedDigest& compressed) override;
  // Writes the entries stored since opening, merged into the file's current contents; false
  // (and nothing else) when the file cannot be written: a cache is never worth failing a push.
  bool Save();

 private:
  static std::string Key(const std::string& digest, Compression compression, int level);

  std::string path_;
  std::mutex mutex_;
  std::map<std::string, CompressedDigest> entries_;  // guarded by mutex_
  std::map<std::string, CompressedDigest> added_;    // guarded by mutex_
};

}  // namespace sluice
