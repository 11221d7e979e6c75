// The dashboard's page, style sheet and icon as compiled-in text. The page
// holds no inline script or style (the Content-Security-Policy forbids them):
// it loads /dashboard/charts.js and /dashboard/app.js.
#include "server/observability/dashboard_asset_text.h"

namespace tidelog::server::dashboard_text {

const std::string_view kIndexHtml = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tidelog dashboard</title>
<link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/charts.js" defer></script>
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1>Tidelog</h1>
  <span id="version" class="muted"></span>
  <span id="status" data-state="loading" data-polls="0">loading</span>
  <span id="updated" class="muted"></span>
</header>
<section id="overview" class="panel">
  <div class="figures">
    <div class="figure"><span class="label">streams</span><span id="stream-count" data-field="stream-count">-</span></div>
    <div class="figure"><span class="label">open shards</span><span id="open-shard-total" data-field="open-shard-total">-</span></div>
    <div class="figure"><span class="label">incoming</span><span id="incoming-total" data-field="incoming-total">-</span></div>
    <div class="figure"><span class="label">outgoing</span><span id="outgoing-total" data-field="outgoing-total">-</span></div>
    <div class="figure"><span class="label">stored</span><span id="stored-total" data-field="stored-total">-</span></div>
    <div class="figure"><span class="label">free disk</span><span id="free-bytes" data-field="free-bytes">-</span></div>
    <div class="figure"><span class="label">store</span><span id="store-state" data-field="store-state">-</span></div>
    <div class="figure"><span class="label">connections</span><span id="connections" data-field="connections">-</span></div>
  </div>
  <p id="segments" class="muted" data-field="segments"></p>
  <p id="omitted" class="warn" hidden></p>
</section>
<main id="streams"></main>
<p id="empty" class="muted" hidden>No streams yet.</p>
<footer class="muted">Rates are computed in this page from the broker's cumulative counters
  (<code>/dashboard/api/state</code>), polled once a second (<code>?interval=</code> milliseconds
  to change it); the last 120 polls are drawn.</footer>
</body>
</html>
)HTML";

const std::string_view kAppCss = R"CSS(
:root {
  --bg: #0f1720; --panel: #17212c; --line: #263445; --text: #d8e1ea; --muted: #8597a8;
  --open: #3fa7d6; --closed: #55606b; --in: #59c48b; --out: #e0a03c; --age: #c678dd;
  --throttle: #e06c75; --warn: #e5c07b;
  font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px;
}
* { box-sizing: border-box; }
body { margin: 0; padding: 0 16px 16px; background: var(--bg); color: var(--text); }
header.top { display: flex; align-items: baseline; gap: 16px; padding: 12px 0; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 16px; margin: 0; }
h3 { font-size: 13px; margin: 12px 0 6px; color: var(--muted); font-weight: 600;
     text-transform: uppercase; letter-spacing: 0.04em; }
.muted { color: var(--muted); }
.warn { color: var(--warn); }
#status { padding: 2px 8px; border-radius: 10px; background: var(--line); }
#status[data-state="live"] { background: #1f4d36; }
#status[data-state="error"] { background: #5c2429; }
.panel, section.stream { background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
.figures { display: flex; flex-wrap: wrap; gap: 8px 28px; }
.figure { display: flex; flex-direction: column; }
.figure .label { color: var(--muted); font-size: 12px; }
.figure > span:last-child { font-size: 18px; font-variant-numeric: tabular-nums; }
.stream-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; }
.badge { padding: 1px 7px; border-radius: 9px; background: var(--line); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
          gap: 10px; margin-top: 10px; }
.chart-box { border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; }
.chart-box .title { display: flex; justify-content: space-between; font-size: 12px;
                    color: var(--muted); }
.chart-box .value { color: var(--text); font-variant-numeric: tabular-nums; }
svg.chart { display: block; width: 100%; height: 48px; }
svg.spark { display: block; width: 110px; height: 22px; }
svg.chart .base, svg.spark .base { stroke: var(--line); stroke-width: 1; }
svg.chart polyline, svg.spark polyline { fill: none; stroke-width: 1.5;
  vector-effect: non-scaling-stroke; }
.s-incoming polyline { stroke: var(--in); }
.s-outgoing polyline { stroke: var(--out); }
.s-age polyline { stroke: var(--age); }
.s-throttle polyline { stroke: var(--throttle); }
svg.lineage { display: block; width: 100%; }
svg.lineage rect.open { fill: var(--open); }
svg.lineage rect.closed { fill: var(--closed); }
svg.lineage text { fill: #0b1117; font-size: 11px; }
svg.lineage text.closed { fill: var(--text); }
svg.lineage line.link { stroke: var(--muted); stroke-width: 1; stroke-dasharray: 3 2; }
svg.lineage text.axis { fill: var(--muted); font-size: 10px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line);
         vertical-align: middle; }
th { color: var(--muted); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.hash { font-family: ui-monospace, monospace; font-size: 11px; word-break: break-all; }
tr.closed td { color: var(--muted); }
tr.closed td[data-field="state"] { font-style: italic; }
ul.consumers { margin: 0; padding-left: 18px; }
ul.consumers .arn { font-family: ui-monospace, monospace; font-size: 11px; color: var(--muted); }
.table-wrap { overflow-x: auto; }
code { font-family: ui-monospace, monospace; }
)CSS";

const std::string_view kFaviconSvg =
    R"SVG(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#17212c"/><path d="M1 10 Q4 6 8 10 T15 10" stroke="#3fa7d6" stroke-width="2" fill="none"/></svg>
)SVG";

}  // namespace tidelog::server::dashboard_text
