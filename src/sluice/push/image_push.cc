#include "sluice/push/image_push.h"

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

namespace sluice {
namespace {

// Indexes may nest (an index of indexes); deeper than this is a loop or nonsense.
constexpr int kMaxDepth = 4;

// One blob to get into the registry, and what it became.
struct BlobJob {
  Descriptor source;
  bool compress = false;
  Descriptor pushed;  // digest and size as pushed (differs from source when compressed)
  bool skipped = false;
  bool mounted = false;
  bool compressed = false;  // compressed in this push (not known from the digest cache)
};

// A layer_jobs entry for a layer that is not pushed (non-distributable, foreign).
constexpr size_t kNotPushed = static_cast<size_t>(-1);

// A manifest or index read from the source, with the jobs of the blobs it names.
struct Node {
  Descriptor descriptor;  // as in the source
  std::string bytes;
  nlohmann::json json;
  bool is_index = false;
  std::vector<Node> children;     // index: one per entry of "manifests"
  size_t config_job = 0;          // manifest: index into the jobs
  std::vector<size_t> layer_jobs;  // manifest: one per layer; kNotPushed for a foreign layer
  bool to_oci = false;            // manifest: Docker types become OCI ones (zstd needs it)
  Descriptor pushed;              // after Finalize
};

class Pusher {
 public:
  Pusher(const ImageSource& source, const PushOptions& options, const PushDeps& deps)
      : source_(source), options_(options), deps_(deps) {
    size_t slash = options.image_name.find('/');
    host_ = options.image_name.substr(0, slash);
    repository_ = slash == std::string::npos ? "" : options.image_name.substr(slash + 1);
  }

  Result<PushResult> Run();

 private:
  Result<Node> Plan(const Descriptor& descriptor, int depth);
  size_t AddJob(const Descriptor& blob, bool compress);
  Status RunJobs();
  Status RunJob(BlobJob& job);
  // The repository to ask the registry to mount `digest` from ("" for none): --mount-from's
  // first, else the one the record saw it in last.
  std::string MountSource(const std::string& digest) const;
  Status Mounted(BlobJob& job, const std::string& from);
  // Tells the record that this repository has the blob now.
  void Remember(const std::string& digest);
  Status Finalize(Node& node);
  Status PutChildren(Node& node);
  void Emit(BlobEvent event) const {
    if (deps_.on_blob) deps_.on_blob(event);
  }
  bool Cancelled() const { return deps_.cancelled && deps_.cancelled(); }

