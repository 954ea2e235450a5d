"""Figures of the intelligence products, as matplotlib ``Figure`` objects.

Only the object-oriented API is used (no ``pyplot``), so figures made in worker
threads share no global state and nothing is drawn to a screen.
"""

from __future__ import annotations

import math
from datetime import date

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from service.intel.graph import LinkChart
from service.intel.guns import GUN_LINKS
from service.intel.stats import StatsReport
from service.intel.timeline import Timeline
from service.voice import ENGLISH, N_, Voice

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
EVENT_MARKERS = {"shooting": "o", "seizure": "s", "test_fire": "^"}
# Rows of a gun's own history (life cycle, tracing, lost-and-stolen), which carry no place.
HISTORY_MARKERS = {"firearm": "D", "trace": "P", "stolen": "X"}


def _marker(row) -> str:
    if row.event_kind in EVENT_MARKERS:
        return EVENT_MARKERS[row.event_kind]
    return HISTORY_MARKERS.get(row.event_kind.split("_", 1)[0], "o")


def _colours(codes) -> dict[str, str]:
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(set(codes)))}


def link_chart_figure(chart: LinkChart, *, max_series: int = 24, seed: int = 0, v: Voice = ENGLISH) -> Figure:
    """Each series drawn in its own tile: cases coloured by jurisdiction, firearms as triangles.

    Hollow markers are cases the caller sees only as opaque references.
    """
    series = chart.series[:max_series]
    n = max(1, len(series))
    cols = min(6, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(2.4 * cols + 1.2, 2.4 * rows + 0.8), dpi=100)
    g = chart.graph
    colours = _colours(a.get("jurisdiction", "") for _n, a in g.nodes(data=True) if a.get("kind") == "case")
    if not series:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, v._("no linked series in scope"), ha="center", va="center")
        ax.set_axis_off()
        return fig
    for i, s in enumerate(series):
        ax = fig.add_subplot(rows, cols, i + 1)
        sub = g.subgraph(s.nodes)
        pos = nx.spring_layout(sub, seed=seed, k=1.2 / math.sqrt(max(1, sub.number_of_nodes())))
        segments, styles = [], []
        for u, w, link in sub.edges(data="link"):
            segments.append([pos[u], pos[w]])
            styles.append("dashed" if link in GUN_LINKS else "solid")
        if segments:
            ax.add_collection(LineCollection(segments, colors="#555555", linewidths=1.0, linestyles=styles, zorder=1))
        for node, attrs in sub.nodes(data=True):
            x, y = pos[node]
            if attrs["kind"] == "firearm":
                ax.scatter([x], [y], marker="^", s=70, c="black", zorder=2)
                continue
            colour = colours.get(attrs.get("jurisdiction", ""), "#999999")
            face = colour if attrs.get("detail") else "white"
            ax.scatter([x], [y], s=60, facecolors=face, edgecolors=colour, linewidths=1.5, zorder=2)
        ax.set_title(s.key + "\n" + v._("%(cases)s cases, %(n)s jurisdiction(s)", cases=v.integer(s.n_cases),
                                         n=v.integer(len(s.jurisdictions))), fontsize=7)
        ax.set_axis_off()
        ax.margins(0.15)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=code) for code, c in colours.items()]
    handles.append(Line2D([], [], marker="^", ls="", color="black", label=v._("firearm")))
    handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="grey",
                          label=v._("opaque")))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 9), fontsize=7, frameon=False)
    if len(chart.series) > len(series):
        title = v._("Linked series (first %(n)s of %(total)s)", n=v.integer(len(series)),
                    total=v.integer(len(chart.series)))
    else:
        title = v._("Linked series")
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(bottom=0.12 if rows < 3 else 0.06)
    return fig


HISTORY_WORDS = {"firearm": N_("life cycle"), "trace": N_("tracing"), "stolen": N_("lost and stolen")}


