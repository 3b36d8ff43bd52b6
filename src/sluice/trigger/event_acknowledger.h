// Tells an event's source what became of the event, for sources that hand events out until they
// hear back (an SQS queue, through sluice-watch's "sqs" field). The runner holds every event it
// reads and settles each exactly once: done (the work succeeded, or there was none to do),
// failed (retries exhausted: the source may deliver it again) or returned (never finished
// because sluice-trigger is stopping: another reader may take it now).
#pragma once

#include "sluice/event/trigger_event.h"

namespace sluice {

enum class Settlement { kDone, kFailed, kReturned };

class EventAcknowledger {
 public:
  virtual ~EventAcknowledger() = default;
  // The event was read: its source should keep it from other readers while the work waits and
  // runs. Called on the reader thread.
  virtual void Hold(const TriggerEvent& event) = 0;
  // Called from any thread, once per held event.
  virtual void Settle(const TriggerEvent& event, Settlement settlement) = 0;
  // Whether the event's source delivers it again when it is not done: a repeat of a failed
  // event is then a retry, to be run, not a duplicate to be skipped.
  virtual bool Redelivers(const TriggerEvent& event) const = 0;
};

}  // namespace sluice
