// ObservabilityHandler: the broker's operator endpoints, in front of the
// Kinesis protocol handler on the same port (or alone on --metrics-listen):
//   GET /metrics        Prometheus text format (metrics_exporter.h)
//   GET /health         readiness: 200 while the store serves, 503 while it is
//                       degraded or closed after a write error; JSON body
//   GET /health/ready   the same
//   GET /health/live    200 while the process answers
//   GET /dashboard/     the live dashboard (dashboard_assets.h), also at
//                       GET / without an X-Amz-Target header when `next` is
//                       set (POST / and the rest of / stay Kinesis'); its
//                       files under /dashboard/ and its data at
//                       GET /dashboard/api/state (dashboard_state.h)
// Anything else goes to `next` (404 without one). These paths need no
// signature, as Prometheus and load balancers expect; they reveal stream
// names and traffic figures, so --metrics-listen can put them on another
// address.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/http/http_message.h"
#include "tidelog/engine.h"

namespace tidelog::server {

struct ObservabilityOptions {
  std::string version;  // tidelog_build_info
  // Requests waiting for the collector thread; past it they get 503.
  size_t max_queued = 16;
};

class ObservabilityHandler final : public RequestHandler {
 public:
  // `engine` and `next` (may be nullptr) must outlive the handler.
  ObservabilityHandler(tidelog::Engine* engine, RequestHandler* next, ObservabilityOptions options);
  ~ObservabilityHandler() override;  // answers what is queued, joins the collector
  ObservabilityHandler(const ObservabilityHandler&) = delete;
  ObservabilityHandler& operator=(const ObservabilityHandler&) = delete;

  // Where tidelog_http_open_connections comes from (the server made after
  // this handler); set before requests arrive.
  void SetOpenConnections(std::function<size_t()> open_connections);

  std::optional<HttpResponse> CheckHead(const HttpRequest& head) override;
  void Handle(HttpRequest request, Responder done) override;

 private:
  enum class Endpoint { kNone, kMetrics, kHealth, kLive, kDashboardAsset, kDashboardState };
  Endpoint EndpointOf(const HttpRequest& request) const;
  HttpResponse Answer(Endpoint endpoint, bool head_only);
  void Run();

  tidelog::Engine* const engine_;
  RequestHandler* const next_;
  const ObservabilityOptions options_;
  std::function<size_t()> open_connections_;

  std::mutex mu_;
  std::condition_variable cv_;
  struct Pending {
    Endpoint endpoint;
    bool head_only;
    Responder done;
  };
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread collector_;      // blocking engine calls happen here, never on a loop
};

}  // namespace tidelog::server
