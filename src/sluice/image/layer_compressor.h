// Compressing an uncompressed layer tar (what `docker save` writes) into a gzip or zstd blob a
// registry will take. The output goes to a temporary file, hashed as it is written, so the
// compressed blob's digest and size are known before its upload starts (a registry needs both)
// and memory stays bounded whatever the layer's size. The input is checked against its own
// digest (the config's diff_id) while it is read.
//
// Output is deterministic (gzip header without a time stamp or name), so the same layer
// compresses to the same digest every time and a re-push finds the registry already has it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sluice/oci/oci_types.h"
#include "sluice/os/body_source.h"
#include "sluice/util/result.h"

namespace sluice {

// A file deleted when the object goes away (moves transfer the duty).
class TempFile {
 public:
  TempFile() = default;
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile();
  TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CompressedLayer {
  TempFile file;
  std::string digest;  // of the compressed bytes
  uint64_t size = 0;
};

struct CompressOptions {
  Compression compression = Compression::kGzip;
  // -1: the format's default, gzip 3 and zstd 3. gzip 1-3 use ISA-L's igzip (hundreds of MB/s
  // a core), 4-9 zlib (smaller output, ten times slower).
  int level = -1;
  std::string temp_directory;  // empty: $TMPDIR or /tmp
  std::function<bool()> cancelled;  // polled between blocks; true stops with Error::Interrupted
};

// Reads `input` to its end and compresses it. Fails (removing the output) when the input does
// not hash to `input_digest` or cannot be read.
Result<CompressedLayer> CompressLayer(BodySource& input, const std::string& input_digest,
                                      const CompressOptions& options);

}  // namespace sluice
