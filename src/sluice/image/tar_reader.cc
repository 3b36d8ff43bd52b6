#include "sluice/image/tar_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace sluice {
namespace {

constexpr uint64_t kBlock = 512;
// GNU long names and pax headers are read whole; real ones are a few hundred bytes (more with
// extended attributes). Anything far larger means the archive is not what it claims to be.
constexpr uint64_t kMaxMetadataSize = 16 << 20;
// Links followed for one name before it counts as a loop (Linux gives up after 40 too).
constexpr int kMaxLinkDepth = 40;

std::string ErrnoText(int error) { return std::strerror(error); }

uint64_t RoundUpToBlock(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// An open file, closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads exactly `n` bytes at `offset`. The caller has checked the file is long enough, so
// coming up short means it changed under us.
Status ReadAt(int fd, const std::string& path, uint64_t offset, char* buffer, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd, buffer + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::Io("read " + path + ": " + ErrnoText(errno));
    if (got == 0) return Error::Io(path + " became shorter while being read");
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

// A header field's text: it ends at the first NUL or fills the field.
std::string_view Field(const char* block, size_t offset, size_t length) {
  std::string_view field(block + offset, length);
  size_t nul = field.find('\0');
  return nul == std::string_view::npos ? field : field.substr(0, nul);
}

// A numeric header field: octal digits padded with spaces or NULs, or (GNU and star, for
// values that do not fit: members of 8 GiB and more) big-endian base-256 flagged by the top bit.
std::optional<uint64_t> ParseNumber(const char* block, size_t offset, size_t length) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(block + offset);
  if (bytes[0] & 0x80) {
    if (bytes[0] & 0x40) return std::nullopt;  // negative
    uint64_t value = bytes[0] & 0x3f;
    for (size_t i = 1; i < length; ++i) {
      if (value > (UINT64_MAX >> 8)) return std::nullopt;
      value = (value << 8) | bytes[i];
    }
    return value;
  }
  size_t i = 0;
  while (i < length && bytes[i] == ' ') ++i;
  uint64_t value = 0;
  for (; i < length && bytes[i] >= '0' && bytes[i] <= '7'; ++i) {
    if (value > (UINT64_MAX >> 3)) return std::nullopt;
    value = (value << 3) | static_cast<uint64_t>(bytes[i] - '0');
  }
  for (; i < length; ++i) {
    if (bytes[i] != ' ' && bytes[i] != '\0') return std::nullopt;
  }
  return value;
}

// The checksum is the sum of the header's bytes with its own field counted as spaces. Some old
// writers summed signed chars, so both sums are accepted, as GNU tar does.
bool ChecksumMatches(const char* block) {
  std::optional<uint64_t> stored = ParseNumber(block, 148, 8);
  if (!stored) return false;
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool in_field = i >= 148 && i < 156;
    unsigned_sum += in_field ? ' ' : static_cast<unsigned char>(block[i]);
    signed_sum += in_field ? ' ' : static_cast<signed char>(block[i]);
  }
  return static_cast<int64_t>(*stored) == unsigned_sum ||
         static_cast<int64_t>(*stored) == signed_sum;
}

bool IsZeroBlock(const char* block) {
  for (size_t i = 0; i < kBlock; ++i) {
    if (block[i] != 0) return false;
  }
  return true;
}

// What a compressed file's first bytes say, so the error can say what to run instead of only
// "not a tar archive" (a `docker save | gzip` output is the usual case).
std::optional<std::string> CompressionHint(std::string_view head) {
  if (head.starts_with("\x1f\x8b")) return "gzip-compressed: gunzip it first";
  if (head.starts_with("\x28\xb5\x2f\xfd")) return "zstd-compressed: unzstd it first";
  if (head.starts_with(std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6))) {
    return "xz-compressed: unxz it first";
  }
  if (head.starts_with("BZh")) return "bzip2-compressed: bunzip2 it first";
  return std::nullopt;
}

// The target of a link at `name`, as a normalized archive path: a symlink's target is relative
// to the symlink's own directory (an absolute one to the archive's root), a hard link's to the
// archive's root. Nullopt when ".." climbs above the root.
std::optional<std::string> ResolveLinkTarget(const std::string& name, const std::string& link,
                                             bool symbolic) {
  std::vector<std::string_view> parts;
  auto add = [&](std::string_view path) {
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      if (slash == std::string_view::npos) slash = path.size();
      std::string_view part = path.substr(start, slash - start);
      start = slash + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (parts.empty()) return false;
        parts.pop_back();
      } else {
        parts.push_back(part);
      }
    }
    return true;
  };
  if (symbolic && !link.starts_with("/")) {
    size_t slash = name.rfind('/');
    if (slash != std::string::npos && !add(std::string_view(name).substr(0, slash))) {
      return std::nullopt;
    }
  }
  if (!add(link)) return std::nullopt;
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

enum class Kind { kFile, kHardLink, kSymlink, kOther };

// One member as the headers describe it, before links are followed.
struct Member {
  std::string name;
  Kind kind = Kind::kOther;
  std::string link;  // as written in the archive, for links
  uint64_t offset = 0;
  uint64_t size = 0;
};