  const ImageSource& source_;
  const PushOptions& options_;
  const PushDeps& deps_;
  std::string host_, repository_;  // of options_.image_name
  std::vector<BlobJob> jobs_;
  std::map<std::string, size_t> job_by_digest_;
  PushResult result_;
  std::mutex mutex_;  // guards result_'s counters while jobs run
};

size_t Pusher::AddJob(const Descriptor& blob, bool compress) {
  auto it = job_by_digest_.find(blob.digest);
  if (it != job_by_digest_.end()) return it->second;
  BlobJob job;
  job.source = blob;
  job.compress = compress;
  job.pushed = blob;
  jobs_.push_back(std::move(job));
  job_by_digest_[blob.digest] = jobs_.size() - 1;
  return jobs_.size() - 1;
}

Result<Node> Pusher::Plan(const Descriptor& descriptor, int depth) {
  if (depth > kMaxDepth) {
    return Error::InvalidArgument(source_.description() + ": indexes nest deeper than " +
                                  std::to_string(kMaxDepth));
  }
  Node node;
  node.descriptor = descriptor;
  auto bytes = source_.ReadDocument(descriptor);
  if (!bytes.ok()) return bytes.error();
  node.bytes = std::move(bytes).value();
  std::string where = source_.description() + ": " + descriptor.digest;
  node.json = nlohmann::json::parse(node.bytes, nullptr, /*allow_exceptions=*/false);
  if (!node.json.is_object()) return Error::Parse(where + " is not a JSON object");
  std::string type = node.json.value("mediaType", descriptor.media_type);
  if (type.empty()) type = descriptor.media_type;
  node.descriptor.media_type = type;
  node.is_index = IsIndexMediaType(type) || (type.empty() && node.json.contains("manifests"));

  if (node.is_index) {
    if (!node.json.contains("manifests") || !node.json["manifests"].is_array()) {
      return Error::Parse(where + " is an index without a \"manifests\" list");
    }
    for (const auto& entry : node.json["manifests"]) {
      auto child = ParseDescriptor(entry, where);
      if (!child.ok()) return child.error();
      if (!IsIndexMediaType(child->media_type) && !IsManifestMediaType(child->media_type)) {
        return Error::InvalidArgument(where + " lists " + child->digest + " of media type '" +
                                      child->media_type + "', which sluice-push cannot push");
      }
      auto planned = Plan(*child, depth + 1);
      if (!planned.ok()) return planned.error();
      node.children.push_back(std::move(planned).value());
    }
    return node;
  }

  if (!IsManifestMediaType(type)) {
    return Error::InvalidArgument(where + " has media type '" + type +
                                  "', not an image manifest or index");
  }
  auto config = ParseDescriptor(node.json.value("config", nlohmann::json()), where + " config");
  if (!config.ok()) return config.error();
  if (!node.json.contains("layers") || !node.json["layers"].is_array()) {
    return Error::Parse(where + " is a manifest without a \"layers\" list");
  }
  node.config_job = AddJob(*config, false);
  bool any_uncompressed = false;
  for (const auto& entry : node.json["layers"]) {
    auto layer = ParseDescriptor(entry, where + " layer");
    if (!layer.ok()) return layer.error();
    if (IsNonDistributableLayer(layer->media_type)) {
      // Not ours to upload (its licence keeps it at its `urls`), nor to compress or re-type:
      // the manifest keeps its entry byte for byte, as docker and containerd push it.
      node.layer_jobs.push_back(kNotPushed);
      continue;
    }
    bool compress = IsUncompressedLayer(layer->media_type);
    any_uncompressed = any_uncompressed || compress;
    node.layer_jobs.push_back(AddJob(*layer, compress));
  }
  node.to_oci = any_uncompressed && options_.compression == Compression::kZstd &&
                IsDockerMediaType(type);
  return node;
}

Status Pusher::RunJob(BlobJob& job) {
  std::optional<CompressedLayer> compressed;
  if (job.compress && deps_.digest_cache != nullptr) {
    auto known = deps_.digest_cache->Lookup(job.source.digest, options_.compression,
                                            options_.compression_level);
    if (known) {
      Descriptor candidate = job.pushed;
      candidate.digest = known->digest;
      candidate.size = known->size;
      auto exists = deps_.registry->HasBlob(candidate);
      if (!exists.ok()) return exists.error();
      if (*exists) {
        job.pushed = candidate;
        job.skipped = true;
        Emit({BlobEvent::kSkipped, job.pushed.digest, job.pushed.size, 0, job.pushed.media_type});
        Remember(job.pushed.digest);
        return Status::Ok();
      }
      // Known compressed, elsewhere in the registry: a mount saves compressing it too.
      if (std::string from = MountSource(candidate.digest); !from.empty()) {
        auto mounted = deps_.registry->PutBlobFrom(candidate, nullptr, nullptr, from);
        if (!mounted.ok()) return mounted.error();
        if (*mounted == BlobPut::kMounted) {
          job.pushed = candidate;
          return Mounted(job, from);
        }
      }
    }
  }
  if (job.compress) {
    Emit({BlobEvent::kCompressing, job.source.digest, job.source.size, 0, job.source.media_type});
    auto input = source_.OpenBlob(job.source);
    if (!input.ok()) return input.error();
    CompressOptions compress;
    compress.compression = options_.compression;
    compress.level = options_.compression_level;
    compress.temp_directory = options_.temp_directory;
    compress.cancelled = deps_.cancelled;
    auto layer = CompressLayer(**input, job.source.digest, compress);
    if (!layer.ok()) return layer.error();
    job.pushed.digest = layer->digest;
    job.pushed.size = layer->size;
    job.compressed = true;
    if (deps_.digest_cache != nullptr) {
      deps_.digest_cache->Store(job.source.digest, options_.compression, options_.compression_level,
                                {layer->digest, layer->size});
    }
    compressed = std::move(layer).value();
  }
  if (Cancelled()) return Error::Interrupted("interrupted");

  auto exists = deps_.registry->HasBlob(job.pushed);
  if (!exists.ok()) return exists.error();
  if (*exists) {
    job.skipped = true;
    Emit({BlobEvent::kSkipped, job.pushed.digest, job.pushed.size, 0, job.pushed.media_type});
    Remember(job.pushed.digest);
    return Status::Ok();
  }
  BodyOpener open;
  if (compressed) {
    std::string path = compressed->file.path();
    open = [path] { return FileBody(path); };
  } else {
    open = [this, &job]() -> Result<std::shared_ptr<BodySource>> {
      auto body = source_.OpenBlob(job.source);
      if (!body.ok()) return body.error();
      return VerifyingBody(std::move(body).value(), job.source.digest,
                           source_.description() + ": blob " + job.source.digest);
    };
  }
  Emit({BlobEvent::kUploading, job.pushed.digest, job.pushed.size, 0, job.pushed.media_type});
  const Descriptor& pushed = job.pushed;
  const std::string from = MountSource(job.pushed.digest);
  auto put = deps_.registry->PutBlobFrom(job.pushed, open, [this, &pushed](uint64_t sent) {
    Emit({BlobEvent::kProgress, pushed.digest, pushed.size, sent, pushed.media_type});
  }, from);
  if (!put.ok()) return put.error();
  if (*put == BlobPut::kMounted) return Mounted(job, from);
  Emit({BlobEvent::kPushed, job.pushed.digest, job.pushed.size, job.pushed.size,
        job.pushed.media_type});
  Remember(job.pushed.digest);
  return Status::Ok();
}

std::string Pusher::MountSource(const std::string& digest) const {
  if (!options_.mount_from.empty()) return options_.mount_from;
  if (deps_.locations == nullptr) return "";
  auto sources = deps_.locations->MountSources(digest, host_, repository_);
  return sources.empty() ? "" : sources.front();
}

Status Pusher::Mounted(BlobJob& job, const std::string& from) {
  job.mounted = true;
  BlobEvent event{BlobEvent::kMounted, job.pushed.digest, job.pushed.size, 0, job.pushed.media_type};
  event.from = from;
  Emit(event);
  Remember(job.pushed.digest);
  return Status::Ok();
}

void Pusher::Remember(const std::string& digest) {
  if (deps_.locations != nullptr) deps_.locations->Record(digest, host_, repository_);
}

Status Pusher::RunJobs() {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::optional<Error> first_error;
  std::mutex error_mutex;
  auto work = [&] {
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= jobs_.size()) return;
      if (Cancelled()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = Error::Interrupted("interrupted");
        failed = true;
        return;
      }
      Status done = RunJob(jobs_[i]);
      if (!done.ok()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = done.error();
        failed = true;
        return;
      }
    }
  };
  size_t threads = std::min<size_t>(std::max(1, options_.jobs), jobs_.size());
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  if (first_error) return *first_error;
  return Status::Ok();
}

