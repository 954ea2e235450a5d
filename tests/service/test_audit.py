"""The audit log: every read and change of case data is chained; tampering is found."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from service.cli import app as cli
from service import audit
from service.models import AuditEntry


def _entries(svc):
    with svc.app.state.session_factory() as s:
        return s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()


def _records(svc):
    svc.world()
    case, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    svc.ok(svc.get(f"/api/cases/{case}", "investigator.north"))
    svc.ok(svc.get(f"/api/exhibits/{exhibit}/custody", "examiner.north"))
    return case, exhibit


def test_reads_and_changes_are_logged_and_the_chain_verifies(service):
    case, exhibit = _records(service)
    service.as_("auditor.north")  # signing in is logged too
    entries = _entries(service)
    seen = {(e.username, e.action, e.resource, e.resource_id) for e in entries}
    assert ("lab_submitter.north", "create", "case", str(case)) in seen
    assert ("lab_submitter.north", "create", "exhibit", str(exhibit)) in seen
    assert ("investigator.north", "read", "case", str(case)) in seen
    assert ("examiner.north", "read", "custody", str(exhibit)) in seen
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    report = service.ok(service.get("/api/audit/verify", "auditor.north"))
    assert report == {"ok": True, "entries": len(entries), "first_broken_seq": None, "reason": ""}
    # An auditor reads their own jurisdiction's entries.
    listed = service.ok(service.get("/api/audit", "auditor.north", params={"limit": 5000}))
    assert listed and {e["jurisdiction_id"] for e in listed} == {entries[-1].jurisdiction_id}
    south = service.ok(service.get("/api/audit", "auditor.south", params={"limit": 5000}))
    assert not {e["seq"] for e in south} & {e["seq"] for e in listed}


def test_the_database_refuses_updates_and_deletes_of_the_log(service):
    _records(service)
    with service.app.state.session_factory() as s:
        for sql in ("UPDATE audit_log SET username = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"):
            with pytest.raises(DBAPIError, match="append-only"):
                s.execute(text(sql))
            s.rollback()


def _drop_guard(session) -> None:
    # What someone with direct database access could do before editing history.
    if session.bind.dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


@pytest.mark.parametrize("tamper", ["edit", "delete", "truncate"])
def test_verify_reports_the_first_tampered_row(service, tamper):
    case, _ = _records(service)
    entries = _entries(service)
    victim = next(e for e in entries if e.action == "read" and e.resource == "case")
    with service.app.state.session_factory() as s:
        _drop_guard(s)
        if tamper == "edit":
            # Hide who read the case; the hash no longer matches the row.
            s.execute(text("UPDATE audit_log SET username = 'someone.else' WHERE seq = :q"), {"q": victim.seq})
        elif tamper == "delete":
            s.execute(text("DELETE FROM audit_log WHERE seq = :q"), {"q": victim.seq})
        else:
            s.execute(text("DELETE FROM audit_log WHERE seq >= :q"), {"q": victim.seq})
        s.commit()
    report = service.ok(service.get("/api/audit/verify", "auditor.north"))
    assert report["ok"] is False
    assert report["first_broken_seq"] == victim.seq
    assert report["entries"] == victim.seq - 1
    # The CLI says the same, with a failing exit status.
    result = CliRunner().invoke(cli, ["audit-verify", "--database-url", service.settings.database_url])
    assert result.exit_code == 1
    assert f"BROKEN at entry {victim.seq}" in result.output


def test_a_rehashed_forgery_still_breaks_the_link_to_the_next_row(service):
    _records(service)
    entries = _entries(service)
    victim = entries[3]
    fields = audit.entry_fields(victim)
    fields["detail"] = json.dumps({"forged": True})
    new_hash = audit.chain_hash(victim.prev_hash, fields)
    with service.app.state.session_factory() as s:
        _drop_guard(s)
        s.execute(
            text("UPDATE audit_log SET detail = :d, hash = :h WHERE seq = :q"),
            {"d": fields["detail"], "h": new_hash, "q": victim.seq},
        )
        s.commit()
        report = audit.verify(s)
    assert (report.ok, report.first_broken_seq) == (False, victim.seq + 1)


def test_cli_verify_on_an_intact_chain(service):
    _records(service)
    result = CliRunner().invoke(cli, ["audit-verify", "--database-url", service.settings.database_url])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output


def test_verify_while_the_service_keeps_appending(service):
    """An auditor checking a live system must not see a break that is only a commit in flight."""
    import threading

    _records(service)
    factory = service.app.state.session_factory
    stop = threading.Event()
    appended = []

    def append():
        while not stop.is_set():
            with factory() as s:
                audit.record(s, None, "read", "case", "live")
                s.commit()
            appended.append(1)

    writer = threading.Thread(target=append)
    writer.start()
    reports = []
    try:
        while len(reports) < 40 or len(appended) < 40:
            with factory() as s:
                reports.append(audit.verify(s, batch=3))
    finally:
        stop.set()
        writer.join()
    assert len(appended) >= 40
    assert all(r.ok for r in reports), next(r for r in reports if not r.ok)
    with factory() as s:
        final = audit.verify(s)
    assert final.ok and final.entries == max(r.entries for r in reports + [final])


def test_an_entry_written_past_the_head_is_reported(service):
    _records(service)
    entries = _entries(service)
    last = entries[-1]
    fields = dict(audit.entry_fields(last), seq=last.seq + 1, detail="{}")
    forged = audit.chain_hash(last.hash, fields)
    with service.app.state.session_factory() as s:
        s.add(AuditEntry(**fields, prev_hash=last.hash, hash=forged))
        s.commit()
        report = audit.verify(s)
    assert (report.ok, report.first_broken_seq) == (False, last.seq + 1)
    assert "head" in report.reason
