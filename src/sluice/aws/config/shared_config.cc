// The shared config files are read the way botocore reads them (configloader.py over Python's
// configparser.RawConfigParser), so that sluice sees exactly the profiles and values `aws` sees:
//
// - A section header is "[" ... "]" on its own line; the name inside is trimmed. In the config
//   file, [default] and [profile NAME] are profiles (NAME split like a shell word, so
//   [profile "a b"] is "a b"); [services NAME] sections hold per-service settings (see
//   FindServices); any other section ([sso-session X], [preview], a bare [NAME]) is neither.
//   When the file has both [default] and [profile default], [profile default] wins wherever
//   it stands and [default] is ignored, as the SDKs' shared parser tests define (botocore
//   lets the later one win: the SDKs' rule is the documented one). In the credentials file
//   every [NAME] is a profile.
// - "key = value", "key=value" and "key: value": the first "=" or ":" splits; keys are
//   lower-cased, keys and values trimmed.
// - "#" and ";" start a comment only as the first non-blank character of a line. RawConfigParser
//   has no inline comments, so "region = us-east-1 # prod" keeps the "# prod" in the value.
// - A line indented deeper than the option above it continues that option's value (blank lines
//   inside are kept). An option whose own value is empty ("s3 =") followed by indented
//   "key = value" lines is a sub-section, stored as "s3.key".
//
// Where configparser rejects the whole file (a line before any section, a line without "=" or
// ":", a repeated section or key), botocore fails with ConfigParseError; the SDKs in other
// languages skip such lines, and so do we: a repeated section is merged, a repeated key wins.
#include "sluice/aws/config/shared_config.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "sluice/os/file_read.h"

namespace sluice {
namespace {

// Python's str.strip() set, minus the Unicode spaces no AWS config file contains.
constexpr std::string_view kWhitespace = " \t\r\n\v\f";

std::string_view Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(kWhitespace);
  return s.substr(begin, end - begin + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A section as configparser holds it: each option's value still as its lines, so that
// continuation and sub-section handling happen once the whole option has been seen.
struct RawSection {
  std::string header;
  std::map<std::string, std::vector<std::string>, std::less<>> options;
};

std::vector<RawSection> SplitSections(std::string_view text) {
  std::vector<RawSection> sections;
  RawSection* section = nullptr;
  std::vector<std::string>* option = nullptr;  // the option whose value a continuation extends
  size_t indent_level = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);

    std::string_view content = Trim(line);
    if (content.empty() || content.front() == '#' || content.front() == ';') {
      // A blank line does not end a value (configparser's empty_lines_in_values), so a
      // sub-section may contain blank lines; a comment line adds nothing at all.
      if (content.empty() && option != nullptr) option->emplace_back();
      continue;
    }
    size_t indent = line.find_first_not_of(kWhitespace);
    if (option != nullptr && indent > indent_level) {
      option->emplace_back(content);
      continue;
    }
    indent_level = indent;
    option = nullptr;

    // configparser's header pattern is \[(.+)\] matched at the start: it runs to the last "]"
    // and ignores whatever follows it. The name inside is not trimmed.
    if (content.front() == '[') {
      size_t close = content.rfind(']');
      if (close != std::string_view::npos && close >= 2) {
        std::string_view header = content.substr(1, close - 1);
        section = nullptr;
        for (RawSection& s : sections) {
          if (s.header == header) section = &s;
        }
        if (section == nullptr)
          section = &sections.emplace_back(RawSection{std::string(header), {}});
        continue;
      }
    }
    if (section == nullptr) continue;  // an option before any section header
    size_t delimiter = content.find_first_of("=:");
    if (delimiter == std::string_view::npos) continue;
    std::string_view key = Trim(content.substr(0, delimiter));
    if (key.empty()) continue;
    std::vector<std::string>& lines = section->options[Lower(key)];
    lines.assign(1, std::string(Trim(content.substr(delimiter + 1))));
    option = &lines;
  }
  return sections;
}

// Turns one section's options into the flat key -> value map a Profile holds.
std::map<std::string, std::string, std::less<>> FlattenValues(const RawSection& section) {
  std::map<std::string, std::string, std::less<>> values;
  for (const auto& [key, lines] : section.options) {
    size_t last = lines.size();
    while (last > 1 && lines[last - 1].empty()) --last;  // configparser drops trailing blanks
    if (lines.front().empty() && last > 1) {
      // botocore's _parse_nested: one level only, each line split at its first "=".
      for (size_t i = 1; i < last; ++i) {
        size_t equals = lines[i].find('=');
        if (equals == std::string::npos) continue;
        std::string_view sub_key = Trim(std::string_view(lines[i]).substr(0, equals));
        if (sub_key.empty()) continue;
        values[key + "." + Lower(sub_key)] =
            std::string(Trim(std::string_view(lines[i]).substr(equals + 1)));
      }
      continue;
    }
    std::string value = lines.front();
    for (size_t i = 1; i < last; ++i) value += "\n" + lines[i];
    values[key] = std::move(value);
  }
  return values;
}

// Splits like Python's shlex.split (POSIX mode, no comments), which botocore applies to
// "profile NAME" headers. nullopt for an unterminated quote or escape, which botocore skips.
std::optional<std::vector<std::string>> ShellWords(std::string_view s) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == s.size()) return std::nullopt;
      word += s[i];
    } else if (c == '\'') {
      size_t close = s.find('\'', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      word += s.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == s.size()) return std::nullopt;
        if (s[i] == '"') break;
        // Inside double quotes a backslash escapes only a quote or another backslash.
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) ++i;
        word += s[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// The NAME of a "[KIND NAME]" header ("profile", "services"), or nullopt.
std::optional<std::string> PrefixedName(std::string_view header, std::string_view kind) {
  // botocore checks only the prefix and the word count, so "[profiles x]" is profile "x" for
  // the CLI too; matching that keeps both tools agreeing on which profiles exist.
  if (!header.starts_with(kind)) return std::nullopt;
  auto words = ShellWords(header);
  if (!words || words->size() != 2) return std::nullopt;
  return std::move((*words)[1]);
}

// The profile a config-file section header defines, or nullopt when it is not a profile.
std::optional<std::string> ConfigProfileName(std::string_view header) {
  header = Trim(header);
  if (header == "default") return std::string(header);
  return PrefixedName(header, "profile");
}

void Merge(Profile& into, const std::string& name, const RawSection& section) {
  into.name = name;
  for (auto& [key, value] : FlattenValues(section)) into.values[key] = std::move(value);
}

std::string ExpandHome(std::string path, const Environment& env) {
  if (path == "~" || path.starts_with("~/")) return env.HomeDirectory() + path.substr(1);
  return path;
}

// The file's contents; nullopt when it does not exist (the usual case on a machine that never
// ran `aws configure`), an error when it exists but cannot be read, since silently ignoring it
// would run with credentials or a region the user did not choose.
Result<std::optional<std::string>> ReadIfPresent(const std::string& path,
                                                 std::string_view variable) {
  auto fail = [&](int error) {
    return Error::Config("cannot read " + path + ": " + std::strerror(error) + " (fix it or set " +
                         std::string(variable) + " to another file)");
  };
  int error = 0;
  auto text = ReadWholeFile(path, &error);
  if (!text) {
    if (error == ENOENT || error == ENOTDIR) return std::optional<std::string>();
    return fail(error);
  }
  return text;
}

}  // namespace

