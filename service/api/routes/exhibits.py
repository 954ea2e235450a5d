"""Exhibits (cartridge cases, test fires of a registered firearm, live rounds, bullets) and their chain of custody."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import audit, reasons
from service.api.types import DbId, errors
from service.api.deps import CaseReader, CaseWriter, SessionDep, SettingsDep
from service.crud.access import own_case, own_exhibit
from service.crud.firearms import exhibit_is_final, request_destruction
from service.crud import turnaround
from service.models import CorrelationRun, CustodyEvent, Event, Exhibit, ExhibitKind, Firearm, RunStatus, ScanRecord
from service.models import DestructionRequest
from service.schemas import (
    CustodyCreate, CustodyPublic, DestructionCreate, DestructionPublic, ExhibitCreate, ExhibitPublic, ScanPublic,
    Turnaround, UrgencyUpdate,
)

router = APIRouter(tags=["exhibits"])


@router.get("/cases/{case_id}/exhibits", response_model=list[ExhibitPublic], responses=errors(404))
def list_exhibits(case_id: DbId, session: SessionDep, user: CaseReader) -> list[Exhibit]:
    own_case(session, user, case_id)
    items = list(session.scalars(select(Exhibit).where(Exhibit.case_id == case_id).order_by(Exhibit.id)))
    audit.record(session, user, "read", "exhibits", case_id, ids=[e.id for e in items])
    session.commit()
    return items


@router.post("/cases/{case_id}/exhibits", response_model=ExhibitPublic, status_code=status.HTTP_201_CREATED, responses=errors(404, 409, 422))
def create_exhibit(case_id: DbId, body: ExhibitCreate, session: SessionDep, user: CaseWriter) -> Exhibit:
    own_case(session, user, case_id)
    if body.event_id is not None:
        event = session.get(Event, body.event_id)
        if event is None or event.case_id != case_id:
            raise HTTPException(422, detail="event does not belong to this case")
    if body.firearm_id is not None:
        firearm = session.get(Firearm, body.firearm_id)
        if firearm is None or firearm.case.jurisdiction_id != user.jurisdiction_id:
            raise HTTPException(422, detail="firearm_id names no firearm of your jurisdiction")
        if body.kind != ExhibitKind.test_fire:
            raise HTTPException(422, detail="only a test-fire exhibit names the firearm it was fired from")
    exhibit = Exhibit(case_id=case_id, **body.model_dump())
    session.add(exhibit)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise reasons.duplicate_lab_number() from None
    session.add(CustodyEvent(exhibit_id=exhibit.id, action="received", to_party=user.username, by_user_id=user.id))
    audit.record(session, user, "create", "exhibit", exhibit.id, case_id=case_id, lab_number=exhibit.lab_number)
    session.commit()
    return exhibit


@router.get("/exhibits/{exhibit_id}", response_model=ExhibitPublic, responses=errors(404))
def read_exhibit(exhibit_id: DbId, session: SessionDep, user: CaseReader) -> Exhibit:
    exhibit = own_exhibit(session, user, exhibit_id)
    audit.record(session, user, "read", "exhibit", exhibit.id)
    session.commit()
    return exhibit


@router.get("/exhibits/{exhibit_id}/custody", response_model=list[CustodyPublic], responses=errors(404))
def list_custody(exhibit_id: DbId, session: SessionDep, user: CaseReader) -> list[CustodyEvent]:
    own_exhibit(session, user, exhibit_id)
    items = list(
        session.scalars(select(CustodyEvent).where(CustodyEvent.exhibit_id == exhibit_id).order_by(CustodyEvent.id))
    )
    audit.record(session, user, "read", "custody", exhibit_id)
    session.commit()
    return items


@router.post("/exhibits/{exhibit_id}/custody", response_model=CustodyPublic, status_code=status.HTTP_201_CREATED,
             responses=errors(404, 409))
def add_custody(exhibit_id: DbId, body: CustodyCreate, session: SessionDep, user: CaseWriter) -> CustodyEvent:
    exhibit = own_exhibit(session, user, exhibit_id)
    if body.action == "destroyed":
        raise HTTPException(409, detail="destruction needs a second person's approval: "
                            f"POST /api/exhibits/{exhibit_id}/destruction-requests and have another person approve it")
    if final := exhibit_is_final(session, exhibit):
        raise HTTPException(409, detail=f"this exhibit was {final}; its custody takes no further steps")
    item = CustodyEvent(exhibit_id=exhibit_id, by_user_id=user.id, **body.model_dump())
    session.add(item)
    session.flush()
    audit.record(session, user, "create", "custody", item.id, exhibit_id=exhibit_id, action=item.action)
    session.commit()
    return item


@router.get("/exhibits/{exhibit_id}/scans", response_model=list[ScanPublic], responses=errors(404))
def list_scans(exhibit_id: DbId, session: SessionDep, user: CaseReader) -> list[ScanRecord]:
    own_exhibit(session, user, exhibit_id)
    items = list(session.scalars(select(ScanRecord).where(ScanRecord.exhibit_id == exhibit_id).order_by(ScanRecord.id)))
    audit.record(session, user, "read", "scans", exhibit_id, ids=[s.id for s in items])
    session.commit()
    return items


@router.post("/exhibits/{exhibit_id}/destruction-requests", response_model=DestructionPublic, responses=errors(403, 404, 409, 422),
             status_code=status.HTTP_201_CREATED)
def request_exhibit_destruction(
    exhibit_id: DbId, body: DestructionCreate, session: SessionDep, user: CaseWriter
) -> DestructionRequest:
    """Ask for a ballistic item to be destroyed; another person approves it at
    ``/api/destruction-requests/{id}/approve``."""
    exhibit = own_exhibit(session, user, exhibit_id)
    req = request_destruction(session, user, exhibit=exhibit, reason=body.reason, location=body.location)
    session.commit()
    return req


@router.post("/exhibits/{exhibit_id}/urgency", response_model=ExhibitPublic, responses=errors(403, 404, 409, 422))
def set_urgency(exhibit_id: DbId, body: UrgencyUpdate, session: SessionDep, user: CaseWriter) -> Exhibit:
    """Mark a submission urgent (or routine again); runs still waiting move up the queue."""
    exhibit = own_exhibit(session, user, exhibit_id)
    before = exhibit.urgent
    exhibit.urgent = body.urgent
    waiting = session.scalars(select(CorrelationRun).join(ScanRecord, CorrelationRun.scan_id == ScanRecord.id)
                              .where(ScanRecord.exhibit_id == exhibit.id, CorrelationRun.status == RunStatus.queued))
    for run in waiting:
        run.priority = 1 if body.urgent else 0
    audit.record(session, user, "urgency", "exhibit", exhibit.id, **{"from": before, "to": body.urgent,
                                                                     "reason": body.reason})
    session.commit()
    return exhibit


@router.get("/exhibits/{exhibit_id}/turnaround", response_model=Turnaround, responses=errors(403, 404, 422))
def read_turnaround(exhibit_id: DbId, session: SessionDep, settings: SettingsDep, user: CaseReader) -> Turnaround:
    exhibit = own_exhibit(session, user, exhibit_id)
    done = turnaround.first_done(session, [exhibit.id]).get(exhibit.id)
    out = turnaround.clock(settings, exhibit, done, datetime.now(timezone.utc))
    audit.record(session, user, "read", "turnaround", exhibit.id)
    session.commit()
    return out


@router.get("/turnaround/overdue", response_model=list[Turnaround], responses=errors(403, 422))
def overdue_list(session: SessionDep, settings: SettingsDep, user: CaseReader) -> list[Turnaround]:
    """The coordinator's list: submissions of the caller's jurisdiction past their target, urgent first."""
    out = turnaround.overdue(session, settings, user.jurisdiction_id)
    audit.record(session, user, "read", "turnaround_overdue", "", ids=[t.exhibit_id for t in out])
    session.commit()
    return out
