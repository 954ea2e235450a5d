"""Stored reports: every report produced is kept with its parameters and SHA-256.

The bytes go to a content-addressed file store (``<reports_dir>/<sha[:2]>/<sha>.<ext>``);
the ``intel_report`` row records kind, format, parameters, digest, size, who asked
and when, and the audit chain records the creation and every download. Reading a
report back re-hashes the file, so a report altered on disk is refused, not served.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from service import audit
from service.core.config import Settings
from service.core.db import Base
from service.intel.reports import Product
from service.intel.scope import Scope
from service.models import User, UTCDateTime, utcnow


class IntelReport(Base):
    __tablename__ = "intel_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(80))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    # A partner's view is narrower; its reports are not shared with domestic colleagues' lists and vice versa.
    partner_scope: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportIntegrityError(RuntimeError):
    """A stored report's bytes no longer match the SHA-256 recorded when it was made."""


def reports_dir(settings: Settings) -> Path:
    # Beside the signature store unless the deployment names a place of its own.
    explicit = getattr(settings, "reports_dir", None)
    return Path(explicit) if explicit else Path(settings.store_dir).parent / "reports"


def _write_once(root: Path, sha: str, ext: str, content: bytes) -> str:
    rel = f"{sha[:2]}/{sha}.{ext}"
    path = root / rel
    if path.is_file():
        return rel
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rel


def save_report(session: Session, root: Path, scope: Scope, product: Product) -> IntelReport:
    """Store the bytes and the record, and append to the audit chain; the caller commits."""
    if scope.user_id is None:
        raise ValueError("a stored report needs the user it was made for")
    sha = hashlib.sha256(product.content).hexdigest()
    rel = _write_once(Path(root), sha, product.extension, product.content)
    report = IntelReport(
        kind=product.kind, format=product.format, media_type=product.media_type, params=product.params,
        summary=product.summary, sha256=sha, size_bytes=len(product.content), stored_path=rel,
        created_by_id=scope.user_id, jurisdiction_id=scope.jurisdiction_id, role=scope.role.value,
        partner_scope=scope.partner,
    )
    session.add(report)
    session.flush()
    audit.record(session, session.get(User, scope.user_id), "create", "report", report.id,
                 kind=product.kind, format=product.format, sha256=sha, params=product.params)
    return report


def read_report(root: Path, report: IntelReport) -> bytes:
    content = (Path(root) / report.stored_path).read_bytes()
    if hashlib.sha256(content).hexdigest() != report.sha256:
        raise ReportIntegrityError(f"report {report.id} does not match its recorded SHA-256")
    return content


def report_visible(report: IntelReport, scope: Scope) -> bool:
    """Reports are shared within a jurisdiction, but never across the partner boundary."""
    return report.jurisdiction_id == scope.jurisdiction_id and report.partner_scope == scope.partner


def list_reports(session: Session, scope: Scope, *, limit: int = 200) -> list[IntelReport]:
    rows = session.scalars(
        select(IntelReport).where(IntelReport.jurisdiction_id == scope.jurisdiction_id,
                                  IntelReport.partner_scope == scope.partner)
        .order_by(IntelReport.id.desc()).limit(limit)
    )
    return list(rows)
