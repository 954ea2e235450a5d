"""Turning an uploaded file into a scan record, a stored signature and a queued run.

All or nothing: the expensive reading and signing happen before anything is
written; the file, the scan row and the store entry are then written in that order
and undone in reverse if a later step fails, so a bad or conflicting upload leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ballistics_core.errors import BallisticsError
from service import audit, reasons
from service.core.config import Settings
from service.engine import DuplicateSignature, Engine
from service.jobs import queue_run
from service.models import CorrelationRun, CustodyEvent, Event, Exhibit, ScanRecord, User

KNOWN_SUFFIXES = {".x3p", ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp"}


def _duplicate(existing_id: int | None) -> HTTPException:
    return reasons.duplicate_upload(existing_id)


def _event_date(session: Session, exhibit: Exhibit) -> str:
    event = session.get(Event, exhibit.event_id) if exhibit.event_id else None
    return event.date_from.isoformat() if event else ""


def ingest_upload(
    session: Session,
    engine: Engine,
    settings: Settings,
    *,
    user: User,
    exhibit: Exhibit,
    data: bytes,
    filename: str,
    instrument: str,
    region: str,
) -> tuple[ScanRecord, CorrelationRun]:
    if not data:
        raise reasons.empty_upload()
    sha = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(ScanRecord.id).where(ScanRecord.sha256 == sha))
    session.commit()  # release the database while reading and signing
    if existing is not None:
        raise _duplicate(existing)
    try:
        scan = engine.read_scan(data, name=filename)
        signature = engine.make_signature(scan)
    except BallisticsError as exc:
        raise reasons.scan_unreadable(exc) from None

    suffix = Path(filename).suffix.lower()
    # One file per upload attempt: a failed attempt can delete its own file without
    # racing a concurrent upload of the same bytes.
    path = settings.upload_dir / sha[:2] / f"{sha}-{uuid.uuid4().hex[:8]}{suffix if suffix in KNOWN_SUFFIXES else '.bin'}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)

    signature_id: str | None = None
    try:
        record = ScanRecord(
            exhibit_id=exhibit.id,
            sha256=sha,
            filename=Path(filename).name[:300],
            stored_path=str(path),
            size_bytes=len(data),
            instrument=instrument or str(scan.meta.get("instrument", ""))[:200],
            region=region,
            kind=scan.kind,
            uploaded_by_id=user.id,
        )
        session.add(record)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise _duplicate(session.scalar(select(ScanRecord.id).where(ScanRecord.sha256 == sha))) from None
        case = exhibit.case
        try:
            signature_id = engine.add(
                signature,
                {
                    "scan_id": record.id,
                    "exhibit_id": exhibit.id,
                    "case_id": case.id,
                    "jurisdiction": case.jurisdiction.code,
                    "exhibit_kind": exhibit.kind.value,
                    "calibre": exhibit.calibre,
                    # a test fire's signature is a reference for the gun that fired it
                    "reference": exhibit.kind.value == "test_fire",
                    "firearm_id": exhibit.firearm_id,
                    # the store filters on ISO dates; an event's range starts here
                    "date": _event_date(session, exhibit),
                    "source_sha256": sha,
                },
            )
        except DuplicateSignature:
            session.rollback()
            raise _duplicate(None) from None
        record.signature_id = signature_id
        session.add(CustodyEvent(exhibit_id=exhibit.id, action="scanned", by_user_id=user.id, notes=f"scan sha256 {sha}"))
        run = queue_run(session, scan=record, user_id=user.id, scope={})
        audit.record(session, user, "upload", "scan", record.id, exhibit_id=exhibit.id, sha256=sha, signature_id=signature_id)
        audit.record(session, user, "create", "run", run.id, scan_id=record.id)
        session.commit()
        return record, run
    except BaseException:
        session.rollback()
        if signature_id is not None:
            engine.tombstone(signature_id)
        path.unlink(missing_ok=True)
        raise
