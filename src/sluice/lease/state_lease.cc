#include "sluice/lease/state_lease.h"

#include <unistd.h>

#include <random>

namespace sluice {
namespace {

// Last-Modified and Date have whole seconds: an age read from them may be up to two seconds
// long, so a lease is only judged lapsed by age when it is this much older than its duration.
constexpr std::chrono::milliseconds kAgeSlack{2000};

}  // namespace

std::string StateLease::Describe() const {
  return "pid " + std::to_string(pid) + " on " + (host.empty() ? "an unnamed host" : host);
}

nlohmann::json LeaseToJson(const StateLease& lease) {
  return {{"owner", lease.owner},       {"host", lease.host},
          {"pid", lease.pid},           {"duration_ms", lease.duration.count()},
          {"sequence", lease.sequence}, {"released", lease.released}};
}

std::optional<StateLease> LeaseFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  auto owner = j.find("owner");
  auto duration = j.find("duration_ms");
  auto sequence = j.find("sequence");
  if (owner == j.end() || !owner->is_string() || owner->get<std::string>().empty() ||
      duration == j.end() || !duration->is_number_integer() || *duration < 0 ||
      sequence == j.end() || !sequence->is_number_integer() || *sequence < 0) {
    return std::nullopt;
  }
  StateLease lease;
  lease.owner = owner->get<std::string>();
  lease.duration = std::chrono::milliseconds(duration->get<int64_t>());
  lease.sequence = sequence->get<uint64_t>();
  if (auto host = j.find("host"); host != j.end() && host->is_string()) lease.host = *host;
  if (auto pid = j.find("pid"); pid != j.end() && pid->is_number_integer()) lease.pid = *pid;
  if (auto released = j.find("released"); released != j.end() && released->is_boolean()) {
    lease.released = *released;
  }
  return lease;
}

StateLease NewLeaseForThisProcess(std::chrono::milliseconds duration) {
  StateLease lease;
  std::random_device random;
  std::uniform_int_distribution<int> nibble(0, 15);
  for (int i = 0; i < 16; ++i) lease.owner += "0123456789abcdef"[nibble(random)];
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) lease.host = host;
  lease.pid = getpid();
  lease.duration = duration;
  return lease;
}

LeaseWait WaitForLease(const std::optional<StateLease>& held, const std::string& my_owner,
                       std::optional<std::chrono::milliseconds> age) {
  // No lease (a state written by a file-backed watcher and copied there, or a first run), a
  // released one, or our own (a retry after a lost answer): free.
  if (!held || held->released || held->owner == my_owner) return {true, {}};
  if (!age) return {false, held->duration + kAgeSlack};
  auto left = held->duration + kAgeSlack - *age;
  if (left.count() <= 0) return {true, {}};
  return {false, left};
}

}  // namespace sluice
