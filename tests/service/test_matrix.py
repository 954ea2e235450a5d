"""Authorisation matrix: every role x route x jurisdiction.

The expected role sets are written out here, independently of the service's own
role-to-scope table, so a wrong grant in the service fails this test. Objects
belong to NORTH; SOUTH users with the right role must get 404 (existence is not
leaked), users without the role 403.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from service.models import DestructionRequest
from tests.service.conftest import ROLES, start_service

READERS = {"lab_submitter", "examiner", "analyst", "investigator", "prosecutor"}
WRITERS = {"lab_submitter", "examiner"}
UPLOADERS = {"lab_submitter", "examiner"}
RUN_READERS = READERS | {"partner"}
RUN_WRITERS = {"lab_submitter", "examiner", "analyst"}
REVIEWERS = {"examiner"}
LEAD_READERS = {"examiner", "analyst", "investigator", "prosecutor"}
LEAD_WRITERS = {"examiner", "analyst"}
HIT_READERS = {"examiner", "analyst", "investigator", "prosecutor", "partner"}
DISCLOSURE_REQUESTERS = {"analyst", "investigator", "prosecutor", "partner"}
DISCLOSURE_APPROVERS = {"analyst"}
SERIAL_SEARCHERS = READERS | {"partner"}
DESTRUCTION_APPROVERS = {"examiner", "analyst"}
AUDITORS = {"auditor", "admin"}
ADMINS = {"admin"}
EVERYONE = set(ROLES) | {"partner"}

USERS = [(role, code) for code in ("NORTH", "SOUTH") for role in ROLES] + [("partner", "PARTNER"), ("lab_submitter", "PARTNER")]
_counter = itertools.count()


def _unique() -> str:
    return f"M{next(_counter)}"


def _audit_tip(svc) -> int:
    from sqlalchemy import func, select

    from service.models import AuditEntry

    with svc.app.state.session_factory() as s:
        return s.scalar(select(func.max(AuditEntry.seq))) or 0


def _audit_since(svc, seq: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from service.models import AuditEntry

    with svc.app.state.session_factory() as s:
        return [(e.username, e.action) for e in s.scalars(select(AuditEntry).where(AuditEntry.seq > seq))]


def _check(svc, method, path, roles, *, foreign, own_ok=None, body=None, files=None):
    """Call ``path`` as every user; ``foreign`` is what an allowed SOUTH/PARTNER user gets."""
    failures = []
    for role, code in USERS:
        user = f"{role}.{code.lower()}"
        kw = {}
        if body is not None:
            kw["json"] = body() if callable(body) else body
        if files is not None:
            kw["files"] = files
        headers = svc.as_(user)
        before = _audit_tip(svc)
        r = svc.client.request(method, path, headers=headers, **kw)
        if method != "GET" and 200 <= r.status_code < 300:
            # Every state change that succeeded is in the audit trail, made by its caller.
            written = _audit_since(svc, before)
            if not any(u == user and a not in ("read", "login") for u, a in written):
                failures.append(f"{method} {path} as {user}: {r.status_code} but no audit entry ({written})")
        if role not in roles:
            expected = {403}
        elif code == "NORTH":
            expected = own_ok or {200, 201, 202}
        else:
            expected = foreign
        if r.status_code not in expected:
            failures.append(f"{method} {path} as {user}: {r.status_code} not in {sorted(expected)} ({r.text[:120]})")
    return failures


@pytest.fixture(scope="module")
def records_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("matrix")
    svc = start_service(f"sqlite:///{root / 'db.sqlite'}", root)
    with svc.client:
        ids = svc.world()
        case, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-MATRIX")
        yield svc, ids, case, exhibit


def test_firearms_matrix(records_world):
    svc, ids, case, exhibit = records_world
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "lab_submitter.north", json={"serial_number": "MX-1"}), 201)["id"]
    ammo = svc.ok(svc.post(f"/api/cases/{case}/exhibits", "lab_submitter.north", json={"kind": "bullet", "lab_number": "MX-B"}), 201)["id"]
    rows = [
        ("POST", f"/api/cases/{case}/firearms", WRITERS, {404}, dict(body={"kind": "rifle"})),
        ("GET", f"/api/cases/{case}/firearms", READERS, {404}, {}),
        ("GET", "/api/firearms/search?serial=MX1", SERIAL_SEARCHERS, {200}, {}),
        ("GET", f"/api/firearms/{gun}", READERS, {404}, {}),
        ("PATCH", f"/api/firearms/{gun}", WRITERS, {404}, dict(body=lambda: {"notes": _unique(), "reason": "matrix"})),
        ("POST", f"/api/firearms/{gun}/events", WRITERS, {404}, dict(body={"status": "examined"})),
        ("POST", f"/api/firearms/{gun}/destruction-requests", WRITERS, {404}, dict(body={"reason": "m"}, own_ok={201, 409})),
        ("POST", f"/api/exhibits/{ammo}/destruction-requests", WRITERS, {404}, dict(body={"reason": "m"}, own_ok={201, 409})),
    ] + [("GET", f"/api/firearms/{gun}/{sub}", READERS, {404}, {})
         for sub in ("events", "revisions", "exhibits", "links", "photos", "destruction-requests")]
    failures = []
    for method, path, roles, foreign, extra in rows:
        failures += _check(svc, method, path, roles, foreign=foreign, **extra)
    assert not failures, "\n".join(failures)
    # Requested by NORTH's lab submitter; the first approver decides it, the rest find it decided.
    with svc.app.state.session_factory() as s:
        requests = s.scalars(select(DestructionRequest.id).order_by(DestructionRequest.id)).all()
    assert len(requests) == 2
    for rid in requests:
        failures = _check(svc, "POST", f"/api/destruction-requests/{rid}/approve", DESTRUCTION_APPROVERS,
                          foreign={404}, body={}, own_ok={200, 409})
        assert not failures, "\n".join(failures)
    assert svc.ok(svc.get(f"/api/firearms/{gun}", "examiner.north"))["status"] == "destroyed"
    custody = svc.ok(svc.get(f"/api/exhibits/{ammo}/custody", "examiner.north"))
    assert custody[-1]["action"] == "destroyed"


def test_records_matrix(records_world):
    svc, ids, case, exhibit = records_world
    ev = {"kind": "seizure", "date_from": "2024-05-01"}
    failures = []
    rows = [
        ("GET", "/api/users/me", EVERYONE, {200}, None),
        ("GET", "/api/jurisdictions", EVERYONE, {200}, None),
        ("GET", "/api/agencies", EVERYONE, {200}, None),
        ("GET", "/api/users", ADMINS, {200}, None),
        ("POST", "/api/users", ADMINS, {201}, lambda: {"username": _unique().lower() + "x", "password": "matrix passphrase " + _unique(), "role": "investigator", "jurisdiction_id": ids["NORTH"]}),
        ("POST", "/api/jurisdictions", ADMINS, {201}, lambda: {"code": _unique(), "name": "x"}),
        ("POST", "/api/agencies", ADMINS, {201}, lambda: {"jurisdiction_id": ids["SOUTH"], "name": _unique()}),
        ("GET", "/api/cases", READERS, {200}, None),
        ("POST", "/api/cases", WRITERS, {201}, lambda: {"reference": _unique()}),
        ("GET", f"/api/cases/{case}", READERS, {404}, None),
        ("PATCH", f"/api/cases/{case}", WRITERS, {404}, {"title": "renamed"}),
        ("GET", f"/api/cases/{case}/events", READERS, {404}, None),
        ("POST", f"/api/cases/{case}/events", WRITERS, {404}, ev),
        ("GET", f"/api/cases/{case}/exhibits", READERS, {404}, None),
        ("POST", f"/api/cases/{case}/exhibits", WRITERS, {404}, lambda: {"kind": "test_fire", "lab_number": _unique()}),
        ("GET", f"/api/exhibits/{exhibit}", READERS, {404}, None),
        ("GET", f"/api/exhibits/{exhibit}/custody", READERS, {404}, None),
        ("POST", f"/api/exhibits/{exhibit}/custody", WRITERS, {404}, {"action": "examined"}),
        ("GET", f"/api/exhibits/{exhibit}/scans", READERS, {404}, None),
        ("GET", "/api/audit", AUDITORS, {200}, None),
        ("GET", "/api/audit/verify", AUDITORS, {200}, None),
    ]
    for method, path, roles, foreign, body in rows:
        failures += _check(svc, method, path, roles, foreign=foreign, body=body)
    # Jurisdiction-wide lists never include another jurisdiction's case.
    for role in READERS:
        listed = {c["id"] for c in svc.ok(svc.get("/api/cases", f"{role}.south"))}
        assert case not in listed
    assert not failures, "\n".join(failures)


def test_evidence_matrix(evidence_world):
    """Routes on scans, runs, candidates, leads, hits and disclosures (needs the engine)."""
    svc, w = evidence_world
    bad_file = {"file": ("bad.x3p", b"not a scan")}
    rows = [
        # Authorised callers reach the reader, which refuses the file: 422, nothing stored.
        ("POST", f"/api/exhibits/{w['exhibit']}/scans", UPLOADERS, {404}, dict(files=bad_file, own_ok={422})),
        ("GET", f"/api/scans/{w['scan']}", READERS, {404}, {}),
        ("GET", "/api/runs", RUN_READERS, {200}, {}),
        ("GET", f"/api/runs/{w['run']}", RUN_READERS, {404}, {}),
        ("GET", f"/api/runs/{w['run']}/candidates", RUN_READERS, {404}, {}),
        ("GET", f"/api/runs/{w['run']}/result", RUN_READERS, {404}, {}),
        ("GET", f"/api/candidates/{w['candidate']}/reviews", RUN_READERS, {404}, {}),
        ("POST", f"/api/candidates/{w['candidate']}/reviews", REVIEWERS, {404}, dict(body={"decision": "inconclusive"})),
        ("GET", "/api/leads", LEAD_READERS, {200}, {}),
        # The lead links NORTH and SOUTH: both sides may read it, only NORTH moves it.
        ("GET", f"/api/leads/{w['lead']}", LEAD_READERS, {200, 404}, {}),
        ("POST", f"/api/leads/{w['lead']}/transition", LEAD_WRITERS, {403, 404}, dict(body={"to": "proposed"}, own_ok={409})),
        ("GET", "/api/hits", HIT_READERS, {200}, {}),
        ("GET", f"/api/hits/{w['hit']}", HIT_READERS, {200, 404}, {}),
        ("GET", "/api/disclosures", DISCLOSURE_REQUESTERS, {200}, {}),
        ("POST", "/api/disclosures", DISCLOSURE_REQUESTERS, {201, 409, 404}, dict(body={"hit_id": w["hit"], "justification": "matrix"}, own_ok={201, 409})),
    ]
    failures = []
    for method, path, roles, foreign, extra in rows:
        failures += _check(svc, method, path, roles, foreign=foreign, **extra)
    assert not failures, "\n".join(failures)
    # SOUTH sees the hit, NORTH's side only as an opaque reference; PARTNER does not see it.
    hit = svc.ok(svc.get(f"/api/hits/{w['hit']}", "investigator.south"))
    assert hit["other_case"]["case_id"] is None and hit["other_case"]["opaque_reference"].startswith("REF-")
    assert svc.get(f"/api/hits/{w['hit']}", "partner.partner").status_code == 404
    # Deciding a disclosure belongs to the owning jurisdiction's approvers.
    disclosures = svc.ok(svc.get("/api/disclosures", "analyst.south"))
    d = next(d for d in disclosures if d["requesting_jurisdiction"] == "SOUTH")
    failures = _check(svc, "POST", f"/api/disclosures/{d['id']}/refuse", DISCLOSURE_APPROVERS, foreign={403, 404}, body={"reason": "no"}, own_ok={200, 409})
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def evidence_world(tmp_path_factory, sample_scans):
    from tests.service.test_workflow import link_two_cases

    root = tmp_path_factory.mktemp("evidence")
    svc = start_service(f"sqlite:///{root / 'db.sqlite'}", root)
    with svc.client:
        svc.world()
        w = link_two_cases(svc, sample_scans)
        yield svc, w
