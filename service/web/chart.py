"""The link chart as the browser draws it: positions, styles and links of every node.

:func:`chart_view` turns a caller's :class:`~service.intel.graph.LinkChart` into plain
data for ``static/linkchart.js`` (a small SVG renderer with pan, zoom and keyboard
use). Nothing here knows the full list of node kinds or link types: a kind or link
without a style of its own gets a generic one and its own legend entry, so kinds that
the products gain later (firearms, trace events...) show up without a change here.

Layout is done here, not in the browser: each connected group is laid out on its own
(networkx's Kamada-Kawai layout, or a seeded spring layout for big groups, so a chart
looks the same each time) and the groups are packed in rows, largest first.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Callable
from urllib.parse import urlencode

import networkx as nx

from service.intel import words
from service.intel.graph import LinkChart
from service.web.i18n import N_

PALETTE = ["#1f77b4", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666",
           "#0b7285", "#c92a2a"]
OTHER_KIND_COLOURS = ["#6741d9", "#2b8a3e", "#e67700", "#0b7285", "#a61e4d", "#495057"]
NODE_STYLES = {
    "case": dict(shape="circle", size=9),
    "firearm": dict(shape="triangle", size=10, fill="#212529"),
    "event": dict(shape="square", size=4.5, fill="#868e96"),
}
EDGE_STYLES = {
    "hit": dict(colour="#b3261e", width=2.6, dash=""),
    "firearm": dict(colour="#343a40", width=1.6, dash="6 3"),
    "event": dict(colour="#adb5bd", width=1.0, dash=""),
    "lead": dict(colour="#e67700", width=1.6, dash="2 3"),
}
# The words of the legend and the details panel (anything else is shown as it is named).
KIND_NAMES = {"case": N_("case"), "firearm": N_("firearm"), "event": N_("event"), "trace": N_("trace request"),
              "stolen_alert": N_("lost-and-stolen alert")}
LINK_NAMES = {
    "hit": N_("confirmed hit"),
    "firearm": N_("test fire of the same seized firearm"),
    "event": N_("event of the case"),
    "lead": N_("open lead"),
    "registered_in": N_("case the firearm was registered under"),
    "firearm_link": N_("firearm linked to the case by a hit"),
    "trace": N_("trace request about the firearm"),
    "stolen_alert": N_("lost-and-stolen register match"),
}
FACT_NAMES = {
    "jurisdiction": N_("Jurisdiction"), "series": N_("Series"), "incident_date": N_("Incident date"),
    "reference": N_("Reference"), "title": N_("Title"), "event_kind": N_("Kind"), "date_from": N_("Date"),
    "date_to": N_("Last day"), "location": N_("Place"), "precision": N_("Location precision"),
    "detail": N_("Shown in full"), "latitude": N_("Latitude"), "longitude": N_("Longitude"),
    # a firearm, its trace requests and its lost-and-stolen alerts
    "firearm": N_("Firearm"), "firearm_id": N_("Firearm record"), "firearm_type": N_("Type"), "make": N_("Make"),
    "model": N_("Model"), "calibre": N_("Calibre"), "serial_number": N_("Serial number"), "status": N_("Status"),
    "country_of_manufacture": N_("Country of manufacture"), "traces": N_("Trace requests"),
    "open_traces": N_("Trace requests open"), "stolen_alerts": N_("Lost-and-stolen alerts"),
    "unacknowledged_alerts": N_("Alerts not acknowledged"), "trace_id": N_("Trace request"),
    "target": N_("Addressed to"), "addressee": N_("Addressee"), "partner": N_("Partner jurisdiction"),
    "date": N_("Date"), "deadline": N_("Deadline"), "answered": N_("Answered on"), "alert_id": N_("Alert"),
    "register": N_("Register"), "country": N_("Country"), "date_reported": N_("Date reported"),
    "acknowledged": N_("Acknowledged"),
}
# Facts whose values are API values (a type, a state, whom a request goes to): shown as the reader's word.
TERM_FACTS = {"event_kind", "precision", "firearm_type", "status", "target"}
# Facts that are ISO dates: shown in the reader's date format.
DATE_FACTS = {"incident_date", "date_from", "date_to", "date", "deadline", "answered", "date_reported"}
HIDDEN_FACTS = {"kind", "label", "case_id"}
MAX_NODES_DRAWN = 1500
ROW_WIDTH = 1100.0


def _groups(graph: nx.Graph) -> list[set]:
    return sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))


def _layout(sub: nx.Graph) -> dict[Any, tuple[float, float]]:
    n = sub.number_of_nodes()
    if n == 1:
        return {next(iter(sub.nodes)): (0.0, 0.0)}
    if n <= 300:
        # Kamada-Kawai spaces small groups evenly (distances follow path lengths); deterministic.
        pos = nx.kamada_kawai_layout(sub)
    else:
        pos = nx.spring_layout(sub, seed=0, k=1.6 / math.sqrt(n), iterations=60)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9) / 2
    return {k: ((p[0] - cx) / half, (p[1] - cy) / half) for k, p in pos.items()}


def _node_url(attrs: dict, own_jurisdiction: str, prefix: str) -> str:
    """Where a click on a node goes: the case page for a case of the caller's own
    jurisdiction (the only ones its case page opens), the life of a gun for a firearm
    shown in full; nothing for the rest (their details show beside the chart)."""
    if attrs.get("case_id") is not None and attrs.get("jurisdiction") == own_jurisdiction:
        return f"{prefix}/cases/{attrs['case_id']}"
    if attrs.get("kind") == "firearm" and attrs.get("detail") and attrs.get("firearm_id") is not None:
        return f"{prefix}/intel/timeline?" + urlencode({"firearm_id": attrs["firearm_id"]})  # a firearm record
    if attrs.get("kind") == "firearm" and attrs.get("detail") and attrs.get("label"):
        return f"{prefix}/intel/timeline?" + urlencode({"firearm": attrs.get("firearm") or attrs["label"]})
    return ""


def _label(a: dict, say: Callable[[Any], str], term: Callable[[Any], str], day: Callable[[date], str]) -> str:
    """A node's label in the reader's language. The graph holds the English (GraphML and
    CSV downloads keep it); a label the products wrote from a known sentence is said
    again from the node's facts, anything else (a reference, free text) is shown as it is."""
    label = str(a.get("label", ""))
    kind = a.get("kind")
    again = None
    if kind == "firearm" and a.get("firearm_id") is not None:
        again = words.gun_name(a.get("make"), a.get("model"), a.get("firearm_type") or "", a.get("serial_number"),
                               a["firearm_id"])
    elif kind == "trace" and a.get("status"):
        to = a.get("partner") or a.get("addressee") or words.Term(a.get("target") or "")
        again = words.trace_node(to, a["status"])
    elif kind == "stolen_alert" and a.get("register"):
        again = words.alert_node(a["register"])
    elif kind == "event" and a.get("event_kind") and a.get("date_from"):
        if label == f"{a['event_kind']} {a['date_from']}":
            return f"{term(a['event_kind'])} {_day(a['date_from'], day)}"
    if again is not None and str(again) == label:
        return say(again)
    return label


