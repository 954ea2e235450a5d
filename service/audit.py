"""Hash-chained, append-only audit log of every read and change of case data.

Each entry stores ``prev_hash`` and ``hash = sha256(prev_hash + canonical JSON of the
entry)``. The single ``audit_head`` row holds the tip; appending updates it in the
same transaction as the change being logged, which serialises appenders on both
SQLite and PostgreSQL and means an entry exists exactly when its change does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.intel.words import N_, Phrase
from service.models import AuditEntry, AuditHead, User

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    """What the hash covers: every column except the hashes themselves."""
    return {
        "seq": entry.seq,
        "at": entry.at,
        "user_id": entry.user_id,
        "username": entry.username,
        "jurisdiction_id": entry.jurisdiction_id,
        "action": entry.action,
        "resource": entry.resource,
        "resource_id": entry.resource_id,
        "detail": entry.detail,
    }


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode()).hexdigest()


def record(
    session: Session,
    user: User | None,
    action: str,
    resource: str,
    resource_id: Any = "",
    /,
    **detail: Any,
) -> AuditEntry:
    """Append one entry; it commits or rolls back with the caller's transaction."""
    # UPDATE ... RETURNING takes the row lock first, so a concurrent appender waits
    # and then sees our tip instead of forking the chain.
    row = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1).returning(AuditHead.seq, AuditHead.hash)
    ).one()
    seq, prev = row.seq, row.hash
    entry = AuditEntry(
        seq=seq,
        at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        user_id=user.id if user else None,
        username=user.username if user else "",
        jurisdiction_id=user.jurisdiction_id if user else None,
        action=action,
        resource=resource,
        resource_id=str(resource_id),
        detail=canonical(detail),
        prev_hash=prev,
    )
    entry.hash = chain_hash(prev, entry_fields(entry))
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=entry.hash))
    return entry


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str = ""
    # The reason as a message and its values (a page says it in its reader's language);
    # ``reason`` is its English, as the API has always answered.
    why: Phrase | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
        }


def _broken(entries: int, seq: int | None, message: str, **values: Any) -> VerifyReport:
    why = Phrase.of(message, **values)
    return VerifyReport(False, entries, seq, why.render(), why)


def _head(session: Session) -> tuple[int, str] | None:
    # A plain SELECT, not session.get: the identity map would hand back a stale tip.
    row = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    return (row.seq, row.hash) if row is not None else None


def verify(session: Session, *, batch: int = 5000) -> VerifyReport:
    """Walk the chain from the genesis; report the first row that does not link or hash.

    Safe while the service keeps appending. The head is read first and the walk stops at
    it: an entry and its head update commit together, so every entry up to that head is
    already visible. Entries appended during the walk are then checked up to the newer
    head, until the head stands still. An entry past the final head can only have been
    written outside ``record`` and is reported.
    """
    prev = GENESIS
    count = 0
    head = _head(session)
    if head is None:
        return _broken(0, None, N_("audit head row is missing"))
    while True:
        head_seq, head_hash = head
        while count < head_seq:
            rows = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > count, AuditEntry.seq <= head_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            ).all()
            if not rows:
                return _broken(count, count + 1, N_("chain ends at entry %(n)s but the head records entry %(head)s"),
                               n=count, head=head_seq)
            for entry in rows:
                expected_seq = count + 1
                if entry.seq != expected_seq:
                    return _broken(count, expected_seq, N_("entry %(n)s is missing"), n=expected_seq)
                if entry.prev_hash != prev:
                    return _broken(count, entry.seq, N_("prev_hash does not match the previous entry's hash"))
                if chain_hash(prev, entry_fields(entry)) != entry.hash:
                    return _broken(count, entry.seq, N_("contents do not match the stored hash"))
                prev = entry.hash
                count += 1
        if prev != head_hash:
            return _broken(count, count, N_("entry %(n)s does not match the hash the head records"), n=count)
        last = session.scalar(select(func.max(AuditEntry.seq))) or 0
        head = _head(session)
        if head is None:
            return _broken(count, None, N_("audit head row is missing"))
        if head[0] == head_seq:
            if last > head_seq:
                return _broken(count, head_seq + 1,
                               N_("entries beyond %(head)s exist but the head records entry %(head)s"), head=head_seq)
            return VerifyReport(True, count)
