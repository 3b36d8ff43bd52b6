// The test image generator makes images that real tools accept: blobs hash to their names, and
// skopeo reads the OCI layout, the oci-archive and both forms of docker-archive.
#include "tests/support/test_image.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sluice/os/file_read.h"
#include "sluice/os/subprocess.h"
#include "sluice/util/crypto.h"
#include "tests/support/child_process.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TestImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("sluice-test-image-");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  // skopeo's stdout, after checking it succeeded.
  std::string Skopeo(std::vector<std::string> args) {
    args.insert(args.begin(), "skopeo");
    auto run = RunAndCapture(args, {.timeout = std::chrono::seconds(60)});
    EXPECT_TRUE(run.ok()) << run.error().ToString();
    if (!run.ok()) return "";
    EXPECT_EQ(run->exit_code, 0) << args[1] << " " << args.back() << ": " << run->err;
    return run->out;
  }

  std::string Read(const std::string& path) {
    int error = 0;
    return ReadWholeFile(path, &error).value_or("<missing>");
  }

  std::string dir_;
};

TEST_F(TestImageTest, IsDeterministicAndConsistent) {
  testing::TestImage a = testing::MakeTestImage(/*seed=*/7, /*layers=*/2, 5000);
  testing::TestImage b = testing::MakeTestImage(7, 2, 5000);
  EXPECT_EQ(a.manifest, b.manifest);
  EXPECT_NE(a.manifest, testing::MakeTestImage(8, 2, 5000).manifest);

  json config = json::parse(a.config);
  EXPECT_EQ(config["architecture"], "amd64");
  EXPECT_EQ(config["rootfs"]["type"], "layers");
  json manifest = json::parse(a.manifest);
  EXPECT_EQ(manifest["schemaVersion"], 2);
  EXPECT_EQ(manifest["config"]["digest"], a.config_digest);
  ASSERT_EQ(a.layers.size(), 2u);
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const testing::TestLayer& layer = a.layers[i];
    EXPECT_EQ(config["rootfs"]["diff_ids"][i], testing::DigestOf(layer.tar));
    EXPECT_EQ(manifest["layers"][i]["digest"], testing::DigestOf(layer.blob));
    EXPECT_EQ(manifest["layers"][i]["size"], layer.blob.size());
    EXPECT_EQ(manifest["layers"][i]["mediaType"], testing::kOciLayerGzipType);
    EXPECT_GT(layer.tar.size(), 5000u);
  }
  EXPECT_EQ(a.manifest_digest, testing::DigestOf(a.manifest));
}

