// The tar index that sluice-push streams blobs out of: archives from GNU tar in its three
// formats and from the test image writer, links, metadata headers, and each broken or wrong
// kind of file, with every member's offset checked by reading its bytes back.
#include "sluice/image/tar_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "sluice/os/subprocess.h"
#include "sluice/util/crypto.h"
#include "tests/support/child_process.h"
#include "tests/support/test_image.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(BodySource& body, size_t piece) {
  std::string out;
  std::vector<char> buffer(piece);
  while (true) {
    Result<size_t> got = body.Read(buffer.data(), buffer.size());
    EXPECT_TRUE(got.ok()) << got.error().ToString();
    if (!got.ok() || *got == 0) break;
    out.append(buffer.data(), *got);
  }
  return out;
}

// Overwrites part of the header at `header` and fixes its checksum, to make archives no tool
// here writes (base-256 sizes, pax size records, corruption).
void PatchHeader(std::string& tar, size_t header, size_t field, std::string_view bytes) {
  tar.replace(header + field, bytes.size(), bytes);
  std::fill(tar.begin() + header + 148, tar.begin() + header + 156, ' ');
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(tar[header + i]);
  char checksum[8];
  std::snprintf(checksum, sizeof checksum, "%06o", sum);
  tar.replace(header + 148, 7, checksum, 7);
}

std::string WithoutEndBlocks(std::string tar) { return tar.substr(0, tar.size() - 1024); }

class TarIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-tar-");
    ASSERT_FALSE(dir_.empty());
    src_ = dir_ + "/src";
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  void Run(const std::vector<std::string>& argv) {
    auto run = RunAndCapture(argv);
    ASSERT_TRUE(run.ok()) << run.error().ToString();
    ASSERT_EQ(run->exit_code, 0) << argv[0] << ": " << run->err;
  }

  void AddFile(const std::string& name, const std::string& content) {
    fs::create_directories(fs::path(src_ / fs::path(name)).parent_path());
    testing::WriteFile(src_ + "/" + name, content);
    expected_[name] = content;
  }
  void AddSymlink(const std::string& name, const std::string& target) {
    fs::create_directories(fs::path(src_ / fs::path(name)).parent_path());
    fs::create_symlink(target, src_ + "/" + name);
  }

  // Files every format can hold, including a 140-byte name (ustar splits it into prefix and
  // name), an empty file, symlinks up and down the tree, a chain, and a hard link.
  void MakeCommonTree() {
    long_dir_ = std::string(60, 'd') + "/" + std::string(60, 'e');
    AddFile("short.txt", "hello\n");
    AddFile(long_dir_ + "/long-file-name.txt", testing::SeededBytes(1, 3000));
    AddFile("empty", "");
    AddFile("sub/target.bin", testing::SeededBytes(2, 70000));
    AddSymlink("sub/link", "target.bin");
    AddSymlink("up/link", "../sub/target.bin");
    AddSymlink("chain", "sub/link");
    ASSERT_EQ(::link((src_ + "/sub/target.bin").c_str(), (src_ + "/hard").c_str()), 0);
    for (const char* name : {"sub/link", "up/link", "chain", "hard"}) {
      expected_[name] = expected_["sub/target.bin"];
    }
  }

  // What GNU tar only fits with its own or pax extensions: a 310-byte name and a symlink
  // whose target is over 100 bytes.
  void AddLongNames() {
    std::string name = std::string(150, 'x') + "/" + std::string(150, 'y') + ".bin";
    AddFile(name, testing::SeededBytes(3, 1000));
    AddSymlink("far/link", "../" + long_dir_ + "/long-file-name.txt");
    expected_["far/link"] = expected_[long_dir_ + "/long-file-name.txt"];
  }

  std::string Tar(const std::string& format) {
    std::string archive = dir_ + "/" + format + ".tar";
    Run({"tar", "--format=" + format, "--sort=name", "-cf", archive, "-C", src_, "."});
    return archive;
  }

  // Every expected member is found, and its bytes read back through FileRangeBody (twice,
  // around a Rewind) and ReadTarMember.
  void ExpectMembers(const TarIndex& index) {
    for (const auto& [name, content] : expected_) {
      SCOPED_TRACE(name);
      const TarEntry* entry = index.Find(name);
      ASSERT_NE(entry, nullptr);
      EXPECT_EQ(entry->name, name);
      ASSERT_EQ(entry->size, content.size());
      auto body = FileRangeBody(index.path(), entry->offset, entry->size);
      ASSERT_TRUE(body.ok()) << body.error().ToString();
      EXPECT_EQ((*body)->size(), content.size());
      EXPECT_TRUE(ReadAll(**body, 4093) == content);
      ASSERT_TRUE((*body)->Rewind().ok());
      EXPECT_TRUE(ReadAll(**body, 65536) == content);
      auto whole = ReadTarMember(index, *entry);
      ASSERT_TRUE(whole.ok()) << whole.error().ToString();
      EXPECT_TRUE(*whole == content);
    }
  }

  Error ReadError(const std::string& path) {
    auto index = TarIndex::Read(path);
    EXPECT_FALSE(index.ok());
    if (index.ok()) return Error{};
    EXPECT_NE(index.error().message.find(path), std::string::npos) << index.error().message;
    return index.error();
  }

  std::string dir_, src_, long_dir_;
  std::map<std::string, std::string> expected_;
};

