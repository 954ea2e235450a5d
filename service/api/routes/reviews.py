"""An examiner's decision on a ranked candidate."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from service import audit
from service.api.types import DbId, errors
from service.api.deps import Reviewer, RunReader, SessionDep
from service.crud.access import own_candidate
from service.models import Review
from service.schemas import ReviewCreate, ReviewPublic

router = APIRouter(prefix="/candidates/{candidate_id}/reviews", tags=["reviews"])


@router.post("", response_model=ReviewPublic, status_code=status.HTTP_201_CREATED, responses=errors(404))
def create_review(candidate_id: DbId, body: ReviewCreate, session: SessionDep, user: Reviewer) -> Review:
    own_candidate(session, user, candidate_id)
    review = Review(candidate_id=candidate_id, examiner_id=user.id, decision=body.decision, notes=body.notes)
    session.add(review)
    session.flush()
    audit.record(session, user, "create", "review", review.id, candidate_id=candidate_id, decision=body.decision.value)
    session.commit()
    return review


@router.get("", response_model=list[ReviewPublic], responses=errors(404))
def list_reviews(candidate_id: DbId, session: SessionDep, user: RunReader) -> list[Review]:
    own_candidate(session, user, candidate_id)
    items = list(session.scalars(select(Review).where(Review.candidate_id == candidate_id).order_by(Review.id)))
    audit.record(session, user, "read", "reviews", candidate_id)
    session.commit()
    return items
