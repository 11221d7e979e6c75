// CloudWatchService: routing, authentication and dispatch (cloudwatch_service.h).
#include "server/cloudwatch/cloudwatch_service.h"

#include <chrono>

#include "server/auth/sigv4.h"
#include "server/cloudwatch/cloudwatch_operations.h"
#include "server/http/request_id.h"

namespace tidelog::server::cloudwatch {
namespace {

// SigV4 failures under the names CloudWatch (a query-protocol service) uses.
CloudWatchError FromAuthError(const AuthError& e) {
  if (e.type == "MissingAuthenticationTokenException") {
    return {"MissingAuthenticationToken", "", e.message, 403, true};
  }
  if (e.type == "IncompleteSignatureException") {
    return {"IncompleteSignature", "", e.message, 400, true};
  }
  if (e.type == "UnrecognizedClientException") {
    return {"InvalidClientTokenId", "", "The security token included in the request is invalid.",
            403, true};
  }
  return {"SignatureDoesNotMatch", "", e.message, 403, true};
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CloudWatchService::CloudWatchService(const MetricHistory* history, RequestHandler* next,
                                     const SigV4Verifier* verifier)
    : history_(history), next_(next), verifier_(verifier) {}

std::optional<HttpResponse> CloudWatchService::Reject(const HttpRequest& request,
                                                      const Route& route, bool head_only) const {
  const std::string id = NewRequestId();
  if (request.method != "POST") {
    HttpResponse r = EncodeError(
        route.protocol,
        {"InvalidAction", "",
         "CloudWatch requests are POSTs; this server does not take " + request.method + ".", 405,
         true},
        id);
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (verifier_ != nullptr) {
    const std::optional<AuthError> e =
        head_only ? verifier_->VerifyHead(request) : verifier_->Verify(request);
    if (e) return EncodeError(route.protocol, FromAuthError(*e), id);
  }
  return std::nullopt;
}

std::optional<HttpResponse> CloudWatchService::CheckHead(const HttpRequest& head) {
  const std::optional<Route> route = RouteOf(head);
  if (!route) {
    return next_ != nullptr ? next_->CheckHead(head) : std::nullopt;
  }
  return Reject(head, *route, true);
}

void CloudWatchService::Handle(HttpRequest request, Responder done) {
  std::optional<Route> route = RouteOf(request);
  if (!route) {
    if (next_ != nullptr) {
      next_->Handle(std::move(request), std::move(done));
    } else {
      HttpResponse r;
      r.status = 404;
      done(std::move(r));
    }
    return;
  }
  if (std::optional<HttpResponse> rejected = Reject(request, *route, false)) {
    done(std::move(*rejected));
    return;
  }
  const std::string id = NewRequestId();
  JsonValue input;
  JsonValue output;
  CloudWatchError error;
  // The work is in memory and bounded (MetricHistory's window, 500 queries):
  // done here, on the loop, like the Kinesis codecs' parsing.
  if (!DecodeInput(request.body, &*route, &input, &error) ||
      !RunOperation(*history_, route->operation, input, NowMillis(), &output, &error)) {
    done(EncodeError(route->protocol, error, id));
    return;
  }
  done(EncodeOutput(*route, output, id));
}

}  // namespace tidelog::server::cloudwatch
