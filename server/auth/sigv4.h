// AWS Signature Version 4 (service `kinesis`, or `monitoring` for the
// CloudWatch API): verifying signed requests on
// the broker and signing requests in clients (the load tool, tests).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/http/http_message.h"
#include "tidelog/clock.h"

namespace tidelog::server {

struct Credential {
  std::string access_key_id;
  std::string secret_access_key;
  // Temporary (session) credentials: the X-Amz-Security-Token every request
  // signed with this key must carry. Empty for a long-term key, which takes
  // no token.
  std::string session_token;
};

// A rejected request: the AWS exception name and AWS's exact message text.
struct AuthError {
  std::string type;
  std::string message;
};

// Checks header-form (Authorization) and query-string-form (X-Amz-*) SigV4
// signatures. The credential scope must name `region` and `service`
// ("kinesis"; "monitoring" for CloudWatch); a session credential's requests must carry its token.
// Immutable after construction, so thread-safe.
class SigV4Verifier {
 public:
  SigV4Verifier(std::vector<Credential> credentials, std::string region,
                std::shared_ptr<tidelog::Clock> clock, int64_t max_skew_ms = 15 * 60 * 1000,
                std::string service = "kinesis");

  // Every check that needs no body: presence and form of the signature
  // fields, the credential and its scope (key, date, region, service), the
  // session token and the clock skew. nullopt when the request may still be
  // valid; the body is worth reading only then.
  std::optional<AuthError> VerifyHead(const HttpRequest& request) const;

  // nullopt when the request is correctly signed by a known credential
  // (VerifyHead's checks, then the signature over the body).
  std::optional<AuthError> Verify(const HttpRequest& request) const;

 private:
  struct Claim;
  std::optional<AuthError> CheckClaim(const HttpRequest& request, Claim* claim) const;

  std::unordered_map<std::string, Credential> credentials_;  // by access key id
  std::string region_;
  std::string service_;
  std::shared_ptr<tidelog::Clock> clock_;
  int64_t max_skew_ms_;
};

// Adds X-Amz-Date, X-Amz-Security-Token (session credentials) and
// Authorization (header form) to `request`, signing every header present (the
// caller sets host, content-type, x-amz-target first). Replaces any of those
// three already present.
void SignRequestV4(HttpRequest* request, const Credential& credential, std::string_view region,
                   std::string_view service, int64_t now_millis);

}  // namespace tidelog::server
