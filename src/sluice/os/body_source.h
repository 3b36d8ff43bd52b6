// A request body read in pieces (an upload streamed from disk, a blob inside a tar archive), with
// its length known up front so the request carries a Content-Length (registries and S3 need
// one). It sits below the HTTP layer so that image readers and layer compressors can hand out
// bodies without depending on HTTP.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sluice/util/result.h"

namespace sluice {

// Rewind() lets a retry send the body again.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  // Reads up to `n` bytes; returns 0 only at the end.
  virtual Result<size_t> Read(char* buffer, size_t n) = 0;
  virtual Status Rewind() = 0;
};

// Body sources for a file on disk (streamed, never loaded whole) and for a callback.
// FileBody opens the file at once and fails at its end if the file grew meanwhile.
Result<std::shared_ptr<BodySource>> FileBody(const std::string& path);
// Bytes [offset, offset + size) of a file: a blob inside a tar archive (sluice/image/tar_reader.h)
// or a whole file. Checked to exist and be long enough now, but opened only at the first Read, so
// an image's many pending blob uploads do not each hold a file descriptor. Bytes past the range may
// change freely; the range itself ending early is an error.
Result<std::shared_ptr<BodySource>> FileRangeBody(const std::string& path, uint64_t offset,
                                                  uint64_t size);
// Bytes held in memory (a synthesized manifest, test data), handing out at most `chunk` bytes a
// Read (tests use small chunks to stand for short reads).
std::shared_ptr<BodySource> StringBody(std::string bytes, size_t chunk = SIZE_MAX);
std::shared_ptr<BodySource> CallbackBody(uint64_t size,
                                         std::function<Result<size_t>(char*, size_t)> read,
                                         std::function<Status()> rewind);

}  // namespace sluice
