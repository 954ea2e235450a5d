"""Callers see their own cases in full and everyone else's as opaque references; exports parse back."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest

from service.intel.graph import link_chart, to_csv, to_graphml
from service.intel.reports import produce
from service.intel.timeline import SubjectNotFound, coarsen, gun_timeline
from service.models import ExhibitKind

PARTNER = "PARTNER-FR"


def _series_touching(load, code):
    jid = load.truth.jurisdiction_ids[code]
    for s in load.truth.series:
        if any(load.data.cases[c].jurisdiction_id == jid for c in s) and \
                any(load.data.cases[c].jurisdiction_id != jid for c in s):
            return s
    pytest.fail(f"no cross-border series touches {code}")


def _secrets_of_others(load, code):
    """Strings that identify or place another jurisdiction's cases."""
    jid = load.truth.jurisdiction_ids[code]
    own_guns = {ex.firearm for ex in load.data.exhibits.values()
                if ex.firearm and load.data.cases[ex.case_id].jurisdiction_id == jid}
    out = set()
    for c in load.data.cases.values():
        if c.jurisdiction_id == jid:
            continue
        out.add(c.reference)
        out.update(ev.location for ev in load.data.events_by_case.get(c.id, []) if ev.location)
        out.update(ex.firearm for ex in load.data.exhibits_by_case.get(c.id, [])
                   if ex.firearm and ex.firearm not in own_guns)
    return out


def test_a_partner_never_sees_another_jurisdictions_case_details(load):
    scope = load.scope("partner." + PARTNER.lower())
    assert scope.partner
    series = _series_touching(load, PARTNER)
    own_case = next(c for c in sorted(series) if load.data.case_jurisdiction(c) == scope.jurisdiction_id)
    products = [
        produce(load.data, scope, "link_chart", fmt) for fmt in ("html", "graphml", "csv")
    ] + [
        produce(load.data, scope, "link_chart", "csv", {"table": "nodes", "linked_only": False}),
        produce(load.data, scope, "timeline", "geojson", {"case_id": own_case}),
        produce(load.data, scope, "timeline", "csv", {"case_id": own_case}),
        produce(load.data, scope, "timeline", "html", {"case_id": own_case}),
        produce(load.data, scope, "statistics", "json"),
    ]
    forbidden = _secrets_of_others(load, PARTNER)
    own_ref = load.data.cases[own_case].reference
    for p in products:
        text = p.content.decode("utf-8")
        leaked = [s for s in forbidden if s in text]
        assert not leaked, f"{p.kind} {p.format} shows {leaked[:3]}"
    assert own_ref in products[1].content.decode()  # its own case in full
    assert scope.case_ref(min(c for c in series if load.data.case_jurisdiction(c) != scope.jurisdiction_id)) \
        in products[1].content.decode()


def test_places_of_other_jurisdictions_are_coarsened(load):
    scope = load.scope("investigator.north")
    series = _series_touching(load, "NORTH")
    tl = gun_timeline(load.data, scope, case_id=min(c for c in series if load.data.case_jurisdiction(c) == scope.jurisdiction_id))
    hidden = [r for r in tl.rows if not r.detail]
    assert hidden and any(r.detail for r in tl.rows)
    for r in hidden:
        assert r.location == "" and r.jurisdiction != "NORTH"
        assert r.precision not in {"exact", "street", "district"}
        if r.latitude is not None:
            assert abs(r.latitude * 10 - round(r.latitude * 10)) < 1e-6
            assert abs(r.longitude * 10 - round(r.longitude * 10)) < 1e-6
    assert coarsen(51.4567, -2.5912, "exact") == (51.5, -2.6, "city")
    assert coarsen(None, None, "unknown") == (None, None, "unknown")


