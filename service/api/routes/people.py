"""People and organisations around cases and firearms (need to know; every read logged),
and the retention run that removes personal data past its period."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, status
from sqlalchemy import or_, select

from service import audit, reasons
from service.api.deps import PeopleReader, PeopleWriter, RetentionRunner, SessionDep, SettingsDep
from service.api.types import DbId, errors
from service.crud import people as crud
from service.crud.access import own_case
from service.models import Person, PersonLink
from service.schemas import (
    PersonCreate, PersonLinkCreate, PersonLinkPublic, PersonWithLinks, RetentionResult, RetentionRun,
)

# Every route of this family may refuse with these (a reason in "detail").
router = APIRouter(tags=["people"], responses=errors(400, 403, 404, 409, 422, 423))


def _with_links(session, person: Person) -> PersonWithLinks:
    links = session.scalars(select(PersonLink).where(PersonLink.person_id == person.id).order_by(PersonLink.id)).all()
    out = PersonWithLinks.model_validate(person)
    out.links = [PersonLinkPublic.model_validate(link) for link in links]
    return out


@router.post("/cases/{case_id}/people", response_model=PersonWithLinks, status_code=status.HTTP_201_CREATED)
def add_person(case_id: DbId, body: PersonCreate, session: SessionDep, settings: SettingsDep,
               user: PeopleWriter) -> PersonWithLinks:
    """Record a person or organisation in a role in this case (and optionally a firearm)."""
    own_case(session, user, case_id)
    crud.check_link_targets(session, user, firearm_id=body.firearm_id)
    fields = body.model_dump(exclude={"role", "firearm_id", "retain_until"})
    person = Person(jurisdiction_id=user.jurisdiction_id, created_by_id=user.id,
                    retain_until=body.retain_until or crud.default_retention(settings.person_retention_days), **fields)
    session.add(person)
    session.flush()
    # Field names only: the audit trail must hold no personal data.
    audit.record(session, user, "create", "person", person.id, case_id=case_id,
                 fields=sorted(k for k, v in fields.items() if v), retain_until=person.retain_until.isoformat())
    crud.add_link(session, user, person, role=body.role, case_id=case_id)
    if body.firearm_id is not None:
        crud.add_link(session, user, person, role=body.role, firearm_id=body.firearm_id)
    session.commit()
    return _with_links(session, person)


@router.get("/cases/{case_id}/people", response_model=list[PersonWithLinks])
def case_people(case_id: DbId, session: SessionDep, user: PeopleReader) -> list[PersonWithLinks]:
    own_case(session, user, case_id)
    ids = sorted(set(session.scalars(select(PersonLink.person_id).where(PersonLink.case_id == case_id))))
    out = [_with_links(session, crud.own_person(session, user, i)) for i in ids]
    audit.record(session, user, "read", "people", case_id, ids=ids)
    session.commit()
    return out


@router.get("/firearms/{firearm_id}/people", response_model=list[PersonWithLinks])
def firearm_people(firearm_id: DbId, session: SessionDep, user: PeopleReader) -> list[PersonWithLinks]:
    from service.crud.firearms import own_firearm

    own_firearm(session, user, firearm_id)
    ids = sorted(set(session.scalars(select(PersonLink.person_id).where(PersonLink.firearm_id == firearm_id))))
    out = [_with_links(session, crud.own_person(session, user, i)) for i in ids]
    audit.record(session, user, "read", "people", f"firearm:{firearm_id}", ids=ids)
    session.commit()
    return out


# ":int": /people/retention-run (a fixed path beside this one) never reaches this route, so a method
# it lacks there is a 405, not a 422 for failing to parse "retention-run" as an identifier.
@router.get("/people/{person_id:int}", response_model=PersonWithLinks)
def read_person(person_id: DbId, session: SessionDep, user: PeopleReader) -> PersonWithLinks:
    person = crud.own_person(session, user, person_id)
    out = _with_links(session, person)
    audit.record(session, user, "read", "person", person.id)
    session.commit()
    return out


@router.post("/people/{person_id}/links", response_model=PersonLinkPublic, status_code=status.HTTP_201_CREATED)
def link_person(person_id: DbId, body: PersonLinkCreate, session: SessionDep, user: PeopleWriter) -> PersonLink:
    person = crud.own_person(session, user, person_id)
    link = crud.add_link(session, user, person, role=body.role, case_id=body.case_id, event_id=body.event_id,
                         firearm_id=body.firearm_id)
    session.commit()
    return link


@router.post("/people/retention-run", response_model=RetentionResult)
def run_retention(body: RetentionRun, session: SessionDep, user: RetentionRunner) -> RetentionResult:
    """Remove the personal data of everyone past their retention date; links and roles stay."""
    today = datetime.now(timezone.utc).date()
    as_of = body.as_of or today
    if as_of > today:
        raise reasons.as_of_in_future()
    erased = crud.retention_run(session, user, as_of)
    session.commit()
    return RetentionResult(as_of=as_of, erased=erased)
