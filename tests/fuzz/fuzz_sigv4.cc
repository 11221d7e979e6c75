// Fuzz target: SigV4 header and presigned-URL verification (server/auth/), sign/verify trips.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/auth/amz_date.h"
#include "server/auth/canonical_request.h"
#include "server/auth/crypto.h"
#include "server/auth/sigv4.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tidelog::server::AuthError;
using tidelog::server::Credential;
using tidelog::server::HttpRequest;
using tidelog::server::SigV4Verifier;
namespace sigv4 = tidelog::server::sigv4;

// 2015-08-30T12:36:00Z, the AWS documentation's example time.
constexpr int64_t kNowMillis = 1440938160000;
constexpr const char* kRegion = "us-east-1";

const Credential kLongTerm{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Credential kSession{"ASIAEXAMPLE", "session/secret", "FwoGZXIvYXdzEXAMPLETOKEN"};

const SigV4Verifier& Verifier() {
  static const SigV4Verifier* verifier = new SigV4Verifier(
      {kLongTerm, kSession}, kRegion, std::make_shared<tidelog::ManualClock>(kNowMillis * 1000));
  return *verifier;
}

std::string Describe(const std::optional<AuthError>& e) {
  return e ? e->type + ": " + e->message : "ok";
}

bool SameError(const std::optional<AuthError>& a, const std::optional<AuthError>& b) {
  return a.has_value() == b.has_value() && (!a || (a->type == b->type && a->message == b->message));
}

// Header names as the network layer hands them on: lower case.
std::string LowerName(FuzzedDataProvider& in) {
  std::string name = in.ConsumeRandomLengthString(24);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

bool TokenName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Whether the signer and verifier are meant to agree on this request: header
// names that can be listed in SignedHeaders, a Host header, no signature of
// its own in the query (nor an Authorization header when presigning), and no
// declared payload hash (the signer trusts it).
bool Signable(const HttpRequest& r, bool presign) {
  bool host = false;
  for (const auto& [name, value] : r.headers) {
    if (!TokenName(name) || name == "x-amz-content-sha256") return false;
    if (presign && name == "authorization") return false;
    host = host || name == "host";
  }
  std::string_view path, query;
  sigv4::SplitTarget(r.target, &path, &query);
  for (const auto& [k, v] : sigv4::ParseQuery(query)) {
    if (k.rfind("X-Amz-", 0) == 0) return false;
  }
  return host;
}

// The query-string form (a presigned URL) built from the same pieces the
// verifier uses: X-Amz-* parameters added to the target, signature last.
void Presign(HttpRequest* r, const Credential& c) {
  std::string_view path, query;
  sigv4::SplitTarget(r->target, &path, &query);
  const std::string amz_date = sigv4::FormatAmzDate(kNowMillis);
  const std::string scope = amz_date.substr(0, 8) + "/" + kRegion + "/kinesis/aws4_request";
  std::vector<std::string> signed_headers;
  for (const auto& [name, value] : r->headers) signed_headers.push_back(name);
  std::sort(signed_headers.begin(), signed_headers.end());
  signed_headers.erase(std::unique(signed_headers.begin(), signed_headers.end()),
                       signed_headers.end());
  std::string signed_text;
  for (const std::string& name : signed_headers) {
    if (!signed_text.empty()) signed_text.push_back(';');
    signed_text.append(name);
  }
  sigv4::QueryParams params = sigv4::ParseQuery(query);
  params.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  params.emplace_back("X-Amz-Credential", c.access_key_id + "/" + scope);
  params.emplace_back("X-Amz-Date", amz_date);
  params.emplace_back("X-Amz-SignedHeaders", signed_text);
  if (!c.session_token.empty()) params.emplace_back("X-Amz-Security-Token", c.session_token);
  const std::string canonical_query = sigv4::CanonicalQuery(params);
  std::string new_target = std::string(path) + "?" + canonical_query;
  HttpRequest copy = *r;
  copy.target = new_target;
  const std::string canonical = sigv4::CanonicalRequest(copy, canonical_query, signed_headers,
                                                        signed_text, sigv4::Sha256Hex(r->body));
  const sigv4::Digest key =
      sigv4::DeriveSigningKey(c.secret_access_key, amz_date.substr(0, 8), kRegion, "kinesis");
  const std::string signature = sigv4::HexEncode(
      sigv4::HmacSha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
                        sigv4::StringToSign(amz_date, scope, canonical)));
  r->target = new_target + "&X-Amz-Signature=" + signature;
}

void CheckCanonicalHelpers(std::string_view s) {
  FUZZ_CHECK(sigv4::PercentDecode(sigv4::UriEncode(s, false)) == s, s);
  FUZZ_CHECK(sigv4::PercentDecode(sigv4::UriEncode(s, true)) == s, s);
  const std::string once = sigv4::RemoveDotSegments(s);
  FUZZ_CHECK(sigv4::RemoveDotSegments(once) == once, s);
  const std::string trimmed = sigv4::TrimAll(s);
  FUZZ_CHECK(sigv4::TrimAll(trimmed) == trimmed, s);
  FUZZ_CHECK(trimmed.empty() || (trimmed.front() != ' ' && trimmed.back() != ' '), s);
  // The canonical query lists the same parameters, re-encoded and sorted.
  std::string_view path, query;
  sigv4::SplitTarget(s, &path, &query);
  sigv4::QueryParams params = sigv4::ParseQuery(query);
  const std::string canonical = sigv4::CanonicalQuery(params);
  sigv4::QueryParams back = sigv4::ParseQuery(canonical);
  std::sort(params.begin(), params.end());
  std::sort(back.begin(), back.end());
  FUZZ_CHECK(params == back, s);
  FUZZ_CHECK(sigv4::CanonicalQuery(back) == canonical, s);
  (void)sigv4::CanonicalPath(path);
}

}  // namespace

