// sluice-push: pushes a container image from an OCI layout, an oci-archive or a docker-archive
// (docker save) to ECR or any OCI registry, without a Docker daemon, and prints one JSON line
// naming what it pushed. Argument parsing here; the work is in sluice/push/image_push.h and
// sluice/push/registry_connect.h.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <iostream>
#include <thread>

#include "sluice/cli/json_lines.h"
#include "sluice/cli/tool_main.h"
#include "sluice/image/compressed_digest_cache.h"
#include "sluice/registry/blob_locations.h"
#include "sluice/image/image_source.h"
#include "sluice/oci/image_reference.h"
#include "sluice/os/interrupt.h"
#include "sluice/push/image_push.h"
#include "sluice/push/push_progress.h"
#include "sluice/push/registry_connect.h"
#include "sluice/services/default_client_context.h"
#include "sluice/util/environment.h"
#include "sluice/util/exit_codes.h"
#include "sluice/util/logging.h"

namespace sluice {
namespace {

constexpr std::string_view kTool = "sluice-push";

struct Flags {
  CommonFlags common;
  std::string source;
  std::string destination;
  std::vector<std::string> tags;
  bool create_repository = false;
  int jobs = 4;
  std::string compression = "gzip";
  int compression_level = -1;
  std::string registry_endpoint;
  bool insecure = false;
  std::string username;
  bool password_stdin = false;
  bool quiet = false;
  std::string mount_from;
};

int Usage(const std::string& message) { return PrintUsageError(kTool, message); }

// Redraws a status line on a terminal every few hundred milliseconds while the push runs.
class StatusTicker {
 public:
  explicit StatusTicker(const PushProgress* progress) : progress_(progress) {
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) {
        std::string line = progress_->StatusLine();
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        std::fflush(stderr);
      }
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
    });
  }
  ~StatusTicker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  const PushProgress* progress_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

