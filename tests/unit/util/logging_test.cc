// Redaction of secrets in headers and in JSON, XML, form, query and free text, and --verbose's
// trace lines (HTTP traces: tests/unit/net/http_trace_test.cc). The rule under test: a secret
// never survives, while what is useful for debugging (non-secret fields, pagination tokens,
// challenge realms) stays readable.
#include "sluice/util/logging.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/stderr_capture.h"

namespace sluice {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

TEST(RedactHeaderValueTest, SecretHeadersAreRedactedWhole) {
  for (const char* name :
       {"Authorization", "authorization", "Proxy-Authorization", "X-Amz-Security-Token", "Cookie",
        "Set-Cookie", "x-amz-server-side-encryption-customer-key",
        "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key", "X-Registry-Auth",
        "X-Custom-Token", "x-my-secret", "X-Password-Hint", "X-aws-ec2-metadata-token"}) {
    EXPECT_EQ(RedactHeaderValue(name, kSecret), "<redacted>") << name;
  }
}

TEST(RedactHeaderValueTest, OrdinaryHeadersAreKept) {
  EXPECT_EQ(RedactHeaderValue("Content-Type", "application/json"), "application/json");
  EXPECT_EQ(RedactHeaderValue("x-amz-date", "20240301T120000Z"), "20240301T120000Z");
  EXPECT_EQ(RedactHeaderValue("Host", "s3.amazonaws.com"), "s3.amazonaws.com");
  EXPECT_EQ(RedactHeaderValue("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), "UNSIGNED-PAYLOAD");
}

TEST(RedactHeaderValueTest, ChallengeRealmStaysReadable) {
  std::string challenge =
      "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
      "scope=\"repository:library/alpine:pull\"";
  EXPECT_EQ(RedactHeaderValue("WWW-Authenticate", challenge), challenge);
  EXPECT_EQ(RedactHeaderValue("WWW-Authenticate", "Basic realm=\"Registry\""),
            "Basic realm=\"Registry\"");
}

TEST(RedactHeaderValueTest, PresignedLocationLosesItsSignature) {
  std::string location =
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F2024"
      "&X-Amz-Signature=deadbeefcafe&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE";
  std::string out = RedactHeaderValue("Location", location);
  EXPECT_EQ(out.find("deadbeefcafe"), std::string::npos) << out;
  EXPECT_EQ(out.find("FQoGZXIvYXdzEXAMPLE"), std::string::npos) << out;
  EXPECT_EQ(out.find("AKID"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Amz-Algorithm=AWS4-HMAC-SHA256"), std::string::npos) << out;
}

struct RedactCase {
  const char* name;
  std::string input;
  std::string expected;
};

class RedactTextTest : public ::testing::TestWithParam<RedactCase> {};

TEST_P(RedactTextTest, RedactsExactly) {
  const RedactCase& c = GetParam();
  EXPECT_EQ(RedactText(c.input), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RedactTextTest,
    ::testing::Values(
        RedactCase{"PlainText", "nothing to hide here: 42 objects",
                   "nothing to hide here: 42 objects"},
        RedactCase{"Empty", "", ""},
        // JSON
        RedactCase{
            "JsonSecretAccessKey",
            R"({"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"abc/+def=","Expiration":"x"})",
            R"({"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"<redacted>","Expiration":"x"})"},
        RedactCase{"JsonSpacesAndNewlines",
                   "{\n  \"Token\" :\n  \"tok\",\n  \"RoleArn\": \"arn\"\n}",
                   "{\n  \"Token\" :\n  \"<redacted>\",\n  \"RoleArn\": \"arn\"\n}"},
        RedactCase{"JsonCaseInsensitive", R"({"sessiontoken": "s", "PASSWORD": "p"})",
                   R"({"sessiontoken": "<redacted>", "PASSWORD": "<redacted>"})"},
        RedactCase{"JsonEscapedQuoteInValue", R"({"password":"a\"b\\","user":"u"})",
                   R"({"password":"<redacted>","user":"u"})"},
        RedactCase{"JsonNumberValue", R"({"password": 123456, "n": 1})",
                   R"({"password": <redacted>, "n": 1})"},
        RedactCase{"JsonNullKept", R"({"Token": null})", R"({"Token": null})"},
        RedactCase{"JsonUnterminated", R"({"SessionToken": "abcdef)",
                   R"({"SessionToken": "<redacted>)"},
        RedactCase{"JsonNestedInString", R"({"msg":"{\"secret\":\"s3cr3t\",\"a\":1}"})",
                   R"({"msg":"{\"secret\":\"<redacted>\",\"a\":1}"})"},
        RedactCase{"JsonEcrToken",
                   R"({"authorizationData":[{"authorizationToken":"QVdTOnRva2Vu",)"
                   R"("proxyEndpoint":"https://x"}]})",
                   R"({"authorizationData":[{"authorizationToken":"<redacted>",)"
                   R"("proxyEndpoint":"https://x"}]})"},
        RedactCase{
            "JsonOauth",
            R"({"access_token":"a","refresh_token":"r","id_token":"i","client_secret":"c",)"
            R"("token_type":"Bearer"})",
            R"({"access_token":"<redacted>","refresh_token":"<redacted>","id_token":"<redacted>",)"
            R"("client_secret":"<redacted>","token_type":"Bearer"})"},
        RedactCase{
            "JsonEcsCredentials",
            R"({"AccessKeyId":"ASIA","SecretAccessKey":"s","Token":"t","Expiration":"2024"})",
            R"({"AccessKeyId":"ASIA","SecretAccessKey":"<redacted>","Token":"<redacted>",)"
            R"("Expiration":"2024"})"},
        RedactCase{"JsonAccessTokenCamel", R"({"accessToken":"a","AccessToken":"b"})",
                   R"({"accessToken":"<redacted>","AccessToken":"<redacted>"})"},
        RedactCase{
            "JsonPaginationTokensKept",
            R"({"nextToken":"n1","NextToken":"n2","clientToken":"c","nextForwardToken":"f/1"})",
            R"({"nextToken":"n1","NextToken":"n2","clientToken":"c","nextForwardToken":"f/1"})"},
        RedactCase{"JsonSecretsManager", R"({"SecretString":"{\"a\":1}","Name":"n"})",
                   R"({"SecretString":"<redacted>","Name":"n"})"},
        RedactCase{"JsonWordAsValueIsKept", R"({"type":"token","x":["password","y"]})",
                   R"({"type":"token","x":["password","y"]})"},
        // XML
        RedactCase{
            "XmlStsCredentials",
            "<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s/+k</SecretAccessKey>"
            "<SessionToken>FwoG</SessionToken><Expiration>2024</Expiration></Credentials>",
            "<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey><redacted></"
            "SecretAccessKey>"
            "<SessionToken><redacted></SessionToken><Expiration>2024</Expiration></Credentials>"},
        RedactCase{
            "XmlWithAttributesAndNamespace",
            "<Token xmlns=\"x\">t1</Token><a:Password>p</a:Password><Token/>",
            "<Token xmlns=\"x\"><redacted></Token><a:Password><redacted></a:Password><Token/>"},
        RedactCase{"XmlMultiline", "<SessionToken>\n  abc\n</SessionToken>",
                   "<SessionToken><redacted></SessionToken>"},
        RedactCase{"XmlContinuationTokenKept",
                   "<NextContinuationToken>1ueGcxLPRx</NextContinuationToken>",
                   "<NextContinuationToken>1ueGcxLPRx</NextContinuationToken>"},
        RedactCase{"XmlWebIdentityToken", "<WebIdentityToken>eyJhbGci</WebIdentityToken>",
                   "<WebIdentityToken><redacted></WebIdentityToken>"},
        // Query strings and forms
        RedactCase{
            "PresignedQuery",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240301%2Fus-east-1%2Fs3"
            "%2Faws4_request&X-Amz-Date=20240301T000000Z&X-Amz-Expires=900"
            "&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJ%2Bb&X-Amz-Signature=abcdef01",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=<redacted>"
            "&X-Amz-Date=20240301T000000Z&X-Amz-Expires=900"
            "&X-Amz-SignedHeaders=host&X-Amz-Security-Token=<redacted>&X-Amz-Signature=<redacted>"},
        RedactCase{"QueryLowercase", "https://h/p?x-amz-signature=abc#frag",
                   "https://h/p?x-amz-signature=<redacted>#frag"},
        RedactCase{
            "FormWebIdentity",
            "Action=AssumeRoleWithWebIdentity&RoleArn=arn&WebIdentityToken=eyJ.a.b&Version=2011",
            "Action=AssumeRoleWithWebIdentity&RoleArn=arn&WebIdentityToken=<redacted>&Version="
            "2011"},
        RedactCase{"FormOauth", "grant_type=refresh_token&refresh_token=r1&client_secret=c1",
                   "grant_type=refresh_token&refresh_token=<redacted>&client_secret=<redacted>"},
        RedactCase{"FormEmptyValueKept", "password=&user=u", "password=&user=u"},
        RedactCase{"IniFile",
                   "[default]\naws_access_key_id = AKID\naws_secret_access_key = s3cr3t/Key+\n"
                   "aws_session_token=tok\n",
                   "[default]\naws_access_key_id = AKID\naws_secret_access_key = <redacted>\n"
                   "aws_session_token=<redacted>\n"},
        RedactCase{"QuotedAssignment", "password=\"a b c\" user='u'",
                   "password=\"<redacted>\" user='u'"},
        RedactCase{"SigV2Query", "AWSAccessKeyId=AKID&Signature=abc%3D&Expires=1",
                   "AWSAccessKeyId=AKID&Signature=<redacted>&Expires=1"},
        // Authorization values in text
        RedactCase{"Sigv4Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKID/20240301/us-east-1/s3/aws4_request, "
                   "SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027",
                   "AWS4-HMAC-SHA256 Credential=<redacted>, SignedHeaders=host;x-amz-date, "
                   "Signature=<redacted>"},
        RedactCase{"BasicAuth", "Authorization: Basic QVdTOnBhc3N3b3Jk",
                   "Authorization: <redacted>"},
        RedactCase{"BearerInText", "sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig to the registry",
                   "sent Bearer <redacted> to the registry"},
        RedactCase{"BasicInJson", R"({"auth":"Basic dXNlcjpwYXNz"})",
                   R"({"auth":"Basic <redacted>"})"},
        RedactCase{"BearerInXml", "<Header>bearer abc.def</Header>",
                   "<Header>bearer <redacted></Header>"},
        RedactCase{"HeaderLine", "x-amz-security-token: FQoG\r\nhost: h\r\n",
                   "x-amz-security-token: <redacted>\r\nhost: h\r\n"},
        RedactCase{"YamlStyle", "password: hunter2\nuser: bob", "password: <redacted>\nuser: bob"},
        RedactCase{"WordInsideLongerNameKept", "MyToken-ish=1 NotAToken",
                   "MyToken-ish=1 NotAToken"}),
    [](const ::testing::TestParamInfo<RedactCase>& info) { return std::string(info.param.name); });

