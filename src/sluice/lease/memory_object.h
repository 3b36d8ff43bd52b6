// An in-memory ConditionalObject with S3's conditional-write rules (412 to a stale If-Match or
// to If-None-Match: * on an existing object, 404 to If-Match on no object), and faults a test
// can ask for: a 409 ConditionalRequestConflict, a write whose answer is lost, another
// process's write racing the next one. Like LevelDB's in-memory Env: for the tests of what is
// built on leased objects, without a network.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sluice/lease/conditional_object.h"
#include "sluice/lease/state_lease.h"
#include "sluice/util/clock.h"

namespace sluice {

// The object's one copy, shared by the handles of several "processes".
struct MemoryObjectState {
  std::optional<std::string> body;
  int generation = 0;  // the ETag is "etag-<generation>"
  SystemTime written;
  int puts = 0;
  int heads = 0;
  bool conflict_next = false;     // the next write: 409, nothing written
  bool lose_answer_next = false;  // the next write lands, but its caller is told 412
  std::function<void()> before_next_put;  // runs just before the next write is judged

  std::string Etag() const { return "etag-" + std::to_string(generation); }
};

// The lease another process would hold: owner `owner`, pid `pid` on host "host-<pid>", for 30 s.
StateLease PretendLease(std::string owner, int pid);

// A handle on `state`; ages are measured with `clock`. Neither is owned.
std::unique_ptr<ConditionalObject> MakeMemoryObject(MemoryObjectState* state, Clock* clock,
                                                    std::string uri = "s3://bucket/state.json");

}  // namespace sluice
