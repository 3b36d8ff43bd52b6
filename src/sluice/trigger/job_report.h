// sluice-trigger --report URI: one status document per job, where the app that serves the
// user can read it, written when the job starts ("running") and when it ends (its result line's
// status: succeeded, failed, cancelled). A repeat of an event (skipped) leaves the original's
// document alone. URI is a template over the event ({key}, {basename}, ...):
//   s3://BUCKET/PREFIX/{key}.json   one object per job (PutObject, application/json): an app
//                                   shows a job's status by reading one object; 2 PUTs per job
//   mqtt[s]://HOST[:PORT]/TOPIC/{key}  the same document published retained with QoS 1, so a
//                                   client that subscribes later gets each job's last status
// The document: job (SLUICE_EVENT_ID's value), uri, key, status, action, attempts, started_at,
// finished_at, seconds, exit_code, task_arn, error, the event, and updated_at. A report that
// cannot be written is a warning on stderr; the job's own outcome does not change.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sluice/aws/client_context.h"
#include "sluice/event/trigger_event.h"
#include "sluice/util/clock.h"
#include "sluice/util/environment.h"
#include "sluice/util/result.h"

namespace sluice {

class JobReporter {
 public:
  virtual ~JobReporter() = default;
  // `state`: the result line, or for a job starting {"status": "running", ...}.
  virtual void Report(const TriggerEvent& event, const nlohmann::json& state) = 0;
};

// The document for a job in `state` (pure).
nlohmann::json JobStatusDocument(const TriggerEvent& event, const nlohmann::json& state,
                                 SystemTime now);

struct JobReporterDeps {
  // For s3:// reports; made on first use. Null: s3:// is refused.
  std::function<Result<std::shared_ptr<const ClientContext>>()> context;
  const Environment* env = nullptr;  // SLUICE_MQTT_USERNAME, SLUICE_MQTT_PASSWORD
  std::function<SystemTime()> now;
  std::function<void(const std::string&)> log;
};

// Parses URI and connects (an MQTT broker; S3 is checked on first write). An error of kind
// kInvalidArgument is a usage error.
Result<std::unique_ptr<JobReporter>> MakeJobReporter(std::string_view uri, JobReporterDeps deps);

}  // namespace sluice
