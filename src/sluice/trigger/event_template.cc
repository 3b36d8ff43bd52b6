#include "sluice/trigger/event_template.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace sluice {
namespace {

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

bool IsKnown(std::string_view name) {
  return std::find(std::begin(kPlaceholderNames), std::end(kPlaceholderNames), name) !=
         std::end(kPlaceholderNames);
}

std::string KnownList() {
  std::string list;
  for (std::string_view name : kPlaceholderNames) {
    if (!list.empty()) list += ' ';
    list += '{';
    list += name;
    list += '}';
  }
  return list;
}

}  // namespace

Result<EventTemplate> EventTemplate::Parse(std::string_view text) {
  EventTemplate t;
  t.text_ = std::string(text);
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      literal += c;  // "{{" or "}}"
      ++i;
      continue;
    }
    if (c == '{') {
      size_t end = i + 1;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      if (end > i + 1 && end < text.size() && text[end] == '}') {
        std::string_view name = text.substr(i + 1, end - i - 1);
        if (!IsKnown(name)) {
          return Error::InvalidArgument("unknown placeholder {" + std::string(name) + "} in \"" +
                                        std::string(text) + "\": use " + KnownList() +
                                        ", or {{ }} for literal braces");
        }
        if (!literal.empty()) t.pieces_.push_back({false, std::move(literal)});
        literal.clear();
        t.pieces_.push_back({true, std::string(name)});
        i = end;
        continue;
      }
    }
    literal += c;
  }
  if (!literal.empty()) t.pieces_.push_back({false, std::move(literal)});
  return t;
}

bool EventTemplate::has_placeholders() const {
  return std::any_of(pieces_.begin(), pieces_.end(), [](const Piece& p) { return p.placeholder; });
}

Result<std::string> EventTemplate::Expand(const TriggerEvent& event, int attempt) const {
  return Expand(event, attempt, /*json_string=*/false);
}

Result<std::string> EventTemplate::ExpandInJson(const TriggerEvent& event, int attempt) const {
  return Expand(event, attempt, /*json_string=*/true);
}

Result<std::string> EventTemplate::Expand(const TriggerEvent& event, int attempt,
                                          bool json_string) const {
  // In a JSON document each value goes inside a string literal: escaped, without its quotes.
  auto insert = [json_string](std::string& out, const std::string& value) {
    if (!json_string) {
      out += value;
      return;
    }
    std::string quoted = nlohmann::json(value).dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace);
    out.append(quoted, 1, quoted.size() - 2);
  };
  std::string out;
  for (const Piece& piece : pieces_) {
    if (!piece.placeholder) {
      out += piece.text;
      continue;
    }
    const std::string& name = piece.text;
    if (name == "attempt") {
      insert(out, std::to_string(attempt));
      continue;
    }
    bool derived = name == "basename" || name == "dirname";
    auto value = event.Field(derived ? "key" : name);
    if (!value) {
      if (name == "version_id") continue;
      return Error::InvalidArgument("the event has no \"" + std::string(derived ? "key" : name) +
                                    "\" field, which \"" + text_ + "\" needs");
    }
    if (derived) {
      size_t slash = value->rfind('/');
      if (name == "basename") {
        insert(out, slash == std::string::npos ? *value : value->substr(slash + 1));
      } else if (slash != std::string::npos) {
        insert(out, value->substr(0, slash));
      }
      continue;
    }
    insert(out, *value);
  }
  return out;
}

}  // namespace sluice
