// CORS headers and preflight answers (see cors.h).
#include "server/kinesis/cors.h"

namespace tidelog::server::kinesis {

bool HasOrigin(const HttpRequest& request) { return request.Header("origin") != nullptr; }

std::optional<HttpResponse> CorsPreflight(const HttpRequest& request) {
  if (request.method != "OPTIONS" || !HasOrigin(request)) return std::nullopt;
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  if (const std::string* h = request.Header("access-control-request-headers"))
    r.headers.emplace_back("Access-Control-Allow-Headers", *h);
  if (const std::string* m = request.Header("access-control-request-method"))
    r.headers.emplace_back("Access-Control-Allow-Methods", *m);
  r.headers.emplace_back("Access-Control-Max-Age", "172800");
  return r;
}

void AddCorsHeaders(HttpResponse* response) {
  response->headers.emplace_back("Access-Control-Allow-Origin", "*");
  response->headers.emplace_back(
      "Access-Control-Expose-Headers",
      "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date");
}

}  // namespace tidelog::server::kinesis
