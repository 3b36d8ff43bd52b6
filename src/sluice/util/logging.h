// Human-readable output on stderr: progress, warnings and the --verbose trace. Machine-readable
// output (JSON Lines) goes to stdout and never through here. Trace lines pass through redaction
// first so that secrets never reach a terminal or a CI log; HTTP requests and responses are
// traced by sluice/net/http_trace.h with the redaction here.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

void SetVerbose(bool verbose);
bool Verbose();

// Writes one line to stderr ("sluice: " is not prepended; callers name their tool). Thread-safe:
// lines from several threads never interleave.
void LogLine(std::string_view line);
// Writes when --verbose is on.
void TraceLine(std::string_view line);

// Redaction (pure): the value of a header that carries a secret (Authorization,
// X-Amz-Security-Token, registry tokens, cookies) becomes "<redacted>"; so do the values of
// secret-bearing fields in JSON, XML and form bodies (SecretAccessKey, SessionToken, Token,
// password, ...) and X-Amz-Signature / X-Amz-Security-Token / X-Amz-Credential in query strings.
std::string RedactHeaderValue(std::string_view name, std::string_view value);
std::string RedactText(std::string_view text);

}  // namespace sluice
