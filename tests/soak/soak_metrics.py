# Soak resource samples of tidelogd (RSS, fds, threads, data-dir disk): sampling, growth verdicts, table, CSV, SVG and the JSON summary.
"""Used by run_soak.py. A phase is the life of one tidelogd process (RSS,
fds and threads start again at each restart); disk persists across them.
Growth verdict: the median of a series' last third against the median of
its middle third, per phase for process figures and over the whole run for
disk, within an absolute-or-relative tolerance (TOLERANCES)."""

import csv
import json
import os
import statistics
import sys
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import plot_svg  # noqa: E402  (bench/plot_svg.py: number formatting and the plot style)

MIB = 1 << 20
# metric -> (absolute slack, relative slack): growth allowed = max(abs, rel * middle).
# RSS: memtables (64 MiB budget) and the block cache fill as a phase goes on.
TOLERANCES = {"rss_bytes": (96 * MIB, 0.30), "fds": (16, 0.20), "threads": (4, 0.10),
              "disk_bytes": (96 * MIB, 0.50)}
MIN_PHASE_SAMPLES = 9  # shorter phases are reported, not judged
FIELDS = ["t_s", "phase", "pid", "rss_bytes", "fds", "threads", "disk_bytes", "records_acked",
          "acked_per_s", "live_streams"]


def process_figures(pid):
    """(rss_bytes, fds, threads) of a live process, or None if it is gone."""
    try:
        rss = threads = None
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, ValueError):
        return None
    if rss is None or threads is None:
        return None
    return rss, fds, threads


def disk_bytes(path):
    """Allocated bytes under path (files may vanish meanwhile: compaction)."""
    total, stack = 0, [path]
    for _ in range(1000000):
        if not stack:
            return total
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        else:
                            total += e.stat(follow_symlinks=False).st_blocks * 512
                    except FileNotFoundError:
                        continue
        except FileNotFoundError:
            continue
    return total


