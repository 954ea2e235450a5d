"""The link chart: cases, events and firearms joined by confirmed hits and other links.

A *series* is a connected set of at least two cases joined by confirmed hits or by a
shared firearm (test fires from the same seized gun). Series are found on the full
record (:func:`link_graph`, :func:`find_series`); a caller's chart (:func:`link_chart`)
then shows every series that contains at least one case whose details the caller
sees, with the other cases of those series as opaque references.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date

import networkx as nx

from service.intel.data import CaseLoad, EventRow
from service.intel.scope import Scope
from service.intel.places import coarsen
from service.models import ExhibitKind, LeadState

# Links that make two cases one series; event nodes and open leads never do.
SERIES_LINKS = frozenset({"hit", "firearm"})
OPEN_LEAD_STATES = frozenset({LeadState.proposed, LeadState.issued})


def case_node(case_id: int) -> str:
    return f"case:{case_id}"


def link_graph(data: CaseLoad, *, include_events: bool = True, include_open_leads: bool = False) -> nx.Graph:
    """Every case, its events and firearms, and every link, unscoped (internal use only).

    Node ids are ``case:<id>``, ``event:<id>`` and ``firearm:<name>``; each node has
    ``kind`` and each edge ``link`` (``hit``, ``firearm``, ``event`` or ``lead``).
    """
    g = nx.Graph()
    for c in data.cases.values():
        g.add_node(case_node(c.id), kind="case", case_id=c.id, jurisdiction_id=c.jurisdiction_id)
    for h in data.hits.values():
        g.add_edge(case_node(h.case_a_id), case_node(h.case_b_id), link="hit", hit_id=h.id, date=h.created_at.date())
    for ex in data.exhibits.values():
        if ex.kind == ExhibitKind.test_fire and ex.firearm:
            fnode = f"firearm:{ex.firearm}"
            g.add_node(fnode, kind="firearm", firearm=ex.firearm)
            g.add_edge(fnode, case_node(ex.case_id), link="firearm")
    if include_events:
        for ev in data.events.values():
            g.add_node(f"event:{ev.id}", kind="event", event_id=ev.id)
            g.add_edge(f"event:{ev.id}", case_node(ev.case_id), link="event")
    if include_open_leads:
        for lead in data.leads.values():
            a, b = case_node(lead.source_case_id), case_node(lead.target_case_id)
            if lead.state in OPEN_LEAD_STATES and not g.has_edge(a, b):
                g.add_edge(a, b, link="lead", lead_id=lead.id, state=lead.state.value)
    return g


def find_series(graph: nx.Graph) -> list[frozenset[int]]:
    """Case ids of each series (>= 2 cases), largest first, then by oldest case id."""
    core = nx.Graph()
    core.add_edges_from((u, v) for u, v, link in graph.edges(data="link") if link in SERIES_LINKS)
    out = []
    for component in nx.connected_components(core):
        cases = frozenset(graph.nodes[n]["case_id"] for n in component if graph.nodes[n]["kind"] == "case")
        if len(cases) >= 2:
            out.append(cases)
    out.sort(key=lambda s: (-len(s), min(s)))
    return out


@dataclass(frozen=True)
class Series:
    """One series as a caller may see it (no hidden case ids)."""

    key: str
    nodes: tuple[str, ...]
    visible_case_ids: tuple[int, ...]
    jurisdictions: tuple[str, ...]
    n_cases: int
    n_hits: int
    n_firearms: int
    first_date: date | None
    last_date: date | None

    @property
    def cross_border(self) -> bool:
        return len(self.jurisdictions) > 1


@dataclass
class LinkChart:
    """A caller's link chart: a GraphML-ready graph and the series it holds."""

    graph: nx.Graph
    series: list[Series]
    scope: dict


def _event_attrs(scope: Scope, ev: EventRow, detail: bool) -> tuple[str, dict]:
    lat, lon, precision = ev.latitude, ev.longitude, ev.precision.value
    if not detail:
        lat, lon, precision = coarsen(lat, lon, precision)
    attrs = {
        "kind": "event",
        "label": f"{ev.kind.value} {ev.date_from.isoformat()}",
        "event_kind": ev.kind.value,
        "date_from": ev.date_from.isoformat(),
        "date_to": ev.date_to.isoformat() if ev.date_to else "",
        "precision": precision,
        "detail": detail,
        "location": ev.location if detail else "",
    }
    if lat is not None and lon is not None:
        attrs["latitude"], attrs["longitude"] = float(lat), float(lon)
    return (f"event:{ev.id}" if detail else scope.event_ref(ev.id)), attrs


def series_case_sets(data: CaseLoad) -> list[frozenset[int]]:
    return find_series(link_graph(data, include_events=False))


