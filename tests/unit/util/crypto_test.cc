// Hashing, HMAC and base64 against published vectors (FIPS 180-2, RFC 4231, RFC 4648).
#include "sluice/util/crypto.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice {
namespace {

std::string Hex(const Sha256Digest& d) { return HexEncode(d); }

TEST(CryptoTest, Sha256Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CryptoTest, HmacSha256Rfc4231) {
  // Test case 1: a 20-byte key.
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a short key.
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block is hashed first.
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // A key of exactly one block is used as it is.
  EXPECT_EQ(Hex(HmacSha256(std::string(64, 'k'), "m")).size(), 64u);
}

TEST(CryptoTest, HashingIsSafeFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) results[t] = Hex(HmacSha256("Jefe", "what do ya want for nothing?"));
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    EXPECT_EQ(r, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
}

TEST(CryptoTest, IncrementalHasherMatchesOneShotAndIsReusable) {
  Sha256Hasher hasher;
  hasher.Update("a");
  hasher.Update("bc");
  EXPECT_EQ(Hex(hasher.Finish()), Sha256Hex("abc"));
  hasher.Update("");
  EXPECT_EQ(Hex(hasher.Finish()), Sha256Hex(""));
}

TEST(CryptoTest, Base64Rfc4648) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    std::string decoded;
    ASSERT_TRUE(Base64Decode(encoded, &decoded)) << encoded;
    EXPECT_EQ(decoded, plain);
  }
  std::string out;
  EXPECT_TRUE(Base64Decode("QVdTOnRva2Vu\n", &out));  // a trailing newline from a file
  EXPECT_EQ(out, "AWS:token");
  EXPECT_TRUE(Base64Decode("_-8", &out));  // URL-safe alphabet, no padding
  EXPECT_EQ(out, "\xff\xef");
  EXPECT_FALSE(Base64Decode("Zm9v!", &out));
  EXPECT_FALSE(Base64Decode("Zg==Zg", &out));
  EXPECT_FALSE(Base64Decode("Z", &out));
}

}  // namespace
}  // namespace sluice
