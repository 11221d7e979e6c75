#!/usr/bin/env python3
# Hand-written SVG plot of run_broker_bench.py's PutRecords sweeps (stdlib only; also a CLI on its JSON).
"""Draws a 2x2 grid: records/s and p99 call latency against batch size and
against connections, one line per system (Tidelog, kinesalite).

    bench/plot_svg.py build/bench-results/broker-bench.json -o sweep.svg
"""
import argparse
import json
import math
import sys
from xml.sax.saxutils import escape

COLORS = {"Tidelog": "#1f77b4", "kinesalite": "#e07b00"}
FALLBACK_COLORS = ["#2ca02c", "#d62728", "#9467bd"]

PANEL_W, PANEL_H = 440, 250
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 80, 30, 40, 50
TOP = 84  # room for the title and legend


def compact(v, unit=""):
    """184015 -> '184k', 1.2e6 -> '1.2M', 0.83 -> '0.83'."""
    if v >= 1e6:
        s = f"{v / 1e6:.1f}M"
    elif v >= 1e4:
        s = f"{v / 1e3:.0f}k"
    elif v >= 1e3:
        s = f"{v / 1e3:.1f}k"
    elif v >= 100:
        s = f"{v:.0f}"
    elif v >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return s + unit


def tick_label(t):
    if t >= 1e6:
        return f"{t / 1e6:g}M"
    if t >= 1e3:
        return f"{t / 1e3:g}k"
    return f"{t:g}"


def log_ticks(lo, hi):
    """1-2-5 ticks covering [lo, hi] (both > 0); returns (axis_lo, axis_hi, ticks)."""
    lo_d = math.floor(math.log10(lo))
    hi_d = math.ceil(math.log10(hi))
    if hi_d == lo_d:
        hi_d += 1
    ticks = []
    for d in range(lo_d, hi_d + 1):
        for m in (1, 2, 5):
            t = m * 10.0 ** d
            if 10.0 ** lo_d <= t <= 10.0 ** hi_d:
                ticks.append(t)
    # Trim empty decades' 2/5 ticks outside the data so the panel is not too tall.
    axis_lo = max(t for t in ticks if t <= lo)
    axis_hi = min(t for t in ticks if t >= hi)
    return axis_lo, axis_hi, [t for t in ticks if axis_lo <= t <= axis_hi]


def panel(out, x0, y0, title, xlabel, ylabel, xs, series, unit):
    """One panel at (x0, y0). series: [(name, color, [(x, y or None)])]."""
    left, top = x0 + MARGIN_L, y0 + MARGIN_T
    w = PANEL_W - MARGIN_L - MARGIN_R
    h = PANEL_H - MARGIN_T - MARGIN_B
    out.append(f'<text x="{left + w / 2}" y="{y0 + 22}" class="ptitle">{escape(title)}</text>')
    values = [y for _, _, pts in series for _, y in pts if y is not None and y > 0]
    out.append(f'<rect x="{left}" y="{top}" width="{w}" height="{h}" class="frame"/>')
    if not values:
        out.append(f'<text x="{left + w / 2}" y="{top + h / 2}" class="note">no data</text>')
        return
    # A little headroom so that point labels stay inside the frame.
    lo, hi, ticks = log_ticks(min(values) / 1.25, max(values) * 1.25)
    span = math.log10(hi) - math.log10(lo)

    def ypos(v):
        return top + h - (math.log10(v) - math.log10(lo)) / span * h

    def xpos(i):
        return left + (i + 0.5) * w / len(xs)

    for t in ticks:
        y = ypos(t)
        major = abs(math.log10(t) - round(math.log10(t))) < 1e-9
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" '
                   f'class="{"grid" if major else "grid minor"}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="ytick">{tick_label(t)}</text>')
    for i, x in enumerate(xs):
        out.append(f'<line x1="{xpos(i):.1f}" y1="{top + h}" x2="{xpos(i):.1f}" y2="{top + h + 5}" '
                   f'class="axis"/>')
        out.append(f'<text x="{xpos(i):.1f}" y="{top + h + 19}" class="xtick">{x}</text>')
    out.append(f'<text x="{left + w / 2}" y="{top + h + 40}" class="xlabel">{escape(xlabel)}</text>')
    cy = top + h / 2
    out.append(f'<text x="{x0 + 18}" y="{cy}" class="ylabel" '
               f'transform="rotate(-90 {x0 + 18} {cy})">{escape(ylabel)} (log scale)</text>')
    # At each x, the highest point's label goes above it and the others' below,
    # so two lines that come close do not print over each other.
    highest = {}
    for _, _, pts in series:
        for x, y in pts:
            if y is not None and y > 0:
                highest[x] = max(highest.get(x, 0), y)
    for name, color, pts in series:
        coords = [(xpos(xs.index(x)), ypos(y), y) for x, y in pts if y is not None and y > 0]
        if len(coords) > 1:
            d = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in coords)
            out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, _), (px, py, v) in zip([p for p in pts if p[1] is not None and p[1] > 0], coords):
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}"/>')
            above = v >= highest[x]
            if above and py - 8 < top + 10 or not above and py + 15 > top + h - 2:
                above = not above
            dy = -8 if above else 15
            out.append(f'<text x="{px:.1f}" y="{py + dy:.1f}" class="val" fill="{color}">'
                       f'{compact(v, unit)}</text>')