def link_chart(
    data: CaseLoad,
    scope: Scope,
    *,
    linked_only: bool = True,
    include_events: bool = True,
    include_open_leads: bool = False,
    series_sets: list[frozenset[int]] | None = None,
) -> LinkChart:
    """The caller's link chart.

    Parameters
    ----------
    linked_only
        Leave out the caller's cases that belong to no series.
    include_events, include_open_leads
        Add event nodes / edges for proposed and issued leads touching the chart.
    series_sets
        Precomputed :func:`series_case_sets` (one report computes them once).
    """
    if series_sets is None:
        series_sets = series_case_sets(data)
    sees = lambda cid: scope.sees_case(cid, data.case_jurisdiction(cid))  # noqa: E731
    g = nx.Graph()
    node_of: dict[int, str] = {}
    series_of: dict[int, str] = {}
    firearms_by_case: dict[int, list[str]] = {}
    for ex in data.exhibits.values():
        if ex.kind == ExhibitKind.test_fire and ex.firearm:
            firearms_by_case.setdefault(ex.case_id, []).append(ex.firearm)

    def add_case(cid: int, key: str = "") -> str:
        if cid in node_of:
            return node_of[cid]
        c = data.cases[cid]
        detail = sees(cid)
        node = case_node(cid) if detail else scope.case_ref(cid)
        incident = data.incident_date(cid)
        attrs = {
            "kind": "case",
            "label": c.reference if detail else node,
            "jurisdiction": data.code(c.jurisdiction_id),
            "detail": detail,
            "series": key,
            "incident_date": incident.isoformat() if incident else "",
        }
        if detail:
            attrs.update(case_id=cid, reference=c.reference, title=c.title)
        g.add_node(node, **attrs)
        node_of[cid] = node
        if include_events:
            for ev in data.events_by_case.get(cid, []):
                enode, eattrs = _event_attrs(scope, ev, detail)
                g.add_node(enode, **eattrs)
                g.add_edge(node, enode, link="event")
        return node

    visible_series: list[Series] = []
    firearm_nodes: dict[str, str] = {}
    for cases in series_sets:
        if not any(sees(cid) for cid in cases):
            continue
        key = scope.series_key(min(cases))
        nodes = [add_case(cid, key) for cid in sorted(cases)]
        for cid in cases:
            series_of[cid] = key
        names = {name for cid in cases for name in firearms_by_case.get(cid, [])}
        for name in names:
            shown = any(sees(cid) for cid in cases if name in firearms_by_case.get(cid, []))
            fnode = f"firearm:{name}" if shown else scope.firearm_ref(name)
            firearm_nodes[name] = fnode
            g.add_node(fnode, kind="firearm", label=name if shown else fnode, detail=shown, series=key)
            nodes.append(fnode)
        dates = [d for cid in cases if (d := data.incident_date(cid)) is not None]
        visible_series.append(
            Series(
                key=key,
                nodes=tuple(nodes),
                visible_case_ids=tuple(sorted(cid for cid in cases if sees(cid))),
                jurisdictions=tuple(sorted({data.code(data.case_jurisdiction(cid)) for cid in cases})),
                n_cases=len(cases),
                n_hits=0,
                n_firearms=len(names),
                first_date=min(dates) if dates else None,
                last_date=max(dates) if dates else None,
            )
        )
    n_hits: dict[str, int] = {}
    for h in data.hits.values():
        if h.case_a_id in series_of and h.case_b_id in series_of:
            key = series_of[h.case_a_id]
            attrs = {"link": "hit", "date": h.created_at.date().isoformat(), "series": key}
            if sees(h.case_a_id) or sees(h.case_b_id):
                attrs["hit_id"] = h.id
            g.add_edge(node_of[h.case_a_id], node_of[h.case_b_id], **attrs)
            n_hits[key] = n_hits.get(key, 0) + 1
    for cid, names in firearms_by_case.items():
        if cid in series_of:
            for name in names:
                g.add_edge(firearm_nodes[name], node_of[cid], link="firearm", series=series_of[cid])
    visible_series = [replace(s, n_hits=n_hits.get(s.key, 0)) for s in visible_series]
    if not linked_only:
        for c in data.cases.values():
            if c.id not in node_of and sees(c.id):
                add_case(c.id)
    if include_open_leads:
        for lead in data.leads.values():
            a, b = lead.source_case_id, lead.target_case_id
            if lead.state in OPEN_LEAD_STATES and (sees(a) or sees(b)):
                na, nb = add_case(a, series_of.get(a, "")), add_case(b, series_of.get(b, ""))
                if not g.has_edge(na, nb):
                    g.add_edge(na, nb, link="lead", state=lead.state.value)
    return LinkChart(graph=g, series=visible_series, scope=scope.describe())


# --- exports for analysts' tools -------------------------------------------------------


def to_graphml(chart: LinkChart) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(chart.graph, buf, encoding="utf-8")
    return buf.getvalue()


NODE_COLUMNS = ["id", "kind", "label", "jurisdiction", "series", "detail", "incident_date", "event_kind",
                "date_from", "date_to", "latitude", "longitude", "precision", "location"]
EDGE_COLUMNS = ["source", "target", "link", "series", "date", "hit_id", "state"]


def to_csv(chart: LinkChart, table: str = "edges") -> str:
    """One table of the chart, ``nodes`` or ``edges``, as CSV text."""
    out = io.StringIO()
    if table == "nodes":
        w = csv.DictWriter(out, NODE_COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for node, attrs in sorted(chart.graph.nodes(data=True)):
            w.writerow({"id": node, **attrs})
    elif table == "edges":
        w = csv.DictWriter(out, EDGE_COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for u, v, attrs in sorted(chart.graph.edges(data=True), key=lambda e: (e[0], e[1])):
            w.writerow({"source": u, "target": v, **attrs})
    else:
        raise ValueError(f"unknown table {table!r} (nodes or edges)")
    return out.getvalue()
