#include "sluice/event/sqs_message_ref.h"

namespace sluice {

nlohmann::json ToJson(const SqsMessageRef& ref) {
  return {{"queue_url", ref.queue_url},         {"message_id", ref.message_id},
          {"receipt_handle", ref.receipt_handle}, {"receive_count", ref.receive_count},
          {"events", ref.events},               {"index", ref.index}};
}

std::optional<SqsMessageRef> FindSqsMessageRef(const nlohmann::json& event_fields) {
  if (!event_fields.is_object()) return std::nullopt;
  auto sqs = event_fields.find("sqs");
  if (sqs == event_fields.end() || !sqs->is_object()) return std::nullopt;
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = sqs->find(name);
    if (it == sqs->end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  auto number = [&](const char* name, int fallback) -> std::optional<int> {
    auto it = sqs->find(name);
    if (it == sqs->end()) return fallback;
    if (!it->is_number_integer()) return std::nullopt;
    int64_t v = it->get<int64_t>();
    if (v < 0 || v > 1000000) return std::nullopt;
    return static_cast<int>(v);
  };
  auto url = text("queue_url"), id = text("message_id"), handle = text("receipt_handle");
  auto count = number("receive_count", 0), events = number("events", 1), index = number("index", 0);
  if (!url || !id || !handle || !count || !events || !index) return std::nullopt;
  if (*events < 1 || *index >= *events) return std::nullopt;
  return SqsMessageRef{*url, *id, *handle, *count, *events, *index};
}

}  // namespace sluice
