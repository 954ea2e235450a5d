"""The link chart: cases, events and firearms joined by confirmed hits and other links.

A *series* is a connected set of at least two cases joined by confirmed hits or by a
shared firearm: test fires from the same seized gun, the case a firearm record was
registered under, and the cases a gun's test fire was linked to by hits (see
:mod:`service.intel.guns`). So when two crime scenes are linked to each other and
later one of them to a recovered gun, the series gains the gun and its case, and
keeps its key (the key follows the series' oldest case). Series are found on the
full record (:func:`link_graph`, :func:`find_series`); a caller's chart
(:func:`link_chart`) then shows every series that contains at least one case whose
details the caller sees, with the other cases of those series as opaque references.

A firearm the caller sees in detail carries its record (type, make, model, calibre,
serial, life-cycle status) and, where the caller also sees the record's case, its
trace history: a ``trace`` node per trace request and a ``stolen_alert`` node per
lost-and-stolen match. Another jurisdiction's gun is an opaque reference with its
jurisdiction only (hit / no-hit) until its case or its record is disclosed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date

import networkx as nx

from service.intel.data import CaseLoad, EventRow
from service.intel.guns import (
    GUN_LINKS, OPEN_TRACES, Gun, gun_label, gun_node, guns_by_case, guns_of, history_shown,
)
from service.intel.scope import Scope
from service.intel.places import coarsen
from service.intel.words import alert_node, trace_node
from service.models import LeadState

# Links that make two cases one series; event nodes, trace history and open leads never do.
SERIES_LINKS = frozenset({"hit", *GUN_LINKS})
OPEN_LEAD_STATES = frozenset({LeadState.proposed, LeadState.issued})


def case_node(case_id: int) -> str:
    return f"case:{case_id}"


def link_graph(data: CaseLoad, *, include_events: bool = True, include_open_leads: bool = False) -> nx.Graph:
    """Every case, its events and firearms, and every link, unscoped (internal use only).

    Node ids are ``case:<id>``, ``event:<id>`` and ``firearm:<key>`` (``firearm:#<id>``
    for a firearm record, ``firearm:<free text>`` for a gun known only by its text);
    each node has ``kind`` and each edge ``link`` (``hit``, ``firearm``,
    ``registered_in``, ``firearm_link``, ``event`` or ``lead``).
    """
    g = nx.Graph()
    for c in data.cases.values():
        g.add_node(case_node(c.id), kind="case", case_id=c.id, jurisdiction_id=c.jurisdiction_id)
    for h in data.hits.values():
        g.add_edge(case_node(h.case_a_id), case_node(h.case_b_id), link="hit", hit_id=h.id, date=h.created_at.date())
    for gun in guns_of(data).values():
        fnode = f"firearm:{gun.key}"
        g.add_node(fnode, kind="firearm", firearm=gun.key)
        for cid, link in gun.cases.items():
            if cid in data.cases:
                g.add_edge(fnode, case_node(cid), link=link)
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


def _gun_attrs(data: CaseLoad, scope: Scope, gun: Gun, shown: bool, node: str) -> dict:
    f = gun.record
    attrs = {"kind": "firearm", "label": gun_label(gun) if shown else node, "detail": shown, "series": ""}
    if f is not None:
        attrs["jurisdiction"] = data.code(data.case_jurisdiction(f.case_id))
    if shown and f is not None:
        attrs.update(
            firearm_id=f.id, firearm_type=f.kind.value, make=f.make, model=f.model, calibre=f.calibre,
            serial_number=f.serial_number, status=f.status.value, country_of_manufacture=f.country_of_manufacture,
        )
    if shown and f is not None and history_shown(data, scope, gun):
        traces = [t for r in gun.records for t in data.traces_by_firearm.get(r.id, [])]
        alerts = [a for r in gun.records for a in data.alerts_by_firearm.get(r.id, [])]
        attrs.update(
            traces=len(traces), open_traces=sum(t.status in OPEN_TRACES for t in traces),
            stolen_alerts=len(alerts), unacknowledged_alerts=sum(a.acknowledged_at is None for a in alerts),
        )
    return attrs


def _add_trace_history(g: nx.Graph, data: CaseLoad, gun: Gun, fnode: str, key: str) -> None:
    for r in gun.records:
        for t in data.traces_by_firearm.get(r.id, []):
            partner = data.code(t.partner_jurisdiction_id) if t.partner_jurisdiction_id in data.jurisdictions else ""
            node = f"trace:{t.id}"
            g.add_node(node, kind="trace", label=str(trace_node(partner or t.addressee or t.target.value, t.status.value)),
                       trace_id=t.id, target=t.target.value, addressee=t.addressee, partner=partner,
                       status=t.status.value, date=t.created_at.date().isoformat(),
                       deadline=t.deadline.isoformat() if t.deadline else "",
                       answered=t.answered_at.date().isoformat() if t.answered_at else "", detail=True, series=key)
            g.add_edge(fnode, node, link="trace", series=key)
        for a in data.alerts_by_firearm.get(r.id, []):
            node = f"alert:{a.id}"
            g.add_node(node, kind="stolen_alert", label=str(alert_node(a.register_name)),
                       alert_id=a.id, register=a.register_name, country=a.country,
                       date_reported=a.date_reported.isoformat() if a.date_reported else "",
                       date=a.created_at.date().isoformat(), acknowledged=a.acknowledged_at is not None,
                       detail=True, series=key)
            g.add_edge(fnode, node, link="stolen_alert", series=key)


def link_chart(
    data: CaseLoad,
    scope: Scope,
    *,
    linked_only: bool = True,
    include_events: bool = True,
    include_open_leads: bool = False,
    include_traces: bool = True,
    series_sets: list[frozenset[int]] | None = None,
) -> LinkChart:
    """The caller's link chart.

    Parameters
    ----------
    linked_only
        Leave out the caller's cases that belong to no series.
    include_events, include_open_leads
        Add event nodes / edges for proposed and issued leads touching the chart.
    include_traces
        Add the trace history (trace requests, lost-and-stolen alerts) of the firearms
        the caller sees in detail.
    series_sets
        Precomputed :func:`series_case_sets` (one report computes them once).
    """
    if series_sets is None:
        series_sets = series_case_sets(data)
    sees = lambda cid: scope.sees_case(cid, data.case_jurisdiction(cid))  # noqa: E731
    g = nx.Graph()
    node_of: dict[int, str] = {}
    series_of: dict[int, str] = {}
    by_case = guns_by_case(data)

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

    gun_nodes: dict[str, str] = {}

    def add_gun(gun: Gun, key: str) -> str:
        if gun.key in gun_nodes:
            return gun_nodes[gun.key]
        fnode, shown = gun_node(data, scope, gun)
        g.add_node(fnode, **{**_gun_attrs(data, scope, gun, shown, fnode), "series": key})
        gun_nodes[gun.key] = fnode
        if shown and include_traces and history_shown(data, scope, gun):
            _add_trace_history(g, data, gun, fnode, key)
        return fnode

    visible_series: list[Series] = []
    for cases in series_sets:
        if not any(sees(cid) for cid in cases):
            continue
        key = scope.series_key(min(cases))
        nodes = [add_case(cid, key) for cid in sorted(cases)]
        for cid in cases:
            series_of[cid] = key
        guns = {gun.key: gun for cid in cases for gun in by_case.get(cid, [])}
        for gkey in sorted(guns):
            nodes.append(add_gun(guns[gkey], key))
        dates = [d for cid in cases if (d := data.incident_date(cid)) is not None]
        visible_series.append(
            Series(
                key=key,
                nodes=tuple(nodes),
                visible_case_ids=tuple(sorted(cid for cid in cases if sees(cid))),
                jurisdictions=tuple(sorted({data.code(data.case_jurisdiction(cid)) for cid in cases})),
                n_cases=len(cases),
                n_hits=0,
                n_firearms=len(guns),
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
    # Guns of the cases on the chart outside any series (a seized gun with no hit yet),
    # then every gun's edges to the cases it is attached to.
    for cid in sorted(set(node_of) - set(series_of)):
        for gun in by_case.get(cid, []):
            add_gun(gun, "")
    for gkey, fnode in gun_nodes.items():
        gun = guns_of(data)[gkey]
        for cid, link in gun.cases.items():
            if cid not in node_of:
                continue
            attrs = {"link": link, "series": series_of.get(cid, "")}
            if link == "firearm_link" and gun.link_hits.get(cid) is not None and g.nodes[fnode]["detail"]:
                attrs["hit_id"] = gun.link_hits[cid]
            g.add_edge(fnode, node_of[cid], **attrs)
    return LinkChart(graph=g, series=visible_series, scope=scope.describe())


# --- exports for analysts' tools -------------------------------------------------------


def to_graphml(chart: LinkChart) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(chart.graph, buf, encoding="utf-8")
    return buf.getvalue()


NODE_COLUMNS = ["id", "kind", "label", "jurisdiction", "series", "detail", "incident_date", "event_kind",
                "date_from", "date_to", "latitude", "longitude", "precision", "location",
                # firearms and their trace history
                "firearm_id", "firearm_type", "make", "model", "calibre", "serial_number", "status", "traces",
                "open_traces", "stolen_alerts", "unacknowledged_alerts", "target", "partner", "date", "deadline",
                "answered", "register", "country", "date_reported", "acknowledged"]
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
