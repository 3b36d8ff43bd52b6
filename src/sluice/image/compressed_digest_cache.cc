#include "sluice/image/compressed_digest_cache.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/os/file_read.h"
#include "sluice/os/file_write.h"

namespace sluice {
namespace {

// Entries beyond this are dropped on save (in key order, so arbitrary ones): the file stays
// small whatever the number of pushes, and a dropped entry only costs one compression.
constexpr size_t kMaxEntries = 10000;

std::map<std::string, CompressedDigest> ReadEntries(const std::string& path) {
  std::map<std::string, CompressedDigest> entries;
  int error = 0;
  auto text = ReadWholeFile(path, &error);
  if (!text) return entries;
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("entries") || !json["entries"].is_object()) return entries;
  for (const auto& [key, value] : json["entries"].items()) {
    if (!value.is_object()) continue;
    auto digest = value.find("digest");
    auto size = value.find("size");
    if (digest == value.end() || !digest->is_string() || !IsValidDigest(digest->get<std::string>()) ||
        size == value.end() || !size->is_number_unsigned()) {
      continue;
    }
    entries[key] = {digest->get<std::string>(), size->get<uint64_t>()};
  }
  return entries;
}

}  // namespace

FileDigestCache::FileDigestCache(std::string path) : path_(std::move(path)) {
  entries_ = ReadEntries(path_);
}

std::string FileDigestCache::DefaultPath(const Environment& env) {
  return env.CacheDirectory() + "/compressed-digests.json";
}

std::string FileDigestCache::Key(const std::string& digest, Compression compression, int level) {
  return digest + " " + std::string(CompressionName(compression)) + " " + std::to_string(level);
}

std::optional<CompressedDigest> FileDigestCache::Lookup(const std::string& uncompressed_digest,
                                                        Compression compression, int level) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(Key(uncompressed_digest, compression, level));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void FileDigestCache::Store(const std::string& uncompressed_digest, Compression compression,
                            int level, const CompressedDigest& compressed) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string key = Key(uncompressed_digest, compression, level);
  entries_[key] = compressed;
  added_[key] = compressed;
}

bool FileDigestCache::Save() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (added_.empty()) return true;
  // Merge with what other pushes saved since this one read the file.
  std::map<std::string, CompressedDigest> merged = ReadEntries(path_);
  for (const auto& [key, value] : added_) merged[key] = value;
  while (merged.size() > kMaxEntries) merged.erase(merged.begin());
  nlohmann::json entries = nlohmann::json::object();
  for (const auto& [key, value] : merged) {
    entries[key] = {{"digest", value.digest}, {"size", value.size}};
  }
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ignored);
  nlohmann::json document = {{"version", 1}, {"entries", std::move(entries)}};
  if (!WriteFileAtomically(path_, document.dump() + "\n").ok()) return false;
  added_.clear();
  return true;
}

}  // namespace sluice
