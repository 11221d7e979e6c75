// SigV4: AWS's published test-suite signatures, signatures made by botocore,
// sign/verify round trips, and every rejection with AWS's exact text.
#include "server/auth/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "server/auth/amz_date.h"
#include "server/auth/canonical_request.h"
#include "tidelog/clock.h"

namespace tidelog::server {
namespace {

constexpr char kAkid[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr int64_t kSuiteMillis = 1440938160LL * 1000;  // 20150830T123600Z
constexpr int64_t kBotoMillis = 1715938212LL * 1000;   // 20240517T093012Z
constexpr char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

Credential ExampleCredential() { return {kAkid, kSecret}; }

HttpRequest SuiteRequest(std::string method, std::string target) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers.emplace_back("host", "example.amazonaws.com");
  return r;
}

std::string SignatureOf(const HttpRequest& r) {
  const std::string* auth = r.Header("authorization");
  EXPECT_NE(auth, nullptr);
  if (auth == nullptr) return "";
  return auth->substr(auth->rfind('=') + 1);
}

class VerifierTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kBotoMillis * 1000);
  SigV4Verifier verifier_{
      {ExampleCredential(), {"AKIDOTHER", "other-secret", ""}}, "us-east-1", clock_};

  // boto3 1.34 ListStreams, signed by botocore.auth.SigV4Auth at kBotoMillis.
  static HttpRequest BotoListStreams() {
    HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {
        {"x-amz-target", "Kinesis_20131202.ListStreams"},
        {"content-type", "application/x-amz-json-1.1"},
        {"user-agent",
         "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 "
         "lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0"},
        {"content-length", "2"},
        {"host", "127.0.0.1:4567"},
        {"x-amz-date", "20240517T093012Z"},
        {"authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/kinesis/aws4_request, "
         "SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target, "
         "Signature=3ab4069513ac7738f682ba3bc98a36bacb4b2c7e52f7051045c8365bee0b9cc3"},
    };
    r.body = "{}";
    return r;
  }

  // A request signed by us for the verifier, at the clock's current time.
  HttpRequest Signed(const Credential& credential, std::string body = "{}") {
    HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"host", "127.0.0.1:4567"},
                 {"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", "Kinesis_20131202.PutRecord"}};
    r.body = std::move(body);
    SignRequestV4(&r, credential, "us-east-1", "kinesis", clock_->NowMillis());
    return r;
  }

  void ExpectError(const HttpRequest& r, const std::string& type, const std::string& message) {
    std::optional<AuthError> error = verifier_.Verify(r);
    ASSERT_TRUE(error.has_value()) << "expected " << type;
    EXPECT_EQ(error->type, type);
    EXPECT_EQ(error->message, message);
  }

  static void ReplaceHeader(HttpRequest* r, const std::string& name, const std::string& value) {
    for (auto& [k, v] : r->headers)
      if (k == name) v = value;
  }
  static void RemoveHeader(HttpRequest* r, const std::string& name) {
    std::erase_if(r->headers, [&](const auto& h) { return h.first == name; });
  }
};

// ---- AWS SigV4 test suite (aws-sig-v4-test-suite), service "service" -------