def test_a_disclosed_case_is_shown_in_full(load):
    scope = load.scope("analyst.north")
    series = _series_touching(load, "NORTH")
    other = min(c for c in series if load.data.case_jurisdiction(c) != scope.jurisdiction_id)
    before = link_chart(load.data, scope).graph
    assert f"case:{other}" not in before and scope.case_ref(other) in before
    after = link_chart(load.data, load.scope("analyst.north", disclosed=frozenset({other}))).graph
    assert after.nodes[f"case:{other}"]["reference"] == load.data.cases[other].reference


def test_a_case_outside_the_callers_reach_has_no_timeline(load):
    scope = load.scope("investigator.north")
    foreign = next(c.id for c in load.data.cases.values() if c.jurisdiction_id != scope.jurisdiction_id)
    with pytest.raises(SubjectNotFound):
        gun_timeline(load.data, scope, case_id=foreign)
    with pytest.raises(SubjectNotFound):
        gun_timeline(load.data, scope, series_key="SER-0000000000000000")


def test_the_life_of_a_seized_gun_covers_its_whole_series(load):
    k, gun = next((k, g) for k, g in enumerate(load.truth.series_firearms) if g)
    series = load.truth.series[k]
    holder = next(ex.case_id for ex in load.data.exhibits.values()
                  if ex.firearm == gun and ex.kind == ExhibitKind.test_fire)
    code = load.data.code(load.data.case_jurisdiction(holder))
    tl = gun_timeline(load.data, load.scope("examiner." + code.lower()), firearm=gun)
    assert len(tl.rows) == sum(len(load.data.events_by_case[c]) for c in series)
    assert [r.date_from for r in tl.rows] == sorted(r.date_from for r in tl.rows)
    by_key = gun_timeline(load.data, load.scope("examiner." + code.lower()), series_key=tl.series_key)
    assert by_key.rows == tl.rows


def test_graphml_and_csv_parse_back(load):
    chart = link_chart(load.data, load.scope("analyst.south"), include_open_leads=True)
    assert chart.series
    back = nx.read_graphml(io.BytesIO(to_graphml(chart)))
    assert set(back.nodes) == set(chart.graph.nodes)
    assert back.number_of_edges() == chart.graph.number_of_edges()
    some_case = next(n for n, a in chart.graph.nodes(data=True) if a["kind"] == "case" and a["detail"])
    assert back.nodes[some_case]["reference"] == chart.graph.nodes[some_case]["reference"]
    edges = list(csv.DictReader(io.StringIO(to_csv(chart, "edges"))))
    nodes = list(csv.DictReader(io.StringIO(to_csv(chart, "nodes"))))
    assert len(edges) == chart.graph.number_of_edges() and len(nodes) == chart.graph.number_of_nodes()
    assert {e["link"] for e in edges} >= {"hit", "event"}
    hits = sum(1 for e in edges if e["link"] == "hit")
    assert hits == sum(s.n_hits for s in chart.series)


def test_geojson_parses_back(load):
    scope = load.scope("analyst.south")
    chart = link_chart(load.data, scope)
    key = chart.series[0].key
    p = produce(load.data, scope, "timeline", "geojson", {"series_key": key})
    doc = json.loads(p.content)
    assert doc["type"] == "FeatureCollection"
    points = [f for f in doc["features"] if f["geometry"]["type"] == "Point"]
    tl = gun_timeline(load.data, scope, series_key=key)
    assert len(points) == sum(r.latitude is not None for r in tl.rows)
    for f in points:
        lon, lat = f["geometry"]["coordinates"]
        assert -10 < lon < 10 and 45 < lat < 56  # [longitude, latitude] order, as RFC 7946 says
    paths = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(paths) == (1 if len(points) >= 2 else 0)


@pytest.mark.parametrize("kind,fmt,params", [
    ("link_chart", "svg", {}), ("statistics", "geojson", {}), ("link_chart", "html", {"colour": "red"}),
    ("timeline", "html", {}), ("timeline", "html", {"case_id": 1, "firearm": "x"}),
])
def test_bad_requests_are_refused(load, kind, fmt, params):
    with pytest.raises(ValueError):
        produce(load.data, load.scope("analyst.south"), kind, fmt, params)
