#include "sluice/deploy/task_definition_edit.h"

#include <algorithm>
#include <sstream>

namespace sluice {
namespace {

using nlohmann::json;

json* FindContainer(json& registration, const std::string& name, std::string* listed) {
  auto it = registration.find("containerDefinitions");
  if (it == registration.end() || !it->is_array()) return nullptr;
  for (json& c : *it) {
    if (!c.is_object()) continue;
    std::string n = c.value("name", "");
    if (n == name) return &c;
    *listed += (listed->empty() ? "" : ", ") + n;
  }
  return nullptr;
}

Error NoContainer(const std::string& name, const std::string& listed) {
  return Error::InvalidArgument("the task definition has no container named " + name +
                                " (it has " + listed + ")");
}

std::vector<std::string> Lines(const json& j) {
  std::vector<std::string> lines;
  std::stringstream in(j.dump(2));
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

json RegistrationFrom(const json& task_definition, const json& tags) {
  json registration = task_definition;
  for (std::string_view field : kReadOnlyTaskDefinitionFields) registration.erase(std::string(field));
  if (tags.is_array() && !tags.empty()) registration["tags"] = tags;
  return registration;
}

Status SetContainerImage(json& registration, const std::string& container,
                         const std::string& image) {
  std::string listed;
  json* c = FindContainer(registration, container, &listed);
  if (c == nullptr) return NoContainer(container, listed);
  (*c)["image"] = image;
  return Status::Ok();
}

Status SetContainerEnvironment(json& registration, const std::string& container,
                               const std::vector<std::pair<std::string, std::string>>& env) {
  std::string listed;
  json* c = FindContainer(registration, container, &listed);
  if (c == nullptr) return NoContainer(container, listed);
  json& environment = (*c)["environment"];
  if (!environment.is_array()) environment = json::array();
  for (const auto& [name, value] : env) {
    auto same = std::find_if(environment.begin(), environment.end(), [&](const json& e) {
      return e.is_object() && e.value("name", "") == name;
    });
    if (same != environment.end()) {
      (*same)["value"] = value;
    } else {
      environment.push_back({{"name", name}, {"value", value}});
    }
  }
  return Status::Ok();
}

Result<std::string> ExpandVariables(
    std::string_view text, const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      continue;
    }
    size_t end = text.find('}', i + 2);
    if (end == std::string_view::npos) return Error::InvalidArgument("\"${\" without \"}\"");
    std::string name(text.substr(i + 2, end - i - 2));
    auto value = lookup(name);
    if (!value) {
      return Error::InvalidArgument("${" + name +
                                    "} is not set in the environment (use $$ for a literal $)");
    }
    out += *value;
    i = end;
  }
  return out;
}

namespace {

Status ExpandAt(json& value, const std::string& path,
                const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  if (value.is_string()) {
    auto expanded = ExpandVariables(value.get<std::string>(), lookup);
    if (!expanded.ok()) return Error::InvalidArgument(path + ": " + expanded.error().message);
    value = *expanded;
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      Status s = ExpandAt(value[i], path + "[" + std::to_string(i) + "]", lookup);
      if (!s.ok()) return s;
    }
  } else if (value.is_object()) {
    for (auto& [key, member] : value.items()) {
      Status s = ExpandAt(member, path.empty() ? key : path + "." + key, lookup);
      if (!s.ok()) return s;
    }
  }
  return Status::Ok();
}

json Pruned(const json& value, bool is_container) {
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value) out.push_back(Pruned(item, false));
    return out;
  }
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [key, member] : value.items()) {
    json pruned;
    if (key == "containerDefinitions" && member.is_array()) {
      pruned = json::array();
      for (const json& c : member) pruned.push_back(Pruned(c, true));
    } else {
      pruned = Pruned(member, false);
    }
    if (pruned.is_null() || ((pruned.is_array() || pruned.is_object()) && pruned.empty())) continue;
    if (is_container && ((key == "cpu" && pruned == 0) || (key == "essential" && pruned == true))) {
      continue;
    }
    out[key] = pruned;
  }
  return out;
}

}  // namespace

Status ExpandVariablesInJson(
    json& document, const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  return ExpandAt(document, "", lookup);
}

json WithoutDefaults(const json& document) { return Pruned(document, false); }

std::string DiffJson(const json& before, const json& after, int context) {
  if (before == after) return "";
  std::vector<std::string> a = Lines(before), b = Lines(after);
  // Longest common subsequence by dynamic programming: task definitions are a few hundred lines.
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Op {
    char kind;  // ' ', '-', '+'
    std::string text;
  };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', a[i++]});
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      ops.push_back({'+', b[j++]});
    } else {
      ops.push_back({'-', a[i++]});
    }
  }
  // Keep changes and `context` unchanged lines around them; "..." marks what was left out.
  std::vector<bool> keep(ops.size(), false);
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].kind == ' ') continue;
    size_t from = k >= static_cast<size_t>(context) ? k - context : 0;
    size_t to = std::min(ops.size(), k + context + 1);
    for (size_t x = from; x < to; ++x) keep[x] = true;
  }
  std::string out;
  bool skipped = false;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (!keep[k]) {
      skipped = true;
      continue;
    }
    if (skipped) out += "  ...\n";
    skipped = false;
    out += ops[k].kind;
    out += ' ';
    out += ops[k].text;
    out += '\n';
  }
  if (skipped) out += "  ...\n";
  return out;
}

}  // namespace sluice
