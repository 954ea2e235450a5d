"""People under the Law Enforcement Directive: need-to-know access, reads logged, and
the retention run that removes personal data while the ballistic facts stay.

The audit trail records ids and the names of fields, never their values: so it holds
no personal data, a retention run has nothing to remove from it, and the hash chain
stays intact.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit, reasons
from service.crud.access import not_found
from service.models import PERSONAL_FIELDS, Case, Event, Firearm, Person, PersonLink, User


def own_person(session: Session, user: User, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.jurisdiction_id != user.jurisdiction_id:
        raise not_found("person")
    return person


def default_retention(days: int, today: date | None = None) -> date:
    return (today or datetime.now(timezone.utc).date()) + timedelta(days=days)


def check_link_targets(session: Session, user: User, *, case_id=None, event_id=None, firearm_id=None) -> None:
    """Everything a person is linked to must be the caller's jurisdiction's."""
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None or case.jurisdiction_id != user.jurisdiction_id:
            raise reasons.link_outside_jurisdiction("case_id")
    if event_id is not None:
        event = session.get(Event, event_id)
        if event is None or session.get(Case, event.case_id).jurisdiction_id != user.jurisdiction_id:
            raise reasons.link_outside_jurisdiction("event_id")
    if firearm_id is not None:
        firearm = session.get(Firearm, firearm_id)
        if firearm is None or firearm.case.jurisdiction_id != user.jurisdiction_id:
            raise reasons.link_outside_jurisdiction("firearm_id")


def add_link(session: Session, user: User, person: Person, *, role, case_id=None, event_id=None,
             firearm_id=None) -> PersonLink:
    check_link_targets(session, user, case_id=case_id, event_id=event_id, firearm_id=firearm_id)
    link = PersonLink(person_id=person.id, role=role, case_id=case_id, event_id=event_id, firearm_id=firearm_id,
                      created_by_id=user.id)
    session.add(link)
    session.flush()
    audit.record(session, user, "create", "person_link", link.id, person_id=person.id, role=link.role.value,
                 case_id=case_id, event_id=event_id, firearm_id=firearm_id)
    return link


def retention_run(session: Session, user: User | None, as_of: date, *, operator: str = "") -> list[int]:
    """Blank the personal data of everyone whose retention period ended before ``as_of``
    (``operator``: who ran it, when no signed-in user did, e.g. from the command line)."""
    due = session.scalars(select(Person).where(Person.retain_until < as_of, Person.erased_at.is_(None))
                          .order_by(Person.id)).all()
    now = datetime.now(timezone.utc)
    for person in due:
        for field in PERSONAL_FIELDS:
            setattr(person, field, None if field == "date_of_birth" else "")
        person.erased_at = now
    audit.record(session, user, "retention.erase", "person", "", as_of=as_of.isoformat(),
                 ids=[p.id for p in due], fields=list(PERSONAL_FIELDS), **({"operator": operator} if operator else {}))
    return [p.id for p in due]