// What pax and GNU metadata headers say about the member that follows them.
struct PendingMetadata {
  std::optional<std::string> path;
  std::optional<std::string> linkpath;
  std::optional<uint64_t> size;
  bool sparse = false;  // GNU sparse in pax form: the data is not the file's bytes as they are
};

// Pax records are "<length> <keyword>=<value>\n", the length counting the whole record.
Status ParsePaxRecords(std::string_view data, PendingMetadata& pending, const std::string& where) {
  auto bad = [&] { return Error::Parse(where + ": malformed pax extended header"); };
  while (!data.empty()) {
    if (data.find_first_not_of('\0') == std::string_view::npos) break;  // padding
    size_t space = data.find(' ');
    if (space == 0 || space == std::string_view::npos || space > 20) return bad();
    uint64_t length = 0;
    for (size_t i = 0; i < space; ++i) {
      if (data[i] < '0' || data[i] > '9') return bad();
      length = length * 10 + static_cast<uint64_t>(data[i] - '0');
    }
    if (length <= space + 1 || length > data.size() || data[length - 1] != '\n') return bad();
    std::string_view record = data.substr(space + 1, length - space - 2);
    data.remove_prefix(length);
    size_t equals = record.find('=');
    if (equals == std::string_view::npos) return bad();
    std::string_view key = record.substr(0, equals);
    std::string_view value = record.substr(equals + 1);
    // An empty value cancels the keyword: the header's own field applies again.
    if (key == "path") {
      pending.path = value.empty() ? std::nullopt : std::optional<std::string>(value);
    } else if (key == "linkpath") {
      pending.linkpath = value.empty() ? std::nullopt : std::optional<std::string>(value);
    } else if (key == "size") {
      if (value.empty()) {
        pending.size.reset();
        continue;
      }
      uint64_t size = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || size > (UINT64_MAX - 9) / 10) return bad();
        size = size * 10 + static_cast<uint64_t>(c - '0');
      }
      pending.size = size;
    } else if (key.starts_with("GNU.sparse.")) {
      pending.sparse = true;
    }
  }
  return Status::Ok();
}

std::string Describe(uint64_t offset) { return "at offset " + std::to_string(offset); }

}  // namespace

