// The lease of a state kept in S3 (sluice-watch --state, sluice-trigger --journal): which process
// holds it, so that a second one started on it is refused instead of doing every piece of work a
// second time, and a replacement (an ECS task started after the last one died) takes it over
// once the old holder stops renewing it.
//
// Saved in the document as
//   "lease": {"owner": "<16 hex>", "host": "ip-10-0-1-7", "pid": 7, "duration_ms": 60000,
//             "sequence": 12, "released": false}
// The holder rewrites the document at least every third of `duration_ms`; `sequence` grows with
// each write, so that every write changes the object's bytes and so its ETag. Whether a holder is
// alive is judged as the DynamoDB Lock Client judges it: by whether the object changes within a
// lease, never by comparing this machine's clock with another's (only S3's Last-Modified against
// S3's Date, both one clock, shortens the wait).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace sluice {

struct StateLease {
  std::string owner;  // random per process
  std::string host;
  int64_t pid = 0;
  std::chrono::milliseconds duration{0};
  uint64_t sequence = 0;
  bool released = false;  // the holder stopped cleanly: a successor need not wait

  // "pid 7 on ip-10-0-1-7", for messages.
  std::string Describe() const;
};

nlohmann::json LeaseToJson(const StateLease& lease);
// nullopt when `j` is not a lease of this shape.
std::optional<StateLease> LeaseFromJson(const nlohmann::json& j);

// A lease for this process: a fresh random owner, this host's name and pid.
StateLease NewLeaseForThisProcess(std::chrono::milliseconds duration);

// What a watcher that finds `held` in the state must do before it may take the state over
// (pure). `age` is how long ago the state was last written, in S3's clock (nullopt: unknown).
struct LeaseWait {
  bool free = false;                  // no live holder: take it now
  std::chrono::milliseconds wait{0};  // else watch the object this long for a renewal
};
LeaseWait WaitForLease(const std::optional<StateLease>& held, const std::string& my_owner,
                       std::optional<std::chrono::milliseconds> age);

}  // namespace sluice
