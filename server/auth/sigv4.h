// AWS Signature Version 4 for service `kinesis`: verifying signed requests on
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
};

// A rejected request: the AWS exception name and AWS's exact message text.
struct AuthError {
  std::string type;
  std::string message;
};

// Checks header-form (Authorization) and query-string-form (X-Amz-*) SigV4
// signatures. Any region in the credential scope is accepted; the service
// must be `kinesis`. Immutable after construction, so thread-safe.
class SigV4Verifier {
 public:
  SigV4Verifier(std::vector<Credential> credentials, std::shared_ptr<tidelog::Clock> clock,
                int64_t max_skew_ms = 15 * 60 * 1000);

  // nullopt when the request is correctly signed by a known credential.
  std::optional<AuthError> Verify(const HttpRequest& request) const;

 private:
  std::unordered_map<std::string, std::string> secrets_;  // access key id -> secret
  std::shared_ptr<tidelog::Clock> clock_;
  int64_t max_skew_ms_;
};

// Adds X-Amz-Date and Authorization (header form) to `request`, signing every
// header present (the caller sets host, content-type, x-amz-target first).
// Replaces an Authorization or X-Amz-Date already present.
void SignRequestV4(HttpRequest* request, const Credential& credential, std::string_view region,
                   std::string_view service, int64_t now_millis);

}  // namespace tidelog::server