TEST_F(TestImageTest, OciLayoutBlobsHashToTheirNames) {
  auto index = testing::MakeTestImageIndex(
      {testing::MakeTestImage({.layers = {testing::RandomLayer(1, 3000)}}),
       testing::MakeTestImage(
           {.layers = {testing::RandomLayer(1, 3000)}, .architecture = "arm64"})});
  auto written = testing::WriteOciLayout(dir_ + "/oci", index, "multi");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  // Both platforms share their layer (same seed) but not their configs.
  size_t count = 0;
  for (const auto& blob : fs::directory_iterator(dir_ + "/oci/blobs/sha256")) {
    EXPECT_EQ(Sha256Hex(Read(blob.path())), blob.path().filename().string());
    ++count;
  }
  EXPECT_EQ(count, 1u + 2 * 2 + 1);  // layer, two configs and manifests, the index
  json index_json = json::parse(Read(dir_ + "/oci/index.json"));
  EXPECT_EQ(index_json["manifests"][0]["digest"], index.index_digest);
  EXPECT_EQ(index_json["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
            "multi");
}

TEST_F(TestImageTest, SkopeoReadsTheOciLayout) {
  testing::TestImage image = testing::MakeTestImage(1);
  auto written = testing::WriteOciLayout(dir_ + "/oci", image, "v1");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_EQ(Skopeo({"inspect", "--raw", "oci:" + dir_ + "/oci:v1"}), image.manifest);
  json inspected = json::parse(Skopeo({"inspect", "oci:" + dir_ + "/oci:v1"}));
  EXPECT_EQ(inspected["Digest"], image.manifest_digest);
  EXPECT_EQ(inspected["Architecture"], "amd64");
}

TEST_F(TestImageTest, SkopeoReadsAMultiPlatformOciLayout) {
  auto index = testing::MakeTestImageIndex(
      {testing::MakeTestImage(1), testing::MakeTestImage({.layers = {testing::RandomLayer(2, 100)},
                                                          .architecture = "arm64"})});
  ASSERT_TRUE(testing::WriteOciLayout(dir_ + "/oci", index, "multi").ok());
  EXPECT_EQ(Skopeo({"inspect", "--raw", "oci:" + dir_ + "/oci:multi"}), index.index);
  // skopeo picks the platform's manifest but reports the digest of the index it came from.
  json arm =
      json::parse(Skopeo({"--override-arch", "arm64", "inspect", "oci:" + dir_ + "/oci:multi"}));
  EXPECT_EQ(arm["Digest"], index.index_digest);
  EXPECT_EQ(arm["Architecture"], "arm64");
  EXPECT_EQ(arm["Layers"], json::array({index.images[1].layers[0].digest}));
}

TEST_F(TestImageTest, SkopeoReadsTheOciArchive) {
  testing::TestImage image = testing::MakeTestImage(2);
  std::string file = dir_ + "/image.tar";
  ASSERT_TRUE(testing::WriteOciArchive(file, image, "v2").ok());
  EXPECT_EQ(Skopeo({"inspect", "--raw", "oci-archive:" + file + ":v2"}), image.manifest);
}

TEST_F(TestImageTest, SkopeoReadsTheLegacyDockerArchive) {
  testing::TestImage image = testing::MakeTestImage(3, 3);
  std::string file = dir_ + "/docker.tar";
  auto written = testing::WriteDockerArchiveLegacy(file, image, "example/app:v3");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  json inspected = json::parse(Skopeo({"inspect", "docker-archive:" + file}));
  ASSERT_EQ(inspected["Layers"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(inspected["Layers"][i], written->layers[i].diff_id);
  // Naming the image by its RepoTags entry finds it too.
  std::string config =
      Skopeo({"inspect", "--config", "--raw", "docker-archive:" + file + ":example/app:v3"});
  EXPECT_EQ(config, written->config);
}

// skopeo (1.9) reads a Docker 25 archive through its manifest.json, as it reads a legacy one,
// and makes a Docker manifest of its own over the same blobs.
TEST_F(TestImageTest, SkopeoReadsTheDockerArchiveOfDocker25) {
  testing::TestImage image = testing::MakeTestImage(5, 2);
  std::string file = dir_ + "/docker25.tar";
  auto written = testing::WriteDockerArchiveOci(file, image, "example/app:v5");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  json manifest = json::parse(Skopeo({"inspect", "--raw", "docker-archive:" + file}));
  EXPECT_EQ(manifest["config"]["digest"], written->config_digest);
  ASSERT_EQ(manifest["layers"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(manifest["layers"][i]["digest"], written->layers[i].digest);
    EXPECT_EQ(manifest["layers"][i]["size"], written->layers[i].size);
  }
  // The OCI side of the same archive, read as an OCI layout, has the manifest as written.
  std::string layout = dir_ + "/layout";
  fs::create_directories(layout);
  auto run = RunAndCapture({"tar", "-xf", file, "-C", layout});
  ASSERT_TRUE(run.ok() && run->exit_code == 0);
  EXPECT_EQ(Skopeo({"inspect", "--raw", "oci:" + layout + ":v5"}), written->manifest);
}

// A copy reads every blob and verifies it against its digest; the dir: transport keeps the
// blobs as they are, named by digest.
TEST_F(TestImageTest, SkopeoCopiesBothDockerArchivesVerifyingEveryBlob) {
  testing::TestImage image = testing::MakeTestImage(4);
  for (bool docker25 : {false, true}) {
    SCOPED_TRACE(docker25 ? "Docker 25+" : "legacy");
    std::string file = dir_ + (docker25 ? "/docker25.tar" : "/legacy.tar");
    auto written = docker25 ? testing::WriteDockerArchiveOci(file, image, "example/app:v4")
                            : testing::WriteDockerArchiveLegacy(file, image, "example/app:v4");
    ASSERT_TRUE(written.ok()) << written.error().ToString();
    std::string out = dir_ + (docker25 ? "/out25" : "/outlegacy");
    Skopeo({"--insecure-policy", "copy", "-q", "docker-archive:" + file, "dir:" + out});
    EXPECT_EQ(Read(out + "/" + written->config_digest.substr(7)), written->config);
    for (const testing::TestLayer& layer : written->layers) {
      EXPECT_TRUE(Read(out + "/" + layer.digest.substr(7)) == layer.tar);
    }
  }
}

}  // namespace
}  // namespace sluice
