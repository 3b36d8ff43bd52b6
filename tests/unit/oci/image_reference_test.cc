// sluice-push's names: DEST (HOST/REPO[:TAG]), tags, ECR hosts and SOURCE transports.
#include "sluice/oci/image_reference.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

// The reference, or a test failure naming the error.
ImageReference Parse(std::string_view text) {
  auto ref = ParseImageReference(text);
  EXPECT_TRUE(ref.ok()) << text << ": " << (ref.ok() ? "" : ref.error().ToString());
  return ref.ok() ? *ref : ImageReference{};
}

// The error message for text that must be refused (and a failure when it is accepted).
std::string Refusal(std::string_view text) {
  auto ref = ParseImageReference(text);
  EXPECT_FALSE(ref.ok()) << text << " was accepted as " << (ref.ok() ? ref->ToString() : "");
  if (ref.ok()) return "";
  EXPECT_EQ(ref.error().kind, ErrorKind::kInvalidArgument) << text;
  return ref.error().message;
}

// --- ParseImageReference ------------------------------------------------------------------

TEST(ImageReferenceTest, ParsesAnEcrDestinationWithATag) {
  ImageReference ref = Parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1.2");
  EXPECT_EQ(ref.host, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(ref.repository, "team/app");
  EXPECT_EQ(ref.tag, "v1.2");
  EXPECT_EQ(ref.Name(), "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app");
  EXPECT_EQ(ref.ToString(), "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1.2");
}

TEST(ImageReferenceTest, KeepsTheHostPortApartFromTheTag) {
  ImageReference ref = Parse("localhost:5000/a/b:tag");
  EXPECT_EQ(ref.host, "localhost:5000");
  EXPECT_EQ(ref.repository, "a/b");
  EXPECT_EQ(ref.tag, "tag");
}

TEST(ImageReferenceTest, DefaultsTheTagToLatest) {
  ImageReference ref = Parse("localhost:5000/a/b");
  EXPECT_EQ(ref.host, "localhost:5000");
  EXPECT_EQ(ref.repository, "a/b");
  EXPECT_EQ(ref.tag, "latest");
  EXPECT_EQ(Parse("registry.example.com/app").tag, "latest");
}

TEST(ImageReferenceTest, AcceptsPlainLocalhostAsAHost) {
  ImageReference ref = Parse("localhost/app:v1");
  EXPECT_EQ(ref.host, "localhost");
  EXPECT_EQ(ref.repository, "app");
}

TEST(ImageReferenceTest, PutsDockerHubSingleNamesUnderLibrary) {
  ImageReference ref = Parse("docker.io/nginx");
  EXPECT_EQ(ref.host, "docker.io");
  EXPECT_EQ(ref.repository, "library/nginx");
  EXPECT_EQ(ref.tag, "latest");
  EXPECT_EQ(Parse("index.docker.io/nginx:1.25").repository, "library/nginx");
}

TEST(ImageReferenceTest, LeavesDockerHubUserRepositoriesAlone) {
  EXPECT_EQ(Parse("docker.io/user/app:v1").repository, "user/app");
}

TEST(ImageReferenceTest, DoesNotAddLibraryForOtherRegistries) {
  EXPECT_EQ(Parse("ghcr.io/nginx").repository, "nginx");
}

TEST(ImageReferenceTest, ParsesAnIpv6HostWithAPort) {
  ImageReference ref = Parse("[::1]:5000/a:b");
  EXPECT_EQ(ref.host, "[::1]:5000");
  EXPECT_EQ(ref.repository, "a");
  EXPECT_EQ(ref.tag, "b");
}

TEST(ImageReferenceTest, ParsesAnIpv4HostWithAPort) {
  ImageReference ref = Parse("127.0.0.1:5000/app:v1");
  EXPECT_EQ(ref.host, "127.0.0.1:5000");
  EXPECT_EQ(ref.repository, "app");
}

TEST(ImageReferenceTest, RefusesAnUppercaseRepository) {
  EXPECT_NE(Refusal("localhost:5000/Team/app:v1").find("repository"), std::string::npos);
  Refusal("localhost:5000/team/App");
}

TEST(ImageReferenceTest, AcceptsAnUppercaseTag) { EXPECT_EQ(Parse("localhost/app:V1").tag, "V1"); }

TEST(ImageReferenceTest, RefusesABadTag) {
  EXPECT_NE(Refusal("localhost:5000/app:.hidden").find("tag"), std::string::npos);
  Refusal("localhost:5000/app:-dash");
  Refusal("localhost:5000/app:has+plus");
  Refusal("localhost:5000/app:");
  Refusal("localhost:5000/app:" + std::string(129, 'a'));
}

TEST(ImageReferenceTest, RefusesADigest) {
  std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_NE(Refusal("localhost:5000/app@" + digest).find("digest"), std::string::npos);
  Refusal("localhost:5000/app:v1@" + digest);
}

TEST(ImageReferenceTest, RefusesAUrl) {
  EXPECT_NE(Refusal("https://localhost:5000/app:v1").find("URL"), std::string::npos);
  Refusal("http://registry.example.com/app");
}

TEST(ImageReferenceTest, RefusesADestinationWithoutAHost) {
  EXPECT_NE(Refusal("nginx:latest").find("no registry host"), std::string::npos);
  Refusal("nginx");
  Refusal("team/app:v1");
  Refusal("");
}

TEST(ImageReferenceTest, RefusesAnInvalidHost) {
  Refusal("bad_host.example.com/app");
  Refusal("-bad.example.com/app");
  Refusal("localhost:123456/app");
}

TEST(ImageReferenceTest, RefusesAnEmptyRepository) {
  Refusal("localhost:5000/");
  Refusal("localhost:5000/:v1");
}

TEST(ImageReferenceTest, AcceptsTheSpecsComponentSeparators) {
  EXPECT_EQ(Parse("localhost/a__b/c.d/e-f/g--h/i_j:v1").repository, "a__b/c.d/e-f/g--h/i_j");
  EXPECT_EQ(Parse("localhost/a.b.c/x0-9:v1").repository, "a.b.c/x0-9");
}

TEST(ImageReferenceTest, RefusesMalformedComponentSeparators) {
  Refusal("localhost/a___b");  // three underscores
  Refusal("localhost/a..b");   // two dots
  Refusal("localhost/-a");     // separator first
  Refusal("localhost/a-");     // separator last
  Refusal("localhost/a_");
  Refusal("localhost/.a");
  Refusal("localhost/a//b");  // empty component
  Refusal("localhost/a/");    // trailing slash
  Refusal("localhost/a._b");  // two different separators
}

// The distribution spec's grammar (alnum (separator alnum)*, separator = [._] | __ | -+): a run
// of '-' is one separator and must be followed by a letter or digit.
TEST(ImageReferenceTest, RefusesADashRunFollowedByAnotherSeparator) {
  Refusal("localhost/a-.b");
  Refusal("localhost/a-_b");
  Refusal("localhost/a-__b");
}

TEST(ImageReferenceTest, AcceptsARepositoryOf255Characters) {
  std::string name = "a/" + std::string(253, 'b');
  ASSERT_EQ(name.size(), 255u);
  EXPECT_EQ(Parse("localhost:5000/" + name + ":v1").repository, name);
}

TEST(ImageReferenceTest, RefusesARepositoryOver255Characters) {
  std::string name = "a/" + std::string(254, 'b');
  ASSERT_EQ(name.size(), 256u);
  EXPECT_NE(Refusal("localhost:5000/" + name + ":v1").find("255"), std::string::npos);
}

TEST(ImageReferenceTest, NamesTheDestinationInItsErrors) {
  EXPECT_NE(Refusal("localhost/Bad").find("localhost/Bad"), std::string::npos);
}

// --- IsValidTag ---------------------------------------------------------------------------

TEST(ImageReferenceTest, TagOf128CharactersIsValid) {
  EXPECT_TRUE(IsValidTag(std::string(128, 'a')));
  EXPECT_TRUE(IsValidTag("_" + std::string(127, '-')));
}

TEST(ImageReferenceTest, TagOf129CharactersIsNotValid) {
  EXPECT_FALSE(IsValidTag(std::string(129, 'a')));
}

TEST(ImageReferenceTest, TagStartingWithDotOrDashIsNotValid) {
  EXPECT_FALSE(IsValidTag(".v1"));
  EXPECT_FALSE(IsValidTag("-v1"));
}

TEST(ImageReferenceTest, TagMayStartWithLetterDigitOrUnderscore) {
  EXPECT_TRUE(IsValidTag("v1.2.3-rc_1"));
  EXPECT_TRUE(IsValidTag("1"));
  EXPECT_TRUE(IsValidTag("_x"));
  EXPECT_TRUE(IsValidTag("Latest"));
}

TEST(ImageReferenceTest, EmptyTagOrOtherCharactersAreNotValid) {
  EXPECT_FALSE(IsValidTag(""));
  EXPECT_FALSE(IsValidTag("v1/2"));
  EXPECT_FALSE(IsValidTag("v1:2"));
  EXPECT_FALSE(IsValidTag("v 1"));
  EXPECT_FALSE(IsValidTag("v1@x"));
}

// --- ParseEcrHost -------------------------------------------------------------------------

TEST(EcrHostTest, RecognisesTheCommercialHost) {
  auto ecr = ParseEcrHost("123456789012.dkr.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(ecr.has_value());
  EXPECT_EQ(ecr->account_id, "123456789012");
  EXPECT_EQ(ecr->region, "us-east-1");
  EXPECT_FALSE(ecr->fips);
}

TEST(EcrHostTest, RecognisesTheChinaHost) {
  auto ecr = ParseEcrHost("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
  ASSERT_TRUE(ecr.has_value());
  EXPECT_EQ(ecr->region, "cn-north-1");
  EXPECT_FALSE(ecr->fips);
}

TEST(EcrHostTest, RecognisesTheFipsHost) {
  auto ecr = ParseEcrHost("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com");
  ASSERT_TRUE(ecr.has_value());
  EXPECT_EQ(ecr->account_id, "123456789012");
  EXPECT_EQ(ecr->region, "us-gov-west-1");
  EXPECT_TRUE(ecr->fips);
}

TEST(EcrHostTest, RecognisesTheDualStackHost) {
  auto ecr = ParseEcrHost("123456789012.dkr-ecr.us-east-1.on.aws");
  ASSERT_TRUE(ecr.has_value());
  EXPECT_EQ(ecr->account_id, "123456789012");
  EXPECT_EQ(ecr->region, "us-east-1");
  EXPECT_FALSE(ecr->fips);
}

TEST(EcrHostTest, RecognisesTheDualStackFipsHost) {
  auto ecr = ParseEcrHost("123456789012.dkr-ecr-fips.us-east-2.on.aws");
  ASSERT_TRUE(ecr.has_value());
  EXPECT_EQ(ecr->region, "us-east-2");
  EXPECT_TRUE(ecr->fips);
}

TEST(EcrHostTest, RefusesMixedDualStackForms) {
  EXPECT_FALSE(ParseEcrHost("123456789012.dkr-ecr.us-east-1.amazonaws.com").has_value());
  EXPECT_FALSE(ParseEcrHost("123456789012.dkr.ecr.us-east-1.on.aws").has_value());
}

TEST(EcrHostTest, RefusesAnAccountThatIsNotTwelveDigits) {
  EXPECT_FALSE(ParseEcrHost("12345678901.dkr.ecr.us-east-1.amazonaws.com").has_value());
  EXPECT_FALSE(ParseEcrHost("1234567890123.dkr.ecr.us-east-1.amazonaws.com").has_value());
  EXPECT_FALSE(ParseEcrHost("12345678901a.dkr.ecr.us-east-1.amazonaws.com").has_value());
}

TEST(EcrHostTest, ReturnsNulloptForOtherHosts) {
  EXPECT_FALSE(ParseEcrHost("localhost:5000").has_value());
  EXPECT_FALSE(ParseEcrHost("docker.io").has_value());
  EXPECT_FALSE(ParseEcrHost("public.ecr.aws").has_value());
  EXPECT_FALSE(ParseEcrHost("123456789012.dkr.ecr.us-east-1.example.com").has_value());
  EXPECT_FALSE(ParseEcrHost("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com").has_value());
  EXPECT_FALSE(ParseEcrHost("").has_value());
}

TEST(EcrHostTest, DefaultEndpointIsHttpsHostExceptForDockerHub) {
  EXPECT_EQ(DefaultRegistryEndpoint("123456789012.dkr.ecr.us-east-1.amazonaws.com"),
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(DefaultRegistryEndpoint("localhost:5000"), "https://localhost:5000");
  EXPECT_EQ(DefaultRegistryEndpoint("docker.io"), "https://registry-1.docker.io");
  EXPECT_EQ(DefaultRegistryEndpoint("index.docker.io"), "https://registry-1.docker.io");
}

// --- ParseSourceSpec ----------------------------------------------------------------------

SourceSpec ParseSource(std::string_view text) {
  auto spec = ParseSourceSpec(text);
  EXPECT_TRUE(spec.ok()) << text << ": " << (spec.ok() ? "" : spec.error().ToString());
  return spec.ok() ? *spec : SourceSpec{};
}

std::string SourceRefusal(std::string_view text) {
  auto spec = ParseSourceSpec(text);
  EXPECT_FALSE(spec.ok()) << text << " was accepted";
  if (spec.ok()) return "";
  EXPECT_EQ(spec.error().kind, ErrorKind::kInvalidArgument);
  return spec.error().message;
}

TEST(SourceSpecTest, ParsesAnOciLayoutWithoutATag) {
  SourceSpec spec = ParseSource("oci:/tmp/image");
  EXPECT_EQ(spec.kind, SourceKind::kOciLayout);
  EXPECT_EQ(spec.path, "/tmp/image");
  EXPECT_EQ(spec.reference, "");
}

TEST(SourceSpecTest, ParsesAnOciLayoutWithATag) {
  SourceSpec spec = ParseSource("oci:build/image:v1.0");
  EXPECT_EQ(spec.kind, SourceKind::kOciLayout);
  EXPECT_EQ(spec.path, "build/image");
  EXPECT_EQ(spec.reference, "v1.0");
}

TEST(SourceSpecTest, ParsesAnOciArchiveWithAndWithoutATag) {
  SourceSpec plain = ParseSource("oci-archive:image.tar");
  EXPECT_EQ(plain.kind, SourceKind::kOciArchive);
  EXPECT_EQ(plain.path, "image.tar");
  EXPECT_EQ(plain.reference, "");
  SourceSpec tagged = ParseSource("oci-archive:image.tar:latest");
  EXPECT_EQ(tagged.kind, SourceKind::kOciArchive);
  EXPECT_EQ(tagged.path, "image.tar");
  EXPECT_EQ(tagged.reference, "latest");
}

TEST(SourceSpecTest, ParsesADockerArchiveWithoutAReference) {
  SourceSpec spec = ParseSource("docker-archive:/tmp/app.tar");
  EXPECT_EQ(spec.kind, SourceKind::kDockerArchive);
  EXPECT_EQ(spec.path, "/tmp/app.tar");
  EXPECT_EQ(spec.reference, "");
}

TEST(SourceSpecTest, DockerArchiveReferenceKeepsItsColon) {
  SourceSpec spec = ParseSource("docker-archive:/tmp/app.tar:team/app:v1");
  EXPECT_EQ(spec.kind, SourceKind::kDockerArchive);
  EXPECT_EQ(spec.path, "/tmp/app.tar");
  EXPECT_EQ(spec.reference, "team/app:v1");
  EXPECT_EQ(ParseSource("docker-archive:app.tar:localhost:5000/app:v1").reference,
            "localhost:5000/app:v1");
}

TEST(SourceSpecTest, RefusesAnEmptyPath) {
  EXPECT_NE(SourceRefusal("oci:").find("no path"), std::string::npos);
  SourceRefusal("oci-archive:");
  SourceRefusal("docker-archive:");
  SourceRefusal("oci::v1");
}

TEST(SourceSpecTest, RefusesATrailingColon) {
  EXPECT_NE(SourceRefusal("oci:dir:").find("ends with ':'"), std::string::npos);
  SourceRefusal("oci-archive:image.tar:");
  SourceRefusal("docker-archive:app.tar:");
}

TEST(SourceSpecTest, RefusesAnInvalidOciTag) {
  SourceRefusal("oci:dir:.bad");
  SourceRefusal("oci-archive:image.tar:a:b");
}

TEST(SourceSpecTest, RefusesAnUnknownTransport) {
  EXPECT_NE(SourceRefusal("docker://nginx").find("no known transport"), std::string::npos);
  SourceRefusal("/tmp/image");
  SourceRefusal("dir:/tmp/image");
  SourceRefusal("OCI:/tmp/image");
  SourceRefusal("");
}

}  // namespace
}  // namespace sluice
