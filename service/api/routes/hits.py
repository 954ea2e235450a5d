"""Hits: confirmed links between two cases, visible from both sides."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import or_, select

from service import audit
from service.api.types import DbId, errors
from service.api.deps import HitReader, SessionDep, SettingsDep
from service.crud.access import CaseViewer, visible_hit
from service.models import Case, Hit
from service.schemas import HitPublic

router = APIRouter(prefix="/hits", tags=["hits"])


@router.get("", response_model=list[HitPublic])
def list_hits(session: SessionDep, settings: SettingsDep, user: HitReader) -> list[HitPublic]:
    own = select(Case.id).where(Case.jurisdiction_id == user.jurisdiction_id)
    hits = session.scalars(select(Hit).where(or_(Hit.case_a_id.in_(own), Hit.case_b_id.in_(own))).order_by(Hit.id)).all()
    viewer = CaseViewer(session, settings, user)
    out = [viewer.hit(h) for h in hits]
    audit.record(session, user, "read", "hits", "", ids=[h.id for h in hits])
    session.commit()
    return out


@router.get("/{hit_id}", response_model=HitPublic, responses=errors(404))
def read_hit(hit_id: DbId, session: SessionDep, settings: SettingsDep, user: HitReader) -> HitPublic:
    hit = visible_hit(session, user, hit_id)
    out = CaseViewer(session, settings, user).hit(hit)
    audit.record(session, user, "read", "hit", hit.id)
    session.commit()
    return out