const std::string* Profile::Get(std::string_view key) const {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty()) return nullptr;
  return &it->second;
}

Result<SharedConfig> SharedConfig::Load(const Environment& env) {
  std::string config_path =
      ExpandHome(env.GetNonEmpty("AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
  std::string credentials_path = ExpandHome(
      env.GetNonEmpty("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  auto config_text = ReadIfPresent(config_path, "AWS_CONFIG_FILE");
  if (!config_text.ok()) return config_text.error();
  auto credentials_text = ReadIfPresent(credentials_path, "AWS_SHARED_CREDENTIALS_FILE");
  if (!credentials_text.ok()) return credentials_text.error();
  return Parse(config_text->value_or(""), credentials_text->value_or(""));
}

SharedConfig SharedConfig::Parse(std::string_view config_text, std::string_view credentials_text) {
  SharedConfig config;
  std::vector<RawSection> sections = SplitSections(config_text);
  bool prefixed_default = false;
  for (const RawSection& section : sections) {
    auto name = ConfigProfileName(section.header);
    prefixed_default = prefixed_default || (name == "default" && Trim(section.header) != "default");
  }
  for (const RawSection& section : sections) {
    std::string_view header = Trim(section.header);
    if (auto services = PrefixedName(header, "services")) {
      Merge(config.services_[*services], *services, section);
      continue;
    }
    auto name = ConfigProfileName(header);
    if (!name) continue;
    if (header == "default" && prefixed_default) continue;  // [profile default] wins
    Merge(config.profiles_[*name], *name, section);
  }
  // Credentials-file sections, named as written (trimmed), are added as profiles or update
  // the config file's profile of the same name key by key.
  for (const RawSection& section : SplitSections(credentials_text)) {
    std::string name(Trim(section.header));
    Merge(config.profiles_[name], name, section);
  }
  return config;
}

const Profile* SharedConfig::FindServices(std::string_view name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : &it->second;
}

const Profile* SharedConfig::FindProfile(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

std::string SelectedProfileName(const Environment& env, std::string_view flag_value) {
  if (!flag_value.empty()) return std::string(flag_value);
  return env.GetNonEmpty("AWS_PROFILE").value_or("default");
}

bool IsTrueSetting(std::string_view value) {
  if (value.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if ((value[i] | 0x20) != "true"[i]) return false;
  }
  return true;
}

}  // namespace sluice
