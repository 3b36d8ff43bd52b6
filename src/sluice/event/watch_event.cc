#include "sluice/event/watch_event.h"

#include "sluice/util/time_format.h"

namespace sluice {
namespace {
constexpr std::pair<ChangeKind, std::string_view> kNames[] = {
    {ChangeKind::kCreated, "created"},
    {ChangeKind::kUpdated, "updated"},
    {ChangeKind::kDeleted, "deleted"},
    {ChangeKind::kExists, "exists"},
};
}  // namespace

std::string_view ChangeKindName(ChangeKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<ChangeKind> ParseChangeKind(std::string_view name) {
  for (const auto& [k, known] : kNames) {
    if (known == name) return k;
  }
  return std::nullopt;
}

Result<std::vector<ChangeKind>> ParseChangeKinds(std::string_view list) {
  std::vector<ChangeKind> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view name =
        list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    auto kind = ParseChangeKind(name);
    if (!kind) {
      return Error::InvalidArgument("unknown event \"" + std::string(name) +
                                    "\": use created, updated, deleted or exists, comma-separated");
    }
    out.push_back(*kind);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

nlohmann::json ToJson(const WatchEvent& event) {
  nlohmann::json j = {
      {"event", ChangeKindName(event.kind)},
      {"uri", event.uri},
      {"bucket", event.bucket},
      {"key", event.key},
      {"etag", event.object.etag},
      {"size", event.object.size},
      {"last_modified", FormatIso8601(event.object.last_modified)},
  };
  if (!event.object.version_id.empty()) j["version_id"] = event.object.version_id;
  j["source"] = event.source;
  j["detected_at"] = FormatIso8601(event.detected_at);
  if (event.sqs) j["sqs"] = ToJson(*event.sqs);
  return j;
}

std::vector<Change> DiffSnapshots(const Snapshot& before, const Snapshot& after) {
  std::vector<Change> changes;
  auto b = before.begin();
  auto a = after.begin();
  // A merge of two sorted maps: linear, which matters for prefixes of many thousand keys.
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      changes.push_back({ChangeKind::kDeleted, b->first, b->second});
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      changes.push_back({ChangeKind::kCreated, a->first, a->second});
      ++a;
    } else {
      if (!(a->second == b->second)) changes.push_back({ChangeKind::kUpdated, a->first, a->second});
      ++a;
      ++b;
    }
  }
  return changes;
}

}  // namespace sluice
