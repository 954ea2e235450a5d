"""Events of a case: shootings, seizures, test fires; dates may be ranges."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from service import audit
from service.api.types import DbId, errors
from service.api.deps import CaseReader, CaseWriter, SessionDep
from service.crud.access import own_case
from service.models import Event
from service.schemas import EventCreate, EventPublic

router = APIRouter(prefix="/cases/{case_id}/events", tags=["events"])


@router.get("", response_model=list[EventPublic], responses=errors(404))
def list_events(case_id: DbId, session: SessionDep, user: CaseReader) -> list[Event]:
    own_case(session, user, case_id)
    events = list(session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.id)))
    audit.record(session, user, "read", "events", case_id, ids=[e.id for e in events])
    session.commit()
    return events


@router.post("", response_model=EventPublic, status_code=status.HTTP_201_CREATED, responses=errors(404))
def create_event(case_id: DbId, body: EventCreate, session: SessionDep, user: CaseWriter) -> Event:
    own_case(session, user, case_id)
    event = Event(case_id=case_id, **body.model_dump())
    session.add(event)
    session.flush()
    audit.record(session, user, "create", "event", event.id, case_id=case_id, kind=event.kind.value)
    session.commit()
    return event
