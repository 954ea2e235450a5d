"""Statistics match the generator's own bookkeeping, for the whole load and one year."""

from __future__ import annotations

from datetime import date

import pytest

from service.intel.stats import Period, statistics
from service.intel.synthetic import JURISDICTIONS

DOMESTIC = [c for c, _n, partner, *_ in JURISDICTIONS if not partner]
PARTNERS = [c for c, _n, partner, *_ in JURISDICTIONS if partner]


@pytest.mark.parametrize("period", [None, Period(date(2023, 1, 1), date(2024, 1, 1))])
def test_counts_match_the_truth(load, period):
    truth = load.truth
    period = period or Period(truth.start, truth.end)
    report = statistics(load.data, load.scope("analyst.north"), period)
    assert {r.code for r in report.rows} == set(DOMESTIC)
    span = (period.start, period.end)
    for row in report.rows:
        c = row.code
        assert row.items_recovered == truth.count("items", c, *span)
        assert row.test_fires == truth.count("test_fires", c, *span)
        assert row.scans == truth.count("scans", c, *span)
        assert row.runs == truth.count("runs", c, *span)
        assert row.leads == truth.count("leads", c, *span)
        assert row.hits == truth.count("hits", c, *span)
        assert row.cross_border_hits == truth.count("cross_border_hits", c, *span)
        states = truth.states(c, *span)
        assert row.leads_by_state == {s: states.get(s, 0) for s in row.leads_by_state}
        decided = states["confirmed"] + states["refuted"] + states["inconclusive"]
        assert row.confirmation_rate == (states["confirmed"] / decided if decided else None)
        assert row.lead_to_confirmation.n == states["confirmed"]
        assert row.recovery_to_submission.n == row.items_recovered
        if row.recovery_to_submission.n:
            assert 1.0 <= row.recovery_to_submission.median_days < 60
    matrix = truth.matrix(*span)
    codes = report.matrix_codes
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            if a in PARTNERS and b in PARTNERS:
                # Between two partners: neither row is in a domestic caller's scope.
                assert report.matrix[i][j] is None
            else:
                assert report.matrix[i][j] == matrix.get((a, b), 0)
    assert sum(r.hits for r in report.rows) > 0


def test_a_partner_sees_only_its_own_row_and_its_own_matrix_cells(load):
    code = PARTNERS[0]
    report = statistics(load.data, load.scope("partner." + code.lower()), Period(load.truth.start, load.truth.end))
    assert [r.code for r in report.rows] == [code]
    assert report.hidden_jurisdictions == len(JURISDICTIONS) - 1
    k = report.matrix_codes.index(code)
    for i, row in enumerate(report.matrix):
        for j, v in enumerate(row):
            assert (v is not None) == (k in (i, j))
    assert report.rows[0].hits == load.truth.count("hits", code)


def test_turnaround_times_are_consistent_with_the_record(load):
    report = statistics(load.data, load.scope("analyst.south"), Period(load.truth.start, load.truth.end))
    for row in report.rows:
        for t in (row.recovery_to_submission, row.incident_to_lead, row.lead_to_confirmation):
            if t.n:
                assert 0 <= t.median_days <= t.p90_days
                assert t.mean_days >= 0


def test_an_empty_period_is_refused():
    with pytest.raises(ValueError, match="not after"):
        Period(date(2024, 1, 1), date(2024, 1, 1))
