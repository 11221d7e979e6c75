// ObservabilityHandler: routes the operator paths to one collector thread
// (engine snapshots can touch the disk) and everything else onward.
#include "server/observability/observability_handler.h"

#include <string_view>
#include <utility>

#include "server/observability/dashboard_assets.h"
#include "server/observability/dashboard_state.h"
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

bool GetOrHead(const HttpRequest& request) {
  return request.method == "GET" || request.method == "HEAD";
}

// The compiled-in file at `request`'s path (the page for "/"), or nullptr.
const DashboardAsset* AssetOf(const HttpRequest& request) {
  const std::string_view path = Path(request.target);
  if (path == "/") return &DashboardPage();
  return FindDashboardAsset(path);
}

void AddDashboardHeaders(HttpResponse* r, std::string_view cache_control) {
  for (auto& h : DashboardSecurityHeaders()) r->headers.push_back(std::move(h));
  r->headers.emplace_back("Cache-Control", std::string(cache_control));
}

// True when If-None-Match lists `etag` (or is "*").
bool NotModified(const HttpRequest& request, std::string_view etag) {
  const std::string* inm = request.Header("if-none-match");
  if (inm == nullptr) return false;
  std::string_view rest = *inm;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view tag = rest.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

// A compiled-in file: no engine call, so answered where it arrives. HEAD
// keeps the body for its Content-Length; the connection does not send it.
HttpResponse AssetResponse(const HttpRequest& request, const DashboardAsset& asset) {
  HttpResponse r;
  if (NotModified(request, asset.etag)) {
    r.status = 304;
  } else {
    r.headers.emplace_back("Content-Type", std::string(asset.content_type));
    r.body = std::string(asset.body);
  }
  r.headers.emplace_back("ETag", asset.etag);
  // Revalidated on every load (a new binary may serve new files); the ETag
  // makes that a 304.
  AddDashboardHeaders(&r, "no-cache");
  return r;
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

ObservabilityHandler::Endpoint ObservabilityHandler::EndpointOf(const HttpRequest& request) const {
  const std::string_view path = Path(request.target);
  if (path == "/metrics") return Endpoint::kMetrics;
  if (path == "/health" || path == "/health/ready") return Endpoint::kHealth;
  if (path == "/health/live") return Endpoint::kLive;
  if (path == "/dashboard/api/state") return Endpoint::kDashboardState;
  if (path == "/") {
    // "/" is the Kinesis protocol's: only a browser's plain GET (no
    // X-Amz-Target, so not an AWS call with the wrong method, which Kinesis
    // answers) gets the page, and only in front of the Kinesis handler.
    const bool browser =
        next_ != nullptr && GetOrHead(request) && request.Header("x-amz-target") == nullptr;
    return browser ? Endpoint::kDashboardAsset : Endpoint::kNone;
  }
  if (FindDashboardAsset(path) != nullptr) return Endpoint::kDashboardAsset;
  return Endpoint::kNone;
}

std::optional<HttpResponse> ObservabilityHandler::CheckHead(const HttpRequest& head) {
  if (EndpointOf(head) == Endpoint::kNone) {
    if (next_ != nullptr) return next_->CheckHead(head);
    return Text(404, "text/plain; charset=utf-8", "not found\n");
  }
  if (!GetOrHead(head)) {
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
  if (endpoint == Endpoint::kDashboardAsset) {
    const DashboardAsset* asset = AssetOf(request);
    if (asset != nullptr) return done(AssetResponse(request, *asset));
    return done(Text(404, "text/plain; charset=utf-8", "not found\n"));
  }
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
  if (endpoint == Endpoint::kDashboardState) {
    DashboardSnapshot snapshot;
    Status s =
        CollectDashboardSnapshot(engine_, kMaxDashboardStreams, kMaxDashboardShards, &snapshot);
    if (!s.ok()) {
      r = Json(500, "{\"status\":\"error\"}\n");
      r.internal_detail = "dashboard state: " + s.ToString();
      AddDashboardHeaders(&r, "no-store");
      return r;
    }
    DashboardServerInfo server;
    server.version = options_.version;
    std::function<size_t()> open;
    {
      std::lock_guard<std::mutex> lock(mu_);
      open = open_connections_;
    }
    if (open) server.open_connections = open();
    r = Json(200, RenderDashboardState(snapshot, server));
    AddDashboardHeaders(&r, "no-store");
    return r;  // HEAD: the connection leaves the body out, Content-Length stays right
  }
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