TEST_F(TarIndexTest, ReadsGnuFormatWithLongNamesAndLinks) {
  MakeCommonTree();
  AddLongNames();
  auto index = TarIndex::Read(Tar("gnu"));
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  ExpectMembers(*index);
  EXPECT_EQ(index->entries().size(), expected_.size());  // directories are skipped
}

TEST_F(TarIndexTest, ReadsPaxFormatWithLongNamesAndLinks) {
  MakeCommonTree();
  AddLongNames();
  auto index = TarIndex::Read(Tar("pax"));
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  ExpectMembers(*index);
  EXPECT_EQ(index->entries().size(), expected_.size());
}

TEST_F(TarIndexTest, ReadsUstarWithPrefixedNames) {
  MakeCommonTree();
  auto index = TarIndex::Read(Tar("ustar"));
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  ExpectMembers(*index);
}

TEST_F(TarIndexTest, IgnoresPaxGlobalHeaders) {
  AddFile("a.txt", "alpha");
  std::string archive = dir_ + "/global.tar";
  Run({"tar", "--format=pax", "--pax-option=comment=hello", "-cf", archive, "-C", src_, "a.txt"});
  auto index = TarIndex::Read(archive);
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  ASSERT_EQ(index->entries().size(), 1u);
  ExpectMembers(*index);
}

TEST_F(TarIndexTest, FindNormalizesTheName) {
  AddFile("sub/target.bin", "x");
  auto index = TarIndex::Read(Tar("gnu"));  // stores "./sub/target.bin"
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  EXPECT_NE(index->Find("sub/target.bin"), nullptr);
  EXPECT_NE(index->Find("./sub//target.bin"), nullptr);
  EXPECT_NE(index->Find("/sub/./target.bin"), nullptr);
  EXPECT_EQ(index->Find("sub"), nullptr);  // a directory
  EXPECT_EQ(index->Find("target.bin"), nullptr);
}

TEST_F(TarIndexTest, SymlinkToADirectoryIsSkipped) {
  AddFile("sub/a", "a");
  AddSymlink("dirlink", "sub");
  auto index = TarIndex::Read(Tar("pax"));
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  EXPECT_EQ(index->Find("dirlink"), nullptr);
  EXPECT_NE(index->Find("sub/a"), nullptr);
}