// Whatever the surrounding syntax, the secret itself must be gone.
TEST(RedactTextTest, SecretNeverSurvives) {
  const std::string s = kSecret;
  const std::vector<std::string> texts = {
      "{\"SecretAccessKey\":\"" + s + "\"}",
      "{\"secret_access_key\": \"" + s + "\"}",
      "{ \"aws_secret_access_key\" : \"" + s + "\" }",
      "{\"Password\":\"" + s + "\"}",
      "{\"DbPassword\":\"" + s + "\"}",
      "{\"webIdentityToken\":\"" + s + "\"}",
      "<SecretAccessKey>" + s + "</SecretAccessKey>",
      "<ns2:SessionToken>" + s + "</ns2:SessionToken>",
      "<Token>" + s,  // cut mid-element
      "SecretAccessKey=" + s,
      "a=1&X-Amz-Security-Token=" + s + "&b=2",
      "X-Amz-Signature=" + s,
      "AWS4-HMAC-SHA256 Credential=" + s + ",SignedHeaders=host,Signature=" + s,
      "Authorization: Bearer " + s,
      "authorization: basic " + s,
      "{\"Authorization\":\"AWS4-HMAC-SHA256 Credential=" + s + ", Signature=" + s + "\"}",
      "{\"headers\":{\"Authorization\":\"Bearer " + s + "\"}}",
      "{\"Credentials\":{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" + s +
          "\",\"SessionToken\":\"" + s + "\"}}",
      "\"{\\\"Token\\\":\\\"" + s + "\\\"}\"",
      "client_secret=" + s + "; Path=/",
      "aws_session_token =" + s,
  };
  for (const std::string& text : texts) {
    std::string out = RedactText(text);
    EXPECT_EQ(out.find(s), std::string::npos) << "input: " << text << "\noutput: " << out;
    EXPECT_EQ(out.find("wJalr"), std::string::npos) << "input: " << text << "\noutput: " << out;
    EXPECT_NE(out.find("<redacted>"), std::string::npos) << text;
  }
}

TEST(RedactTextTest, LargeTextIsHandled) {
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += "{\"Key\":\"k" + std::to_string(i) + "\",\"Token\":\"t\"}\n";
  }
  std::string out = RedactText(text);
  EXPECT_EQ(out.find("\"Token\":\"t\""), std::string::npos);
  EXPECT_NE(out.find("\"Key\":\"k1999\""), std::string::npos);
}

using ::sluice::testing::StderrCapture;

class TraceTest : public ::testing::Test {
 protected:
  void TearDown() override { SetVerbose(false); }
};

TEST_F(TraceTest, TraceLineWritesOnlyWhenVerbose) {
  SetVerbose(false);
  StderrCapture quiet;
  TraceLine("hidden");
  EXPECT_EQ(quiet.Take(), "");

  SetVerbose(true);
  EXPECT_TRUE(Verbose());
  StderrCapture loud;
  TraceLine("shown");
  LogLine("always");
  EXPECT_EQ(loud.Take(), "shown\nalways\n");
}

}  // namespace
}  // namespace sluice
