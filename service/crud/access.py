"""Jurisdiction visibility: who may see which case record, and how others' cases look.

A jurisdiction sees its own case data. Another jurisdiction's case appears only as
its jurisdiction code and an opaque reference until that jurisdiction approves a
disclosure. Objects outside the caller's reach answer 404, so their existence does
not leak.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TypeVar

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.config import Settings
from service.models import (
    Candidate,
    Case,
    CorrelationRun,
    Disclosure,
    DisclosureStatus,
    Exhibit,
    Hit,
    Jurisdiction,
    Lead,
    Role,
    ScanRecord,
    User,
)
from service.schemas import CaseRef, HitPublic

T = TypeVar("T")


def not_found(what: str) -> HTTPException:
    # A structured refusal: the API's detail is "<what> not found"; a page says it in its reader's language.
    from service.reasons import not_found as refusal

    return refusal(what)


def opaque_reference(settings: Settings, case_id: int) -> str:
    """Stable for a deployment, meaningless outside it (keyed with the service secret)."""
    digest = hmac.new(settings.secret.encode(), f"case:{case_id}".encode(), hashlib.sha256).hexdigest()
    return "REF-" + digest[:16].upper()


def sees_only_hit_no_hit(session: Session, user: User) -> bool:
    if user.role == Role.partner:
        return True
    jur = session.get(Jurisdiction, user.jurisdiction_id)
    return bool(jur and jur.is_partner)


def owns(user: User, case: Case) -> bool:
    return case.jurisdiction_id == user.jurisdiction_id


def own_case(session: Session, user: User, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or not owns(user, case):
        raise not_found("case")
    return case


def own_exhibit(session: Session, user: User, exhibit_id: int) -> Exhibit:
    exhibit = session.get(Exhibit, exhibit_id)
    if exhibit is None or not owns(user, exhibit.case):
        raise not_found("exhibit")
    return exhibit


def own_scan(session: Session, user: User, scan_id: int) -> ScanRecord:
    scan = session.get(ScanRecord, scan_id)
    if scan is None or not owns(user, scan.exhibit.case):
        raise not_found("scan")
    return scan


def own_run(session: Session, user: User, run_id: int) -> CorrelationRun:
    run = session.get(CorrelationRun, run_id)
    if run is None or not owns(user, run.scan.exhibit.case):
        raise not_found("run")
    return run


def own_candidate(session: Session, user: User, candidate_id: int) -> Candidate:
    cand = session.get(Candidate, candidate_id)
    if cand is None or not owns(user, cand.run.scan.exhibit.case):
        raise not_found("candidate")
    return cand


def lead_visible(session: Session, user: User, lead: Lead) -> bool:
    return any(
        session.get(Case, cid).jurisdiction_id == user.jurisdiction_id
        for cid in (lead.source_case_id, lead.target_case_id)
    )


def visible_lead(session: Session, user: User, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None or not lead_visible(session, user, lead):
        raise not_found("lead")
    return lead


def visible_hit(session: Session, user: User, hit_id: int) -> Hit:
    hit = session.get(Hit, hit_id)
    if hit is None or user.jurisdiction_id not in (hit.case_a.jurisdiction_id, hit.case_b.jurisdiction_id):
        raise not_found("hit")
    return hit


def disclosed_case_ids(session: Session, jurisdiction_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Disclosure.case_id).where(
                Disclosure.requesting_jurisdiction_id == jurisdiction_id,
                Disclosure.status == DisclosureStatus.approved,
            )
        )
    )


class CaseViewer:
    """Renders cases for one caller; caches what is disclosed to their jurisdiction."""

    def __init__(self, session: Session, settings: Settings, user: User):
        self.session = session
        self.settings = settings
        self.user = user
        self._disclosed: set[int] | None = None
        self._codes: dict[int, str] = {}

    def disclosed(self) -> set[int]:
        if self._disclosed is None:
            self._disclosed = disclosed_case_ids(self.session, self.user.jurisdiction_id)
        return self._disclosed

    def _code(self, jurisdiction_id: int) -> str:
        if jurisdiction_id not in self._codes:
            self._codes[jurisdiction_id] = self.session.get(Jurisdiction, jurisdiction_id).code
        return self._codes[jurisdiction_id]

    def ref(self, case: Case) -> CaseRef:
        mine = owns(self.user, case)
        disclosed = not mine and case.id in self.disclosed()
        ref = CaseRef(
            opaque_reference=opaque_reference(self.settings, case.id),
            jurisdiction=self._code(case.jurisdiction_id),
            disclosed=disclosed,
        )
        if mine or disclosed:
            ref.case_id, ref.reference, ref.title = case.id, case.reference, case.title
        return ref

    def hit(self, hit: Hit, this_case_id: int | None = None) -> HitPublic:
        a, b = hit.case_a, hit.case_b
        if this_case_id is None:
            # From the caller's side: "this" is their own case where there is one.
            this, other = (b, a) if owns(self.user, b) and not owns(self.user, a) else (a, b)
        else:
            this, other = (a, b) if a.id == this_case_id else (b, a)
        return HitPublic(
            id=hit.id,
            lead_id=hit.lead_id,
            created_at=hit.created_at,
            this_case=self.ref(this),
            other_case=self.ref(other),
            cases=[self.ref(a), self.ref(b)],
        )
