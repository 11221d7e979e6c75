// The text of the dashboard's files, one definition per file
// (dashboard_page.cc: HTML, CSS, icon; dashboard_app_js.cc and
// dashboard_charts_js.cc: the scripts). Internal to dashboard_assets.cc.
#pragma once

#include <string_view>

namespace tidelog::server::dashboard_text {

extern const std::string_view kIndexHtml;
extern const std::string_view kAppCss;
extern const std::string_view kFaviconSvg;
extern const std::string_view kAppJs;     // polling, rates, the stream cards
extern const std::string_view kChartsJs;  // SVG charts and the hash-range lineage map

}  // namespace tidelog::server::dashboard_text
