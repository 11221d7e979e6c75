// /dashboard/charts.js: the dashboard's drawing, vanilla JavaScript building
// SVG: line charts of a rate's last samples (with the drawn values in data-
// attributes, which the end-to-end test reads) and the shard map, every shard
// a bar over the hash-key space 0..2^128 in the row of its lineage depth,
// links from parents to children, closed shards grey.
#include "server/observability/dashboard_asset_text.h"

namespace tidelog::server::dashboard_text {

const std::string_view kChartsJs = R"JS("use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const HASH_SPACE = 1n << 128n;

  function svg(tag, attrs, parent) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    if (parent) parent.appendChild(el);
    return el;
  }

  function title(parent, text) {
    svg("title", {}, parent).textContent = text;
  }

  // A decimal hash key's place in 0..2^128 as a fraction (BigInt, exact to 1e-9).
  function fraction(decimal) {
    try {
      const v = BigInt(decimal);
      if (v < 0n) return 0;
      if (v >= HASH_SPACE) return 1;
      return Number((v * 1000000000n) / HASH_SPACE) / 1e9;
    } catch (e) {
      return 0;
    }
  }

  // The share of the hash-key space [start, end] covers, in percent.
  function share(start, end) {
    try {
      const n = BigInt(end) - BigInt(start) + 1n;
      if (n <= 0n) return 0;
      return Number((n * 10000000n) / HASH_SPACE) / 100000;
    } catch (e) {
      return 0;
    }
  }

  // A line chart of `values` (the newest last, at the right edge) scaled to
  // their maximum. `capacity` points fill the width.
  function lineChart(values, opts) {
    const W = 240, H = 48;
    const cls = opts.small ? "spark" : "chart";
    const el = svg("svg", {
      "class": cls + " s-" + opts.kind, viewBox: "0 0 " + W + " " + H,
      preserveAspectRatio: "none", "data-series": opts.series,
    });
    const n = values.length;
    let max = 0;
    for (const v of values) if (v > max) max = v;
    const base = H - 1;
    svg("line", { "class": "base", x1: 0, y1: base, x2: W, y2: base }, el);
    const cap = Math.max(2, opts.capacity || 120);
    const step = W / (cap - 1);
    const points = [];
    for (let i = 0; i < n; i++) {
      const x = W - (n - 1 - i) * step;
      const y = max > 0 ? base - (values[i] / max) * (H - 4) : base;
      points.push(x.toFixed(2) + "," + y.toFixed(2));
    }
    if (points.length > 0) svg("polyline", { points: points.join(" ") }, el);
    el.dataset.count = String(n);
    el.dataset.max = String(max);
    el.dataset.last = String(n > 0 ? values[n - 1] : 0);
    el.dataset.baseline = String(base);
    return el;
  }

  // Lineage depth of each shard: 0 without a listed parent, else one more
  // than its deepest listed parent. Cycles (bad input) stop the descent.
  function depths(shards) {
    const byId = new Map(shards.map((s) => [s.id, s]));
    const depth = new Map();
    const visiting = new Set();
    function of(s) {
      if (depth.has(s.id)) return depth.get(s.id);
      if (visiting.has(s.id)) return 0;
      visiting.add(s.id);
      let d = 0;
      for (const p of [s.parent, s.adjacent_parent]) {
        if (p && byId.has(p)) d = Math.max(d, of(byId.get(p)) + 1);
      }
      visiting.delete(s.id);
      depth.set(s.id, d);
      return d;
    }
    for (const s of shards) of(s);
    return depth;
  }

  function shortId(id) {
    const m = /-0*(\d+)$/.exec(id);
    return m ? m[1] : id;
  }

  // The shard map of one stream.
  function lineageMap(shards) {
    const W = 1000, ROW = 22, GAP = 16, TOP = 4, AXIS = 16;
    const depth = depths(shards);
    let rows = 0;
    for (const d of depth.values()) rows = Math.max(rows, d + 1);
    const H = TOP + rows * ROW + Math.max(0, rows - 1) * GAP + AXIS + 4;
    const el = svg("svg", {
      "class": "lineage", viewBox: "0 0 " + W + " " + H, "data-rows": rows,
      role: "img", "aria-label": "shard hash-key ranges and lineage",
    });
    const place = new Map();
    for (const s of shards) {
      const x0 = fraction(s.start) * W;
      const x1 = Math.max(x0 + 1, (fraction(s.end) + 1 / 1e9) * W);
      const y = TOP + depth.get(s.id) * (ROW + GAP);
      place.set(s.id, { x0: x0, x1: x1, y: y });
    }
    for (const s of shards) {
      const c = place.get(s.id);
      for (const p of [s.parent, s.adjacent_parent]) {
        const pp = p && place.get(p);
        if (!pp) continue;
        const lo = Math.max(pp.x0, c.x0), hi = Math.min(pp.x1, c.x1);
        const x = hi > lo ? (lo + hi) / 2 : (c.x0 + c.x1) / 2;
        svg("line", { "class": "link", x1: x, y1: pp.y + ROW, x2: x, y2: c.y,
                      "data-from": p, "data-to": s.id }, el);
      }
    }
    for (const s of shards) {
      const c = place.get(s.id);
      const state = s.open ? "open" : "closed";
      const g = svg("g", { "class": "shard-bar", "data-shard": s.id, "data-open": s.open }, el);
      svg("rect", { "class": state, x: c.x0 + 0.5, y: c.y, width: Math.max(1, c.x1 - c.x0 - 1),
                    height: ROW, rx: 3 }, g);
      if (c.x1 - c.x0 > 28) {
        svg("text", { "class": state, x: c.x0 + 6, y: c.y + 15 }, g).textContent =
          shortId(s.id) + (s.open ? "" : " (closed)");
      }
      title(g, s.id + " (" + state + ")\nhash keys " + s.start + " .. " + s.end +
        "\n" + share(s.start, s.end).toFixed(3) + "% of the key space");
    }
    const axisY = H - 4;
    const ticks = [[0, "0"], [0.25, "2^126"], [0.5, "2^127"], [0.75, "3\u00b72^126"], [1, "2^128"]];
    for (const [f, label] of ticks) {
      const anchor = f === 0 ? "start" : f === 1 ? "end" : "middle";
      svg("text", { "class": "axis", x: f * W, y: axisY, "text-anchor": anchor }, el)
        .textContent = label;
    }
    return el;
  }

  window.TidelogCharts = { lineChart: lineChart, lineageMap: lineageMap, share: share,
                           fraction: fraction, depths: depths, shortId: shortId };
})();
)JS";

}  // namespace tidelog::server::dashboard_text
