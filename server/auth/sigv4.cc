// SigV4 verification (header and query-string forms) and header-form signing.
#include "server/auth/sigv4.h"

#include <algorithm>
#include <utility>

#include "server/auth/amz_date.h"
#include "server/auth/canonical_request.h"
#include "server/auth/crypto.h"

namespace tidelog::server {
namespace {

using sigv4::QueryParams;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

constexpr char kSignatureMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

AuthError Incomplete(std::string message) {
  return {"IncompleteSignatureException", std::move(message)};
}
AuthError Invalid(std::string message) { return {"InvalidSignatureException", std::move(message)}; }

// The signature fields a request carries, from either form.
struct SignatureClaim {
  std::string algorithm;
  std::string credential;      // AKID/yyyymmdd/region/service/aws4_request
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  std::string amz_date;        // yyyymmddTHHMMSSZ
  bool from_query = false;
};

const std::string* FindParam(const QueryParams& params, std::string_view key) {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

std::vector<std::string_view> SplitAny(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find_first_of(separators, start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(separator, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

std::optional<AuthError> ClaimFromHeader(const HttpRequest& request, const std::string& header,
                                         SignatureClaim* claim) {
  std::vector<std::string_view> tokens = SplitAny(header, ", \t");
  if (!tokens.empty()) claim->algorithm = std::string(tokens[0]);
  for (size_t i = 1; i < tokens.size(); ++i) {
    size_t eq = tokens[i].find('=');
    if (eq == std::string_view::npos) {
      // Built by appending: GCC 12 at -O3 reports a false -Wrestrict on
      // "literal" + std::string.
      std::string message = "'";
      message.append(tokens[i]);
      message.append(
          "' not a valid key=value pair (missing equal-sign) in Authorization header: '");
      message.append(header).append("'.");
      return Incomplete(std::move(message));
    }
    std::string_view key = tokens[i].substr(0, eq);
    std::string value(tokens[i].substr(eq + 1));
    if (key == "Credential") claim->credential = std::move(value);
    if (key == "SignedHeaders") claim->signed_headers = std::move(value);
    if (key == "Signature") claim->signature = std::move(value);
  }
  const std::string* amz_date = request.Header("x-amz-date");
  const std::string* date = request.Header("date");
  std::string missing;
  if (claim->credential.empty())
    missing += "Authorization header requires 'Credential' parameter. ";
  if (claim->signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
  if (claim->signed_headers.empty()) {
    missing += "Authorization header requires 'SignedHeaders' parameter. ";
  }
  if (amz_date == nullptr && date == nullptr) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) return Incomplete(missing + "Authorization=" + header);
  if (claim->algorithm != kAlgorithm) {
    return Incomplete("Unsupported AWS 'algorithm': '" + claim->algorithm + "'.");
  }
  if (amz_date != nullptr) {
    claim->amz_date = *amz_date;
  } else {
    int64_t millis = 0;
    if (!sigv4::ParseHttpDate(*date, &millis)) {
      return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + *date +
                        "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    claim->amz_date = sigv4::FormatAmzDate(millis);
  }
  return std::nullopt;
}

std::optional<AuthError> ClaimFromQuery(const QueryParams& params, SignatureClaim* claim) {
  static constexpr std::string_view kRequired[] = {"X-Amz-Algorithm", "X-Amz-Credential",
                                                   "X-Amz-Signature", "X-Amz-SignedHeaders",
                                                   "X-Amz-Date"};
  std::string missing;
  for (std::string_view name : kRequired) {
    const std::string* v = FindParam(params, name);
    if (v == nullptr || v->empty()) {
      missing += "AWS query-string parameters must include '" + std::string(name) + "'. ";
    }
  }
  if (!missing.empty()) return Incomplete(missing + "Re-examine the query-string parameters.");
  claim->from_query = true;
  claim->algorithm = *FindParam(params, "X-Amz-Algorithm");
  claim->credential = *FindParam(params, "X-Amz-Credential");
  claim->signature = *FindParam(params, "X-Amz-Signature");
  claim->signed_headers = *FindParam(params, "X-Amz-SignedHeaders");
  claim->amz_date = *FindParam(params, "X-Amz-Date");
  if (claim->algorithm != kAlgorithm) {
    return Incomplete("Unsupported AWS 'algorithm': '" + claim->algorithm + "'.");
  }
  return std::nullopt;
}

}  // namespace

// What CheckClaim() learns of a request, for the signature check.
struct SigV4Verifier::Claim {
  SignatureClaim signature;
  QueryParams params;
  std::string access_key_id;
  std::string_view date8, region, service;  // into signature.credential
  std::vector<std::string> signed_headers;
  const Credential* credential = nullptr;
};

SigV4Verifier::SigV4Verifier(std::vector<Credential> credentials, std::string region,
                             std::shared_ptr<tidelog::Clock> clock, int64_t max_skew_ms,
                             std::string service)
    : region_(std::move(region)),
      service_(std::move(service)),
      clock_(std::move(clock)),
      max_skew_ms_(max_skew_ms) {
  for (Credential& c : credentials) {
    std::string id = c.access_key_id;
    credentials_.emplace(std::move(id), std::move(c));
  }
}

std::optional<AuthError> SigV4Verifier::CheckClaim(const HttpRequest& request, Claim* out) const {
  std::string_view path, query;
  sigv4::SplitTarget(request.target, &path, &query);
  out->params = sigv4::ParseQuery(query);
  const QueryParams& params = out->params;
  const std::string* header = request.Header("authorization");
  const bool query_auth = FindParam(params, "X-Amz-Algorithm") != nullptr;
  if (header != nullptr && query_auth) {
    return Invalid(
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
        "header.");
  }
  if (header == nullptr && !query_auth) {
    return AuthError{"MissingAuthenticationTokenException", "Missing Authentication Token"};
  }

  SignatureClaim& claim = out->signature;
  std::optional<AuthError> error = header != nullptr ? ClaimFromHeader(request, *header, &claim)
                                                     : ClaimFromQuery(params, &claim);
  if (error) return error;

  int64_t request_millis = 0;
  if (!sigv4::ParseAmzDate(claim.amz_date, &request_millis)) {
    return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + claim.amz_date +
                      "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }

  std::vector<std::string_view> scope = Split(claim.credential, '/');
  if (scope.size() != 5) {
    return Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        claim.credential + "'");
  }
  out->access_key_id = std::string(scope[0]);
  out->date8 = scope[1];
  out->region = scope[2];
  out->service = scope[3];
  if (scope[4] != kTerminator) {
    return Invalid("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                   std::string(scope[4]) + "'. ");
  }
  if (out->service != service_) {
    return Invalid("Credential should be scoped to correct service: '" + service_ + "'. ");
  }
  if (out->region != region_) {
    return Invalid("Credential should be scoped to a valid region, not '" +
                   std::string(out->region) + "'. ");
  }
  if (out->date8 != std::string_view(claim.amz_date).substr(0, 8)) {
    return Invalid(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        std::string(out->date8) + "' != '" + claim.amz_date.substr(0, 8) + "', from '" +
        claim.amz_date + "'.");
  }

  auto found = credentials_.find(out->access_key_id);
  // A session credential is valid only with its own token; a long-term key
  // with any token is refused as AWS refuses a token it did not issue.
  const std::string* token = header != nullptr ? request.Header("x-amz-security-token")
                                               : FindParam(params, "X-Amz-Security-Token");
  const bool token_ok =
      found != credentials_.end() &&
      (found->second.session_token.empty()
           ? token == nullptr
           : token != nullptr && sigv4::ConstantTimeEquals(*token, found->second.session_token));
  if (!token_ok) {
    return AuthError{"UnrecognizedClientException",
                     "The security token included in the request is invalid."};
  }
  out->credential = &found->second;

  const int64_t now = clock_->NowMillis();
  const std::string window = std::to_string(max_skew_ms_ / 60000) + " min.)";
  if (request_millis < now - max_skew_ms_) {
    return Invalid("Signature expired: " + claim.amz_date + " is now earlier than " +
                   sigv4::FormatAmzDate(now - max_skew_ms_) + " (" + sigv4::FormatAmzDate(now) +
                   " - " + window);
  }
  if (request_millis > now + max_skew_ms_) {
    return Invalid("Signature not yet current: " + claim.amz_date + " is still later than " +
                   sigv4::FormatAmzDate(now + max_skew_ms_) + " (" + sigv4::FormatAmzDate(now) +
                   " + " + window);
  }

  for (std::string_view name : Split(claim.signed_headers, ';')) {
    out->signed_headers.emplace_back(name);
  }
  const auto signs = [&](std::string_view name) {
    return std::find(out->signed_headers.begin(), out->signed_headers.end(), name) !=
           out->signed_headers.end();
  };
  if (!signs("host") && !signs(":authority")) {
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return std::nullopt;
}

std::optional<AuthError> SigV4Verifier::VerifyHead(const HttpRequest& request) const {
  Claim claim;
  return CheckClaim(request, &claim);
}

std::optional<AuthError> SigV4Verifier::Verify(const HttpRequest& request) const {
  Claim claim;
  if (auto error = CheckClaim(request, &claim)) return error;
  const SignatureClaim& signature = claim.signature;

  // A client may sign a declared body hash; it must be the body's real hash,
  // or the signature would not cover the body.
  std::string payload_hash = sigv4::Sha256Hex(request.body);
  if (const std::string* declared = request.Header("x-amz-content-sha256")) {
    if (*declared != payload_hash) return Invalid(kSignatureMismatch);
  }

  std::string canonical_query =
      sigv4::CanonicalQuery(claim.params, signature.from_query ? "X-Amz-Signature" : "");
  std::string canonical = sigv4::CanonicalRequest(request, canonical_query, claim.signed_headers,
                                                  signature.signed_headers, payload_hash);
  std::string credential_scope = signature.credential.substr(claim.access_key_id.size() + 1);
  std::string string_to_sign = sigv4::StringToSign(signature.amz_date, credential_scope, canonical);
  sigv4::Digest key = sigv4::DeriveSigningKey(claim.credential->secret_access_key, claim.date8,
                                              claim.region, claim.service);
  std::string expected = sigv4::HexEncode(sigv4::HmacSha256(
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), string_to_sign));
  if (!sigv4::ConstantTimeEquals(expected, signature.signature)) {
    return Invalid(kSignatureMismatch);
  }
  return std::nullopt;
}

void SignRequestV4(HttpRequest* request, const Credential& credential, std::string_view region,
                   std::string_view service, int64_t now_millis) {
  auto& headers = request->headers;
  auto is_replaced = [](const std::pair<std::string, std::string>& h) {
    std::string name = h.first;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return name == "authorization" || name == "x-amz-date" || name == "x-amz-security-token";
  };
  headers.erase(std::remove_if(headers.begin(), headers.end(), is_replaced), headers.end());
  const std::string amz_date = sigv4::FormatAmzDate(now_millis);
  headers.emplace_back("x-amz-date", amz_date);
  if (!credential.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", credential.session_token);
  }

  std::vector<std::string> signed_headers;
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    signed_headers.push_back(std::move(lower));
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  signed_headers.erase(std::unique(signed_headers.begin(), signed_headers.end()),
                       signed_headers.end());
  std::string signed_headers_text;
  for (const std::string& name : signed_headers) {
    if (!signed_headers_text.empty()) signed_headers_text.push_back(';');
    signed_headers_text.append(name);
  }

  std::string_view path, query;
  sigv4::SplitTarget(request->target, &path, &query);
  std::string canonical_query = sigv4::CanonicalQuery(sigv4::ParseQuery(query));
  std::string payload_hash;
  if (const std::string* declared = request->Header("x-amz-content-sha256")) {
    payload_hash = *declared;
  } else {
    payload_hash = sigv4::Sha256Hex(request->body);
  }
  std::string canonical = sigv4::CanonicalRequest(*request, canonical_query, signed_headers,
                                                  signed_headers_text, payload_hash);
  const std::string date8 = amz_date.substr(0, 8);
  std::string scope = date8 + "/" + std::string(region) + "/" + std::string(service) + "/" +
                      std::string(kTerminator);
  std::string string_to_sign = sigv4::StringToSign(amz_date, scope, canonical);
  sigv4::Digest key = sigv4::DeriveSigningKey(credential.secret_access_key, date8, region, service);
  std::string signature = sigv4::HexEncode(sigv4::HmacSha256(
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), string_to_sign));
  headers.emplace_back("authorization", std::string(kAlgorithm) +
                                            " Credential=" + credential.access_key_id + "/" +
                                            scope + ", SignedHeaders=" + signed_headers_text +
                                            ", Signature=" + signature);
}

}  // namespace tidelog::server
