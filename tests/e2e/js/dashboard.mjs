// Drives tidelogd's live dashboard in headless Chromium (Debian's chromium
// through playwright-core, which downloads no browser); run by
// tests/e2e/test_dashboard.py, which creates the streams and compares what
// this program reports the page shows with what the Kinesis API says.
//
//   node dashboard.mjs --endpoint URL --chromium PATH --user-data-dir DIR
//        --streams a,b,c --load-stream NAME --report FILE [--screenshot FILE]...
//
// Steps: load the page, wait (deadlines, no sleeps) until it shows every
// stream of --streams after at least two polls, read what it shows (stream
// figures, shard table, lineage bars, consumers) into the report; print
// "load-wanted" and wait until the incoming-rate chart of --load-stream
// rises and then moves again (the runner writes records meanwhile); take the
// screenshots once it holds a few seconds of samples; print "done". Console errors, page errors, failed requests,
// HTTP errors and requests to other origins are collected into the report;
// the exit code is 0 only when there were none and every wait succeeded.

import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const WAIT_MS = 60_000;  // each condition's deadline
const WHOLE_RUN_MS = 170_000;  // the runner's own timeout is longer
const POLL_MS = 50;
const SCREENSHOT_POINTS = 12;  // samples drawn before the screenshot (0.5 s apart)

