"""Jurisdictions and their agencies."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import audit
from service.api.deps import Admin, CurrentUser, SessionDep
from service.api.types import DbId, errors
from service.models import Agency, Jurisdiction
from service.schemas import AgencyCreate, AgencyPublic, JurisdictionCreate, JurisdictionPublic, JurisdictionUpdate

router = APIRouter(tags=["jurisdictions"])


@router.get("/jurisdictions", response_model=list[JurisdictionPublic])
def list_jurisdictions(session: SessionDep, user: CurrentUser) -> list[Jurisdiction]:
    # Names of jurisdictions are not case data: every signed-in user may list them.
    return list(session.scalars(select(Jurisdiction).order_by(Jurisdiction.id)))


@router.post("/jurisdictions", response_model=JurisdictionPublic, status_code=status.HTTP_201_CREATED, responses=errors(409))
def create_jurisdiction(body: JurisdictionCreate, session: SessionDep, admin: Admin) -> Jurisdiction:
    jur = Jurisdiction(**body.model_dump())
    session.add(jur)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise HTTPException(409, detail="jurisdiction code already exists") from None
    audit.record(session, admin, "create", "jurisdiction", jur.id, code=jur.code, map_region=jur.map_region or "")
    session.commit()
    return jur


@router.patch("/jurisdictions/{jurisdiction_id}", response_model=JurisdictionPublic, responses=errors(404, 422))
def update_jurisdiction(jurisdiction_id: DbId, body: JurisdictionUpdate, session: SessionDep, admin: Admin) -> Jurisdiction:
    """Rename a jurisdiction or set the area of the events map it is drawn as.

    Its code stays: it names the jurisdiction in opaque references, reports and the audit trail."""
    jur = session.get(Jurisdiction, jurisdiction_id)
    if jur is None:
        raise HTTPException(404, detail="jurisdiction not found")
    changes = body.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(jur, field, value)
    audit.record(session, admin, "update", "jurisdiction", jur.id, **{k: v or "" for k, v in changes.items()})
    session.commit()
    return jur


@router.get("/agencies", response_model=list[AgencyPublic])
def list_agencies(session: SessionDep, user: CurrentUser) -> list[Agency]:
    return list(session.scalars(select(Agency).where(Agency.jurisdiction_id == user.jurisdiction_id)))


@router.post("/agencies", response_model=AgencyPublic, status_code=status.HTTP_201_CREATED, responses=errors(409, 422))
def create_agency(body: AgencyCreate, session: SessionDep, admin: Admin) -> Agency:
    if session.get(Jurisdiction, body.jurisdiction_id) is None:
        raise HTTPException(422, detail="unknown jurisdiction")
    agency = Agency(**body.model_dump())
    session.add(agency)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise HTTPException(409, detail="agency already exists in that jurisdiction") from None
    audit.record(session, admin, "create", "agency", agency.id, name=agency.name)
    session.commit()
    return agency
