// ObservabilityHandler: routes the operator paths to one collector thread
// (engine snapshots can touch the disk) and everything else onward.
#include "server/observability/observability_handler.h"

#include <string_view>
#include <utility>

#include "server/observability/metrics_exporter.h"

namespace tidelog::server {
namespace {

HttpResponse Text(int status, std::string content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

HttpResponse Json(int status, std::string body) {
  return Text(status, "application/json", std::move(body));
}

std::string_view Path(std::string_view target) {
  const size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

ObservabilityHandler::ObservabilityHandler(tidelog::Engine* engine, RequestHandler* next,
                                           ObservabilityOptions options)
    : engine_(engine), next_(next), options_(std::move(options)) {
  collector_ = std::thread([this] { Run(); });
}

ObservabilityHandler::~ObservabilityHandler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  collector_.join();
}

void ObservabilityHandler::SetOpenConnections(std::function<size_t()> open_connections) {
  std::lock_guard<std::mutex> lock(mu_);
  open_connections_ = std::move(open_connections);
}

ObservabilityHandler::Endpoint ObservabilityHandler::EndpointOf(const HttpRequest& request) {
  const std::string_view path = Path(request.target);
  if (path == "/metrics") return Endpoint::kMetrics;
  if (path == "/health" || path == "/health/ready") return Endpoint::kHealth;
  if (path == "/health/live") return Endpoint::kLive;
  return Endpoint::kNone;
}

std::optional<HttpResponse> ObservabilityHandler::CheckHead(const HttpRequest& head) {
  if (EndpointOf(head) == Endpoint::kNone) {
    if (next_ != nullptr) return next_->CheckHead(head);
    return Text(404, "text/plain; charset=utf-8", "not found\n");
  }
  if (head.method != "GET" && head.method != "HEAD") {
    HttpResponse r = Text(405, "text/plain; charset=utf-8", "use GET\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  return std::nullopt;
}

void ObservabilityHandler::Handle(HttpRequest request, Responder done) {
  const Endpoint endpoint = EndpointOf(request);
  if (endpoint == Endpoint::kNone) {
    if (next_ != nullptr) return next_->Handle(std::move(request), std::move(done));
    return done(Text(404, "text/plain; charset=utf-8", "not found\n"));
  }
  if (endpoint == Endpoint::kLive) return done(Json(200, "{\"status\":\"ok\"}\n"));
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back({endpoint, request.method == "HEAD", std::move(done)});
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  done(Json(503, "{\"status\":\"busy\"}\n"));
}

void ObservabilityHandler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    HttpResponse r = Answer(p.endpoint, p.head_only);
    p.done(std::move(r));
    lock.lock();
  }
}

HttpResponse ObservabilityHandler::Answer(Endpoint endpoint, bool head_only) {
  HttpResponse r;
  if (endpoint == Endpoint::kMetrics) {
    EngineMetrics metrics;
    Status s = engine_->CollectMetrics(&metrics);
    if (!s.ok()) return Json(500, "{\"status\":\"error\"}\n");
    ServerFigures server;
    server.version = options_.version;
    std::function<size_t()> open;
    {
      std::lock_guard<std::mutex> lock(mu_);
      open = open_connections_;
    }
    if (open) server.open_connections = open();
    r = Text(200, "text/plain; version=0.0.4; charset=utf-8",
             RenderPrometheusMetrics(metrics, server));
  } else {
    StoreMetrics store;
    Status s = engine_->CollectStoreMetrics(&store);
    const bool ready = s.ok() && !store.degraded && !store.closed;
    const bool writable = ready && store.free_bytes >= store.min_free_bytes;
    std::string body = std::string("{\"status\":\"") + (ready ? "ok" : "unavailable") +
                       "\",\"store\":{\"degraded\":" + (store.degraded ? "true" : "false") +
                       ",\"closed\":" + (store.closed ? "true" : "false") +
                       ",\"accepting_writes\":" + (writable ? "true" : "false") +
                       ",\"free_bytes\":" + std::to_string(store.free_bytes) +
                       ",\"min_free_bytes\":" + std::to_string(store.min_free_bytes) + "}}\n";
    r = Json(ready ? 200 : 503, std::move(body));
  }
  if (head_only) r.body.clear();
  return r;
}

}  // namespace tidelog::server
