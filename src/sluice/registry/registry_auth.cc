#include "sluice/registry/registry_auth.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "sluice/os/file_read.h"
#include "sluice/os/subprocess.h"
#include "sluice/util/crypto.h"
#include "sluice/util/uri.h"

namespace sluice {
namespace {

// ---- WWW-Authenticate (RFC 7235 section 4.1, RFC 9110 section 11.6.1) ----

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

// token68 adds '/' to the token characters (and ends in '='s, handled by the caller).
bool IsWordChar(char c) { return IsTokenChar(c) || c == '/'; }

class HeaderReader {
 public:
  explicit HeaderReader(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  size_t pos() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos; }
  void Advance() { ++pos_; }

  void SkipSpace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  std::string_view Word() {
    size_t start = pos_;
    while (!AtEnd() && IsWordChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // A quoted-string after its opening quote; an unterminated one runs to the end.
  std::string Quoted() {
    std::string out;
    while (!AtEnd() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (!AtEnd()) ++pos_;  // the closing quote
    return out;
  }
  // An unquoted value. Stricter parsers stop at the first non-token character, but some servers
  // send realm=https://host/path unquoted: read to the next comma or space instead.
  std::string_view Bare() {
    size_t start = pos_;
    while (!AtEnd() && text_[pos_] != ',' && text_[pos_] != ' ' && text_[pos_] != '\t') ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // Skips whatever is left of a malformed element, up to the next comma.
  void SkipElement() {
    while (!AtEnd() && text_[pos_] != ',') {
      if (text_[pos_++] == '"') Quoted();
    }
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// ---- docker's config.json ----

constexpr std::string_view kDockerHubServer = "https://index.docker.io/v1/";

bool IsDockerHub(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

// What docker's ConvertToHostname does to an "auths" key: "https://host/v1/" -> "host".
std::string_view KeyHost(std::string_view key) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (key.substr(0, scheme.size()) == scheme) {
      key.remove_prefix(scheme.size());
      break;
    }
  }
  return key.substr(0, key.find('/'));
}

bool KeyNamesHost(std::string_view key, std::string_view host) {
  std::string_view key_host = KeyHost(key);
  return key_host == host || (IsDockerHub(host) && IsDockerHub(key_host));
}

std::string ConfigPath(const Environment& env) {
  if (auto dir = env.GetNonEmpty("DOCKER_CONFIG")) return *dir + "/config.json";
  return env.HomeDirectory() + "/.docker/config.json";
}

// The helper's absolute path, looked up on env's PATH (not the process's, so tests and callers
// with an Environment of their own decide), or "" when none is executable.
std::string FindOnPath(const Environment& env, const std::string& program) {
  std::string path = env.Get("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}


// docker-credential-helpers' protocol: https://github.com/docker/docker-credential-helpers
Result<std::optional<RegistryCredentials>> RunCredentialHelper(const Environment& env,
                                                               const std::string& name,
                                                               const std::string& server_url,
                                                               const std::string& origin) {
  std::string program = "docker-credential-" + name;
  std::string what = program + " (" + origin + ")";
  if (name.empty() || name.find('/') != std::string::npos) {
    return Error::Config(origin + " names an invalid credential helper \"" + name + "\"");
  }
  std::string path = FindOnPath(env, program);
  if (path.empty()) {
    return Error::Credentials(what + " is not on PATH: install it or remove it from the file");
  }
  // The helper reads the server URL on stdin, and RunAndCapture gives children /dev/null: a
  // shell pipes it in. The URL and the path are arguments, never parsed as shell text.
  // A helper may ask a keychain or call a cloud API, so it gets time, but not for ever.
  auto run = RunAndCapture({"/bin/sh", "-c", "printf '%s' \"$1\" | \"$0\" get", path, server_url},
                           {.timeout = std::chrono::seconds(60)});
  if (!run.ok()) return Error::Credentials(what + " failed: " + run.error().message);
  if (run->exit_code != 0) {
    // "credentials not found in native keychain" on stdout, as the helpers' library prints it.
    if (run->out.find("credentials not found") != std::string::npos ||
        run->err.find("credentials not found") != std::string::npos) {
      return std::optional<RegistryCredentials>();
    }
    std::string reason = LastOutputLine(run->err.empty() ? run->out : run->err);
    return Error::Credentials(what + " exited with status " + std::to_string(run->exit_code) +
                              (reason.empty() ? "" : ": " + reason));
  }
  auto answer = nlohmann::json::parse(run->out, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) {
    return Error::Credentials(what + " printed something that is not a JSON object");
  }
  auto text = [&](const char* key) {
    auto it = answer.find(key);
    return it != answer.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  RegistryCredentials credentials;
  std::string username = text("Username");
  // docker's convention for identity tokens kept in a helper.
  if (username == "<token>") {
    credentials.identity_token = text("Secret");
  } else {
    credentials.username = std::move(username);
    credentials.password = text("Secret");
  }
  if (credentials.username.empty() && credentials.password.empty() &&
      credentials.identity_token.empty()) {
    return std::optional<RegistryCredentials>();
  }
  return std::optional<RegistryCredentials>(std::move(credentials));
}

// One "auths" entry. Docker Desktop leaves empty {} entries behind for hosts whose secrets are in
// its helper: those mean nothing configured.
Result<std::optional<RegistryCredentials>> ParseAuthEntry(const nlohmann::json& entry,
                                                          const std::string& origin) {
  if (!entry.is_object()) return Error::Config(origin + " is not a JSON object");
  auto text = [&](const char* key) {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  RegistryCredentials credentials;
  if (std::string auth = text("auth"); !auth.empty()) {
    std::string decoded;
    size_t colon = std::string::npos;
    if (Base64Decode(auth, &decoded)) colon = decoded.find(':');
    if (colon == std::string::npos) {
      return Error::Config(origin + " has an \"auth\" that is not base64 of USER:PASSWORD");
    }
    credentials.username = decoded.substr(0, colon);
    credentials.password = decoded.substr(colon + 1);
  } else {
    credentials.username = text("username");
    credentials.password = text("password");
  }
  credentials.identity_token = text("identitytoken");
  if (credentials.username.empty() && credentials.password.empty() &&
      credentials.identity_token.empty()) {
    return std::optional<RegistryCredentials>();
  }
  return std::optional<RegistryCredentials>(std::move(credentials));
}

// ---- token server ----

// The realm as it may be printed: scheme, host and path, without a query that might carry more
// than a name.
std::string PrintableRealm(std::string_view realm) {
  ParsedUrl url;
  if (!ParseUrl(realm, &url)) return "the token realm";
  return url.Endpoint() + url.path;
}

std::vector<std::string> SplitScopes(std::string_view scope) {
  std::vector<std::string> scopes;
  size_t start = 0;
  while (start < scope.size()) {
    size_t end = scope.find(' ', start);
    if (end == std::string_view::npos) end = scope.size();
    if (end > start) scopes.emplace_back(scope.substr(start, end - start));
    start = end + 1;
  }
  return scopes;
}

std::string Param(const AuthChallenge& challenge, const std::string& name) {
  auto it = challenge.params.find(name);
  return it == challenge.params.end() ? std::string() : it->second;
}

// The reason in a token server's error body, whichever convention it follows: the distribution
// registry's {"errors":[{"code","message"}]}, OAuth2's {"error","error_description"}, Docker
// Hub's {"details"}. `code` gets a machine-readable code when there is one.
std::string ErrorReason(const std::string& body, std::string* code) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return "";
  auto text = [](const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string reason;
  if (auto errors = json.find("errors"); errors != json.end() && errors->is_array()) {
    for (const auto& e : *errors) {
      if (!e.is_object()) continue;
      if (code->empty()) *code = text(e, "code");
      std::string message = text(e, "message");
      if (!message.empty()) reason += (reason.empty() ? "" : "; ") + message;
    }
  }
  if (std::string error = text(json, "error"); !error.empty()) {
    if (code->empty()) *code = error;
    if (reason.empty()) reason = text(json, "error_description");
  }
  if (reason.empty()) reason = text(json, "details");
  if (reason.empty()) reason = text(json, "message");
  if (reason.size() > 300) reason = reason.substr(0, 300) + "...";
  return reason;
}

}  // namespace

std::vector<AuthChallenge> ParseWwwAuthenticate(std::string_view header) {
  std::vector<AuthChallenge> challenges;
  HeaderReader in(header);
  while (true) {
    while (in.Peek() == ' ' || in.Peek() == '\t' || in.Peek() == ',') in.Advance();
    if (in.AtEnd()) break;
    std::string_view scheme = in.Word();
    if (scheme.empty()) {  // not a challenge: skip to the next element
      in.Advance();
      in.SkipElement();
      continue;
    }
    AuthChallenge challenge{Lower(scheme), {}};
    // Until the first comma, a bare word after the scheme is a token68 credential; after one,
    // it starts the next challenge.
    bool after_comma = false;
    while (true) {
      in.SkipSpace();
      if (in.AtEnd()) break;
      if (in.Peek() == ',') {
        in.Advance();
        after_comma = true;
        continue;
      }
      size_t start = in.pos();
      std::string_view name = in.Word();
      in.SkipSpace();
      bool is_param = false;
      if (!name.empty() && in.Peek() == '=') {
        size_t equals = in.pos();
        in.Advance();
        in.SkipSpace();
        // "name=" followed by '=', ',' or the end is a token68 with padding, not a parameter.
        is_param = !in.AtEnd() && in.Peek() != '=' && in.Peek() != ',';
        if (!is_param) in.Seek(equals);
      }
      if (is_param) {
        std::string value;
        if (in.Peek() == '"') {
          in.Advance();
          value = in.Quoted();
        } else {
          value = in.Bare();
        }
        challenge.params.emplace(Lower(name), std::move(value));  // the first of a name wins
      } else if (!name.empty() && after_comma) {
        in.Seek(start);  // the next challenge's scheme
        break;
      } else {
        if (name.empty()) in.Advance();
        in.SkipElement();  // a token68 (or garbage): ignored
      }
    }
    challenges.push_back(std::move(challenge));
  }
  return challenges;
}

const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges,
                                   std::string_view scheme) {
  for (const AuthChallenge& c : challenges) {
    if (c.scheme == scheme) return &c;
  }
  return nullptr;
}

Result<std::optional<RegistryCredentials>> DockerConfigCredentials(const Environment& env,
                                                                   std::string_view host) {
  std::string path = ConfigPath(env);
  int error_number = 0;
  auto text = ReadWholeFile(path, &error_number);
  if (!text) {
    if (error_number == ENOENT || error_number == ENOTDIR) {
      return std::optional<RegistryCredentials>();
    }
    return Error::Io("cannot read " + path + ": " + std::strerror(error_number));
  }
  auto config = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) return Error::Config(path + " is not a JSON object");

  // Docker asks helpers and keys "auths" with Docker Hub's legacy server URL, other registries
  // with their host.
  std::string server = IsDockerHub(host) ? std::string(kDockerHubServer) : std::string(host);

  if (auto helpers = config.find("credHelpers"); helpers != config.end() && helpers->is_object()) {
    for (const auto& [key, name] : helpers->items()) {
      if (name.is_string() && (key == server || KeyNamesHost(key, host))) {
        return RunCredentialHelper(env, name.get<std::string>(), server,
                                   "credHelpers[\"" + key + "\"] in " + path);
      }
    }
  }
  if (auto store = config.find("credsStore");
      store != config.end() && store->is_string() && !store->get<std::string>().empty()) {
    // As in docker: with a store, the secrets are there, whatever "auths" holds.
    return RunCredentialHelper(env, store->get<std::string>(), server, "credsStore in " + path);
  }

  auto auths = config.find("auths");
  if (auths == config.end()) return std::optional<RegistryCredentials>();
  if (!auths->is_object()) return Error::Config("\"auths\" in " + path + " is not a JSON object");
  // An exact key first, then any URL that names the host.
  if (auto exact = auths->find(server); exact != auths->end()) {
    return ParseAuthEntry(*exact, "auths[\"" + server + "\"] in " + path);
  }
  for (const auto& [key, entry] : auths->items()) {
    if (KeyNamesHost(key, host)) return ParseAuthEntry(entry, "auths[\"" + key + "\"] in " + path);
  }
  return std::optional<RegistryCredentials>();
}

HttpRequest BuildTokenRequest(const AuthChallenge& challenge, std::string_view scope,
                              const std::optional<RegistryCredentials>& credentials) {
  std::string realm = Param(challenge, "realm");
  std::string service = Param(challenge, "service");
  std::vector<std::string> scopes = SplitScopes(scope);
  ParsedUrl url;
  ParseUrl(realm, &url);  // FetchBearerToken has checked it; an empty endpoint fails to send

  HttpRequest request;
  request.endpoint = url.Endpoint();
  request.path = url.path;
  request.headers.push_back({"host", url.HostHeader()});
  std::vector<std::pair<std::string, std::string>> params;
  if (credentials && !credentials->identity_token.empty()) {
    request.method = "POST";
    request.query = url.query;
    params.emplace_back("grant_type", "refresh_token");
    params.emplace_back("refresh_token", credentials->identity_token);
    if (!service.empty()) params.emplace_back("service", service);
    // The spec requires a client_id; it only identifies the client in the server's logs.
    params.emplace_back("client_id", "sluice");
    if (!scope.empty()) params.emplace_back("scope", std::string(scope));
    request.headers.push_back({"content-type", "application/x-www-form-urlencoded"});
    request.body = BuildQuery(params);
    return request;
  }
  bool basic = credentials && (!credentials->username.empty() || !credentials->password.empty());
  if (!service.empty()) params.emplace_back("service", service);
  for (const std::string& s : scopes) params.emplace_back("scope", s);
  // As docker sends it: Docker Hub uses the account to pick the user's token.
  if (basic && !credentials->username.empty()) params.emplace_back("account", credentials->username);
  std::string query = BuildQuery(params);
  request.query = url.query.empty() ? query : query.empty() ? url.query : url.query + "&" + query;
  if (basic) request.headers.push_back({"authorization", BasicAuthorization(*credentials)});
  return request;
}

Result<BearerToken> ParseTokenResponse(const HttpResponse& response, std::string_view realm) {
  std::string where = realm.empty() ? "the token server" : PrintableRealm(realm);
  if (response.status < 200 || response.status > 299) {
    Error e;
    e.kind = response.status == 401 || response.status == 403 ? ErrorKind::kCredentials
                                                               : ErrorKind::kService;
    e.service = "registry";
    e.operation = "token";
    e.http_status = response.status;
    std::string reason = ErrorReason(response.body, &e.code);
    e.message = where + " refused the token request" + (reason.empty() ? "" : ": " + reason);
    if (e.kind == ErrorKind::kCredentials) e.message += " (check the registry credentials)";
    e.retryable = response.status == 429 || response.status >= 500;
    return e;
  }
  // The body is a secret: errors below say what is wrong with it, never what it holds.
  auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Error::Parse(where + " answered with something that is not JSON");
  BearerToken token;
  for (const char* key : {"token", "access_token"}) {
    auto it = json.find(key);
    if (it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      token.token = it->get<std::string>();
      break;
    }
  }
  if (token.token.empty()) return Error::Parse(where + " answered without a token");
  if (auto expires = json.find("expires_in"); expires != json.end() && expires->is_number()) {
    // Docker treats anything shorter than the spec's default as the default.
    double seconds = expires->get<double>();
    if (seconds > 60) token.expires_in = std::chrono::seconds(static_cast<int64_t>(seconds));
  }
  return token;
}

Result<BearerToken> FetchBearerToken(HttpClient& http, const AuthChallenge& challenge,
                                     std::string_view scope,
                                     const std::optional<RegistryCredentials>& credentials) {
  if (challenge.scheme != "bearer") {
    return Error::InvalidArgument("a token is fetched for a Bearer challenge, not " +
                                  (challenge.scheme.empty() ? "none" : challenge.scheme));
  }
  std::string realm = Param(challenge, "realm");
  ParsedUrl url;
  if (!ParseUrl(realm, &url)) {
    return Error::InvalidArgument("the registry's Bearer challenge has no http(s) realm" +
                                  (realm.empty() ? std::string() : ": \"" + realm + "\""));
  }
  auto response = http.Send(BuildTokenRequest(challenge, scope, credentials));
  if (!response.ok()) {
    Error e = response.error();
    e.message = "token request to " + PrintableRealm(realm) + ": " + e.message;
    return e;
  }
  return ParseTokenResponse(*response, realm);
}

std::string BasicAuthorization(const RegistryCredentials& credentials) {
  return "Basic " + Base64Encode(credentials.username + ":" + credentials.password);
}

}  // namespace sluice
