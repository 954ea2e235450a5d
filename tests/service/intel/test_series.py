"""Planted series are found exactly, from the full record and from each caller's chart."""

from __future__ import annotations

import networkx as nx

from service.intel.graph import find_series, link_chart, link_graph
from service.intel.synthetic import JURISDICTIONS


def test_planted_series_are_recovered_exactly(load):
    assert load.truth.firearm_links >= 1, "this seed must plant a firearm-only link"
    found = find_series(link_graph(load.data))
    assert found == load.truth.series


def test_firearm_links_join_cases_without_a_hit(load):
    # Remove the firearm nodes: the series joined only through a seized gun fall apart.
    g = link_graph(load.data, include_events=False)
    g.remove_nodes_from([n for n, kind in g.nodes(data="kind") if kind == "firearm"])
    assert len(find_series(g)) != len(load.truth.series) or find_series(g) != load.truth.series


def test_open_and_refuted_leads_never_join_a_series(load):
    with_leads = link_graph(load.data, include_open_leads=True)
    assert any(link == "lead" for *_e, link in with_leads.edges(data="link"))
    assert find_series(with_leads) == load.truth.series


def test_each_jurisdiction_sees_exactly_the_series_touching_its_cases(load):
    case_jur = {c.id: load.data.code(c.jurisdiction_id) for c in load.data.cases.values()}
    for code, *_ in JURISDICTIONS:
        user = "examiner." + code.lower()
        chart = link_chart(load.data, load.scope(user))
        expected = sorted(sorted(s) for s in load.truth.series if any(case_jur[c] == code for c in s))
        got = sorted(
            sorted(c for c in load.truth.series[i]) for i in
            [next(k for k, t in enumerate(load.truth.series) if set(s.visible_case_ids) <= t) for s in chart.series]
        )
        assert got == expected, code
        for s in chart.series:
            truth = next(t for t in load.truth.series if set(s.visible_case_ids) <= t)
            assert s.n_cases == len(truth)
            assert s.n_hits == len(truth) - 1 - sum(1 for c in truth if load.data.events_by_case[c][0].kind.value == "test_fire")
            assert set(s.visible_case_ids) == {c for c in truth if case_jur[c] == code}
            # One connected component per series in the chart itself.
            assert nx.is_connected(chart.graph.subgraph(s.nodes))
