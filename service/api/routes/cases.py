"""Cases of the caller's jurisdiction, each showing the hits that link it to others."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from service import audit, reasons
from service.api.types import DbId, errors
from service.api.deps import CaseReader, CaseWriter, SessionDep, SettingsDep
from service.crud.access import CaseViewer, opaque_reference, own_case
from service.models import Agency, Case, Hit
from service.schemas import CaseCreate, CaseDetail, CasePublic, CaseUpdate, HitPublic

router = APIRouter(prefix="/cases", tags=["cases"])


def _public(case: Case, settings) -> CasePublic:
    out = CasePublic.model_validate(case)
    out.opaque_reference = opaque_reference(settings, case.id)
    return out


def case_hits(session, viewer: CaseViewer, case: Case) -> list[HitPublic]:
    hits = session.scalars(
        select(Hit).where(or_(Hit.case_a_id == case.id, Hit.case_b_id == case.id)).order_by(Hit.id)
    )
    return [viewer.hit(h, this_case_id=case.id) for h in hits]


@router.get("", response_model=list[CasePublic])
def list_cases(session: SessionDep, settings: SettingsDep, user: CaseReader) -> list[CasePublic]:
    cases = session.scalars(select(Case).where(Case.jurisdiction_id == user.jurisdiction_id).order_by(Case.id)).all()
    audit.record(session, user, "read", "cases", "", ids=[c.id for c in cases])
    session.commit()
    return [_public(c, settings) for c in cases]


@router.post("", response_model=CasePublic, status_code=status.HTTP_201_CREATED, responses=errors(409, 422))
def create_case(body: CaseCreate, session: SessionDep, settings: SettingsDep, user: CaseWriter) -> CasePublic:
    if body.agency_id is not None:
        agency = session.get(Agency, body.agency_id)
        if agency is None or agency.jurisdiction_id != user.jurisdiction_id:
            raise reasons.agency_outside_jurisdiction(True)
    case = Case(**body.model_dump(), jurisdiction_id=user.jurisdiction_id, created_by_id=user.id)
    session.add(case)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise reasons.duplicate_case_reference() from None
    audit.record(session, user, "create", "case", case.id, reference=case.reference)
    session.commit()
    return _public(case, settings)


@router.get("/{case_id}", response_model=CaseDetail, responses=errors(404))
def read_case(case_id: DbId, session: SessionDep, settings: SettingsDep, user: CaseReader) -> CaseDetail:
    case = own_case(session, user, case_id)
    viewer = CaseViewer(session, settings, user)
    out = CaseDetail(**_public(case, settings).model_dump(), hits=case_hits(session, viewer, case))
    audit.record(session, user, "read", "case", case.id)
    session.commit()
    return out


@router.patch("/{case_id}", response_model=CasePublic, responses=errors(404))
def update_case(
    case_id: DbId, body: CaseUpdate, session: SessionDep, settings: SettingsDep, user: CaseWriter
) -> CasePublic:
    case = own_case(session, user, case_id)
    changes = body.model_dump(exclude_unset=True)
    for k, v in changes.items():
        setattr(case, k, v)
    audit.record(session, user, "update", "case", case.id, **changes)
    session.commit()
    return _public(case, settings)
