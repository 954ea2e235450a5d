"""A read-only snapshot of the case records the intelligence products are computed from.

One query per table, columns only (no ORM objects), so a 10,000-case load is read
in well under a second and every product of one report sees the same records.

Besides cases, events, exhibits, runs, leads and hits, the snapshot holds the
firearm register and each gun's trace history: its records, life-cycle steps, the
cases its test fires link it to, its trace requests and its lost-and-stolen alerts.
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
    Firearm,
    FirearmCaseLink,
    FirearmEvent,
    FirearmStatus,
    FirearmType,
    Hit,
    Jurisdiction,
    Lead,
    LeadState,
    LocationPrecision,
    ScanRecord,
    StolenAlert,
    StolenEntry,
    TraceRequest,
    TraceStatus,
    TraceTarget,
    User,
)


def as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; the service writes them in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class JurisdictionRow(NamedTuple):
    id: int
    code: str
    name: str
    is_partner: bool
    map_region: str | None = None


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
    # The firearm record a test fire was fired from (None: free text only, or not a test fire).
    firearm_id: int | None = None


class FirearmRow(NamedTuple):
    id: int
    case_id: int
    kind: FirearmType
    status: FirearmStatus
    make: str
    model: str
    calibre: str
    serial_number: str
    country_of_manufacture: str
    # The free text a migrated record was made from ("" for a record entered as one).
    source_text: str
    created_at: datetime


class FirearmEventRow(NamedTuple):
    id: int
    firearm_id: int
    status: FirearmStatus
    at: datetime
    location: str


class FirearmLinkRow(NamedTuple):
    id: int
    firearm_id: int
    case_id: int
    hit_id: int | None
    created_at: datetime


class TraceRow(NamedTuple):
    id: int
    firearm_id: int
    target: TraceTarget
    addressee: str
    partner_jurisdiction_id: int | None
    status: TraceStatus
    deadline: date | None
    created_at: datetime
    answered_at: datetime | None
    # The jurisdiction of whoever recorded the answer (None: not answered, or before 0009).
    answered_by_jurisdiction_id: int | None


class AlertRow(NamedTuple):
    id: int
    firearm_id: int
    case_id: int
    register_name: str
    country: str
    date_reported: date | None
    created_at: datetime
    acknowledged_at: datetime | None


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
    firearms: dict[int, FirearmRow] = field(default_factory=dict)
    firearm_events: dict[int, FirearmEventRow] = field(default_factory=dict)
    firearm_links: dict[int, FirearmLinkRow] = field(default_factory=dict)
    traces: dict[int, TraceRow] = field(default_factory=dict)
    alerts: dict[int, AlertRow] = field(default_factory=dict)
    events_by_case: dict[int, list[EventRow]] = field(default_factory=dict)
    exhibits_by_case: dict[int, list[ExhibitRow]] = field(default_factory=dict)
    events_by_firearm: dict[int, list[FirearmEventRow]] = field(default_factory=dict)
    traces_by_firearm: dict[int, list[TraceRow]] = field(default_factory=dict)
    alerts_by_firearm: dict[int, list[AlertRow]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for ev in sorted(self.events.values(), key=lambda e: (e.date_from, e.id)):
            self.events_by_case.setdefault(ev.case_id, []).append(ev)
        for ex in self.exhibits.values():
            self.exhibits_by_case.setdefault(ex.case_id, []).append(ex)
        for fe in sorted(self.firearm_events.values(), key=lambda e: (e.at, e.id)):
            self.events_by_firearm.setdefault(fe.firearm_id, []).append(fe)
        for t in sorted(self.traces.values(), key=lambda t: t.id):
            self.traces_by_firearm.setdefault(t.firearm_id, []).append(t)
        for a in sorted(self.alerts.values(), key=lambda a: a.id):
            self.alerts_by_firearm.setdefault(a.firearm_id, []).append(a)

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
                if values[p] is not None:
                    values[p] = as_utc(values[p])
            out[values[0]] = cls(*values)
        return out

    return CaseLoad(
        jurisdictions=rows(JurisdictionRow, select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name, Jurisdiction.is_partner,
                                                              Jurisdiction.map_region)),
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
            select(Exhibit.id, Exhibit.case_id, Exhibit.event_id, Exhibit.kind, Exhibit.firearm, Exhibit.created_at,
                   Exhibit.firearm_id),
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
        firearms=utc_rows(
            FirearmRow,
            select(Firearm.id, Firearm.case_id, Firearm.kind, Firearm.status, Firearm.make, Firearm.model,
                   Firearm.calibre, Firearm.serial_number, Firearm.country_of_manufacture, Firearm.source_text,
                   Firearm.created_at),
            10,
        ),
        firearm_events=utc_rows(
            FirearmEventRow,
            select(FirearmEvent.id, FirearmEvent.firearm_id, FirearmEvent.status, FirearmEvent.at,
                   FirearmEvent.location),
            3,
        ),
        firearm_links=utc_rows(
            FirearmLinkRow,
            select(FirearmCaseLink.id, FirearmCaseLink.firearm_id, FirearmCaseLink.case_id, FirearmCaseLink.hit_id,
                   FirearmCaseLink.created_at),
            4,
        ),
        traces=utc_rows(
            TraceRow,
            select(TraceRequest.id, TraceRequest.firearm_id, TraceRequest.target, TraceRequest.addressee,
                   TraceRequest.partner_jurisdiction_id, TraceRequest.status, TraceRequest.deadline,
                   TraceRequest.created_at, TraceRequest.answered_at, User.jurisdiction_id)
            .outerjoin(User, TraceRequest.answered_by_id == User.id),
            7, 8,
        ),
        alerts=utc_rows(
            AlertRow,
            select(StolenAlert.id, StolenAlert.firearm_id, StolenAlert.case_id, StolenAlert.register_name,
                   StolenEntry.country, StolenEntry.date_reported, StolenAlert.created_at,
                   StolenAlert.acknowledged_at)
            .join(StolenEntry, StolenAlert.entry_id == StolenEntry.id),
            6, 7,
        ),
    )
