// The --exec action: runs a local command per event, without a shell. Arguments and --env values
// are templates ({key}, ...); the event also reaches the command as environment variables:
// SLUICE_EVENT, SLUICE_URI, SLUICE_BUCKET, SLUICE_KEY, SLUICE_ETAG, SLUICE_SIZE,
// SLUICE_LAST_MODIFIED, SLUICE_VERSION_ID, SLUICE_SOURCE, SLUICE_DETECTED_AT, SLUICE_EVENT_ID (the
// event's identity, the same on every machine), SLUICE_ATTEMPT and
// SLUICE_EVENT_JSON (the whole event). The command's stdout goes to stderr, so the tool's stdout
// stays JSON Lines; its stdin is /dev/null.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sluice/trigger/event_template.h"
#include "sluice/trigger/trigger_action.h"

namespace sluice {

struct ExecActionOptions {
  std::vector<EventTemplate> argv;
  std::vector<std::pair<std::string, EventTemplate>> env;  // --env NAME=TEMPLATE
  std::chrono::milliseconds timeout{0};  // per attempt; 0: none. Exceeding it fails with 124
  std::chrono::milliseconds kill_grace{5000};  // SIGTERM, then SIGKILL after this long
};

std::unique_ptr<TriggerAction> MakeExecAction(ExecActionOptions options);

// The SLUICE_* variables for `event` (pure; for tests).
std::vector<std::pair<std::string, std::string>> EventEnvironment(const TriggerEvent& event,
                                                                  int attempt);

}  // namespace sluice
