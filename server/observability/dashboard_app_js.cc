// /dashboard/app.js: the dashboard's logic, vanilla JavaScript. Polls
// /dashboard/api/state (one request at a time, every `?interval=` ms, 1000 by
// default), turns the cumulative counters of successive answers into rates,
// keeps the last CAPACITY samples per stream and shard (series of streams and
// shards that went away are dropped), and redraws every stream's card with
// DOM calls only (no HTML strings: names are text, never markup).
#include "server/observability/dashboard_asset_text.h"

namespace tidelog::server::dashboard_text {

const std::string_view kAppJs = R"JS("use strict";
(function () {
  const C = window.TidelogCharts;
  const CAPACITY = 120;
  const params = new URLSearchParams(location.search);
  const INTERVAL = Math.min(10000, Math.max(250, Number(params.get("interval")) || 1000));
  const COUNTERS = ["incoming_records", "incoming_bytes", "outgoing_records", "outgoing_bytes",
                    "write_throttled_records", "read_throttled_calls"];

  // key ("s:<stream>" or "h:<stream>/<shard>") -> {at, traffic, series: {name: []}}
  const tracks = new Map();
  let polls = 0;

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "text") e.textContent = String(v);
      else if (k === "class") e.className = v;
      else e.setAttribute(k, String(v));
    }
    for (const c of children || []) if (c) e.appendChild(c);
    return e;
  }

  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = Number(n) || 0, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : 1)) + " " + units[i];
  }

  function rate(v, unit) {
    if (v === undefined) return "-";
    if (unit === "B") return bytes(v) + "/s";
    return (v >= 100 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2)) + " " + unit;
  }

  function millis(v) {
    if (!v) return "0 ms";
    return v >= 10000 ? (v / 1000).toFixed(1) + " s" : v + " ms";
  }

  // Adds one sample of rates (and the gauge) to the track `key`.
  function sample(seen, key, at, traffic, age) {
    seen.add(key);
    let t = tracks.get(key);
    if (!t) {
      t = { at: at, traffic: traffic, series: {}, rates: {} };
      tracks.set(key, t);
      return t;
    }
    const dt = (at - t.at) / 1000;
    if (dt <= 0) return t;  // the same snapshot again
    const rates = {};
    for (const c of COUNTERS) {
      const d = (traffic[c] || 0) - (t.traffic[c] || 0);
      rates[c] = d >= 0 ? d / dt : 0;  // a counter going back: the broker restarted
    }
    rates.throttled = rates.write_throttled_records + rates.read_throttled_calls;
    rates.iterator_age_ms = age || 0;
    for (const [name, v] of Object.entries(rates)) {
      const s = t.series[name] || (t.series[name] = []);
      s.push(v);
      if (s.length > CAPACITY) s.splice(0, s.length - CAPACITY);
    }
    t.at = at;
    t.traffic = traffic;
    t.rates = rates;
    return t;
  }

  function chartBox(t, series, name, kind, label, unit) {
    const values = t.series[name] || [];
    const last = values.length ? values[values.length - 1] : undefined;
    const shown = name === "iterator_age_ms" ? (last === undefined ? "-" : millis(last))
                                             : rate(last, unit);
    const chart = C.lineChart(values, { series: series, kind: kind, capacity: CAPACITY });
    chart.dataset.scope = "stream";
    return el("div", { "class": "chart-box" }, [
      el("div", { "class": "title" }, [el("span", { text: label }),
        el("span", { "class": "value", "data-value-of": series, text: shown })]),
      chart,
    ]);
  }

  function spark(t, series, name, kind) {
    const chart = C.lineChart(t.series[name] || [], { series: series, kind: kind,
                                                       capacity: CAPACITY, small: true });
    chart.dataset.scope = "shard";
    return chart;
  }

  function cell(text, field, cls, title) {
    return el("td", { text: text, "data-field": field, "class": cls, title: title });
  }

  function shardRow(stream, s, t) {
    const r = t.rates || {};
    const parents = [s.parent, s.adjacent_parent].filter(Boolean);
    return el("tr", { "data-shard": s.id, "class": s.open ? "open" : "closed" }, [
      cell(s.id, "id"),
      cell(s.open ? "open" : "closed", "state"),
      cell(parents.join(", ") || "-", "parents"),
      cell(s.children.join(", ") || "-", "children"),
      cell(s.start, "start", "hash"),
      cell(s.end, "end", "hash"),
      cell(C.share(s.start, s.end).toFixed(2) + "%", "share", "num"),
      cell(rate(r.incoming_records, "rec/s"), "incoming-records", "num"),
      cell(rate(r.incoming_bytes, "B"), "incoming-bytes", "num"),
      cell(rate(r.outgoing_records, "rec/s"), "outgoing-records", "num"),
      cell(rate(r.outgoing_bytes, "B"), "outgoing-bytes", "num"),
      cell(rate(r.write_throttled_records, "/s") + " / " + rate(r.read_throttled_calls, "/s"),
           "throttled", "num", "write-throttled records / read-throttled calls per second"),
      cell(millis(s.iterator_age_ms), "iterator-age", "num"),
      cell(bytes(s.stored_bytes), "stored-bytes", "num", s.stored_bytes + " bytes"),
      el("td", {}, [spark(t, "incoming-records", "incoming_records", "incoming")]),
      el("td", {}, [spark(t, "outgoing-records", "outgoing_records", "outgoing")]),
      el("td", {}, [spark(t, "iterator-age", "iterator_age_ms", "age")]),
    ]);
  }

  function streamCard(s, t, shardTracks) {
    const head = el("div", { "class": "stream-head" }, [
      el("h2", { "data-field": "name", text: s.name }),
      el("span", { "class": "badge", "data-field": "status", text: s.status }),
      el("span", { "class": "badge", "data-field": "mode", text: s.mode }),
      el("span", {}, [document.createTextNode("shards "),
        el("b", { "data-field": "open-shards", text: s.open_shard_count }),
        document.createTextNode(" open, "),
        el("b", { "data-field": "closed-shards", text: s.closed_shard_count }),
        document.createTextNode(" closed, "),
        el("b", { "data-field": "total-shards", text: s.shard_count }),
        document.createTextNode(" listed")]),
      el("span", {}, [document.createTextNode("consumers "),
        el("b", { "data-field": "consumers", text: s.consumer_count })]),
      el("span", {}, [document.createTextNode("live subscriptions "),
        el("b", { "data-field": "subscriptions", text: s.subscriptions })]),
      el("span", {}, [document.createTextNode("stored "),
        el("b", { "data-field": "stored-bytes", "data-value": s.stored_bytes,
                  title: s.stored_bytes + " bytes", text: bytes(s.stored_bytes) })]),
      el("span", { "class": "muted", text: "retention " + s.retention_hours + " h" }),
      s.complete ? null : el("span", { "class": "warn", text: "partly described" }),
    ]);
    const charts = el("div", { "class": "charts" }, [
      chartBox(t, "incoming-records", "incoming_records", "incoming", "incoming records",
               "rec/s"),
      chartBox(t, "incoming-bytes", "incoming_bytes", "incoming", "incoming bytes", "B"),
      chartBox(t, "outgoing-records", "outgoing_records", "outgoing", "outgoing records",
               "rec/s"),
      chartBox(t, "outgoing-bytes", "outgoing_bytes", "outgoing", "outgoing bytes", "B"),
      chartBox(t, "throttled", "throttled", "throttle", "throttled (write rec + read calls)",
               "/s"),
      chartBox(t, "iterator-age", "iterator_age_ms", "age", "iterator age (max)", ""),
    ]);
    const headers = ["shard", "state", "parents", "children", "start hash key", "end hash key",
                     "share", "in rec/s", "in bytes/s", "out rec/s", "out bytes/s",
                     "throttled w / r", "iterator age", "stored", "incoming", "outgoing",
                     "age"];
    const table = el("table", { "class": "shards" }, [
      el("thead", {}, [el("tr", {}, headers.map((h) => el("th", { text: h })))]),
      el("tbody", {}, s.shards.map((sh) => shardRow(s.name, sh, shardTracks.get(sh.id)))),
    ]);
    const consumers = s.consumers.length === 0
      ? el("p", { "class": "muted", "data-field": "no-consumers", text: "none registered" })
      : el("ul", { "class": "consumers" }, s.consumers.map((c) =>
          el("li", { "data-consumer": c.name }, [
            el("span", { "data-field": "consumer-name", text: c.name }),
            document.createTextNode(" "),
            el("span", { "class": "badge", "data-field": "consumer-status", text: c.status }),
            document.createTextNode(" "),
            el("span", { "class": "arn", text: c.arn })])));
    return el("section", { "class": "stream", "data-stream": s.name }, [
      head, charts,
      el("h3", { text: "hash-key ranges and lineage (0 .. 2^128; rows are generations)" }),
      C.lineageMap(s.shards),
      el("h3", { text: "shards" }),
      el("div", { "class": "table-wrap" }, [table]),
      el("h3", { text: "enhanced fan-out consumers" }),
      consumers,
    ]);
  }

  function render(state) {
    const seen = new Set();
    const at = state.collected_millis;
    const cards = [];
    let inTotal = 0, outTotal = 0, stored = 0, openShards = 0;
    for (const s of state.streams) {
      const t = sample(seen, "s:" + s.name, at, s.traffic, s.iterator_age_ms);
      const shardTracks = new Map();
      for (const sh of s.shards) {
        shardTracks.set(sh.id, sample(seen, "h:" + s.name + "/" + sh.id, at, sh.traffic,
                                      sh.iterator_age_ms));
      }
      inTotal += (t.rates.incoming_records || 0);
      outTotal += (t.rates.outgoing_records || 0);
      stored += s.stored_bytes;
      openShards += s.open_shard_count;
      cards.push(streamCard(s, t, shardTracks));
    }
    for (const key of [...tracks.keys()]) if (!seen.has(key)) tracks.delete(key);
    document.getElementById("streams").replaceChildren(...cards);
    document.getElementById("empty").hidden = state.streams.length > 0;
    const set = (id, text) => { document.getElementById(id).textContent = text; };
    set("version", state.version);
    set("stream-count", String(state.streams.length + state.streams_omitted));
    set("open-shard-total", String(openShards));
    set("incoming-total", polls > 0 ? rate(inTotal, "rec/s") : "-");
    set("outgoing-total", polls > 0 ? rate(outTotal, "rec/s") : "-");
    set("stored-total", bytes(stored));
    set("free-bytes", bytes(state.store.free_bytes));
    set("connections", String(state.open_connections));
    const store = state.store;
    set("store-state", store.closed ? "closed" : store.degraded ? "degraded"
                       : store.accepting_writes ? "ok" : "refusing writes (disk reserve)");
    const seg = store.segments;
    const segText = "storage: " + seg.count + " time-window segment" +
      (seg.count === 1 ? "" : "s") + ", " + bytes(store.sst_bytes) + " in SST files, " +
      bytes(store.memtable_bytes) + " in memtables. " +
      (Array.isArray(seg.windows) ? "" : "Segment time windows: " + seg.note + ".");
    set("segments", segText);
    document.getElementById("segments").dataset.count = String(seg.count);
    const omitted = document.getElementById("omitted");
    omitted.hidden = !(state.streams_omitted || state.shards_omitted);
    omitted.textContent = "Not shown (per-answer bounds): " + state.streams_omitted +
      " streams past " + state.limits.max_streams + ", " + state.shards_omitted +
      " shards past " + state.limits.max_shards + ".";
  }

  function setStatus(kind, text) {
    const s = document.getElementById("status");
    s.dataset.state = kind;
    s.dataset.polls = String(polls);
    s.textContent = text;
  }

  async function poll() {
    try {
      const r = await fetch("/dashboard/api/state", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      const state = await r.json();
      render(state);
      polls++;
      setStatus("live", "live");
      document.getElementById("updated").textContent =
        "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      setStatus("error", "error: " + e.message);
    }
    setTimeout(poll, INTERVAL);
  }

  poll();
})();
)JS";

}  // namespace tidelog::server::dashboard_text
