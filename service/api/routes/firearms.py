"""Firearms: the register of recovered guns, serial search, corrections, life cycle,
destruction (with a second person's approval), photos, and the cases a gun is linked to."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import audit, reasons
from service.api.deps import (
    CaseReader, CaseWriter, DestructionApprover, HitReader, SerialSearcher, SessionDep, SettingsDep, read_upload,
)
from service.api.types import DbId, errors
from service.crud import firearms as crud
from service.crud.access import CaseViewer, not_found, own_case, visible_hit
from service.models import (
    DestructionRequest, Exhibit, Firearm, FirearmCaseLink, FirearmEvent, FirearmPhoto, FirearmRevision,
)
from service.schemas import (
    DestructionCreate, DestructionDecision, DestructionPublic, ExhibitPublic, FirearmCreate, FirearmEventCreate,
    FirearmEventPublic, FirearmLinkPublic, FirearmPhotoPublic, FirearmPublic, FirearmRevisionPublic, FirearmUpdate,
    SerialSearchResult,
)
from service.schemas.firearms import LinkedFirearm

# Every route of this family may refuse with these (a reason in "detail").
router = APIRouter(tags=["firearms"], responses=errors(400, 403, 404, 409, 422, 423))

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


@router.post("/cases/{case_id}/firearms", response_model=FirearmPublic, status_code=status.HTTP_201_CREATED)
def register_firearm(case_id: DbId, body: FirearmCreate, session: SessionDep, user: CaseWriter) -> Firearm:
    case = own_case(session, user, case_id)
    firearm = crud.register(session, user, case, body)
    session.commit()
    return firearm


@router.get("/cases/{case_id}/firearms", response_model=list[FirearmPublic])
def list_case_firearms(case_id: DbId, session: SessionDep, user: CaseReader) -> list[Firearm]:
    own_case(session, user, case_id)
    items = list(session.scalars(select(Firearm).where(Firearm.case_id == case_id).order_by(Firearm.id)))
    audit.record(session, user, "read", "firearms", case_id, ids=[f.id for f in items])
    session.commit()
    return items


@router.get("/firearms/search", response_model=SerialSearchResult)
def search_serial(
    session: SessionDep,
    settings: SettingsDep,
    user: SerialSearcher,
    serial: Annotated[str, Query(min_length=1, max_length=80, description="serial; with mode=wildcard, ? and * stand for unreadable characters")],
    mode: Literal["exact", "wildcard", "fuzzy"] = "exact",
    min_score: Annotated[float, Query(ge=50, le=100)] = 75.0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SerialSearchResult:
    out = crud.search_serial(session, settings, user, serial, mode, min_score, limit)
    session.commit()
    return out


# ":int": /firearms/search (a fixed path beside this one) never reaches this route, so a method
# it lacks there is a 405, not a 422 for failing to parse "search" as an identifier.
@router.get("/firearms/{firearm_id:int}", response_model=FirearmPublic)
def read_firearm(firearm_id: DbId, session: SessionDep, user: CaseReader) -> Firearm:
    firearm = crud.own_firearm(session, user, firearm_id)
    audit.record(session, user, "read", "firearm", firearm.id)
    session.commit()
    return firearm


@router.patch("/firearms/{firearm_id:int}", response_model=FirearmPublic)
def correct_firearm(firearm_id: DbId, body: FirearmUpdate, session: SessionDep, user: CaseWriter) -> Firearm:
    """Correct a record; the values replaced are kept (see ``/revisions``) with the reason."""
    firearm = crud.own_firearm(session, user, firearm_id)
    crud.correct(session, user, firearm, body)
    session.commit()
    return firearm


@router.get("/firearms/{firearm_id}/revisions", response_model=list[FirearmRevisionPublic])
def list_revisions(firearm_id: DbId, session: SessionDep, user: CaseReader) -> list[FirearmRevision]:
    crud.own_firearm(session, user, firearm_id)
    items = list(session.scalars(select(FirearmRevision).where(FirearmRevision.firearm_id == firearm_id)
                                 .order_by(FirearmRevision.id)))
    audit.record(session, user, "read", "firearm_revisions", firearm_id)
    session.commit()
    return items


@router.get("/firearms/{firearm_id}/events", response_model=list[FirearmEventPublic])
def list_events(firearm_id: DbId, session: SessionDep, user: CaseReader) -> list[FirearmEvent]:
    crud.own_firearm(session, user, firearm_id)
    items = list(session.scalars(select(FirearmEvent).where(FirearmEvent.firearm_id == firearm_id)
                                 .order_by(FirearmEvent.id)))
    audit.record(session, user, "read", "firearm_events", firearm_id)
    session.commit()
    return items


@router.post("/firearms/{firearm_id}/events", response_model=FirearmEventPublic, status_code=status.HTTP_201_CREATED)
def add_event(firearm_id: DbId, body: FirearmEventCreate, session: SessionDep, user: CaseWriter) -> FirearmEvent:
    """One life-cycle step (submitted, examined, test-fired, stored, returned); destruction goes
    through ``/destruction-requests``."""
    firearm = crud.own_firearm(session, user, firearm_id)
    event = crud.record_event(session, user, firearm, to=body.status, at=body.at, location=body.location,
                              notes=body.notes)
    session.commit()
    return event


@router.get("/firearms/{firearm_id}/exhibits", response_model=list[ExhibitPublic])
def list_test_fires(firearm_id: DbId, session: SessionDep, user: CaseReader) -> list[Exhibit]:
    """The exhibits fired from this gun (test fires)."""
    crud.own_firearm(session, user, firearm_id)
    items = list(session.scalars(select(Exhibit).where(Exhibit.firearm_id == firearm_id).order_by(Exhibit.id)))
    audit.record(session, user, "read", "firearm_exhibits", firearm_id, ids=[e.id for e in items])
    session.commit()
    return items


@router.get("/firearms/{firearm_id}/links", response_model=list[FirearmLinkPublic])
def list_links(firearm_id: DbId, session: SessionDep, settings: SettingsDep, user: CaseReader) -> list[FirearmLinkPublic]:
    """The cases this gun is linked to by hits of its test fires (others' cases as opaque references)."""
    crud.own_firearm(session, user, firearm_id)
    viewer = CaseViewer(session, settings, user)
    links = session.scalars(select(FirearmCaseLink).where(FirearmCaseLink.firearm_id == firearm_id)
                            .order_by(FirearmCaseLink.id)).all()
    out = [FirearmLinkPublic(firearm_id=firearm_id, hit_id=link.hit_id, case=viewer.ref(link.case),
                             created_at=link.created_at) for link in links]
    audit.record(session, user, "read", "firearm_links", firearm_id)
    session.commit()
    return out


@router.get("/hits/{hit_id}/firearms", response_model=list[LinkedFirearm], tags=["hits"])
def hit_firearms(hit_id: DbId, session: SessionDep, settings: SettingsDep, user: HitReader) -> list[LinkedFirearm]:
    """The guns linked to the cases of a hit: from another jurisdiction, only that a gun is
    linked (and its case's opaque reference) until that jurisdiction discloses the case
    (or the gun record, after a serial query)."""
    hit = visible_hit(session, user, hit_id)
    viewer = CaseViewer(session, settings, user)
    disclosed = crud.disclosed_firearm_ids(session, user.jurisdiction_id)
    out = []
    for firearm in crud.firearms_of_hit(session, hit):
        ref = viewer.ref(firearm.case)
        visible = ref.case_id is not None or firearm.id in disclosed
        out.append(LinkedFirearm(case=ref, firearm=FirearmPublic.model_validate(firearm) if visible else None))
    audit.record(session, user, "read", "hit_firearms", hit.id, ids=[f.firearm.id for f in out if f.firearm])
    session.commit()
    return out


# --- destruction -----------------------------------------------------------------------


@router.post("/firearms/{firearm_id}/destruction-requests", response_model=DestructionPublic,
             status_code=status.HTTP_201_CREATED)
def request_destruction(firearm_id: DbId, body: DestructionCreate, session: SessionDep, user: CaseWriter) -> DestructionRequest:
    firearm = crud.own_firearm(session, user, firearm_id)
    req = crud.request_destruction(session, user, firearm=firearm, reason=body.reason, location=body.location)
    session.commit()
    return req


@router.get("/firearms/{firearm_id}/destruction-requests", response_model=list[DestructionPublic])
def list_destruction_requests(firearm_id: DbId, session: SessionDep, user: CaseReader) -> list[DestructionRequest]:
    crud.own_firearm(session, user, firearm_id)
    items = list(session.scalars(select(DestructionRequest).where(DestructionRequest.firearm_id == firearm_id)
                                 .order_by(DestructionRequest.id)))
    audit.record(session, user, "read", "destruction_requests", firearm_id)
    session.commit()
    return items


def _decide(request_id: int, body: DestructionDecision, session, user, approve: bool) -> DestructionRequest:
    req = session.get(DestructionRequest, request_id)
    if req is None or crud.request_owner_jurisdiction(req) != user.jurisdiction_id:
        raise not_found("destruction request")
    crud.decide_destruction(session, user, req, approve=approve, reason=body.reason)
    session.commit()
    return req


@router.post("/destruction-requests/{request_id}/approve", response_model=DestructionPublic)
def approve_destruction(request_id: DbId, body: DestructionDecision, session: SessionDep,
                        user: DestructionApprover) -> DestructionRequest:
    return _decide(request_id, body, session, user, approve=True)


@router.post("/destruction-requests/{request_id}/refuse", response_model=DestructionPublic)
def refuse_destruction(request_id: DbId, body: DestructionDecision, session: SessionDep,
                       user: DestructionApprover) -> DestructionRequest:
    return _decide(request_id, body, session, user, approve=False)


# --- photos ----------------------------------------------------------------------------


@router.post("/firearms/{firearm_id}/photos", response_model=FirearmPhotoPublic, status_code=status.HTTP_201_CREATED)
def upload_photo(
    firearm_id: DbId,
    file: Annotated[UploadFile, File(description="a photograph of the gun or its markings")],
    session: SessionDep,
    settings: SettingsDep,
    user: CaseWriter,
    caption: Annotated[str, Form(max_length=300)] = "",
) -> FirearmPhoto:
    firearm = crud.own_firearm(session, user, firearm_id)
    data = read_upload(file, settings)
    sha = hashlib.sha256(data).hexdigest()
    if session.scalar(select(FirearmPhoto.id).where(FirearmPhoto.sha256 == sha)) is not None:
        raise reasons.duplicate_photo()
    suffix = Path(file.filename or "").suffix.lower()
    path = settings.upload_dir / "photos" / sha[:2] / f"{sha}-{uuid.uuid4().hex[:8]}{suffix if suffix in PHOTO_SUFFIXES else '.bin'}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    try:
        photo = FirearmPhoto(firearm_id=firearm.id, sha256=sha, filename=Path(file.filename or "photo").name[:300],
                             stored_path=str(path), size_bytes=len(data), caption=caption, uploaded_by_id=user.id)
        session.add(photo)
        session.flush()
        audit.record(session, user, "upload", "firearm_photo", photo.id, firearm_id=firearm.id, sha256=sha)
        session.commit()
    except IntegrityError:
        session.rollback()
        path.unlink(missing_ok=True)
        raise reasons.duplicate_photo() from None
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    return photo


@router.get("/firearms/{firearm_id}/photos", response_model=list[FirearmPhotoPublic])
def list_photos(firearm_id: DbId, session: SessionDep, user: CaseReader) -> list[FirearmPhoto]:
    crud.own_firearm(session, user, firearm_id)
    items = list(session.scalars(select(FirearmPhoto).where(FirearmPhoto.firearm_id == firearm_id)
                                 .order_by(FirearmPhoto.id)))
    audit.record(session, user, "read", "firearm_photos", firearm_id)
    session.commit()
    return items