std::string NormalizeTarName(std::string_view name) {
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<TarIndex> TarIndex::Read(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::Io("open " + path + ": " + ErrnoText(errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::Io("stat " + path + ": " + ErrnoText(errno));
  // Members are read by offset later, which a pipe cannot do.
  if (!S_ISREG(st.st_mode)) return Error::Io(path + " is not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size == 0) return Error::Parse(path + " is empty, not a tar archive");

  std::vector<Member> members;
  PendingMetadata pending;
  std::optional<std::string> gnu_long_name, gnu_long_link;
  char block[kBlock];
  uint64_t position = 0;
  while (position < file_size) {  // an archive without the closing zero blocks is accepted
    if (file_size - position < kBlock) {
      if (position == 0) {
        std::string head(static_cast<size_t>(file_size), '\0');
        if (Status s = ReadAt(fd.get(), path, 0, head.data(), head.size()); !s.ok()) {
          return s.error();
        }
        if (auto hint = CompressionHint(head)) return Error::Parse(path + " is " + *hint);
        return Error::Parse(path + " is not a tar archive (it is shorter than one header)");
      }
      return Error::Parse(path + " is truncated: it ends inside the header " + Describe(position));
    }
    if (Status s = ReadAt(fd.get(), path, position, block, kBlock); !s.ok()) return s.error();
    if (IsZeroBlock(block)) break;
    if (!ChecksumMatches(block)) {
      if (position == 0) {
        if (auto hint = CompressionHint(std::string_view(block, kBlock))) {
          return Error::Parse(path + " is " + *hint);
        }
        return Error::Parse(path + " is not a tar archive (its first block is not a tar header)");
      }
      return Error::Parse(path + ": bad header checksum " + Describe(position) +
                          " (the archive is corrupt)");
    }

    const char type = block[156];
    std::optional<uint64_t> header_size = ParseNumber(block, 124, 12);
    if (!header_size) {
      return Error::Parse(path + ": the header " + Describe(position) + " has an invalid size");
    }
    const bool is_metadata = type == 'x' || type == 'g' || type == 'L' || type == 'K';
    const uint64_t size = !is_metadata && pending.size ? *pending.size : *header_size;
    const uint64_t data_offset = position + kBlock;
    std::string raw_name;
    if (!is_metadata && pending.path) {
      raw_name = *pending.path;
    } else if (!is_metadata && gnu_long_name) {
      raw_name = *gnu_long_name;
    } else {
      std::string_view name = Field(block, 0, 100);
      // The prefix field exists in POSIX ustar only; GNU's own format keeps times there.
      bool posix_ustar = std::memcmp(block + 257, "ustar\0", 6) == 0;
      std::string_view prefix = posix_ustar ? Field(block, 345, 155) : std::string_view();
      raw_name = prefix.empty() ? std::string(name) : std::string(prefix) + "/" + std::string(name);
    }
    // GNU tar does not skip data after a directory header (old writers put the directory's own
    // size there); every other type is followed by `size` bytes of data.
    const uint64_t stored = type == '5' ? 0 : size;
    if (stored > file_size - data_offset) {
      return Error::Parse(path + " is truncated: the member " + raw_name + " " +
                          Describe(data_offset) + " needs " + std::to_string(stored) +
                          " bytes, but the file ends at " + std::to_string(file_size));
    }
    const uint64_t next = data_offset + RoundUpToBlock(stored);

    if (type == 'S') {
      // Old GNU sparse members carry extra header blocks whose layout this reader does not
      // follow, so stepping past them would misread everything after.
      return Error::Parse(path + ": the member " + raw_name + " " + Describe(position) +
                          " is a GNU sparse file, which is not supported");
    }
    if (is_metadata) {
      if (size > kMaxMetadataSize) {
        return Error::Parse(path + ": an extended header of " + std::to_string(size) + " bytes " +
                            Describe(position) + " (not a sane tar archive)");
      }
      if (type != 'g') {  // global pax headers say nothing sluice needs
        std::string data(static_cast<size_t>(size), '\0');
        if (Status s = ReadAt(fd.get(), path, data_offset, data.data(), data.size()); !s.ok()) {
          return s.error();
        }
        if (type == 'x') {
          Status s = ParsePaxRecords(data, pending, path + " " + Describe(position));
          if (!s.ok()) return s.error();
        } else {
          // GNU long names are NUL-terminated.
          std::string text(Field(data.data(), 0, data.size()));
          (type == 'L' ? gnu_long_name : gnu_long_link) = std::move(text);
        }
      }
      position = next;
      continue;
    }

    Member member;
    member.name = std::move(raw_name);
    if (pending.linkpath) {
      member.link = *pending.linkpath;
    } else if (gnu_long_link) {
      member.link = *gnu_long_link;
    } else {
      member.link = std::string(Field(block, 157, 100));
    }
    const bool old_style_directory = member.name.ends_with("/");  // pre-POSIX archives
    member.name = NormalizeTarName(member.name);
    switch (type) {
      case '0':
      case '\0':
      case '7':  // contiguous file: a regular file everywhere that matters
        member.kind = pending.sparse || old_style_directory ? Kind::kOther : Kind::kFile;
        break;
      case '1':
        member.kind = Kind::kHardLink;
        break;
      case '2':
        member.kind = Kind::kSymlink;
        break;
      default:
        member.kind = Kind::kOther;
    }
    member.offset = data_offset;
    member.size = size;
    if (!member.name.empty()) members.push_back(std::move(member));
    pending = PendingMetadata();
    gnu_long_name.reset();
    gnu_long_link.reset();
    position = next;
  }

  // A name given twice means the later member, as extracting the archive would leave it.
  std::map<std::string, size_t, std::less<>> last;
  for (size_t i = 0; i < members.size(); ++i) last[members[i].name] = i;

  TarIndex index;
  index.path_ = path;
  for (size_t i = 0; i < members.size(); ++i) {
    const Member& start = members[i];
    if (last[start.name] != i) continue;
    // A link that loops, leaves the archive or leads nowhere gets no entry rather than failing
    // the whole archive: it may well be one the image does not use, and one it does use is
    // reported by name when it is looked up.
    const Member* member = &start;
    bool resolved = true;
    for (int depth = 0; member->kind == Kind::kHardLink || member->kind == Kind::kSymlink;
         ++depth) {
      bool symbolic = member->kind == Kind::kSymlink;
      std::optional<std::string> target;
      if (depth < kMaxLinkDepth) target = ResolveLinkTarget(member->name, member->link, symbolic);
      if (!target) {
        resolved = false;
        break;
      }
      if (target->empty()) break;  // the archive's root directory
      auto found = last.find(*target);
      if (found == last.end()) {
        // A directory the archive has members in but no entry of its own, or nothing at all.
        resolved = false;
        break;
      }
      member = &members[found->second];
    }
    if (!resolved) continue;
    if (member->kind != Kind::kFile) continue;  // a link to a directory, say
    index.by_name_[start.name] = index.entries_.size();
    index.entries_.push_back({start.name, member->offset, member->size});
  }
  return index;
}

const TarEntry* TarIndex::Find(std::string_view name) const {
  auto found = by_name_.find(NormalizeTarName(name));
  return found == by_name_.end() ? nullptr : &entries_[found->second];
}

Result<std::string> ReadTarMember(const TarIndex& index, const TarEntry& entry, uint64_t limit) {
  const std::string& path = index.path();
  if (entry.size > limit) {
    return Error::Parse(path + ": " + entry.name + " has " + std::to_string(entry.size) +
                        " bytes, more than the " + std::to_string(limit) + " such a file may have");
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::Io("open " + path + ": " + ErrnoText(errno));
  std::string data(static_cast<size_t>(entry.size), '\0');
  if (Status s = ReadAt(fd.get(), path, entry.offset, data.data(), data.size()); !s.ok()) {
    return s.error();
  }
  return data;
}

}  // namespace sluice
