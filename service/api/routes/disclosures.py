"""Disclosures: the owning jurisdiction lets another see the case behind a hit; logged."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, status
from sqlalchemy import or_, select

from service import audit, reasons
from service.api.types import DbId, errors
from service.api.deps import DisclosureApprover, DisclosureRequester, SessionDep, SettingsDep
from service.crud.access import CaseViewer, not_found, visible_hit
from service.models import Case, Disclosure, DisclosureStatus, Jurisdiction, User
from service.schemas import DisclosureCreate, DisclosureDecision, DisclosurePublic

router = APIRouter(prefix="/disclosures", tags=["disclosures"])

def _public(session, settings, user: User, d: Disclosure) -> DisclosurePublic:
    code = lambda jid: session.get(Jurisdiction, jid).code  # noqa: E731
    return DisclosurePublic(
        id=d.id,
        hit_id=d.hit_id,
        status=d.status,
        requesting_jurisdiction=code(d.requesting_jurisdiction_id),
        owning_jurisdiction=code(d.owning_jurisdiction_id),
        case=CaseViewer(session, settings, user).ref(session.get(Case, d.case_id)),
        justification=d.justification,
        decision_reason=d.decision_reason,
        created_at=d.created_at,
        decided_at=d.decided_at,
    )


@router.post("", response_model=DisclosurePublic, status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
def request_disclosure(
    body: DisclosureCreate, session: SessionDep, settings: SettingsDep, user: DisclosureRequester
) -> DisclosurePublic:
    hit = visible_hit(session, user, body.hit_id)
    other = hit.case_b if hit.case_a.jurisdiction_id == user.jurisdiction_id else hit.case_a
    if other.jurisdiction_id == user.jurisdiction_id:
        raise reasons.hit_cases_yours()
    exists = session.scalar(
        select(Disclosure).where(Disclosure.hit_id == hit.id, Disclosure.requesting_jurisdiction_id == user.jurisdiction_id)
    )
    if exists is not None:
        raise reasons.disclosure_requested(exists.id)
    d = Disclosure(
        hit_id=hit.id,
        case_id=other.id,
        requesting_jurisdiction_id=user.jurisdiction_id,
        owning_jurisdiction_id=other.jurisdiction_id,
        justification=body.justification,
        requested_by_id=user.id,
    )
    session.add(d)
    session.flush()
    audit.record(session, user, "disclosure.request", "disclosure", d.id, hit_id=hit.id, case_id=other.id)
    session.commit()
    return _public(session, settings, user, d)


@router.get("", response_model=list[DisclosurePublic])
def list_disclosures(session: SessionDep, settings: SettingsDep, user: DisclosureRequester) -> list[DisclosurePublic]:
    items = session.scalars(
        select(Disclosure)
        .where(
            or_(
                Disclosure.requesting_jurisdiction_id == user.jurisdiction_id,
                Disclosure.owning_jurisdiction_id == user.jurisdiction_id,
            )
        )
        .order_by(Disclosure.id)
    ).all()
    out = [_public(session, settings, user, d) for d in items]
    audit.record(session, user, "read", "disclosures", "", ids=[d.id for d in items])
    session.commit()
    return out


def _decide(disclosure_id: int, body: DisclosureDecision, session, settings, user: User, approve: bool) -> DisclosurePublic:
    d = session.get(Disclosure, disclosure_id)
    if d is None or user.jurisdiction_id not in (d.owning_jurisdiction_id, d.requesting_jurisdiction_id):
        raise not_found("disclosure")
    if d.owning_jurisdiction_id != user.jurisdiction_id:
        raise reasons.case_disclosure_not_yours()
    if d.status != DisclosureStatus.requested:
        raise reasons.disclosure_decided(d.status.value)
    d.status = DisclosureStatus.approved if approve else DisclosureStatus.refused
    d.decided_by_id, d.decided_at, d.decision_reason = user.id, datetime.now(timezone.utc), body.reason
    audit.record(
        session, user, "disclosure.approve" if approve else "disclosure.refuse", "disclosure", d.id,
        case_id=d.case_id, requesting_jurisdiction_id=d.requesting_jurisdiction_id, reason=body.reason,
    )
    session.commit()
    return _public(session, settings, user, d)


@router.post("/{disclosure_id}/approve", response_model=DisclosurePublic, responses=errors(404, 409))
def approve(disclosure_id: DbId, body: DisclosureDecision, session: SessionDep, settings: SettingsDep, user: DisclosureApprover) -> DisclosurePublic:
    return _decide(disclosure_id, body, session, settings, user, approve=True)


@router.post("/{disclosure_id}/refuse", response_model=DisclosurePublic, responses=errors(404, 409))
def refuse(disclosure_id: DbId, body: DisclosureDecision, session: SessionDep, settings: SettingsDep, user: DisclosureApprover) -> DisclosurePublic:
    return _decide(disclosure_id, body, session, settings, user, approve=False)
