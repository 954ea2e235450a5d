"""Firearm records: registering, correcting (keeping the original), the life cycle,
destruction with a second person's approval, serial search, and the cases a gun is
linked to through the hits of its test fires.

Every change appends to the audit trail in the same transaction as the change.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service import audit, reasons
from service.core.config import Settings
from service.crud.access import CaseViewer, not_found, owns
from service.firearms import serials, stolen
from service.models import (
    Case,
    CustodyEvent,
    DestructionRequest,
    DestructionState,
    DisclosureStatus,
    Exhibit,
    ExhibitKind,
    Firearm,
    FirearmCaseLink,
    FirearmDisclosure,
    FirearmEvent,
    FirearmRevision,
    FirearmStatus,
    Hit,
    User,
)
from service.schemas.firearms import FirearmCreate, FirearmPublic, FirearmUpdate, SerialMatch, SerialSearchResult

# After these, a gun is out of police hands: nothing further happens to this record.
FINAL = {FirearmStatus.returned, FirearmStatus.destroyed}
CORRECTABLE = (
    "kind", "acquisition", "make", "model", "calibre", "serial_number", "other_markings", "proof_marks",
    "country_of_manufacture", "import_marks", "condition", "notes",
)


def own_firearm(session: Session, user: User, firearm_id: int) -> Firearm:
    firearm = session.get(Firearm, firearm_id)
    if firearm is None or not owns(user, firearm.case):
        raise not_found("firearm")
    return firearm


def _normal(serial: str) -> str:
    try:
        return serials.normalise(serial)
    except serials.SerialError as exc:
        raise reasons.serial_refused(exc) from None


def register(session: Session, user: User, case: Case, body: FirearmCreate) -> Firearm:
    fields = body.model_dump(exclude={"location"})
    firearm = Firearm(
        case_id=case.id, created_by_id=user.id, serial_normalised=_normal(body.serial_number), **fields
    )
    session.add(firearm)
    session.flush()
    session.add(FirearmEvent(firearm_id=firearm.id, status=FirearmStatus.recovered, location=body.location,
                             by_user_id=user.id, notes="registered"))
    audit.record(session, user, "create", "firearm", firearm.id, case_id=case.id, kind=firearm.kind.value,
                 serial_normalised=firearm.serial_normalised)
    stolen.check_firearm(session, user, firearm)
    return firearm


def correct(session: Session, user: User, firearm: Firearm, body: FirearmUpdate) -> FirearmRevision | None:
    """Apply a correction; the values it replaces are kept in a revision (never overwritten)."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True, exclude={"reason"}).items()
               if k in CORRECTABLE and v is not None}
    changes = {k: v for k, v in changes.items() if getattr(firearm, k) != v}
    if not changes:
        return None
    plain = lambda v: v.value if hasattr(v, "value") else v  # noqa: E731
    before = {k: plain(getattr(firearm, k)) for k in changes}
    after = {k: plain(v) for k, v in changes.items()}
    if "serial_number" in changes:
        firearm.serial_normalised = _normal(changes["serial_number"])
    for k, v in changes.items():
        setattr(firearm, k, v)
    firearm.updated_at = datetime.now(timezone.utc)
    rev = FirearmRevision(firearm_id=firearm.id, before=before, after=after, reason=body.reason, by_user_id=user.id)
    session.add(rev)
    session.flush()
    audit.record(session, user, "correct", "firearm", firearm.id, revision_id=rev.id, before=before, after=after,
                 reason=body.reason)
    if "serial_number" in changes:
        stolen.check_firearm(session, user, firearm)
    return rev


def record_event(session: Session, user: User, firearm: Firearm, *, to: FirearmStatus, at: datetime | None,
                 location: str, notes: str, approved_by: DestructionRequest | None = None) -> FirearmEvent:
    if firearm.status in FINAL:
        raise reasons.firearm_final(firearm.status.value)
    if to == FirearmStatus.destroyed and approved_by is None:
        raise reasons.destruction_needs_approval(firearm.id)
    if to == FirearmStatus.recovered:
        raise reasons.firearm_recovered_once()
    event = FirearmEvent(firearm_id=firearm.id, status=to, at=at or datetime.now(timezone.utc), location=location,
                         by_user_id=user.id, notes=notes)
    session.add(event)
    before = firearm.status
    firearm.status = to
    firearm.updated_at = datetime.now(timezone.utc)
    session.flush()
    audit.record(session, user, "lifecycle", "firearm", firearm.id, event_id=event.id,
                 **{"from": before.value, "to": to.value, "location": location,
                    "destruction_request_id": approved_by.id if approved_by else None})
    return event