Status Pusher::Finalize(Node& node) {
  bool changed = false;
  std::string type = node.descriptor.media_type;
  if (node.is_index) {
    for (size_t i = 0; i < node.children.size(); ++i) {
      Node& child = node.children[i];
      Status done = Finalize(child);
      if (!done.ok()) return done;
      if (child.pushed.digest != child.descriptor.digest ||
          child.pushed.media_type != child.descriptor.media_type) {
        auto& entry = node.json["manifests"][i];
        entry["digest"] = child.pushed.digest;
        entry["size"] = child.pushed.size;
        entry["mediaType"] = child.pushed.media_type;
        changed = true;
        if (child.pushed.media_type == media_type::kOciManifest &&
            type == media_type::kDockerManifestList) {
          type = std::string(media_type::kOciIndex);
        }
      }
    }
  } else {
    if (node.to_oci) {
      type = std::string(media_type::kOciManifest);
      if (node.json["config"].value("mediaType", "") == media_type::kDockerConfig) {
        node.json["config"]["mediaType"] = media_type::kOciConfig;
      }
      changed = true;
    }
    auto& layers = node.json["layers"];
    for (size_t i = 0; i < node.layer_jobs.size(); ++i) {
      if (node.layer_jobs[i] == kNotPushed) continue;
      const BlobJob& job = jobs_[node.layer_jobs[i]];
      auto& entry = layers[i];
      if (job.compress) {
        auto compressed_type = CompressedLayerType(type, options_.compression);
        if (!compressed_type.ok()) return compressed_type.error();
        entry["mediaType"] = *compressed_type;
        entry["digest"] = job.pushed.digest;
        entry["size"] = job.pushed.size;
        changed = true;
      } else if (node.to_oci && entry.value("mediaType", "") == media_type::kDockerLayerGzip) {
        entry["mediaType"] = media_type::kOciLayerGzip;
      }
    }
  }
  if (!changed) {
    node.pushed = node.descriptor;
    return Status::Ok();
  }
  if (node.json.contains("mediaType")) node.json["mediaType"] = type;
  node.bytes = node.json.dump();
  node.pushed = {type, DigestOf(node.bytes), node.bytes.size()};
  return Status::Ok();
}

