"""Statistics per jurisdiction and period, and the cross-border hit matrix.

What each figure counts, and which date places it in a period:

- items recovered: cartridge-case exhibits, by the date of their event (recovery);
- test fires: test-fire exhibits, by the date they were registered;
- scans acquired: scan records, by upload time;
- correlation runs: by the time they were requested;
- leads: by creation time, counted for the jurisdiction of the case that asked;
- hits: by creation time, counted once for each jurisdiction of its two cases;
- lead confirmation rate: confirmed / (confirmed + refuted + inconclusive) among the
  period's leads; open and withdrawn leads have no outcome yet;
- turnaround times, in days: recovery to submission (exhibit registered at the lab
  minus its event's date), incident to lead (lead created minus the asking case's
  earliest event), lead to confirmation (the hit's creation minus the lead's).

Scope: counts are aggregates and reveal no case, so a domestic caller sees every
domestic jurisdiction's row; a partner jurisdiction's row is shown only to that
jurisdiction. A matrix cell is shown when either of its jurisdictions' rows is.
"""

from __future__ import annotations

import statistics as pystats
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from service.intel.data import CaseLoad
from service.intel.scope import Scope
from service.models import ExhibitKind, LeadState

DECIDED = (LeadState.confirmed, LeadState.refuted, LeadState.inconclusive)


