// Authenticating to an OCI registry as docker does: the challenges a registry answers 401 with
// (WWW-Authenticate, RFC 7235), the credentials a user configured for docker (config.json, inline
// or through a docker-credential-* helper), and the token-server exchange of the distribution
// token-auth spec (https://distribution.github.io/distribution/spec/auth/token/ and its OAuth2
// variant, .../auth/oauth/). Building the token request and reading its answer are pure; only
// DockerConfigCredentials (a file and maybe a helper program) and FetchBearerToken do I/O.
// No state: safe to call from several threads at once.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/net/http.h"
#include "sluice/util/environment.h"
#include "sluice/util/result.h"

namespace sluice {

struct RegistryCredentials {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token (docker login via a browser / helper)
};

struct AuthChallenge {
  std::string scheme;                         // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case names: realm, service, scope, error
};

// Parses a WWW-Authenticate header value: several challenges, quoted strings with backslash
// escapes and commas inside, unquoted values, and token68 credentials (ignored). Malformed
// parts are skipped rather than failing: a registry's odd header should not stop a push.
std::vector<AuthChallenge> ParseWwwAuthenticate(std::string_view header);
// The first challenge with this (lower-case) scheme, or null.
const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges,
                                   std::string_view scheme);

// The credentials docker would use for `host` ("ghcr.io", "127.0.0.1:5000", "docker.io"), from
// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json:
//   - "credHelpers"[host], else "credsStore": `docker-credential-NAME get` (found on the PATH of
//     `env`) reads the server URL on stdin and prints {"Username", "Secret"}; a Username of
//     "<token>" makes the Secret an identity token; "credentials not found" means none;
//   - otherwise "auths", keyed by the host or by a URL naming it (Docker Hub's key is
//     "https://index.docker.io/v1/"): "auth" (base64 of user:password), or "username" and
//     "password", and "identitytoken".
// nullopt when nothing is configured for the host (no file, no entry, an empty entry). An Error
// names the file or the helper (never a secret): unreadable or invalid file, helper missing,
// failing or printing something that is not JSON.
Result<std::optional<RegistryCredentials>> DockerConfigCredentials(const Environment& env,
                                                                   std::string_view host);

// The token request for a Bearer challenge, to its realm (an http(s) URL; FetchBearerToken checks
// it). `scope` is the caller's, e.g. "repository:team/app:pull,push"; several scopes are separated
// by spaces (a cross-repository mount needs two). Without an identity token: GET
// realm?service=..&scope=.., with Basic auth when the credentials have a username or password.
// With one: POST of the form grant_type=refresh_token (the OAuth2 flow docker uses).
HttpRequest BuildTokenRequest(const AuthChallenge& challenge, std::string_view scope,
                              const std::optional<RegistryCredentials>& credentials);

struct BearerToken {
  std::string token;
  std::chrono::seconds expires_in{60};  // the spec's default, and the least docker accepts
};

// The token server's answer: JSON with "token" or "access_token" and an optional "expires_in".
// A non-2xx status is an Error naming `realm` (printed without its query) and the status, with
// the server's own reason; kind kCredentials for 401/403, retryable for 429 and 5xx. No error
// quotes a token.
Result<BearerToken> ParseTokenResponse(const HttpResponse& response, std::string_view realm = "");

// BuildTokenRequest, sent with `http`, then ParseTokenResponse. An Error::InvalidArgument when
// the challenge is not Bearer or has no http(s) realm.
Result<BearerToken> FetchBearerToken(HttpClient& http, const AuthChallenge& challenge,
                                     std::string_view scope,
                                     const std::optional<RegistryCredentials>& credentials);

// "Basic " + base64(username:password), for the Authorization header.
std::string BasicAuthorization(const RegistryCredentials& credentials);

}  // namespace sluice
