"""Uploading a scan for an exhibit: signature into the store, a correlation run queued."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status

from service import audit
from service.api.types import DbId, errors
from service.api.deps import CaseReader, SessionDep, SettingsDep, Uploader, read_upload
from service.crud.access import own_exhibit, own_scan
from service.crud.uploads import ingest_upload
from service.models import ScanRecord
from service.schemas import RunPublic, ScanPublic, UploadResult

router = APIRouter(tags=["scans"])


@router.post("/exhibits/{exhibit_id}/scans", response_model=UploadResult, status_code=status.HTTP_201_CREATED, responses=errors(400, 404, 409, 413, 422))
def upload_scan(
    exhibit_id: DbId,
    request: Request,
    file: Annotated[UploadFile, File(description="X3P file or a 2D image of the breech face")],
    session: SessionDep,
    settings: SettingsDep,
    user: Uploader,
    instrument: Annotated[str, Form(max_length=200)] = "",
    region: Annotated[str, Form(pattern="^(breech_face|firing_pin|full_head)$")] = "breech_face",
) -> UploadResult:
    exhibit = own_exhibit(session, user, exhibit_id)
    data = read_upload(file, settings, allow_empty=True)
    record, run = ingest_upload(
        session,
        request.app.state.engine,
        settings,
        user=user,
        exhibit=exhibit,
        data=data,
        filename=file.filename or "upload",
        instrument=instrument,
        region=region,
    )
    request.app.state.jobs.submit(run.id, run.priority)
    return UploadResult(scan=ScanPublic.model_validate(record), run=RunPublic.model_validate(run))


@router.get("/scans/{scan_id}", response_model=ScanPublic, responses=errors(404))
def read_scan(scan_id: DbId, session: SessionDep, user: CaseReader) -> ScanRecord:
    scan = own_scan(session, user, scan_id)
    audit.record(session, user, "read", "scan", scan.id)
    session.commit()
    return scan
