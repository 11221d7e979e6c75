// CloudWatchService: the CloudWatch API subset (GetMetricStatistics,
// GetMetricData, ListMetrics for AWS/Kinesis) on the broker's port, in front
// of the Kinesis handler. Claims the requests cloudwatch_wire.h routes
// (rpc-v2-cbor path, GraniteServiceVersion20100801 target, form-encoded
// query), checks their SigV4 signature for service `monitoring`, answers from
// MetricHistory; everything else goes to `next`.
#pragma once

#include <optional>

#include "server/cloudwatch/cloudwatch_wire.h"
#include "server/cloudwatch/metric_history.h"
#include "server/http/http_message.h"

namespace tidelog::server {

class SigV4Verifier;

namespace cloudwatch {

class CloudWatchService final : public RequestHandler {
 public:
  // `history`, `next` and `verifier` (nullptr: authentication off) must
  // outlive the service. The verifier must be scoped to "monitoring".
  CloudWatchService(const MetricHistory* history, RequestHandler* next,
                    const SigV4Verifier* verifier);

  std::optional<HttpResponse> CheckHead(const HttpRequest& head) override;
  void Handle(HttpRequest request, Responder done) override;

 private:
  std::optional<HttpResponse> Reject(const HttpRequest& request, const Route& route,
                                     bool head_only) const;

  const MetricHistory* const history_;
  RequestHandler* const next_;
  const SigV4Verifier* const verifier_;
};

}  // namespace cloudwatch
}  // namespace tidelog::server