def exhibit_is_final(session: Session, exhibit: Exhibit) -> str | None:
    """``"destroyed"`` or ``"returned"`` once an exhibit has left police hands, else None."""
    return session.scalar(select(CustodyEvent.action).where(
        CustodyEvent.exhibit_id == exhibit.id, CustodyEvent.action.in_(("destroyed", "returned"))).limit(1))


def request_destruction(session: Session, user: User, *, firearm: Firearm | None = None,
                        exhibit: Exhibit | None = None, reason: str, location: str) -> DestructionRequest:
    """Ask for a firearm or a ballistic item (exhibit) to be destroyed; another person decides."""
    if firearm is not None and firearm.status in FINAL:
        raise reasons.firearm_already(firearm.status.value)
    if exhibit is not None and (final := exhibit_is_final(session, exhibit)):
        raise reasons.exhibit_already(final)
    which = (DestructionRequest.firearm_id == firearm.id) if firearm is not None else (
        DestructionRequest.exhibit_id == exhibit.id)
    pending = session.scalar(select(DestructionRequest).where(which, DestructionRequest.state == DestructionState.pending))
    if pending is not None:
        raise reasons.destruction_pending(pending.id)
    req = DestructionRequest(firearm_id=firearm.id if firearm else None, exhibit_id=exhibit.id if exhibit else None,
                             reason=reason, location=location, requested_by_id=user.id)
    session.add(req)
    session.flush()
    resource, rid = ("firearm", firearm.id) if firearm is not None else ("exhibit", exhibit.id)
    audit.record(session, user, "destruction.request", resource, rid, request_id=req.id, reason=reason)
    return req


def decide_destruction(session: Session, user: User, req: DestructionRequest, *, approve: bool, reason: str) -> None:
    if req.state != DestructionState.pending:
        raise reasons.destruction_decided(req.state.value)
    if req.requested_by_id == user.id:
        raise reasons.destruction_needs_second_person()
    req.state = DestructionState.approved if approve else DestructionState.refused
    req.decided_by_id, req.decided_at, req.decision_reason = user.id, datetime.now(timezone.utc), reason
    resource, rid = ("firearm", req.firearm_id) if req.firearm_id is not None else ("exhibit", req.exhibit_id)
    audit.record(session, user, "destruction.approve" if approve else "destruction.refuse", resource, rid,
                 request_id=req.id, reason=reason)
    if not approve:
        return
    if req.firearm is not None:
        record_event(session, user, req.firearm, to=FirearmStatus.destroyed, at=None, location=req.location,
                     notes=f"destroyed: {req.reason}", approved_by=req)
    else:
        event = CustodyEvent(exhibit_id=req.exhibit_id, action="destroyed", to_party=req.location, by_user_id=user.id,
                             notes=f"destroyed on approval of request {req.id}: {req.reason}")
        session.add(event)
        session.flush()
        audit.record(session, user, "create", "custody", event.id, exhibit_id=req.exhibit_id, action="destroyed",
                     destruction_request_id=req.id)


def request_owner_jurisdiction(req: DestructionRequest) -> int:
    return (req.firearm.case if req.firearm is not None else req.exhibit.case).jurisdiction_id


# --- serial search ---------------------------------------------------------------------


def normal_query(query: str, mode: str) -> str:
    """A serial (or, for ``wildcard``, a pattern) in normal form; 422 naming why not."""
    try:
        normal = serials.normalise_pattern(query) if mode == "wildcard" else serials.normalise(query)
    except serials.SerialError as exc:
        raise reasons.serial_refused(exc) from None
    if not normal:
        raise reasons.serial_empty()
    return normal


def find_by_serial(session: Session, normal: str, mode: str, min_score: float, limit: int) -> list[tuple[Firearm, float]]:
    """Every jurisdiction's guns whose normal serial matches, with a score (100: exact)."""
    found: list[tuple[Firearm, float]] = []
    if mode == "exact":
        rows = session.scalars(select(Firearm).where(Firearm.serial_normalised == normal).order_by(Firearm.id))
        found = [(f, 100.0) for f in rows]
    elif mode == "wildcard":
        rows = session.scalars(
            select(Firearm).where(Firearm.serial_normalised.like(serials.like_pattern(normal))).order_by(Firearm.id))
        found = [(f, 100.0) for f in rows]
    else:
        choices = dict(session.execute(select(Firearm.id, Firearm.serial_normalised)
                                       .where(Firearm.serial_normalised != "")).all())
        ranked = serials.fuzzy(normal, choices, min_score=min_score, limit=limit)
        # One query for every match (not one per match); rank order kept.
        rows = {f.id: f for f in session.scalars(select(Firearm).where(Firearm.id.in_([fid for fid, _ in ranked])))}
        found = [(rows[fid], score) for fid, score in ranked]
    return found[:limit]