TEST(SigV4SuiteTest, GetVanilla) {
  HttpRequest r = SuiteRequest("GET", "/");
  SignRequestV4(&r, ExampleCredential(), "us-east-1", "service", kSuiteMillis);
  EXPECT_EQ(*r.Header("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(*r.Header("x-amz-date"), "20150830T123600Z");
}

TEST(SigV4SuiteTest, GetVanillaQueryOrderKeyCase) {
  HttpRequest r = SuiteRequest("GET", "/?Param2=value2&Param1=value1");
  SignRequestV4(&r, ExampleCredential(), "us-east-1", "service", kSuiteMillis);
  EXPECT_EQ(SignatureOf(r), "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4SuiteTest, GetUtf8) {
  HttpRequest r = SuiteRequest("GET", "/\xE1\x88\xB4");
  SignRequestV4(&r, ExampleCredential(), "us-east-1", "service", kSuiteMillis);
  EXPECT_EQ(SignatureOf(r), "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

// ---- Canonical pieces ----------------------------------------------------------

TEST(SigV4CanonicalTest, PathNormalisationAndDoubleEncoding) {
  EXPECT_EQ(sigv4::CanonicalPath(""), "/");
  EXPECT_EQ(sigv4::CanonicalPath("/"), "/");
  EXPECT_EQ(sigv4::CanonicalPath("//example//"), "/example/");
  EXPECT_EQ(sigv4::CanonicalPath("/example/.."), "/");
  EXPECT_EQ(sigv4::CanonicalPath("/example1/example2/../.."), "/");
  EXPECT_EQ(sigv4::CanonicalPath("/./"), "/");
  EXPECT_EQ(sigv4::CanonicalPath("/example space/"), "/example%20space/");
  // An already-encoded path is encoded again (every service but S3).
  EXPECT_EQ(sigv4::CanonicalPath("/d%20e"), "/d%2520e");
}

TEST(SigV4CanonicalTest, QueryIsDecodedSortedAndReencoded) {
  EXPECT_EQ(sigv4::CanonicalQuery(sigv4::ParseQuery("b=2&a=1&a=0&x%2Fy=z%20w&flag")),
            "a=0&a=1&b=2&flag=&x%2Fy=z%20w");
  EXPECT_EQ(sigv4::CanonicalQuery(sigv4::ParseQuery("Param1=value1&X-Amz-Signature=abc"),
                                  "X-Amz-Signature"),
            "Param1=value1");
  EXPECT_EQ(sigv4::CanonicalQuery(sigv4::ParseQuery("%E1%88%B4=bar")), "%E1%88%B4=bar");
}

TEST(SigV4CanonicalTest, HeaderValuesTrimmedCollapsedAndJoined) {
  EXPECT_EQ(sigv4::TrimAll("  a   b \t c  "), "a b c");
  HttpRequest r;
  r.headers = {{"x-b", "2"}, {"x-a", " 1 "}, {"X-B", "  3  4"}};
  EXPECT_EQ(sigv4::CanonicalHeaders(r, {"x-a", "x-b"}), "x-a:1\nx-b:2,3 4\n");
}

TEST(SigV4CanonicalTest, Dates) {
  int64_t ms = 0;
  ASSERT_TRUE(sigv4::ParseAmzDate("20150830T123600Z", &ms));
  EXPECT_EQ(ms, kSuiteMillis);
  EXPECT_EQ(sigv4::FormatAmzDate(kSuiteMillis + 999), "20150830T123600Z");
  EXPECT_FALSE(sigv4::ParseAmzDate("20150830T123600", &ms));
  EXPECT_FALSE(sigv4::ParseAmzDate("20150231T123600Z", &ms));
  EXPECT_FALSE(sigv4::ParseAmzDate("2015-08-30T12:36:00Z", &ms));
  ASSERT_TRUE(sigv4::ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT", &ms));
  EXPECT_EQ(ms, kSuiteMillis);
  EXPECT_FALSE(sigv4::ParseHttpDate("Sun, 30 Aug 2015 12:36:00 UTC", &ms));
  // A leap second reads as the next minute's first, but never past year 9999 (found by fuzz_dates).
  ASSERT_TRUE(sigv4::ParseAmzDate("20161231T235960Z", &ms));
  EXPECT_EQ(sigv4::FormatAmzDate(ms), "20170101T000000Z");
  EXPECT_TRUE(sigv4::ParseAmzDate("99991231T235959Z", &ms));
  EXPECT_FALSE(sigv4::ParseAmzDate("99991231T235960Z", &ms));
  EXPECT_FALSE(sigv4::ParseHttpDate("Fri, 31 Dec 9999 23:59:60 GMT", &ms));
}

// ---- Signatures made by botocore -------------------------------------------------

TEST_F(VerifierTest, AcceptsBotocoreHeaderSignature) {
  EXPECT_EQ(verifier_.Verify(BotoListStreams()), std::nullopt);
}

TEST_F(VerifierTest, AcceptsBotocoreSignatureWithOddPathQueryAndHeaders) {
  // botocore SigV4Auth, region eu-west-1: dot segments and double slashes in
  // the path, an encoded space, repeated and encoded query keys, and a header
  // value with runs of spaces.
  HttpRequest r;
  r.method = "POST";
  r.target = "/a/./b//c/../d%20e?b=2&a=1&a=0&x%2Fy=z%20w";
  r.headers = {
      {"x-amz-target", "Kinesis_20131202.PutRecord"},
      {"content-type", "application/x-amz-json-1.1"},
      {"x-custom", "spaced    out   value"},  // the HTTP layer trims the ends
      {"host", "localhost:4567"},
      {"x-amz-date", "20240517T093012Z"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/eu-west-1/kinesis/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date;x-amz-target;x-custom, "
       "Signature=eafa188fb82bc6bc29f6d58b2ec6045359e5f3e7b2ec60e3168f5d1e3151da98"},
  };
  r.body = R"({"StreamName":"s","Data":"aGk=","PartitionKey":"k"})";
  SigV4Verifier eu_verifier({ExampleCredential()}, "eu-west-1", clock_);
  EXPECT_EQ(eu_verifier.Verify(r), std::nullopt);
  r.body = R"({"StreamName":"t","Data":"aGk=","PartitionKey":"k"})";
  std::optional<AuthError> error = eu_verifier.Verify(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, "InvalidSignatureException");
  EXPECT_EQ(error->message, kMismatch);
}

TEST_F(VerifierTest, AcceptsBotocoreQueryStringSignature) {
  // botocore SigV4QueryAuth (expires=300).
  HttpRequest r;
  r.method = "POST";
  r.target =
      "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240517%2Fus-east-1%2F"
      "kinesis%2Faws4_request&X-Amz-Date=20240517T093012Z&X-Amz-Expires=300&X-Amz-SignedHeaders="
      "host%3Bx-amz-target&X-Amz-Signature="
      "57b91caab42481e95e5d12eb5fc9e2665498dd93a70054300ca576120cd996f4";
  r.headers = {{"x-amz-target", "Kinesis_20131202.ListStreams"}, {"host", "127.0.0.1:4567"}};
  r.body = "";  // SigV4QueryAuth moves a JSON body's fields into the query; {} leaves none
  EXPECT_EQ(verifier_.Verify(r), std::nullopt);
  ReplaceHeader(&r, "x-amz-target", "Kinesis_20131202.DeleteStream");
  ExpectError(r, "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, AcceptsJsSdkHttp2SignatureOverAuthority) {
  // @smithy/signature-v4 (the AWS SDK for JavaScript v3) over HTTP/2 signs
  // the :authority pseudo-header by that name; the HTTP/2 layer hands its
  // value on as Host.
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.protocol = "HTTP/2";
  r.headers = {
      {"content-type", "application/x-amz-json-1.1"},
      {"x-amz-target", "Kinesis_20131202.ListStreams"},
      {"x-amz-date", "20240517T093012Z"},
      {"x-amz-content-sha256", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/kinesis/aws4_request, "
       "SignedHeaders=:authority;content-type;x-amz-content-sha256;x-amz-date;x-amz-target, "
       "Signature=5021a6d4e92f40ca7994113aa61c8b8aa097984bf29122178b8a35f4f4853361"},
      {"host", "127.0.0.1:4567"},
  };
  r.body = "{}";
  EXPECT_EQ(verifier_.Verify(r), std::nullopt);
  ReplaceHeader(&r, "host", "127.0.0.1:4568");
  ExpectError(r, "InvalidSignatureException", kMismatch);
}

// ---- Round trips -------------------------------------------------------------------

TEST_F(VerifierTest, SignThenVerify) {
  EXPECT_EQ(verifier_.Verify(Signed(ExampleCredential())), std::nullopt);
  EXPECT_EQ(verifier_.Verify(Signed({"AKIDOTHER", "other-secret"}, "")), std::nullopt);
  // Re-signing replaces the previous Authorization and X-Amz-Date.
  HttpRequest r = Signed(ExampleCredential());
  clock_->AdvanceMillis(60 * 1000);
  SignRequestV4(&r, ExampleCredential(), "us-east-1", "kinesis", clock_->NowMillis());
  EXPECT_EQ(verifier_.Verify(r), std::nullopt);
  int authorizations = 0;
  for (const auto& [k, v] : r.headers) authorizations += k == "authorization";
  EXPECT_EQ(authorizations, 1);
}

TEST_F(VerifierTest, TamperingIsDetected) {
  HttpRequest body = Signed(ExampleCredential(), R"({"a":1})");
  body.body = R"({"a":2})";
  ExpectError(body, "InvalidSignatureException", kMismatch);

  HttpRequest header = Signed(ExampleCredential());
  ReplaceHeader(&header, "x-amz-target", "Kinesis_20131202.DeleteStream");
  ExpectError(header, "InvalidSignatureException", kMismatch);

  HttpRequest path = Signed(ExampleCredential());
  path.target = "/other";
  ExpectError(path, "InvalidSignatureException", kMismatch);

  HttpRequest wrong_secret = Signed({kAkid, "not-the-secret"});
  ExpectError(wrong_secret, "InvalidSignatureException", kMismatch);

  HttpRequest short_signature = Signed(ExampleCredential());
  std::string auth = *short_signature.Header("authorization");
  ReplaceHeader(&short_signature, "authorization", auth.substr(0, auth.size() - 1));
  ExpectError(short_signature, "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, DeclaredPayloadHashMustMatchBody) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"host", "h"}, {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  r.body = "{}";
  SignRequestV4(&r, ExampleCredential(), "us-east-1", "kinesis", clock_->NowMillis());
  ExpectError(r, "InvalidSignatureException", kMismatch);
}

TEST_F(VerifierTest, DateHeaderInsteadOfXAmzDate) {
  // Signed with Python's hmac/hashlib (independently of this code) by a client
  // that sends only an RFC 1123 Date header.
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {
      {"host", "h"},
      {"date", "Fri, 17 May 2024 09:30:12 GMT"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240517/us-east-1/kinesis/aws4_request, "
       "SignedHeaders=date;host, "
       "Signature=d682379dd283032c0d427de0d401d856c1dc37407838d90ac19ebfd6bf11b27c"},
  };
  r.body = "{}";
  EXPECT_EQ(verifier_.Verify(r), std::nullopt);
  ReplaceHeader(&r, "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240518/us-east-1/kinesis/aws4_request, "
                "SignedHeaders=date;host, Signature=00");
  ExpectError(r, "InvalidSignatureException",
              "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
              "from HTTP: '20240518' != '20240517', from '20240517T093012Z'.");
}

// ---- Rejections -----------------------------------------------------------------

TEST_F(VerifierTest, MissingAuthentication) {
  HttpRequest r = Signed(ExampleCredential());
  RemoveHeader(&r, "authorization");
  ExpectError(r, "MissingAuthenticationTokenException", "Missing Authentication Token");
}

TEST_F(VerifierTest, HeaderAndQueryBoth) {
  HttpRequest r = Signed(ExampleCredential());
  r.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256";
  ExpectError(r, "InvalidSignatureException",
              "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
              "header.");
}

TEST_F(VerifierTest, IncompleteHeader) {
  HttpRequest r = Signed(ExampleCredential());
  RemoveHeader(&r, "x-amz-date");
  ReplaceHeader(&r, "authorization", "AWS4-HMAC-SHA256 ");
  ExpectError(r, "IncompleteSignatureException",
              "Authorization header requires 'Credential' parameter. Authorization header "
              "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
              "parameter. Authorization header requires existence of either a 'X-Amz-Date' or "
              "a 'Date' header. Authorization=AWS4-HMAC-SHA256 ");

  HttpRequest no_signature = Signed(ExampleCredential());
  std::string auth = *no_signature.Header("authorization");
  auth = auth.substr(0, auth.find(", Signature="));
  ReplaceHeader(&no_signature, "authorization", auth);
  ExpectError(no_signature, "IncompleteSignatureException",
              "Authorization header requires 'Signature' parameter. Authorization=" + auth);
}

TEST_F(VerifierTest, MalformedHeaderPair) {
  HttpRequest r = Signed(ExampleCredential());
  const std::string auth =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE /20240517/us-east-1/kinesis/aws4_request, "
      "SignedHeaders=host, Signature=00";
  ReplaceHeader(&r, "authorization", auth);
  ExpectError(r, "IncompleteSignatureException",
              "'/20240517/us-east-1/kinesis/aws4_request' not a valid key=value pair (missing "
              "equal-sign) in Authorization header: '" +
                  auth + "'.");
}

TEST_F(VerifierTest, IncompleteQuery) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240517T093012Z";
  r.headers = {{"host", "h"}};
  ExpectError(r, "IncompleteSignatureException",
              "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
              "parameters must include 'X-Amz-Signature'. AWS query-string parameters must "
              "include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
}

TEST_F(VerifierTest, BadCredentialScope) {
  auto with_credential = [&](const std::string& credential) {
    HttpRequest r = Signed(ExampleCredential());
    std::string auth = *r.Header("authorization");
    size_t start = auth.find("Credential=") + 11;
    size_t end = auth.find(',', start);
    ReplaceHeader(&r, "authorization", auth.substr(0, start) + credential + auth.substr(end));
    return r;
  };
  ExpectError(with_credential("AKIDEXAMPLE/20240517/us-east-1/kinesis"),
              "IncompleteSignatureException",
              "Credential must have exactly 5 slash-delimited elements, e.g. "
              "keyid/date/region/service/term, got 'AKIDEXAMPLE/20240517/us-east-1/kinesis'");
  ExpectError(with_credential("AKIDEXAMPLE/20240517/us-east-1/dynamodb/aws4_request"),
              "InvalidSignatureException",
              "Credential should be scoped to correct service: 'kinesis'. ");
  ExpectError(with_credential("AKIDEXAMPLE/20240517/us-east-1/kinesis/aws5_request"),
              "InvalidSignatureException",
              "Credential should be scoped with a valid terminator: 'aws4_request', not "
              "'aws5_request'. ");
  ExpectError(with_credential("AKIDEXAMPLE/20240517//kinesis/aws4_request"),
              "InvalidSignatureException",
              "Credential should be scoped to a valid region, not ''. ");
  ExpectError(with_credential("AKIDEXAMPLE/20240516/us-east-1/kinesis/aws4_request"),
              "InvalidSignatureException",
              "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
              "from HTTP: '20240516' != '20240517', from '20240517T093012Z'.");
  ExpectError(with_credential("AKIDUNKNOWN/20240517/us-east-1/kinesis/aws4_request"),
              "UnrecognizedClientException",
              "The security token included in the request is invalid.");
  // A correct signature for another region than the broker's is refused as
  // AWS refuses it.
  HttpRequest eu;
  eu.method = "POST";
  eu.target = "/";
  eu.headers = {{"host", "h"}};
  SignRequestV4(&eu, ExampleCredential(), "eu-west-1", "kinesis", clock_->NowMillis());
  ExpectError(eu, "InvalidSignatureException",
              "Credential should be scoped to a valid region, not 'eu-west-1'. ");
  SigV4Verifier eu_verifier({ExampleCredential()}, "eu-west-1", clock_);
  EXPECT_EQ(eu_verifier.Verify(eu), std::nullopt);
  // A correct signature for another service too.
  HttpRequest dynamo = Signed(ExampleCredential());
  SignRequestV4(&dynamo, ExampleCredential(), "us-east-1", "dynamodb", clock_->NowMillis());
  ExpectError(dynamo, "InvalidSignatureException",
              "Credential should be scoped to correct service: 'kinesis'. ");
}

TEST_F(VerifierTest, SessionTokens) {
  const Credential session{"ASIATEMP", "temp-secret", "token-of-the-session"};
  SigV4Verifier verifier({ExampleCredential(), session}, "us-east-1", clock_);
  auto check = [&](const HttpRequest& r, const char* type) {
    std::optional<AuthError> error = verifier.Verify(r);
    if (type == nullptr) {
      EXPECT_EQ(error, std::nullopt) << error->type << ": " << error->message;
      return;
    }
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->type, type);
    EXPECT_EQ(error->message, "The security token included in the request is invalid.");
  };
  // The session key with its token (signed, as SDKs send it).
  HttpRequest good = Signed(session);
  ASSERT_NE(good.Header("x-amz-security-token"), nullptr);
  check(good, nullptr);
  // Another token, or none, for the session key.
  HttpRequest wrong = good;
  ReplaceHeader(&wrong, "x-amz-security-token", "token-of-another-session");
  check(wrong, "UnrecognizedClientException");
  Credential no_token = session;
  no_token.session_token.clear();
  check(Signed(no_token), "UnrecognizedClientException");
  // A long-term key with a token it was never issued.
  Credential long_term_with_token = ExampleCredential();
  long_term_with_token.session_token = "token-of-the-session";
  check(Signed(long_term_with_token), "UnrecognizedClientException");
  check(Signed(ExampleCredential()), nullptr);
}

TEST_F(VerifierTest, VerifyHeadChecksAllButTheBody) {
  // A correct head whose body was changed after signing passes VerifyHead
  // (the body is not read yet) and fails Verify.
  HttpRequest r = Signed(ExampleCredential(), R"({"StreamName":"a"})");
  r.body.clear();
  EXPECT_EQ(verifier_.VerifyHead(r), std::nullopt);
  std::optional<AuthError> error = verifier_.Verify(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, kMismatch);
  // Every head-only refusal is already made by VerifyHead.
  HttpRequest unsigned_request = r;
  unsigned_request.headers.erase(
      std::remove_if(unsigned_request.headers.begin(), unsigned_request.headers.end(),
                     [](const auto& h) { return h.first == "authorization"; }),
      unsigned_request.headers.end());
  ASSERT_TRUE(verifier_.VerifyHead(unsigned_request).has_value());
  EXPECT_EQ(verifier_.VerifyHead(unsigned_request)->type, "MissingAuthenticationTokenException");
  HttpRequest unknown = Signed(Credential{"AKIDUNKNOWN", "x", ""});
  ASSERT_TRUE(verifier_.VerifyHead(unknown).has_value());
  EXPECT_EQ(verifier_.VerifyHead(unknown)->type, "UnrecognizedClientException");
  HttpRequest other_region = r;
  SignRequestV4(&other_region, ExampleCredential(), "ap-south-1", "kinesis", clock_->NowMillis());
  ASSERT_TRUE(verifier_.VerifyHead(other_region).has_value());
  EXPECT_EQ(verifier_.VerifyHead(other_region)->message,
            "Credential should be scoped to a valid region, not 'ap-south-1'. ");
  clock_->SetMicros((clock_->NowMillis() + 16 * 60 * 1000) * 1000);
  ASSERT_TRUE(verifier_.VerifyHead(r).has_value());
  EXPECT_TRUE(verifier_.VerifyHead(r)->message.starts_with("Signature expired: "));
}

TEST_F(VerifierTest, HostMustBeSigned) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"content-type", "application/x-amz-json-1.1"}};
  SignRequestV4(&r, ExampleCredential(), "us-east-1", "kinesis", clock_->NowMillis());
  r.headers.emplace_back("host", "h");
  ExpectError(r, "IncompleteSignatureException",
              "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(VerifierTest, BadDate) {
  HttpRequest r = Signed(ExampleCredential());
  ReplaceHeader(&r, "x-amz-date", "2024-05-17T09:30:12Z");
  ExpectError(r, "IncompleteSignatureException",
              "Date must be in ISO-8601 'basic format'. Got '2024-05-17T09:30:12Z'. See "
              "http://en.wikipedia.org/wiki/ISO_8601");
}

TEST_F(VerifierTest, ClockSkewWindow) {
  const HttpRequest r = BotoListStreams();  // signed at 20240517T093012Z

  clock_->SetMicros((kBotoMillis + 15 * 60 * 1000) * 1000);  // exactly 15 min later
  EXPECT_EQ(verifier_.Verify(r), std::nullopt);
  clock_->SetMicros((kBotoMillis - 15 * 60 * 1000) * 1000);  // exactly 15 min earlier
  EXPECT_EQ(verifier_.Verify(r), std::nullopt);

  clock_->SetMicros((kBotoMillis + 16 * 60 * 1000) * 1000);
  ExpectError(r, "InvalidSignatureException",
              "Signature expired: 20240517T093012Z is now earlier than 20240517T093112Z "
              "(20240517T094612Z - 15 min.)");

  clock_->SetMicros((kBotoMillis - 16 * 60 * 1000) * 1000);
  ExpectError(r, "InvalidSignatureException",
              "Signature not yet current: 20240517T093012Z is still later than 20240517T092912Z "
              "(20240517T091412Z + 15 min.)");

  SigV4Verifier strict({ExampleCredential()}, "us-east-1", clock_, 5 * 60 * 1000);
  clock_->SetMicros((kBotoMillis + 6 * 60 * 1000) * 1000);
  std::optional<AuthError> error = strict.Verify(r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message,
            "Signature expired: 20240517T093012Z is now earlier than 20240517T093112Z "
            "(20240517T093612Z - 5 min.)");
}

TEST_F(VerifierTest, UnsupportedAlgorithm) {
  HttpRequest r = Signed(ExampleCredential());
  std::string auth = *r.Header("authorization");
  ReplaceHeader(&r, "authorization", "AWS4-HMAC-SHA512" + auth.substr(16));
  ExpectError(r, "IncompleteSignatureException",
              "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.");
}

}  // namespace
}  // namespace tidelog::server
