"""Audit entries as read back, and the result of verifying the chain."""

from __future__ import annotations

from pydantic import BaseModel

from service.schemas.base import Public


class AuditPublic(Public):
    seq: int
    at: str
    user_id: int | None
    username: str
    jurisdiction_id: int | None
    action: str
    resource: str
    resource_id: str
    detail: str
    prev_hash: str
    hash: str


class AuditVerify(BaseModel):
    ok: bool
    entries: int
    first_broken_seq: int | None
    reason: str