@dataclass(frozen=True)
class Period:
    """Dates ``start <= d < end``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} is not after its start {self.start}")

    def holds(self, moment: date | datetime) -> bool:
        d = moment.date() if isinstance(moment, datetime) else moment
        return self.start <= d < self.end

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()} (exclusive)"

    @classmethod
    def years(cls, first: int, last: int) -> list["Period"]:
        return [cls(date(y, 1, 1), date(y + 1, 1, 1)) for y in range(first, last + 1)]


@dataclass(frozen=True)
class Turnaround:
    n: int
    median_days: float | None
    mean_days: float | None
    p90_days: float | None

    @classmethod
    def of(cls, days: list[float]) -> "Turnaround":
        if not days:
            return cls(0, None, None, None)
        ordered = sorted(days)
        p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
        return cls(len(days), float(pystats.median(ordered)), float(pystats.fmean(ordered)), float(p90))


@dataclass(frozen=True)
class JurisdictionStats:
    code: str
    name: str
    partner: bool
    items_recovered: int
    test_fires: int
    scans: int
    runs: int
    leads: int
    leads_by_state: dict[str, int]
    hits: int
    cross_border_hits: int
    confirmation_rate: float | None
    recovery_to_submission: Turnaround
    incident_to_lead: Turnaround
    lead_to_confirmation: Turnaround


@dataclass(frozen=True)
class StatsReport:
    period: Period
    rows: tuple[JurisdictionStats, ...]
    matrix_codes: tuple[str, ...]
    # matrix[i][j]: hits between a case of codes[i] and one of codes[j]; None where hidden.
    matrix: tuple[tuple[int | None, ...], ...]
    hidden_jurisdictions: int = 0
    scope: dict = field(default_factory=dict)

    def row(self, code: str) -> JurisdictionStats:
        for r in self.rows:
            if r.code == code:
                return r
        raise KeyError(code)


def _days(later: datetime | date, earlier: datetime | date) -> float:
    def as_dt(x):
        if isinstance(x, datetime):
            return x if x.tzinfo else x.replace(tzinfo=timezone.utc)
        return datetime(x.year, x.month, x.day, tzinfo=timezone.utc)

    return (as_dt(later) - as_dt(earlier)).total_seconds() / 86400.0


def visible_jurisdictions(data: CaseLoad, scope: Scope) -> set[int]:
    return {
        j.id for j in data.jurisdictions.values()
        if j.id == scope.jurisdiction_id or (not scope.partner and not j.is_partner)
    }


def statistics(data: CaseLoad, scope: Scope, period: Period) -> StatsReport:
    """Per-jurisdiction figures for ``period`` and the hit matrix, as the caller may see them."""
    jur_of_case = {c.id: c.jurisdiction_id for c in data.cases.values()}
    ids = sorted(data.jurisdictions, key=lambda j: data.jurisdictions[j].code)
    acc = {
        j: {"items": 0, "tf": 0, "scans": 0, "runs": 0, "leads": 0, "hits": 0, "xb": 0,
            "states": {s.value: 0 for s in LeadState}, "r2s": [], "i2l": [], "l2c": []}
        for j in ids
    }
    case_of_exhibit = {ex.id: ex.case_id for ex in data.exhibits.values()}
    for ex in data.exhibits.values():
        j = jur_of_case[ex.case_id]
        if ex.kind == ExhibitKind.cartridge_case:
            ev = data.events.get(ex.event_id) if ex.event_id is not None else None
            recovered = ev.date_from if ev else data.incident_date(ex.case_id)
            if recovered is not None and period.holds(recovered):
                acc[j]["items"] += 1
                acc[j]["r2s"].append(_days(ex.created_at.date(), recovered))
        elif period.holds(ex.created_at):
            acc[j]["tf"] += 1
    case_of_scan = {}
    for s in data.scans.values():
        cid = case_of_exhibit[s.exhibit_id]
        case_of_scan[s.id] = cid
        if period.holds(s.uploaded_at):
            acc[jur_of_case[cid]]["scans"] += 1
    for r in data.runs.values():
        if period.holds(r.created_at):
            acc[jur_of_case[case_of_scan[r.scan_id]]]["runs"] += 1
    hit_of_lead = {h.lead_id: h for h in data.hits.values()}
    for lead in data.leads.values():
        if not period.holds(lead.created_at):
            continue
        a = acc[jur_of_case[lead.source_case_id]]
        a["leads"] += 1
        a["states"][lead.state.value] += 1
        incident = data.incident_date(lead.source_case_id)
        if incident is not None:
            a["i2l"].append(_days(lead.created_at.date(), incident))
        if lead.state == LeadState.confirmed:
            hit = hit_of_lead.get(lead.id)
            confirmed_at = hit.created_at if hit is not None else lead.updated_at
            a["l2c"].append(_days(confirmed_at, lead.created_at))
    index = {j: i for i, j in enumerate(ids)}
    full = [[0] * len(ids) for _ in ids]
    for h in data.hits.values():
        if not period.holds(h.created_at):
            continue
        ja, jb = jur_of_case[h.case_a_id], jur_of_case[h.case_b_id]
        full[index[ja]][index[jb]] += 1
        if ja != jb:
            full[index[jb]][index[ja]] += 1
        for j in {ja, jb}:
            acc[j]["hits"] += 1
            if ja != jb:
                acc[j]["xb"] += 1
    shown = visible_jurisdictions(data, scope)
    rows = []
    for j in ids:
        if j not in shown:
            continue
        a, jur = acc[j], data.jurisdictions[j]
        decided = sum(a["states"][s.value] for s in DECIDED)
        rows.append(JurisdictionStats(
            code=jur.code,
            name=jur.name,
            partner=jur.is_partner,
            items_recovered=a["items"],
            test_fires=a["tf"],
            scans=a["scans"],
            runs=a["runs"],
            leads=a["leads"],
            leads_by_state=dict(a["states"]),
            hits=a["hits"],
            cross_border_hits=a["xb"],
            confirmation_rate=(a["states"][LeadState.confirmed.value] / decided) if decided else None,
            recovery_to_submission=Turnaround.of(a["r2s"]),
            incident_to_lead=Turnaround.of(a["i2l"]),
            lead_to_confirmation=Turnaround.of(a["l2c"]),
        ))
    matrix = tuple(
        tuple(full[index[a]][index[b]] if (a in shown or b in shown) else None for b in ids)
        for a in ids
    )
    return StatsReport(
        period=period,
        rows=tuple(rows),
        matrix_codes=tuple(data.code(j) for j in ids),
        matrix=matrix,
        hidden_jurisdictions=len(ids) - len(rows),
        scope=scope.describe(),
    )