def disclosed_firearm_ids(session: Session, jurisdiction_id: int) -> set[int]:
    """Other jurisdictions' gun records disclosed to this jurisdiction (serial-query disclosures)."""
    return set(session.scalars(select(FirearmDisclosure.firearm_id).where(
        FirearmDisclosure.requesting_jurisdiction_id == jurisdiction_id,
        FirearmDisclosure.status == DisclosureStatus.approved)))


def search_serial(session: Session, settings: Settings, user: User, query: str, mode: str,
                  min_score: float, limit: int) -> SerialSearchResult:
    """Search every jurisdiction's register; other jurisdictions' guns show as hit / no-hit
    (jurisdiction and opaque case reference) unless their case, or the gun record itself,
    was disclosed to the caller."""
    normal = normal_query(query, mode)
    found = find_by_serial(session, normal, mode, min_score, limit)
    viewer = CaseViewer(session, settings, user)
    disclosed = disclosed_firearm_ids(session, user.jurisdiction_id)
    matches = []
    for firearm, score in found:
        ref = viewer.ref(firearm.case)
        gun_disclosed = not owns(user, firearm.case) and firearm.id in disclosed
        visible = ref.case_id is not None or gun_disclosed
        matches.append(SerialMatch(how=mode, score=round(score, 1), case=ref, firearm_disclosed=gun_disclosed,
                                   firearm=FirearmPublic.model_validate(firearm) if visible else None))
    audit.record(session, user, "search", "firearm_serial", "", mode=mode, query=query, normalised=normal,
                 ids=[f.id for f, _ in found])
    return SerialSearchResult(query=query, normalised=normal, mode=mode, hit=bool(matches), matches=matches)


# --- test fires link guns to cases ---------------------------------------------------------


def _connected_cases(session: Session, start: set[int]) -> set[int]:
    seen, todo = set(start), deque(start)
    while todo:
        cid = todo.popleft()
        for h in session.scalars(select(Hit).where(or_(Hit.case_a_id == cid, Hit.case_b_id == cid))):
            for other in (h.case_a_id, h.case_b_id):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
    return seen


def link_firearms_after_hit(session: Session, user: User, hit: Hit) -> list[FirearmCaseLink]:
    """A new hit links the guns whose test fires are in its series to every case of the series.

    The series is every case joined to this hit's cases by hits. A gun belongs to the
    series when one of its test-fire exhibits is in one of those cases, or when it was
    already linked to one of them; so two crime scenes linked to each other and later to
    a recovered gun's test fire both gain the gun.
    """
    series = _connected_cases(session, {hit.case_a_id, hit.case_b_id})
    guns = set(session.scalars(select(Exhibit.firearm_id).where(
        Exhibit.case_id.in_(series), Exhibit.kind == ExhibitKind.test_fire, Exhibit.firearm_id.is_not(None))))
    guns |= set(session.scalars(select(FirearmCaseLink.firearm_id).where(FirearmCaseLink.case_id.in_(series))))
    made = []
    for fid in sorted(guns):
        firearm = session.get(Firearm, fid)
        linked = set(session.scalars(select(FirearmCaseLink.case_id).where(FirearmCaseLink.firearm_id == fid)))
        for cid in sorted(series - linked - {firearm.case_id}):
            link = FirearmCaseLink(firearm_id=fid, case_id=cid, hit_id=hit.id)
            session.add(link)
            session.flush()
            audit.record(session, user, "link", "firearm", fid, case_id=cid, hit_id=hit.id)
            made.append(link)
    return made


def firearms_of_hit(session: Session, hit: Hit) -> list[Firearm]:
    ids = set(session.scalars(select(FirearmCaseLink.firearm_id).where(FirearmCaseLink.hit_id == hit.id)))
    ids |= set(session.scalars(select(FirearmCaseLink.firearm_id).where(
        FirearmCaseLink.case_id.in_([hit.case_a_id, hit.case_b_id]))))
    return [session.get(Firearm, i) for i in sorted(ids)]


