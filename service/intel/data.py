"""A read-only snapshot of the case records the intelligence products are computed from.

One query per table, columns only (no ORM objects), so a 10,000-case load is read
in well under a second and every product of one report sees the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import (
    Case,
    CorrelationRun,
    Event,
    EventKind,
    Exhibit,
    ExhibitKind,
    Hit,
    Jurisdiction,
    Lead,
    LeadState,
    LocationPrecision,
    ScanRecord,
)


def as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; the service writes them in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class JurisdictionRow(NamedTuple):
    id: int
    code: str
    name: str
    is_partner: bool


class CaseRow(NamedTuple):
    id: int
    jurisdiction_id: int
    reference: str
    title: str


class EventRow(NamedTuple):
    id: int
    case_id: int
    kind: EventKind
    date_from: date
    date_to: date | None
    location: str
    latitude: float | None
    longitude: float | None
    precision: LocationPrecision


class ExhibitRow(NamedTuple):
    id: int
    case_id: int
    event_id: int | None
    kind: ExhibitKind
    firearm: str
    created_at: datetime


class ScanRow(NamedTuple):
    id: int
    exhibit_id: int
    uploaded_at: datetime


class RunRow(NamedTuple):
    id: int
    scan_id: int
    created_at: datetime


class LeadRow(NamedTuple):
    id: int
    source_case_id: int
    target_case_id: int
    state: LeadState
    created_at: datetime
    updated_at: datetime


class HitRow(NamedTuple):
    id: int
    lead_id: int
    case_a_id: int
    case_b_id: int
    created_at: datetime


@dataclass
class CaseLoad:
    """Every record the products need, keyed by id."""

    jurisdictions: dict[int, JurisdictionRow]
    cases: dict[int, CaseRow]
    events: dict[int, EventRow]
    exhibits: dict[int, ExhibitRow]
    scans: dict[int, ScanRow]
    runs: dict[int, RunRow]
    leads: dict[int, LeadRow]
    hits: dict[int, HitRow]
    events_by_case: dict[int, list[EventRow]] = field(default_factory=dict)
    exhibits_by_case: dict[int, list[ExhibitRow]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for ev in sorted(self.events.values(), key=lambda e: (e.date_from, e.id)):
            self.events_by_case.setdefault(ev.case_id, []).append(ev)
        for ex in self.exhibits.values():
            self.exhibits_by_case.setdefault(ex.case_id, []).append(ex)

    def code(self, jurisdiction_id: int) -> str:
        return self.jurisdictions[jurisdiction_id].code

    def case_jurisdiction(self, case_id: int) -> int:
        return self.cases[case_id].jurisdiction_id

    def incident_date(self, case_id: int) -> date | None:
        """The case's earliest event, which is what the case is about."""
        events = self.events_by_case.get(case_id)
        return events[0].date_from if events else None


def load_case_load(session: Session) -> CaseLoad:
    """Read the snapshot in one transaction."""

    def rows(cls, stmt):
        return {r[0]: cls(*r) for r in session.execute(stmt)}

    def utc_rows(cls, stmt, *positions):
        out = {}
        for r in session.execute(stmt):
            values = list(r)
            for p in positions:
                values[p] = as_utc(values[p])
            out[values[0]] = cls(*values)
        return out

    return CaseLoad(
        jurisdictions=rows(JurisdictionRow, select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name, Jurisdiction.is_partner)),
        cases=rows(CaseRow, select(Case.id, Case.jurisdiction_id, Case.reference, Case.title)),
        events=rows(
            EventRow,
            select(
                Event.id, Event.case_id, Event.kind, Event.date_from, Event.date_to, Event.location,
                Event.latitude, Event.longitude, Event.location_precision,
            ),
        ),
        exhibits=utc_rows(
            ExhibitRow,
            select(Exhibit.id, Exhibit.case_id, Exhibit.event_id, Exhibit.kind, Exhibit.firearm, Exhibit.created_at),
            5,
        ),
        scans=utc_rows(ScanRow, select(ScanRecord.id, ScanRecord.exhibit_id, ScanRecord.uploaded_at), 2),
        runs=utc_rows(RunRow, select(CorrelationRun.id, CorrelationRun.scan_id, CorrelationRun.created_at), 2),
        leads=utc_rows(
            LeadRow,
            select(Lead.id, Lead.source_case_id, Lead.target_case_id, Lead.state, Lead.created_at, Lead.updated_at),
            4, 5,
        ),
        hits=utc_rows(HitRow, select(Hit.id, Hit.lead_id, Hit.case_a_id, Hit.case_b_id, Hit.created_at), 4),
    )