int Run(Flags& flags) {
  SetVerbose(flags.common.verbose);
  auto spec = ParseSourceSpec(flags.source);
  if (!spec.ok()) return Usage(spec.error().message);
  auto destination = ParseImageReference(flags.destination);
  if (!destination.ok()) return Usage(destination.error().message);
  std::vector<std::string> tags{destination->tag};
  for (const std::string& tag : flags.tags) {
    if (!IsValidTag(tag)) return Usage("--tag '" + tag + "' is not a valid tag");
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  PushOptions options;
  options.image_name = destination->Name();
  options.tags = tags;
  if (flags.compression == "gzip") {
    options.compression = Compression::kGzip;
  } else if (flags.compression == "zstd") {
    options.compression = Compression::kZstd;
  } else {
    return Usage("--compression must be gzip or zstd");
  }
  if (flags.jobs < 1 || flags.jobs > 64) return Usage("--jobs must be between 1 and 64");
  options.jobs = flags.jobs;
  int max_level = options.compression == Compression::kGzip ? 9 : 19;
  if (flags.compression_level != -1 &&
      (flags.compression_level < 1 || flags.compression_level > max_level)) {
    return Usage("--compression-level for " + flags.compression + " is 1 to " +
                 std::to_string(max_level));
  }
  options.compression_level = flags.compression_level;
  if (const std::string& from = flags.mount_from; !from.empty()) {
    if (from.find(':') != std::string::npos || from.find('@') != std::string::npos ||
        from.starts_with("/") || from.ends_with("/")) {
      return Usage("--mount-from " + from + ": give a repository of the same registry, such as "
                   "team/base (no host, no tag)");
    }
    if (from == destination->repository) return Usage("--mount-from " + from + " is the repository pushed to");
    options.mount_from = from;
  }

  RegistryConnectOptions connect;
  connect.registry_endpoint = flags.registry_endpoint;
  connect.insecure = flags.insecure;
  connect.create_repository = flags.create_repository;
  if (flags.password_stdin && flags.username.empty()) {
    return Usage("--password-stdin needs --username");
  }
  if (!flags.username.empty()) {
    if (!flags.password_stdin) {
      return Usage("--username needs --password-stdin (a password on the command line would "
                   "show in ps and shell history)");
    }
    connect.username = flags.username;
    std::getline(std::cin, connect.password);
    if (!connect.password.empty() && connect.password.back() == '\r') connect.password.pop_back();
    if (connect.password.empty()) return Usage("--password-stdin read an empty password");
  }

  auto started = std::chrono::steady_clock::now();
  auto source = ImageSource::Open(*spec);
  if (!source.ok()) {
    PrintError(kTool, source.error());
    return kExitFailure;
  }

  InstallInterruptHandlers();
  ClientOptions client_options = ToClientOptions(flags.common);
  client_options.abort_when = [] { return Interrupted(); };
  // Only so that the context resolves without a configured region: ConnectRegistry asks ECR in
  // the registry host's region whatever this is, and other registries need no AWS region.
  if (client_options.region.empty()) {
    auto ecr = ParseEcrHost(destination->host);
    client_options.region = ecr ? ecr->region : "us-east-1";
  }
  auto context = MakeClientContext(client_options);
  if (!context.ok()) {
    PrintError(kTool, context.error());
    return kExitFailure;
  }
  auto connection = ConnectRegistry(*destination, connect, *context);
  if (!connection.ok()) {
    if (connection.error().kind == ErrorKind::kInvalidArgument) {
      return Usage(connection.error().message);
    }
    PrintError(kTool, connection.error());
    return Interrupted() ? kExitInterrupted : kExitFailure;
  }
  if (connection->repository_created && !flags.quiet) {
    LogLine(std::string(kTool) + ": created repository " + destination->repository);
  }

  PushProgress progress([&flags](const std::string& line) {
    if (!flags.quiet) LogLine(std::string(kTool) + ": " + line);
  });
  PushDeps deps;
  deps.registry = connection->client.get();
  deps.on_blob = [&progress](const BlobEvent& event) { progress.OnBlob(event); };
  deps.cancelled = [] { return Interrupted(); };
  FileDigestCache digest_cache(FileDigestCache::DefaultPath(ProcessEnvironment()));
  deps.digest_cache = &digest_cache;
  FileBlobLocations locations(FileBlobLocations::DefaultPath(ProcessEnvironment()));
  deps.locations = &locations;
  Result<PushResult> result = Error::Interrupted("not run");
  {
    std::unique_ptr<StatusTicker> ticker;
    if (!flags.quiet && ::isatty(STDERR_FILENO)) ticker = std::make_unique<StatusTicker>(&progress);
    result = PushImage(*source, options, deps);
  }
  digest_cache.Save();  // what was compressed is worth remembering even when the push failed
  locations.Save();     // and so is where each blob now is
  if (!result.ok()) {
    if (Interrupted()) {
      LogLine(std::string(kTool) + ": interrupted; no tag was written");
      return kExitInterrupted;
    }
    PrintError(kTool, result.error());
    return kExitFailure;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json line;
  line["image"] = result->image;
  line["digest"] = result->digest;
  line["media_type"] = result->media_type;
  line["tags"] = result->tags;
  line["repository"] = destination->Name();
  line["source"] = source->description();
  if (!result->platform_manifests.empty()) line["manifests"] = result->platform_manifests;
  if (!result->tags_unchanged.empty()) {
    line["tags_unchanged"] = result->tags_unchanged;
    for (const std::string& tag : result->tags_unchanged) {
      LogLine(std::string(kTool) + ": tag " + tag + " is immutable and already names " +
              result->digest + ": left as it is");
    }
  }
  line["blobs_pushed"] = result->blobs_pushed;
  line["blobs_skipped"] = result->blobs_skipped;
  line["blobs_mounted"] = result->blobs_mounted;
  line["layers_compressed"] = result->layers_compressed;
  line["bytes_uploaded"] = result->bytes_uploaded;
  line["seconds"] = std::round(seconds * 1000) / 1000;
  if (!WriteJsonLine(line)) {
    LogLine(std::string(kTool) + ": cannot write the result to stdout");
    return kExitFailure;
  }
  return kExitSuccess;
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  using namespace sluice;
  signal(SIGPIPE, SIG_IGN);
  Flags flags;
  CLI::App app{
      "Push a container image to ECR or any OCI registry without a Docker daemon, and print one "
      "JSON line: image (host/repo@sha256:...), digest, tags, blobs_pushed, blobs_skipped, "
      "blobs_mounted, bytes_uploaded, seconds.\n"
      "SOURCE: oci:DIR[:TAG] (OCI image layout), oci-archive:FILE[:TAG], docker-archive:FILE "
      "(docker save output).\n"
      "DEST: HOST/REPO[:TAG] (default tag latest); ECR hosts log in with the AWS credentials.\n"
      "Exit: 0 pushed; 1 failure; 2 usage; 130 interrupted (no tag written). See man sluice-push.",
      "sluice-push"};
  AddCommonFlags(app, flags.common);
  app.add_option("SOURCE", flags.source, "the image to push")->required();
  app.add_option("DEST", flags.destination, "HOST/REPO[:TAG]")->required();
  app.add_option("--tag", flags.tags, "also tag the image with this (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--create-repository", flags.create_repository,
               "ECR: create the repository when it does not exist");
  app.add_option("--jobs", flags.jobs, "blobs uploaded and layers compressed at once (default 4)");
  app.add_option("--compression", flags.compression,
                 "for uncompressed layers: gzip (default) or zstd (OCI manifests)");
  app.add_option("--compression-level", flags.compression_level,
                 "gzip 1-9 (default 3; 1-3 fast igzip, 4-9 zlib: smaller, ten times slower), zstd 1-19 (default 3)");
  app.add_option("--registry-endpoint", flags.registry_endpoint,
                 "send registry traffic to this URL (VPC endpoint, proxy, test) while keeping "
                 "the image name; http:// allowed");
  app.add_flag("--insecure", flags.insecure, "talk plain HTTP to the registry host");
  app.add_option("--username", flags.username, "registry user name (with --password-stdin)");
  app.add_flag("--password-stdin", flags.password_stdin, "read the registry password from stdin");
  app.add_flag("-q,--quiet", flags.quiet, "no progress on stderr");
  app.add_option("--mount-from", flags.mount_from,
                 "REPO: ask the registry to mount blobs from this repository of the same registry "
                 "instead of uploading them. Without it, the repository this machine last pushed "
                 "each blob to is asked");
  return RunToolMain(app, argc, argv, [&] { return Run(flags); });
}