Status Pusher::PutChildren(Node& node) {
  for (Node& child : node.children) {
    Status done = PutChildren(child);
    if (!done.ok()) return done;
    if (Cancelled()) return Error::Interrupted("interrupted");
    auto digest = deps_.registry->PutManifest(child.pushed.digest, child.pushed.media_type,
                                              child.bytes);
    if (!digest.ok()) return digest.error();
    result_.bytes_uploaded += child.bytes.size();
    result_.platform_manifests.push_back(child.pushed.digest);
  }
  return Status::Ok();
}

Result<PushResult> Pusher::Run() {
  if (options_.tags.empty()) return Error::InvalidArgument("no tag to push");
  auto root = Plan(source_.root(), 0);
  if (!root.ok()) return root.error();
  Status ran = RunJobs();
  if (!ran.ok()) return ran.error();
  for (const BlobJob& job : jobs_) {
    if (job.skipped) {
      ++result_.blobs_skipped;
    } else if (job.mounted) {
      ++result_.blobs_mounted;
    } else {
      ++result_.blobs_pushed;
      result_.bytes_uploaded += job.pushed.size;
    }
    if (job.compressed) ++result_.layers_compressed;
  }
  Status finalized = Finalize(*root);
  if (!finalized.ok()) return finalized.error();
  Status children = PutChildren(*root);
  if (!children.ok()) return children.error();
  for (const std::string& tag : options_.tags) {
    if (Cancelled()) return Error::Interrupted("interrupted");
    auto digest = deps_.registry->PutManifest(tag, root->pushed.media_type, root->bytes);
    if (!digest.ok() && IsImmutableTagError(digest.error())) {
      // Every CI re-run pushes the same digest under the same tag again: when the immutable tag
      // already names it, the push has nothing to do.
      auto current = deps_.registry->TagDigest(tag);
      if (current.ok() && *current == root->pushed.digest) {
        result_.tags.push_back(tag);
        result_.tags_unchanged.push_back(tag);
        continue;
      }
      Error e = digest.error();
      e.message = "tag " + tag + " is immutable and names " +
                  (current.ok() && *current ? **current : std::string("another image")) +
                  ", not the pushed " + root->pushed.digest +
                  ": push under a new tag (or by digest), or make the repository's tags mutable";
      return e;
    }
    if (!digest.ok()) return digest.error();
    if (*digest != root->pushed.digest) {
      return Error::Parse("the registry stored tag " + tag + " as " + *digest +
                          ", not as the pushed " + root->pushed.digest);
    }
    result_.bytes_uploaded += root->bytes.size();
    result_.tags.push_back(tag);
  }
  result_.digest = root->pushed.digest;
  result_.media_type = root->pushed.media_type;
  result_.image = options_.image_name + "@" + result_.digest;
  return std::move(result_);
}

}  // namespace

Result<PushResult> PushImage(const ImageSource& source, const PushOptions& options,
                             const PushDeps& deps) {
  Pusher pusher(source, options, deps);
  return pusher.Run();
}

}  // namespace sluice