// SigV4 verification (server/auth/sigv4.cc, canonical_request.cc): Authorization-header and
// presigned query-string parsing on arbitrary requests, and sign -> verify round trips of both
// forms.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  HttpRequest request;
  request.method = in.ConsumeBool() ? "POST" : in.ConsumeRandomLengthString(8);
  request.target = in.ConsumeRandomLengthString(1024);
  const size_t headers = in.ConsumeIntegralInRange<size_t>(0, 12);
  for (size_t i = 0; i < headers; ++i) {
    std::string name = LowerName(in);
    request.headers.emplace_back(std::move(name), in.ConsumeRandomLengthString(1024));
  }
  const uint8_t mode = in.ConsumeIntegral<uint8_t>();
  request.body = in.ConsumeRemainingBytesAsString();

  // Any request: the head check is the full check's first part.
  const auto head = Verifier().VerifyHead(request);
  const auto full = Verifier().Verify(request);
  if (head) FUZZ_CHECK(SameError(head, full), Describe(head) + " / " + Describe(full));
  CheckCanonicalHelpers(request.target);

  // A request signed by a known credential verifies, in either form.
  const bool presign = (mode & 1) != 0;
  if (!Signable(request, presign)) return 0;
  const Credential& credential = mode & 2 ? kSession : kLongTerm;
  HttpRequest signed_request = request;
  if (presign) {
    Presign(&signed_request, credential);
  } else {
    tidelog::server::SignRequestV4(&signed_request, credential, kRegion, "kinesis", kNowMillis);
  }
  const auto verdict = Verifier().Verify(signed_request);
  FUZZ_CHECK(!verdict, Describe(verdict) + " target=" + signed_request.target);
  FUZZ_CHECK(!Verifier().VerifyHead(signed_request), signed_request.target);
  // Changing the body breaks the signature.
  signed_request.body.push_back('x');
  FUZZ_CHECK(Verifier().Verify(signed_request).has_value(), signed_request.target);
  return 0;
}