// Polls `probe` until it returns a truthy value (returned); throws past the
// deadline. The pause between probes paces them; it synchronises nothing.
async function until(what, probe, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function parseArgs(argv) {
  const out = { screenshot: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--") || i + 1 >= argv.length) throw new Error(`bad argument ${a}`);
    const key = a.slice(2);
    const value = argv[++i];
    if (key === "screenshot") out.screenshot.push(value);
    else out[key] = value;
  }
  for (const k of ["endpoint", "chromium", "user-data-dir", "streams", "load-stream", "report"]) {
    if (!out[k]) throw new Error(`--${k} is required`);
  }
  return out;
}

// What the page shows, read from the DOM only (never from the JSON).
function readPage() {
  const field = (root, name) => {
    const e = root.querySelector(`[data-field="${name}"]`);
    return e ? e.textContent.trim() : null;
  };
  const streams = [...document.querySelectorAll("section.stream")].map((sec) => ({
    name: field(sec, "name"),
    status: field(sec, "status"),
    mode: field(sec, "mode"),
    open: Number(field(sec, "open-shards")),
    closed: Number(field(sec, "closed-shards")),
    total: Number(field(sec, "total-shards")),
    consumers: Number(field(sec, "consumers")),
    subscriptions: Number(field(sec, "subscriptions")),
    storedBytes: Number(sec.querySelector('[data-field="stored-bytes"]').dataset.value),
    consumerList: [...sec.querySelectorAll("ul.consumers li")].map((li) => ({
      name: field(li, "consumer-name"), status: field(li, "consumer-status"),
    })),
    shards: [...sec.querySelectorAll("table.shards tbody tr")].map((tr) => ({
      id: field(tr, "id"),
      state: field(tr, "state"),
      parents: field(tr, "parents"),
      children: field(tr, "children"),
      start: field(tr, "start"),
      end: field(tr, "end"),
    })),
    bars: [...sec.querySelectorAll("svg.lineage g.shard-bar")].map((g) => ({
      id: g.dataset.shard, open: g.dataset.open === "true",
      width: Number(g.querySelector("rect").getAttribute("width")),
    })),
    links: [...sec.querySelectorAll("svg.lineage line.link")].map((l) => [l.dataset.from,
                                                                          l.dataset.to]),
    lineageRows: Number(sec.querySelector("svg.lineage").dataset.rows),
  }));
  return {
    streamCount: Number(document.getElementById("stream-count").textContent),
    segments: document.getElementById("segments").textContent,
    status: document.getElementById("status").dataset.state,
    streams,
  };
}

// The stream's incoming-records chart as drawn: its data and the heights of
// its polyline's points above the baseline.
function readChart(stream) {
  const sec = [...document.querySelectorAll("section.stream")]
    .find((s) => s.dataset.stream === stream);
  if (!sec) return null;
  const chart = sec.querySelector('svg.chart[data-series="incoming-records"][data-scope="stream"]');
  if (!chart) return null;
  const base = Number(chart.dataset.baseline);
  const line = chart.querySelector("polyline");
  const heights = line ? line.getAttribute("points").trim().split(/\s+/)
    .map((p) => base - Number(p.split(",")[1])) : [];
  const bytes = sec.querySelector('svg.chart[data-series="incoming-bytes"][data-scope="stream"]');
  const sparks = [...sec.querySelectorAll('svg.spark[data-series="incoming-records"]')];
  return {
    max: Number(chart.dataset.max), last: Number(chart.dataset.last),
    count: Number(chart.dataset.count), points: line ? line.getAttribute("points") : "",
    maxHeight: heights.length ? Math.max(...heights) : 0,
    bytesMax: bytes ? Number(bytes.dataset.max) : 0,
    shardsRising: sparks.filter((s) => Number(s.dataset.max) > 0).length,
    shown: sec.querySelector('[data-value-of="incoming-records"]').textContent,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const origin = new URL(args.endpoint).origin;
  const wanted = args.streams.split(",").filter(Boolean);
  const report = { consoleErrors: [], pageErrors: [], failedRequests: [], httpErrors: [],
                   foreignRequests: [], requests: 0, steps: [] };
  const step = (name, detail) => {
    report.steps.push({ name, detail });
    process.stdout.write(`${name}${detail === undefined ? "" : " " + JSON.stringify(detail)}\n`);
  };
  const hardStop = setTimeout(() => {
    process.stderr.write(`dashboard.mjs: whole run over ${WHOLE_RUN_MS} ms\n`);
    process.exit(3);
  }, WHOLE_RUN_MS);
  hardStop.unref();

  let context;
  let ok = false;
  try {
    context = await chromium.launchPersistentContext(args["user-data-dir"], {
      executablePath: args.chromium, headless: true,
      viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1,
      args: ["--disable-gpu", "--disable-dev-shm-usage"],
    });
    report.browserVersion = context.browser() ? context.browser().version() : null;
    const page = context.pages()[0] || await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") report.consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => report.pageErrors.push(String(e)));
    page.on("request", (r) => {
      report.requests++;
      const u = r.url();
      if (!u.startsWith("data:") && new URL(u).origin !== origin) report.foreignRequests.push(u);
    });
    page.on("requestfailed", (r) => report.failedRequests.push(
      `${r.method()} ${r.url()}: ${r.failure() ? r.failure().errorText : "?"}`));
    page.on("response", (r) => {
      if (r.status() >= 400) report.httpErrors.push(`${r.status()} ${r.url()}`);
    });

    const response = await page.goto(`${origin}/?interval=500`, { waitUntil: "load",
                                                                 timeout: WAIT_MS });
    report.pageStatus = response ? response.status() : null;
    report.pageHeaders = response ? await response.allHeaders() : {};
    await until("the page shows every stream after two polls", () => page.evaluate((names) => {
      const st = document.getElementById("status");
      if (!st || st.dataset.state !== "live" || Number(st.dataset.polls) < 2) return false;
      const shown = new Set([...document.querySelectorAll("section.stream")]
        .map((s) => s.dataset.stream));
      return names.every((n) => shown.has(n));
    }, wanted));
    report.shown = await page.evaluate(readPage);
    step("page-read", { streams: report.shown.streams.length });

    const loadStream = args["load-stream"];
    report.chartBefore = await page.evaluate(readChart, loadStream);
    step("load-wanted", report.chartBefore);
    // Risen: a drawn point above the baseline, the maximum above what it was
    // before the load, on a shard's sparkline too.
    const before = report.chartBefore ? report.chartBefore.max : 0;
    report.chartRisen = await until("the incoming-rate chart rises", async () => {
      const c = await page.evaluate(readChart, loadStream);
      return c && c.max > before && c.maxHeight > 1 && c.bytesMax > 0 && c.shardsRising > 0
        ? c : false;
    });
    step("chart-risen", report.chartRisen);
    // Moving: later polls redraw it with new points.
    report.chartMoved = await until("the incoming-rate chart moves on", async () => {
      const c = await page.evaluate(readChart, loadStream);
      return c && c.points !== report.chartRisen.points && c.maxHeight > 1 ? c : false;
    });
    step("chart-moved", { count: report.chartMoved.count, last: report.chartMoved.last });
    // A few seconds of history for the screenshot (the runner keeps writing).
    report.chartForScreenshot = await until("the chart has history to show", async () => {
      const c = await page.evaluate(readChart, loadStream);
      return c && c.count >= SCREENSHOT_POINTS ? c : false;
    });

    for (const file of args.screenshot) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      // caret "initial": hiding the caret would inject a <style>, which the CSP refuses.
      await page.screenshot({ path: file, fullPage: true, caret: "initial" });
      step("screenshot", file);
    }
    report.shownAfterLoad = await page.evaluate(readPage);
    ok = report.consoleErrors.length === 0 && report.pageErrors.length === 0 &&
      report.failedRequests.length === 0 && report.httpErrors.length === 0 &&
      report.foreignRequests.length === 0;
  } catch (e) {
    report.error = String(e && e.stack ? e.stack : e);
    process.stderr.write(`dashboard.mjs: ${report.error}\n`);
  } finally {
    if (context) await context.close().catch((e) => { report.closeError = String(e); });
    fs.writeFileSync(args.report, JSON.stringify(report, null, 2));
  }
  step(ok ? "done" : "failed");
  clearTimeout(hardStop);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`dashboard.mjs: ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 1;
});