def sweep_svg(sweeps, subtitle=""):
    """sweeps: {system: {"batch": [{"x","records_per_s","p99_ms"}], "connections": [...]}}."""
    systems = list(sweeps)
    colors = {}
    for i, s in enumerate(systems):
        colors[s] = COLORS.get(s, FALLBACK_COLORS[i % len(FALLBACK_COLORS)])
    width, height = 2 * PANEL_W, TOP + 2 * PANEL_H

    def axis_values(kind):
        xs = sorted({p["x"] for s in systems for p in sweeps[s].get(kind, [])})
        return xs

    def series(kind, field):
        return [(s, colors[s], [(p["x"], p.get(field)) for p in sweeps[s].get(kind, [])])
                for s in systems]

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif">',
           "<style>"
           ".title{font-size:17px;font-weight:bold;text-anchor:middle}"
           ".sub{font-size:11px;fill:#444;text-anchor:middle}"
           ".ptitle{font-size:13px;font-weight:bold;text-anchor:middle}"
           ".frame{fill:none;stroke:#888}"
           ".grid{stroke:#ccc;stroke-width:1}.minor{stroke:#eee}"
           ".axis{stroke:#888}"
           ".xtick{font-size:11px;text-anchor:middle}.ytick{font-size:11px;text-anchor:end}"
           ".xlabel{font-size:12px;text-anchor:middle}.ylabel{font-size:12px;text-anchor:middle}"
           ".val{font-size:9.5px;text-anchor:middle}.note{font-size:12px;fill:#888;text-anchor:middle}"
           ".legend{font-size:12px}"
           "</style>",
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" class="title">PutRecords sweeps: throughput and p99 '
           f'call latency</text>']
    for i, line in enumerate(subtitle.split("\n") if subtitle else []):
        out.append(f'<text x="{width / 2}" y="{40 + 14 * i}" class="sub">{escape(line)}</text>')
    lx = width / 2 - 90 * len(systems) / 2
    for s in systems:
        out.append(f'<line x1="{lx}" y1="{TOP - 12}" x2="{lx + 22}" y2="{TOP - 12}" stroke="{colors[s]}" '
                   f'stroke-width="3"/>')
        out.append(f'<text x="{lx + 28}" y="{TOP - 8}" class="legend">{escape(s)}</text>')
        lx += 110
    bx, cx = axis_values("batch"), axis_values("connections")
    panel(out, 0, TOP, "records/s vs batch size", "records per PutRecords call", "records/s",
          bx, series("batch", "records_per_s"), "")
    panel(out, PANEL_W, TOP, "records/s vs connections", "connections (writer threads)",
          "records/s", cx, series("connections", "records_per_s"), "")
    panel(out, 0, TOP + PANEL_H, "p99 call latency vs batch size", "records per PutRecords call",
          "p99 ms", bx, series("batch", "p99_ms"), "")
    panel(out, PANEL_W, TOP + PANEL_H, "p99 call latency vs connections",
          "connections (writer threads)", "p99 ms", cx, series("connections", "p99_ms"), "")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="broker-bench.json written by run_broker_bench.py")
    ap.add_argument("-o", "--output", help="SVG file (default: stdout)")
    args = ap.parse_args()
    with open(args.results) as f:
        results = json.load(f)
    svg = sweep_svg(results["sweeps"], results.get("sweep_subtitle", ""))
    if args.output:
        with open(args.output, "w") as f:
            f.write(svg)
    else:
        sys.stdout.write(svg)


if __name__ == "__main__":
    main()
