"""Exhibits (cartridge cases, test fires of a seized firearm) and their chain of custody."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import audit
from service.api.types import DbId, errors
from service.api.deps import CaseReader, CaseWriter, SessionDep
from service.crud.access import own_case, own_exhibit
from service.models import CustodyEvent, Event, Exhibit, ScanRecord
from service.schemas import CustodyCreate, CustodyPublic, ExhibitCreate, ExhibitPublic, ScanPublic

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
    exhibit = Exhibit(case_id=case_id, **body.model_dump())
    session.add(exhibit)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise HTTPException(409, detail="lab number already used in this case") from None
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


@router.post("/exhibits/{exhibit_id}/custody", response_model=CustodyPublic, status_code=status.HTTP_201_CREATED, responses=errors(404))
def add_custody(exhibit_id: DbId, body: CustodyCreate, session: SessionDep, user: CaseWriter) -> CustodyEvent:
    own_exhibit(session, user, exhibit_id)
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
