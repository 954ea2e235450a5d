"""The lead state machine and the hit a confirmed lead creates.

proposed -> issued | withdrawn; issued -> confirmed | refuted | inconclusive | withdrawn.
Confirming needs an examiner's identification recorded on the lead's candidate; it
links the two cases with a hit (one per pair of cases, whichever lead came first).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from service import audit, reasons
from service.models import Hit, Lead, LeadState, Review, ReviewDecision, Role, User

TRANSITIONS: dict[LeadState, set[LeadState]] = {
    LeadState.proposed: {LeadState.issued, LeadState.withdrawn},
    LeadState.issued: {LeadState.confirmed, LeadState.refuted, LeadState.inconclusive, LeadState.withdrawn},
}


def hit_between(session: Session, a: int, b: int) -> Hit | None:
    return session.scalar(
        select(Hit).where(
            or_(and_(Hit.case_a_id == a, Hit.case_b_id == b), and_(Hit.case_a_id == b, Hit.case_b_id == a))
        )
    )


def transition(session: Session, user: User, lead: Lead, to: LeadState, *, review_id: int | None, notes: str) -> Hit | None:
    allowed = TRANSITIONS.get(lead.state, set())
    if to not in allowed:
        raise reasons.lead_cannot_become(lead.state.value, to.value)
    hit = None
    if to == LeadState.confirmed:
        review = session.get(Review, review_id) if review_id is not None else None
        if review is None or review.candidate_id != lead.candidate_id:
            raise reasons.lead_needs_review()
        if review.decision != ReviewDecision.identification or review.examiner.role != Role.examiner:
            raise reasons.lead_needs_identification()
        lead.identification_review_id = review.id
        hit = hit_between(session, lead.source_case_id, lead.target_case_id)
        if hit is None:
            hit = Hit(lead_id=lead.id, case_a_id=lead.source_case_id, case_b_id=lead.target_case_id)
            session.add(hit)
            session.flush()
            audit.record(session, user, "create", "hit", hit.id, lead_id=lead.id,
                         case_a_id=hit.case_a_id, case_b_id=hit.case_b_id)
            # A crime scene that hits a test fire gains the gun (and so does its series).
            from service.crud.firearms import link_firearms_after_hit

            link_firearms_after_hit(session, user, hit)
    before = lead.state
    lead.state = to
    lead.updated_at = datetime.now(timezone.utc)
    if notes:
        lead.notes = (lead.notes + "\n" + notes).strip()
    audit.record(session, user, "transition", "lead", lead.id, **{"from": before.value, "to": to.value, "review_id": review_id})
    return hit