def _day(value: str, day: Callable[[date], str]) -> str:
    try:
        return day(date.fromisoformat(value))
    except (TypeError, ValueError):
        return value


def chart_view(chart: LinkChart, *, own_jurisdiction: str, prefix: str, gettext: Callable[[str], str],
               term: Callable[[Any], str], max_groups: int, say: Callable[[Any], str] = words.text,
               day: Callable[[date], str] = date.isoformat) -> dict[str, Any]:
    """Everything the renderer and the legend need, JSON-ready."""
    _ = gettext
    g = chart.graph
    jurisdictions = sorted({a.get("jurisdiction", "") for _n, a in g.nodes(data=True) if a.get("jurisdiction")})
    colour_of = {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(jurisdictions)}
    other_kinds = sorted({a.get("kind", "") for _n, a in g.nodes(data=True)} - set(NODE_STYLES))
    kind_colour = {k: OTHER_KIND_COLOURS[i % len(OTHER_KIND_COLOURS)] for i, k in enumerate(other_kinds)}
    other_links = sorted({a.get("link", "") for _u, _v, a in g.edges(data=True)} - set(EDGE_STYLES))
    link_colour = {k: OTHER_KIND_COLOURS[i % len(OTHER_KIND_COLOURS)] for i, k in enumerate(other_links)}

    groups = _groups(g)
    drawn, n_nodes = [], 0
    for comp in groups:
        if len(drawn) >= max_groups or (drawn and n_nodes + len(comp) > MAX_NODES_DRAWN):
            break
        drawn.append(comp)
        n_nodes += len(comp)

    # Pack the groups in rows; each gets a square tile sized by its node count.
    pos: dict[Any, tuple[float, float]] = {}
    x = y = row_h = 0.0
    width = 0.0
    for comp in drawn:
        radius = 40.0 + 34.0 * math.sqrt(len(comp))
        tile = 2 * radius + 70
        if x > 0 and x + tile > ROW_WIDTH:
            x, y = 0.0, y + row_h
            row_h = 0.0
        for node, (px, py) in _layout(g.subgraph(comp)).items():
            pos[node] = (round(x + tile / 2 + px * radius, 1), round(y + tile / 2 + py * radius, 1))
        x += tile
        width = max(width, x)
        row_h = max(row_h, tile)
    height = y + row_h

    # Tab walks the chart group by group: cases first, then firearms and other kinds, events last.
    rank = {"case": 0, "firearm": 1, "event": 9}
    order = [n for comp in drawn for n in sorted(comp, key=lambda n: (rank.get(g.nodes[n].get("kind"), 5),
                                                                      str(g.nodes[n].get("label", n)), str(n)))]
    index: dict[Any, int] = {}
    nodes = []
    for node in order:
        a = g.nodes[node]
        kind = a.get("kind", "")
        style = dict(NODE_STYLES.get(kind, dict(shape="diamond", size=8, fill=kind_colour.get(kind, "#495057"))))
        if kind == "case":
            style["fill"] = colour_of.get(a.get("jurisdiction", ""), "#495057")
        hollow = kind == "case" and not a.get("detail")
        kind_name = _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind.replace("_", " ")
        label = _label(a, say, term, day) if "label" in a else str(node)
        facts = []
        for key, value in a.items():
            if key in HIDDEN_FACTS or value in ("", None):
                continue
            if isinstance(value, bool):
                value = _("yes") if value else _("no")
            elif key in TERM_FACTS:
                value = term(value)
            elif key in DATE_FACTS:
                value = _day(value, day)
            name = _(FACT_NAMES[key]) if key in FACT_NAMES else key.replace("_", " ")
            facts.append([name, str(value)])
        where = a.get("jurisdiction")
        title = f"{kind_name} {label}" + (f" ({where})" if where else "")
        index[node] = len(nodes)
        nodes.append(dict(
            id=str(node), kind=kind, kind_name=kind_name, label=label, x=pos[node][0], y=pos[node][1],
            shape=style["shape"], size=style["size"], fill=style.get("fill", "#495057"), hollow=hollow,
            show_label=kind != "event", url=_node_url(a, own_jurisdiction, prefix), title=title, facts=facts,
            case_id=a.get("case_id") if a.get("jurisdiction") == own_jurisdiction else None,
        ))
    edges = []
    for u, v, a in g.edges(data=True):
        if u in index and v in index:
            link = a.get("link", "")
            style = EDGE_STYLES.get(link, dict(colour=link_colour.get(link, "#495057"), width=1.4, dash="4 2 1 2"))
            edges.append(dict(s=index[u], t=index[v], link=link, **style))

    kinds_present = sorted({n["kind"] for n in nodes}, key=lambda k: (k not in NODE_STYLES, k))
    links_present = sorted({e["link"] for e in edges}, key=lambda k: (k not in EDGE_STYLES, k))
    legend_nodes = []
    for k in kinds_present:
        if k == "case":
            drawn_codes = {g.nodes[n].get("jurisdiction") for n in pos if g.nodes[n].get("kind") == "case"}
            for code in jurisdictions:
                if code in drawn_codes:
                    legend_nodes.append(dict(label=_("case of %(code)s") % {"code": code}, shape="circle",
                                             fill=colour_of[code], hollow=False))
            if any(n["hollow"] for n in nodes):
                legend_nodes.append(dict(label=_("case not disclosed to you (opaque reference)"), shape="circle",
                                         fill="#495057", hollow=True))
        else:
            st = NODE_STYLES.get(k, dict(shape="diamond", fill=kind_colour.get(k, "#495057")))
            legend_nodes.append(dict(label=_(KIND_NAMES[k]) if k in KIND_NAMES else k.replace("_", " "),
                                     shape=st["shape"], fill=st.get("fill", "#495057"), hollow=False))
    legend_edges = []
    for k in links_present:
        st = EDGE_STYLES.get(k, dict(colour=link_colour.get(k, "#495057"), width=1.4, dash="4 2 1 2"))
        legend_edges.append(dict(label=_(LINK_NAMES[k]) if k in LINK_NAMES else k.replace("_", " "), **st))
    return dict(
        nodes=nodes, edges=edges, width=round(max(width, 200.0), 1), height=round(max(height, 200.0), 1),
        groups_drawn=len(drawn), groups=len(groups), legend_nodes=legend_nodes, legend_edges=legend_edges,
    )
