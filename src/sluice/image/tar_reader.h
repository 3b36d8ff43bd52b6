// An index of a tar archive's members, so that sluice-push can stream an image's blobs straight
// out of an `oci-archive:` or `docker-archive:` tar by offset: nothing is extracted and nothing
// is loaded whole (archives can be many GB). Reading the index touches only the headers, seeking
// over the data. A TarIndex is immutable once read and may be shared between threads; every
// read of member data opens the file itself.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/os/body_source.h"
#include "sluice/util/result.h"

namespace sluice {

struct TarEntry {
  std::string name;     // normalized: no leading "./" or "/", no trailing "/", no "." or "//"
  uint64_t offset = 0;  // of the data in the file
  uint64_t size = 0;
};

class TarIndex {
 public:
  // Scans the archive's headers. Understands ustar (name + prefix), GNU long names and links
  // ('L'/'K'), pax extended headers ('x': path, linkpath, size; 'g' ignored) and base-256
  // sizes, and stops at a zero block or at the end of the file. Regular files become entries;
  // symlinks ('2', relative to their own directory) and hard links ('1', relative to the
  // archive's root) become entries for the data they lead to, following chains. Directories
  // and other types are skipped; when a name occurs twice the later member wins, as when
  // extracting. Errors (Error::Io, Error::Parse) name the file and what is wrong with it: not a
  // tar archive, compressed, truncated, a bad header checksum. A link that loops, leads out of
  // the archive or to nothing gets no entry (Find does not find it) rather than failing the
  // whole archive.
  static Result<TarIndex> Read(const std::string& path);

  // The member called `name` (normalized as the entries are), or null.
  const TarEntry* Find(std::string_view name) const;
  const std::vector<TarEntry>& entries() const { return entries_; }  // in archive order
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<TarEntry> entries_;
  std::map<std::string, size_t, std::less<>> by_name_;  // index into entries_
};

// "./a//b/./c/" -> "a/b/c". ".." is kept (only link targets are resolved against a directory).
std::string NormalizeTarName(std::string_view name);

// Reads a small member whole: a manifest, a config, index.json. A member above `limit` bytes is
// refused (Error::Parse) instead of being loaded: no valid one is that large.
Result<std::string> ReadTarMember(const TarIndex& index, const TarEntry& entry,
                                  uint64_t limit = 64 << 20);

// FileRangeBody (sluice/os/body_source.h) gives a member's bytes as a request body:
//   FileRangeBody(index.path(), entry.offset, entry.size)

}  // namespace sluice
