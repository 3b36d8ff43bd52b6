// The only file that includes OpenSSL. EVP is used throughout: it picks the CPU's SHA
// extensions (SHA-NI) when there are any, which is most of the signing cost.
#include "sluice/util/crypto.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace sluice {

namespace {

// SHA-256 looked up once: OpenSSL 3 otherwise fetches the algorithm (a locked table lookup) on
// every EVP_Digest/HMAC call, which costs more than hashing a canonical request.
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// One digest context per thread, reused: allocating one per hash was a fifth of signing time.
EVP_MD_CTX* ThreadContext() {
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Holder holder;
  if (holder.ctx == nullptr) std::abort();  // out of memory
  return holder.ctx;
}

void Digest(EVP_MD_CTX* ctx, std::string_view a, std::string_view b, uint8_t* out) {
  unsigned int size = 0;
  EVP_DigestInit_ex(ctx, Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, out, &size);
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out;
  Digest(ThreadContext(), data, {}, out.data());
  return out;
}

// HMAC (RFC 2104) over the reused SHA-256 context; OpenSSL's one-shot HMAC() allocates a MAC
// context and fetches the algorithm per call.
Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  constexpr size_t kBlock = 64;
  EVP_MD_CTX* ctx = ThreadContext();
  uint8_t block[kBlock] = {0};
  if (key.size() > kBlock) {
    Digest(ctx, key, {}, block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  Sha256Digest inner;
  Digest(ctx, std::string_view(reinterpret_cast<const char*>(pad), kBlock), data, inner.data());
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  Sha256Digest out;
  Digest(ctx, std::string_view(reinterpret_cast<const char*>(pad), kBlock),
         std::string_view(reinterpret_cast<const char*>(inner.data()), inner.size()), out.data());
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  return out;
}

std::string HexEncode(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string Base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  // Accepts the standard and URL-safe alphabets, with or without padding, and ignores
  // whitespace (tokens from files and JSON often carry a trailing newline).
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) return false;  // data after padding
    int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero padding of a valid length (2 or 4 bits).
  return bits != 6 && (acc & ((1u << bits) - 1)) == 0;
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();  // out of memory: nothing sensible to do
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr);
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest out;
  unsigned int size = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &size);
  // Ready for another digest, so one hasher can be reused.
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr);
  return out;
}

void RandomBytes(uint8_t* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) std::abort();  // no entropy: cannot go on safely
}

}  // namespace sluice
