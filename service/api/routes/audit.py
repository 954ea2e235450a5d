"""Reading and verifying the audit chain (auditors and admins)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import select

from service import audit
from service.api.deps import Auditor, SessionDep
from service.api.types import AfterSeq
from service.models import AuditEntry
from service.schemas import AuditPublic, AuditVerify

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditPublic])
def list_entries(
    session: SessionDep,
    user: Auditor,
    after_seq: AfterSeq = 0,
    limit: int = Query(default=200, ge=1, le=5000),
) -> list[AuditEntry]:
    """Entries made by users of the auditor's jurisdiction, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.seq > after_seq, AuditEntry.jurisdiction_id == user.jurisdiction_id)
            .order_by(AuditEntry.seq)
            .limit(limit)
        )
    )


@router.get("/verify", response_model=AuditVerify)
def verify_chain(session: SessionDep, user: Auditor) -> AuditVerify:
    """Walk the whole chain; report the first entry that does not link or hash."""
    return AuditVerify(**audit.verify(session).as_dict())
