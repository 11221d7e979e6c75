// FindDashboardAsset: the table of compiled-in dashboard files and their
// ETags (FNV-1a of the body, computed once).
#include "server/observability/dashboard_assets.h"

#include <array>
#include <cstdint>
#include <cstdio>

#include "server/observability/dashboard_asset_text.h"

namespace tidelog::server {
namespace {

std::string Etag(std::string_view body) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof(buf), "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

DashboardAsset Make(std::string_view path, std::string_view type, std::string_view body) {
  return DashboardAsset{path, type, body, Etag(body)};
}

const std::array<DashboardAsset, 5>& Assets() {
  static const std::array<DashboardAsset, 5> assets = {
      Make("/dashboard/", "text/html; charset=utf-8", dashboard_text::kIndexHtml),
      Make("/dashboard/app.css", "text/css; charset=utf-8", dashboard_text::kAppCss),
      Make("/dashboard/app.js", "text/javascript; charset=utf-8", dashboard_text::kAppJs),
      Make("/dashboard/charts.js", "text/javascript; charset=utf-8", dashboard_text::kChartsJs),
      Make("/dashboard/favicon.svg", "image/svg+xml", dashboard_text::kFaviconSvg),
  };
  return assets;
}

}  // namespace

const DashboardAsset& DashboardPage() { return Assets()[0]; }

const DashboardAsset* FindDashboardAsset(std::string_view path) {
  if (path == "/dashboard" || path == "/dashboard/index.html") return &DashboardPage();
  for (const DashboardAsset& a : Assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> DashboardSecurityHeaders() {
  return {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
  };
}

}  // namespace tidelog::server