def timeline_figure(timeline: Timeline, v: Voice = ENGLISH, heading: str | None = None) -> Figure:
    """Events along time, one lane per jurisdiction."""
    lanes = list(timeline.jurisdictions)
    fig = Figure(figsize=(9, 1.2 + 0.6 * max(1, len(lanes))), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    colours = _colours(lanes)
    epoch = date(1970, 1, 1)
    for row in timeline.rows:
        y = lanes.index(row.jurisdiction)
        x = (row.date_from - epoch).days
        ax.scatter([x], [y], marker=_marker(row), s=60,
                   facecolors=colours[row.jurisdiction] if row.detail else "white",
                   edgecolors=colours[row.jurisdiction], linewidths=1.5, zorder=2)
        if row.date_to:
            ax.plot([x, (row.date_to - epoch).days], [y, y], color=colours[row.jurisdiction], lw=3, alpha=0.5)
    if timeline.rows:
        xs = [(r.date_from - epoch).days for r in timeline.rows]
        ys = [lanes.index(r.jurisdiction) for r in timeline.rows]
        ax.plot(xs, ys, color="#aaaaaa", lw=0.8, zorder=1)
        ticks = np.linspace(min(xs), max(xs) + 1, num=min(6, len(set(xs)) + 1))
        ax.set_xticks(ticks)
        ax.set_xticklabels([v.date(date.fromordinal(epoch.toordinal() + int(t))) for t in ticks], fontsize=7)
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels(lanes, fontsize=8)
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    if v.code is None:
        ax.set_title(f"Life of {timeline.subject}: {len(timeline.rows)} events", fontsize=10)
    else:
        ax.set_title(v._("%(heading)s: %(n)s events", heading=heading or timeline.subject,
                         n=v.integer(len(timeline.rows))), fontsize=10)
    handles = [Line2D([], [], marker=m, ls="", color="black", label=v.term(k)) for k, m in EVENT_MARKERS.items()]
    kinds = {r.event_kind.split("_", 1)[0] for r in timeline.rows}
    handles += [Line2D([], [], marker=m, ls="", color="black", label=v._(HISTORY_WORDS[k]))
                for k, m in HISTORY_MARKERS.items() if k in kinds]
    ax.legend(handles=handles, fontsize=7, loc="upper left", frameon=False)
    fig.tight_layout()
    return fig


def map_figure(timeline: Timeline, v: Voice = ENGLISH, heading: str | None = None) -> Figure:
    """Located events on longitude / latitude axes, joined in date order (no base map)."""
    fig = Figure(figsize=(6.5, 6), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    located = [r for r in timeline.rows if r.latitude is not None and r.longitude is not None]
    colours = _colours(r.jurisdiction for r in timeline.rows)
    if not located:
        ax.text(0.5, 0.5, v._("no located events"), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    lons = [r.longitude for r in located]
    lats = [r.latitude for r in located]
    ax.plot(lons, lats, color="#aaaaaa", lw=0.8, zorder=1)
    for k in range(1, len(located)):
        ax.annotate("", xy=(lons[k], lats[k]), xytext=(lons[k - 1], lats[k - 1]),
                    arrowprops={"arrowstyle": "->", "color": "#888888", "lw": 0.8})
    for k, r in enumerate(located):
        c = colours[r.jurisdiction]
        ax.scatter([r.longitude], [r.latitude], marker=_marker(r), s=70,
                   facecolors=c if r.detail else "white", edgecolors=c, linewidths=1.5, zorder=2)
        ax.annotate(str(k + 1), (r.longitude, r.latitude), textcoords="offset points", xytext=(4, 4), fontsize=7)
    # Equal ground distances on both axes at this latitude.
    ax.set_aspect(1.0 / max(0.2, math.cos(math.radians(float(np.mean(lats))))))
    ax.margins(0.2)
    ax.set_xlabel(v._("longitude (degrees)"))
    ax.set_ylabel(v._("latitude (degrees)"))
    handles = [Line2D([], [], marker="o", ls="", color=c, label=code) for code, c in colours.items()]
    ax.legend(handles=handles, fontsize=7, frameon=False)
    if v.code is None:
        ax.set_title(f"Map of {timeline.subject} (hollow: coarsened to city level)", fontsize=9)
    else:
        ax.set_title(v._("Map: %(heading)s (hollow: coarsened to city level)", heading=heading or timeline.subject),
                     fontsize=9)
    fig.tight_layout()
    return fig


def stats_figures(report: StatsReport, v: Voice = ENGLISH, period: str | None = None) -> list[Figure]:
    """Counts per jurisdiction (grouped bars) and the cross-border hit matrix (heat map)."""
    figs = []
    fig = Figure(figsize=(9, 4), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    codes = [r.code for r in report.rows]
    series = [(v._("items recovered"), [r.items_recovered for r in report.rows]),
              (v._("scans"), [r.scans for r in report.rows]),
              (v._("leads"), [r.leads for r in report.rows]),
              (v._("hits"), [r.hits for r in report.rows])]
    x = np.arange(len(codes))
    width = 0.8 / len(series)
    for k, (label, values) in enumerate(series):
        ax.bar(x + (k - 1.5) * width, values, width, label=label, color=PALETTE[k])
    ax.set_yscale("symlog", linthresh=10)
    ax.set_xticks(x)
    ax.set_xticklabels(codes, fontsize=8)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(v._("Per jurisdiction, %(period)s", period=period or report.period.label), fontsize=10)
    fig.tight_layout()
    figs.append(fig)

    fig = Figure(figsize=(6.5, 5.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    m = np.array([[np.nan if x is None else x for x in row] for row in report.matrix], dtype=float)
    im = ax.imshow(np.ma.masked_invalid(m), cmap="Blues")
    n = len(report.matrix_codes)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(report.matrix_codes, rotation=45, ha="right", fontsize=8)
    ax.set_yticklabels(report.matrix_codes, fontsize=8)
    top = np.nanmax(m) if np.isfinite(m).any() else 0
    for i in range(n):
        for j in range(n):
            text = "–" if math.isnan(m[i, j]) else str(int(m[i, j]))
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if not math.isnan(m[i, j]) and m[i, j] > top / 2 else "black")
    fig.colorbar(im, ax=ax, shrink=0.8, label=v._("hits"))
    ax.set_title(v._("Hits between jurisdictions"), fontsize=10)
    fig.tight_layout()
    figs.append(fig)
    return figs