def thirds(values):
    n = len(values)
    return values[n // 3: 2 * n // 3], values[2 * n // 3:]


def growth_verdicts(samples):
    """[{metric, scope, middle, last, growth, limit, ok}] for each judged series."""
    out = []

    def judge(metric, scope, series):
        if len(series) < MIN_PHASE_SAMPLES:
            return
        middle, last = thirds(series)
        m, l = statistics.median(middle), statistics.median(last)
        abs_slack, rel_slack = TOLERANCES[metric]
        limit = max(abs_slack, rel_slack * m)
        out.append({"metric": metric, "scope": scope, "middle": m, "last": l,
                    "growth": l - m, "limit": limit, "ok": l - m <= limit})

    for phase in sorted({s["phase"] for s in samples}):
        ps = [s for s in samples if s["phase"] == phase]
        for metric in ("rss_bytes", "fds", "threads"):
            judge(metric, "phase %d" % phase, [s[metric] for s in ps])
    judge("disk_bytes", "run", [s["disk_bytes"] for s in samples])
    return out


def phase_summaries(samples, phases):
    """Per phase: its span, cause and min/max/last of each figure."""
    out = []
    for p in phases:
        ps = [s for s in samples if s["phase"] == p["phase"]]
        entry = dict(p, samples=len(ps))
        for metric in ("rss_bytes", "fds", "threads", "disk_bytes"):
            vals = [s[metric] for s in ps]
            entry[metric] = ({"min": min(vals), "max": max(vals), "last": vals[-1]}
                             if vals else None)
        out.append(entry)
    return out


class Table:
    """The progress table printed over time."""
    HEADER = ("%8s %5s %9s %5s %7s %9s %10s %8s %7s %6s %5s" % (
        "t", "phase", "rss MiB", "fds", "threads", "disk MiB", "acked", "acked/s", "streams",
        "checks", "lost"))

    def __init__(self, out=sys.stdout):
        self.out = out
        self.rows = 0

    def row(self, s, checks, lost):
        if self.rows % 20 == 0:
            print(self.HEADER, file=self.out)
        self.rows += 1
        print("%7.0fs %5d %9.1f %5d %7d %9.1f %10d %8.0f %7d %6d %5d" % (
            s["t_s"], s["phase"], s["rss_bytes"] / MIB, s["fds"], s["threads"],
            s["disk_bytes"] / MIB, s["records_acked"], s["acked_per_s"], s["live_streams"],
            checks, lost), file=self.out, flush=True)


def write_csv(path, samples):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for s in samples:
            w.writerow({k: s[k] for k in FIELDS})


def write_summary(path, summary):
    with open(path, "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")


# ---- SVG: stacked time-series panels in bench/plot_svg.py's style --------------

PANEL_W, PANEL_H = 2 * plot_svg.PANEL_W, 170
LEFT, RIGHT, TOP_PAD, BOTTOM_PAD = plot_svg.MARGIN_L, plot_svg.MARGIN_R, 30, 34
PANELS = [("rss_bytes", "RSS", "MiB", MIB), ("fds", "open file descriptors", "", 1),
          ("threads", "threads", "", 1), ("disk_bytes", "data directory on disk", "MiB", MIB),
          ("acked_per_s", "records acknowledged per second", "", 1)]


def nice_ticks(lo, hi, n=4):
    """Round linear ticks covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = int(lo // step) * step
    ticks, t = [start], start
    while t < hi and len(ticks) < 20:
        t += step
        ticks.append(t)
    return ticks


def series_panel(out, y0, title, unit, samples, metric, scale, events, t_end):
    left, top = LEFT, y0 + TOP_PAD
    w, h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP_PAD - BOTTOM_PAD
    out.append('<text x="%.1f" y="%d" class="ptitle">%s</text>' % (
        left + w / 2, y0 + 20, escape(title + (" (%s)" % unit if unit else ""))))
    out.append('<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>' % (left, top, w, h))
    vals = [s[metric] / scale for s in samples]
    if not vals:
        return
    ticks = nice_ticks(min(0, min(vals)), max(vals) * 1.05 or 1)
    lo, hi = ticks[0], ticks[-1]

    def xpos(t):
        return left + t / max(t_end, 1) * w

    def ypos(v):
        return top + h - (v - lo) / ((hi - lo) or 1) * h

    for t in ticks:
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="grid"/>' % (
            left, ypos(t), left + w, ypos(t)))
        out.append('<text x="%d" y="%.1f" class="ytick">%s</text>' % (
            left - 6, ypos(t) + 4, plot_svg.tick_label(t)))
    for t in nice_ticks(0, t_end, 8):
        if t <= t_end * 1.001:
            out.append('<text x="%.1f" y="%d" class="xtick">%ss</text>' % (
                xpos(t), top + h + 16, plot_svg.tick_label(t)))
    for t, label in events:
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d62728" '
                   'stroke-dasharray="4,3"/>' % (xpos(t), top, xpos(t), top + h))
        out.append('<text x="%.1f" y="%d" class="val" fill="#d62728">%s</text>' % (
            xpos(t), top - 3, escape(label)))
    phases = sorted({s["phase"] for s in samples})
    for p in phases:  # one polyline per process: no line across a restart
        pts = ["%.1f,%.1f" % (xpos(s["t_s"]), ypos(s[metric] / scale))
               for s in samples if s["phase"] == p]
        if pts:
            out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6"/>' % (
                " ".join(pts), plot_svg.COLORS["Tidelog"]))
    out.append('<text x="%d" y="%.1f" class="val" fill="#444" style="text-anchor:end">'
               'last %s, max %s</text>' % (left + w - 4, top + 12, plot_svg.compact(vals[-1]),
                            plot_svg.compact(max(vals))))


def write_svg(path, samples, events, subtitle):
    """events: [(t_s, label)] drawn as dashed lines (restarts)."""
    t_end = max((s["t_s"] for s in samples), default=1)
    width, height = PANEL_W, 60 + PANEL_H * len(PANELS)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="DejaVu Sans, Arial, sans-serif">' % (width, height, width, height),
           "<style>.title{font-size:17px;font-weight:bold;text-anchor:middle}"
           ".sub{font-size:11px;fill:#444;text-anchor:middle}"
           ".ptitle{font-size:13px;font-weight:bold;text-anchor:middle}"
           ".frame{fill:none;stroke:#888}.grid{stroke:#e4e4e4;stroke-width:1}"
           ".xtick{font-size:11px;text-anchor:middle}.ytick{font-size:11px;text-anchor:end}"
           ".val{font-size:9.5px;text-anchor:middle}</style>",
           '<rect width="%d" height="%d" fill="white"/>' % (width, height),
           '<text x="%d" y="22" class="title">tidelogd soak: resources over time</text>'
           % (width / 2),
           '<text x="%d" y="40" class="sub">%s</text>' % (width / 2, escape(subtitle))]
    for i, (metric, title, unit, scale) in enumerate(PANELS):
        series_panel(out, 50 + i * PANEL_H, title, unit, samples, metric, scale, events, t_end)
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
