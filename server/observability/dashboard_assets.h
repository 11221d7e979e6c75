// The dashboard's static files (HTML, CSS, JavaScript, icon), compiled into
// the binary and served by ObservabilityHandler with their content type, a
// strict Content-Security-Policy and an ETag; nothing is fetched from
// elsewhere at run time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tidelog::server {

struct DashboardAsset {
  std::string_view path;          // "/dashboard/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string etag;  // quoted, from the body's hash
};

// The asset served at `path` ("/dashboard", "/dashboard/" and "/dashboard/index.html" are
// the page), or nullptr.
const DashboardAsset* FindDashboardAsset(std::string_view path);

// The page itself (what GET / answers on the Kinesis port).
const DashboardAsset& DashboardPage();

// The headers every dashboard response carries: Content-Security-Policy
// (default-src 'self', no inline script or style), nosniff, no framing, no
// referrer.
std::vector<std::pair<std::string, std::string>> DashboardSecurityHeaders();

}  // namespace tidelog::server