TEST_F(TarIndexTest, SymlinkToADirectoryWithoutAnEntryIsSkipped) {
  std::string tar = testing::MakeTar({{.name = "sub/a", .content = "a"},
                                      {.name = "dirlink", .type = '2', .link = "./sub/"},
                                      {.name = "rootlink", .type = '2', .link = "sub/.."}});
  testing::WriteFile(dir_ + "/implicit.tar", tar);
  auto index = TarIndex::Read(dir_ + "/implicit.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  EXPECT_EQ(index->entries().size(), 1u);
}

// Links that cannot be followed (a loop, a target that is missing or outside the archive) get
// no entry; the rest of the archive is still usable, and a lookup of such a link finds nothing.
TEST_F(TarIndexTest, LinksThatCannotBeFollowedAreLeftOut) {
  AddFile("ok", "fine");
  AddSymlink("a", "b");
  AddSymlink("b", "sub/../a");
  AddSymlink("abc/layer.tar", "../blobs/sha256/0123");
  AddSymlink("escape/layer.tar", "../../etc/passwd");
  std::string archive = Tar("pax");
  auto index = TarIndex::Read(archive);
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  ASSERT_EQ(index->entries().size(), 1u);
  EXPECT_EQ(index->entries()[0].name, "ok");
  for (const char* name : {"a", "b", "abc/layer.tar", "escape/layer.tar"}) {
    EXPECT_EQ(index->Find(name), nullptr) << name;
  }
}

TEST_F(TarIndexTest, TruncatedInsideDataIsAnError) {
  AddFile("big", testing::SeededBytes(4, 100000));
  std::string archive = Tar("gnu");
  fs::resize_file(archive, 512 * 3 + 50000);
  Error error = ReadError(archive);
  EXPECT_EQ(error.kind, ErrorKind::kParse);
  EXPECT_NE(error.message.find("is truncated"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("big"), std::string::npos) << error.message;
}

TEST_F(TarIndexTest, TruncatedInsideAHeaderIsAnError) {
  std::string tar = testing::MakeTar({{.name = "a", .content = "alpha"}, {.name = "b"}});
  testing::WriteFile(dir_ + "/cut.tar", tar.substr(0, 1024 + 100));
  Error error = ReadError(dir_ + "/cut.tar");
  EXPECT_NE(error.message.find("truncated"), std::string::npos) << error.message;
}

TEST_F(TarIndexTest, ArchiveWithoutEndBlocksIsAccepted) {
  std::string tar = testing::MakeTar({{.name = "a", .content = "alpha"}});
  testing::WriteFile(dir_ + "/open.tar", WithoutEndBlocks(tar));
  auto index = TarIndex::Read(dir_ + "/open.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  EXPECT_NE(index->Find("a"), nullptr);
}

TEST_F(TarIndexTest, BadChecksumIsAnError) {
  std::string tar =
      testing::MakeTar({{.name = "a", .content = "alpha"}, {.name = "b", .content = "beta"}});
  tar[1024 + 10] = 'X';  // in the second header's name
  testing::WriteFile(dir_ + "/bad.tar", tar);
  Error error = ReadError(dir_ + "/bad.tar");
  EXPECT_EQ(error.kind, ErrorKind::kParse);
  EXPECT_NE(error.message.find("bad header checksum at offset 1024"), std::string::npos)
      << error.message;
}

TEST_F(TarIndexTest, CompressedArchivesSayWhatToRun) {
  std::string tar = testing::MakeTar({{.name = "a", .content = "alpha"}});
  testing::WriteFile(dir_ + "/a.tar.gz", testing::Gzip(tar));
  Error error = ReadError(dir_ + "/a.tar.gz");
  EXPECT_EQ(error.kind, ErrorKind::kParse);
  EXPECT_NE(error.message.find("is gzip-compressed: gunzip it first"), std::string::npos)
      << error.message;

  if (testing::OnPath("zstd")) {
    testing::WriteFile(dir_ + "/a.tar", tar);
    Run({"zstd", "-q", dir_ + "/a.tar", "-o", dir_ + "/a.tar.zst"});
  } else {
    testing::WriteFile(dir_ + "/a.tar.zst", "\x28\xb5\x2f\xfd" + std::string(600, 'z'));
  }
  error = ReadError(dir_ + "/a.tar.zst");
  EXPECT_NE(error.message.find("is zstd-compressed"), std::string::npos) << error.message;
}

TEST_F(TarIndexTest, OtherFilesAreNotTarArchives) {
  testing::WriteFile(dir_ + "/random", testing::SeededBytes(5, 10000));
  Error error = ReadError(dir_ + "/random");
  EXPECT_EQ(error.kind, ErrorKind::kParse);
  EXPECT_NE(error.message.find("is not a tar archive"), std::string::npos) << error.message;

  testing::WriteFile(dir_ + "/short", "hello");
  error = ReadError(dir_ + "/short");
  EXPECT_NE(error.message.find("is not a tar archive"), std::string::npos) << error.message;

  testing::WriteFile(dir_ + "/empty", "");
  error = ReadError(dir_ + "/empty");
  EXPECT_NE(error.message.find("is empty"), std::string::npos) << error.message;
}

TEST_F(TarIndexTest, MissingFileIsAnIoError) {
  Error error = ReadError(dir_ + "/missing.tar");
  EXPECT_EQ(error.kind, ErrorKind::kIo);
  EXPECT_EQ(ReadError(dir_).kind, ErrorKind::kIo);  // a directory
}

TEST_F(TarIndexTest, AnEmptyArchiveHasNoEntries) {
  testing::WriteFile(dir_ + "/none.tar", std::string(10240, '\0'));
  auto index = TarIndex::Read(dir_ + "/none.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  EXPECT_TRUE(index->entries().empty());
}

TEST_F(TarIndexTest, ReadsBase256Sizes) {
  std::string content = testing::SeededBytes(6, 1500);
  std::string tar = testing::MakeTar({{.name = "big", .content = content}});
  // GNU tar's form for members of 8 GiB and more: the top bit set, then the size big-endian.
  std::string size(12, '\0');
  size[0] = '\x80';
  size[10] = static_cast<char>(content.size() >> 8);
  size[11] = static_cast<char>(content.size() & 0xff);
  PatchHeader(tar, 0, 124, size);
  testing::WriteFile(dir_ + "/b256.tar", tar);
  auto index = TarIndex::Read(dir_ + "/b256.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  expected_["big"] = content;
  ExpectMembers(*index);
}

TEST_F(TarIndexTest, PaxSizeOverridesTheHeader) {
  std::string content = testing::SeededBytes(7, 2000);
  // A pax header saying "size=2000" before a header whose own size field says 0.
  std::string pax =
      WithoutEndBlocks(testing::MakeTar({{.name = "PaxHeaders/f", .content = "13 size=2000\n"}}));
  PatchHeader(pax, 0, 156, "x");
  std::string file = testing::MakeTar({{.name = "f", .content = content}});
  PatchHeader(file, 0, 124, std::string("00000000000\0", 12));
  testing::WriteFile(dir_ + "/paxsize.tar", pax + file);
  auto index = TarIndex::Read(dir_ + "/paxsize.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  expected_["f"] = content;
  ExpectMembers(*index);
  EXPECT_EQ(index->entries().size(), 1u);
}

TEST_F(TarIndexTest, LaterMemberOfTheSameNameWins) {
  std::string tar = testing::MakeTar({{.name = "a", .content = "first"},
                                      {.name = "./a", .content = "second"},
                                      {.name = "b", .content = "bee"}});
  testing::WriteFile(dir_ + "/dup.tar", tar);
  auto index = TarIndex::Read(dir_ + "/dup.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  expected_ = {{"a", "second"}, {"b", "bee"}};
  ExpectMembers(*index);
  EXPECT_EQ(index->entries().size(), 2u);
}

TEST_F(TarIndexTest, ReadsTheTestWritersLongNamesAndLinks) {
  std::string long_name = std::string(120, 'n') + "/file";
  std::string tar = testing::MakeTar({
      {.name = "dir", .type = '5'},
      {.name = long_name, .content = "long"},
      {.name = "dir/link", .type = '2', .link = "../" + long_name},
      {.name = "hard", .type = '1', .link = long_name},
  });
  testing::WriteFile(dir_ + "/writer.tar", tar);
  auto index = TarIndex::Read(dir_ + "/writer.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  expected_ = {{long_name, "long"}, {"dir/link", "long"}, {"hard", "long"}};
  ExpectMembers(*index);
}

// The Docker 25 form of `docker save`, with its symlinked legacy path: every blob is where the
// manifests say and hashes to its name.
TEST_F(TarIndexTest, FindsTheBlobsOfADockerArchive) {
  testing::TestImage image = testing::MakeTestImage(/*seed=*/1, /*layers=*/3, 20000);
  std::string archive = dir_ + "/docker.tar";
  auto written = testing::WriteDockerArchiveOci(archive, image, "example/app:v1");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  auto index = TarIndex::Read(archive);
  ASSERT_TRUE(index.ok()) << index.error().ToString();

  const TarEntry* manifest_json = index->Find("manifest.json");
  ASSERT_NE(manifest_json, nullptr);
  auto text = ReadTarMember(*index, *manifest_json);
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  auto manifest = nlohmann::json::parse(*text);
  std::vector<std::string> paths = {manifest[0]["Config"]};
  for (const auto& layer : manifest[0]["Layers"]) paths.push_back(layer);
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    const TarEntry* entry = index->Find(path);
    ASSERT_NE(entry, nullptr);
    auto body = FileRangeBody(archive, entry->offset, entry->size);
    ASSERT_TRUE(body.ok()) << body.error().ToString();
    EXPECT_EQ("sha256:" + Sha256Hex(ReadAll(**body, 1000)),
              "sha256:" + path.substr(path.rfind('/') + 1));
  }

  std::string legacy = written->layers[0].diff_id.substr(7) + "/layer.tar";
  const TarEntry* link = index->Find(legacy);
  const TarEntry* blob = index->Find("blobs/sha256/" + written->layers[0].digest.substr(7));
  ASSERT_NE(link, nullptr);
  ASSERT_NE(blob, nullptr);
  EXPECT_EQ(link->offset, blob->offset);
  EXPECT_EQ(link->size, blob->size);
}

TEST(TarMemberTest, RefusesMembersAboveTheLimit) {
  std::string dir = testing::MakeTempDir("sluice-tar-member-");
  std::string tar = testing::MakeTar({{.name = "manifest.json", .content = std::string(100, '{')}});
  testing::WriteFile(dir + "/a.tar", tar);
  auto index = TarIndex::Read(dir + "/a.tar");
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  auto text = ReadTarMember(*index, *index->Find("manifest.json"), /*limit=*/99);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().kind, ErrorKind::kParse);
  EXPECT_NE(text.error().message.find("manifest.json has 100 bytes"), std::string::npos)
      << text.error().message;
  EXPECT_TRUE(ReadTarMember(*index, *index->Find("manifest.json"), 100).ok());
  testing::RemoveTree(dir);
}

TEST(TarNameTest, Normalizes) {
  EXPECT_EQ(NormalizeTarName("./a//b/./c/"), "a/b/c");
  EXPECT_EQ(NormalizeTarName("/abs"), "abs");
  EXPECT_EQ(NormalizeTarName("./"), "");
  EXPECT_EQ(NormalizeTarName("a/../b"), "a/../b");
}

class TarRangeBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-range-body-");
    path_ = dir_ + "/data";
    content_ = testing::SeededBytes(8, 10000);
    testing::WriteFile(path_, content_);
  }
  void TearDown() override { testing::RemoveTree(dir_); }
  std::string dir_, path_, content_;
};

TEST_F(TarRangeBodyTest, ReadsTheRangeAndRewinds) {
  auto body = FileRangeBody(path_, 1234, 5000);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  EXPECT_EQ((*body)->size(), 5000u);
  EXPECT_TRUE(ReadAll(**body, 777) == content_.substr(1234, 5000));
  ASSERT_TRUE((*body)->Rewind().ok());
  EXPECT_TRUE(ReadAll(**body, 100000) == content_.substr(1234, 5000));
}

TEST_F(TarRangeBodyTest, WholeFileAndEmptyRanges) {
  auto whole = FileRangeBody(path_, 0, content_.size());
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE(ReadAll(**whole, 4096) == content_);
  auto empty = FileRangeBody(path_, content_.size(), 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(ReadAll(**empty, 16), "");
}

TEST_F(TarRangeBodyTest, RangePastTheEndIsRefused) {
  auto body = FileRangeBody(path_, 9000, 1001);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(body.error().message.find(path_), std::string::npos);
  EXPECT_EQ(FileRangeBody(dir_ + "/missing", 0, 0).error().kind, ErrorKind::kIo);
  EXPECT_EQ(FileRangeBody(dir_, 0, 0).error().kind, ErrorKind::kIo);
}

TEST_F(TarRangeBodyTest, OpensTheFileAtTheFirstRead) {
  auto body = FileRangeBody(path_, 0, 10);
  ASSERT_TRUE(body.ok());
  std::remove(path_.c_str());
  char buffer[10];
  Result<size_t> got = (*body)->Read(buffer, sizeof buffer);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kIo);
  EXPECT_NE(got.error().message.find(path_), std::string::npos);
}

TEST_F(TarRangeBodyTest, FileShorterThanTheRangeIsAnErrorButGrowingIsNot) {
  auto body = FileRangeBody(path_, 100, 5000);
  ASSERT_TRUE(body.ok());
  fs::resize_file(path_, 20000);  // bytes after the range may change: another member, say
  EXPECT_TRUE(ReadAll(**body, 4096) == content_.substr(100, 5000));
  ASSERT_TRUE((*body)->Rewind().ok());
  fs::resize_file(path_, 3000);
  std::string out;
  char buffer[1024];
  Result<size_t> got(size_t{0});
  do {
    got = (*body)->Read(buffer, sizeof buffer);
  } while (got.ok() && *got > 0);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("changed size"), std::string::npos) << got.error().message;
}

}  // namespace
}  // namespace sluice
