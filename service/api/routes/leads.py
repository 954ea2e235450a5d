"""Leads: proposed from a candidate, issued, then resolved; a confirmed lead makes a hit."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import or_, select

from service import audit, reasons
from service.api.types import DbId, errors
from service.api.deps import LeadReader, LeadWriter, SessionDep, SettingsDep
from service.crud.access import CaseViewer, own_candidate, visible_lead
from service.crud.leads import hit_between, transition
from service.models import Case, Lead
from service.schemas import LeadCreate, LeadPublic, LeadTransition

router = APIRouter(prefix="/leads", tags=["leads"])


def _public(session, viewer: CaseViewer, lead: Lead) -> LeadPublic:
    hit = hit_between(session, lead.source_case_id, lead.target_case_id) if lead.state.value == "confirmed" else None
    return LeadPublic(
        id=lead.id,
        candidate_id=lead.candidate_id,
        state=lead.state,
        source_case=viewer.ref(session.get(Case, lead.source_case_id)),
        target_case=viewer.ref(session.get(Case, lead.target_case_id)),
        identification_review_id=lead.identification_review_id,
        notes=lead.notes,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
        hit_id=hit.id if hit else None,
    )


@router.post("", response_model=LeadPublic, status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
def propose_lead(body: LeadCreate, session: SessionDep, settings: SettingsDep, user: LeadWriter) -> LeadPublic:
    cand = own_candidate(session, user, body.candidate_id)
    if cand.scan is None:
        raise reasons.lead_no_case_record()
    source, target = cand.run.scan.exhibit.case_id, cand.scan.exhibit.case_id
    if source == target:
        raise reasons.lead_same_case()
    lead = Lead(candidate_id=cand.id, source_case_id=source, target_case_id=target, notes=body.notes, created_by_id=user.id)
    session.add(lead)
    session.flush()
    audit.record(session, user, "create", "lead", lead.id, candidate_id=cand.id)
    session.commit()
    return _public(session, CaseViewer(session, settings, user), lead)


@router.get("", response_model=list[LeadPublic])
def list_leads(session: SessionDep, settings: SettingsDep, user: LeadReader) -> list[LeadPublic]:
    own = select(Case.id).where(Case.jurisdiction_id == user.jurisdiction_id)
    leads = session.scalars(
        select(Lead).where(or_(Lead.source_case_id.in_(own), Lead.target_case_id.in_(own))).order_by(Lead.id)
    ).all()
    viewer = CaseViewer(session, settings, user)
    out = [_public(session, viewer, lead) for lead in leads]
    audit.record(session, user, "read", "leads", "", ids=[lead.id for lead in leads])
    session.commit()
    return out


@router.get("/{lead_id}", response_model=LeadPublic, responses=errors(404))
def read_lead(lead_id: DbId, session: SessionDep, settings: SettingsDep, user: LeadReader) -> LeadPublic:
    lead = visible_lead(session, user, lead_id)
    out = _public(session, CaseViewer(session, settings, user), lead)
    audit.record(session, user, "read", "lead", lead.id)
    session.commit()
    return out


@router.post("/{lead_id}/transition", response_model=LeadPublic, responses=errors(404, 409))
def transition_lead(
    lead_id: DbId, body: LeadTransition, session: SessionDep, settings: SettingsDep, user: LeadWriter
) -> LeadPublic:
    lead = visible_lead(session, user, lead_id)
    if session.get(Case, lead.source_case_id).jurisdiction_id != user.jurisdiction_id:
        raise reasons.lead_not_yours()
    transition(session, user, lead, body.to, review_id=body.review_id, notes=body.notes)
    session.commit()
    return _public(session, CaseViewer(session, settings, user), lead)
