// Hashing, HMAC, hex and base64: the only place that includes OpenSSL's libcrypto (TLS for
// MQTT is mqtt/mqtt_transport.cc's; HTTPS is libcurl's).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
Sha256Digest HmacSha256(std::string_view key, std::string_view data);
std::string HexEncode(const uint8_t* data, size_t size);
inline std::string HexEncode(const Sha256Digest& d) { return HexEncode(d.data(), d.size()); }
std::string Sha256Hex(std::string_view data);

std::string Base64Encode(std::string_view data);
// Returns false on invalid input.
bool Base64Decode(std::string_view text, std::string* out);

// Incremental SHA-256 for streamed bodies (blob digests, payload hashes of files).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  Sha256Digest Finish();

 private:
  void* ctx_;  // EVP_MD_CTX, kept opaque so OpenSSL's headers stay in crypto.cc
};

// Fills `n` bytes from the OS's cryptographic random source.
void RandomBytes(uint8_t* out, size_t n);

}  // namespace sluice
