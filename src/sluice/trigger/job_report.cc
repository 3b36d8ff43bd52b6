#include "sluice/trigger/job_report.h"

#include <mutex>

#include "sluice/mqtt/mqtt_publisher.h"
#include "sluice/mqtt/mqtt_uri.h"
#include "sluice/services/s3_client.h"
#include "sluice/trigger/event_template.h"
#include "sluice/trigger/mqtt_publish_action.h"
#include "sluice/util/time_format.h"

namespace sluice {
namespace {

using nlohmann::json;

// Expands the name, renders the document, hands both to `write`; a failure is a warning.
class TemplatedReporter : public JobReporter {
 public:
  using Writer = std::function<Status(const std::string& name, const std::string& body)>;
  TemplatedReporter(std::string scheme, EventTemplate name, Writer write, JobReporterDeps deps)
      : scheme_(std::move(scheme)),
        name_(std::move(name)),
        write_(std::move(write)),
        deps_(std::move(deps)) {}

  void Report(const TriggerEvent& event, const json& state) override {
    auto name = name_.Expand(event, 1);
    if (!name.ok()) {
      deps_.log("warning: no --report for " + event.uri() + ": " + name.error().message);
      return;
    }
    std::string body = JobStatusDocument(event, state, deps_.now())
                           .dump(-1, ' ', false, json::error_handler_t::replace);
    if (Status written = write_(*name, body); !written.ok()) {
      deps_.log("warning: --report " + scheme_ + *name + " (" +
                state.value("status", std::string("?")) + ") failed: " + written.error().message);
    }
  }

 private:
  std::string scheme_;
  EventTemplate name_;
  Writer write_;
  JobReporterDeps deps_;
};

Result<std::unique_ptr<JobReporter>> MakeS3Reporter(std::string_view uri, JobReporterDeps deps) {
  std::string_view rest = uri.substr(5);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) {
    return Error::InvalidArgument("--report " + std::string(uri) +
                                  ": use s3://BUCKET/PREFIX/{key}.json");
  }
  std::string bucket(rest.substr(0, slash));
  auto key = EventTemplate::Parse(rest.substr(slash + 1));
  if (!key.ok()) return Error::InvalidArgument("--report: " + key.error().message);
  if (!key->has_placeholders()) {
    return Error::InvalidArgument("--report " + std::string(uri) +
                                  ": every job would write the same object; name it after the "
                                  "event, e.g. s3://" +
                                  bucket + "/status/{key}.json");
  }
  if (!deps.context) return Error::InvalidArgument("--report s3:// needs AWS");
  auto make_context = deps.context;
  auto s3 = std::make_shared<std::shared_ptr<S3Client>>();
  auto mutex = std::make_shared<std::mutex>();
  auto writer = [bucket, make_context, s3, mutex](const std::string& name,
                                                  const std::string& body) -> Status {
    std::shared_ptr<S3Client> client;
    {
      std::lock_guard lock(*mutex);
      if (!*s3) {
        auto context = make_context();
        if (!context.ok()) return context.error();
        auto made = S3Client::Make(*context);
        if (!made.ok()) return made.error();
        *s3 = std::move(made).value();
      }
      client = *s3;
    }
    auto put = client->PutObject(bucket, name, body, "application/json");
    if (!put.ok()) return put.error();
    return Status::Ok();
  };
  return std::unique_ptr<JobReporter>(std::make_unique<TemplatedReporter>(
      "s3://" + bucket + "/", std::move(key).value(), writer, std::move(deps)));
}

Result<std::unique_ptr<JobReporter>> MakeMqttReporter(std::string_view text, JobReporterDeps deps) {
  // The broker, topic template and credentials as --publish takes them.
  MapEnvironment none;
  auto options = MakeMqttPublishOptions(text, deps.env != nullptr ? *deps.env : none);
  if (!options.ok()) {
    Error e = options.error();
    e.message = "--report: " + e.message;
    return e;
  }
  auto publisher =
      std::make_shared<MqttPublisher>(options->session, options->connect, options->timeout);
  if (Status connected = publisher->Connect(); !connected.ok()) {
    Error e = connected.error();
    e.message = "--report: " + e.message;
    return e;
  }
  auto writer = [publisher](const std::string& name, const std::string& body) -> Status {
    if (Status ok = CheckTopicName(name); !ok.ok()) return ok;
    return publisher->Publish(name, body, /*retain=*/true);
  };
  std::string scheme = text.starts_with("mqtts://") ? "mqtts://" : "mqtt://";
  return std::unique_ptr<JobReporter>(std::make_unique<TemplatedReporter>(
      scheme + options->broker + "/", std::move(options->topic), writer, std::move(deps)));
}

}  // namespace

json JobStatusDocument(const TriggerEvent& event, const json& state, SystemTime now) {
  json doc = {{"job", event.Id()}, {"uri", event.uri()}, {"key", event.Field("key").value_or("")}};
  for (const auto& [name, value] : state.items()) {
    if (name == "line") continue;  // the input line means nothing to the app
    doc[name] = value;
  }
  json fields = event.fields;
  fields.erase("sqs");
  doc["event"] = std::move(fields);
  doc["updated_at"] = FormatIso8601(now);
  return doc;
}

Result<std::unique_ptr<JobReporter>> MakeJobReporter(std::string_view uri, JobReporterDeps deps) {
  if (uri.starts_with("s3://")) return MakeS3Reporter(uri, std::move(deps));
  if (IsMqttUri(uri)) return MakeMqttReporter(uri, std::move(deps));
  return Error::InvalidArgument("--report " + std::string(uri) +
                                ": use s3://BUCKET/PREFIX/{key}.json or mqtt://HOST/TOPIC/{key}");
}

}  // namespace sluice
