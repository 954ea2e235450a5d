"""Turnaround clocks: each exhibit from its submission to the first finished search of
one of its scans, against the urgent or routine target; and the overdue list."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.config import Settings
from service.models import Case, CorrelationRun, Exhibit, RunStatus, ScanRecord
from service.schemas.cases import Turnaround


def first_done(session: Session, exhibit_ids: list[int]) -> dict[int, datetime]:
    if not exhibit_ids:
        return {}
    rows = session.execute(
        select(ScanRecord.exhibit_id, func.min(CorrelationRun.finished_at))
        .join(CorrelationRun, CorrelationRun.scan_id == ScanRecord.id)
        .where(ScanRecord.exhibit_id.in_(exhibit_ids), CorrelationRun.status == RunStatus.done)
        .group_by(ScanRecord.exhibit_id)
    ).all()
    out = {}
    for eid, at in rows:
        if at is not None:
            out[eid] = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return out


def clock(settings: Settings, exhibit: Exhibit, done_at: datetime | None, now: datetime) -> Turnaround:
    hours = settings.urgent_turnaround_hours if exhibit.urgent else settings.routine_turnaround_hours
    due = exhibit.created_at + timedelta(hours=hours)
    end = done_at or now
    return Turnaround(
        exhibit_id=exhibit.id, case_id=exhibit.case_id, lab_number=exhibit.lab_number, urgent=exhibit.urgent,
        submitted_at=exhibit.created_at, due_at=due, done_at=done_at,
        hours_elapsed=round((end - exhibit.created_at).total_seconds() / 3600, 2),
        overdue=done_at is None and now > due,
        met_target=None if done_at is None else done_at <= due,
    )


def overdue(session: Session, settings: Settings, jurisdiction_id: int) -> list[Turnaround]:
    """Exhibits of a jurisdiction not yet searched and past their target, urgent first, oldest first."""
    now = datetime.now(timezone.utc)
    exhibits = session.scalars(
        select(Exhibit).join(Case, Exhibit.case_id == Case.id).where(Case.jurisdiction_id == jurisdiction_id)
        .order_by(Exhibit.id)).all()
    done = first_done(session, [e.id for e in exhibits])
    clocks = [clock(settings, e, done.get(e.id), now) for e in exhibits]
    late = [c for c in clocks if c.overdue]
    return sorted(late, key=lambda c: (not c.urgent, c.due_at))
