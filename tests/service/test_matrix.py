"""Authorisation matrix: every role x route x jurisdiction, one exact answer each.

The expected role sets are written out here, independently of the service's own
role-to-scope table, so a wrong grant in the service fails this test. Objects
belong to NORTH; SOUTH and PARTNER users with the right role get 404 (existence is
not leaked) unless the object is shared with them (a lead or hit naming their case),
users without the role 403. Where the answer depends on what came before (the
first request succeeds, the next finds it done), the row names the user who gets
which answer, in the order the users call (``USERS``).

Every state change that succeeds must leave an audit entry by its caller; the table
of rows covers every state-changing route of the API (checked against the app's
routes), each with at least one caller who succeeds.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from tests.service.conftest import ROLES, SAMPLE, start_service

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
TRACE_ANSWERERS = {"examiner", "analyst", "partner"}
SERIAL_SEARCHERS = READERS | {"partner"}
DESTRUCTION_APPROVERS = {"examiner", "analyst"}
REGISTRY_IMPORTERS = {"analyst", "admin"}
PEOPLE_READERS = {"analyst", "investigator", "prosecutor"}
PEOPLE_WRITERS = {"analyst", "investigator"}
RETENTION_RUNNERS = {"admin"}
AUDITORS = {"auditor", "admin"}
ADMINS = {"admin"}
EVERYONE = set(ROLES) | {"partner"}

USERS = [(role, code) for code in ("NORTH", "SOUTH") for role in ROLES] + [("partner", "PARTNER"), ("lab_submitter", "PARTNER")]
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
# Signing in, refreshing and signing out are everyone's: test_signing_in_refreshing_and_out_is_audited.
SIGN_IN_ROUTES = {"POST /api/login/access-token", "POST /api/login/refresh", "POST /api/logout"}
_counter = itertools.count()

Status = int | dict[str, int]


def _unique() -> str:
    return f"M{next(_counter)}"


@dataclass
class Row:
    """One route called by every user. ``own``: what NORTH users with the role get
    (default 200, or 201 for a POST); ``foreign``: what SOUTH and PARTNER users with
    the role get. Each is one status, or a dict by user ("analyst.south"), role or
    jurisdiction code ("SOUTH"), most specific first."""

    method: str
    path: str
    roles: set[str]
    foreign: Status
    own: Status | None = None
    body: Any = None
    files: Any = None

    def expected(self, role: str, code: str) -> int:
        if role not in self.roles:
            return 403
        spec = (self.own if self.own is not None else (201 if self.method == "POST" else 200)) if code == "NORTH" else self.foreign
        if isinstance(spec, int):
            return spec
        for key in (f"{role}.{code.lower()}", role, code):
            if key in spec:
                return spec[key]
        raise KeyError(f"{self.method} {self.path}: no expected status for {role}.{code.lower()}")


def _audit_tip(svc) -> int:
    from sqlalchemy import func, select

    from service.models import AuditEntry

    with svc.app.state.session_factory() as s:
        return s.scalar(select(func.max(AuditEntry.seq))) or 0


def _audit_since(svc, seq: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from service.models import AuditEntry

    with svc.app.state.session_factory() as s:
        return [(e.username, e.action)
                for e in s.scalars(select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq))]


def _check(svc, rows: list[Row]) -> list[str]:
    """Call every row as every user; the failures, one line each."""
    failures = []
    for row in rows:
        for role, code in USERS:
            user = f"{role}.{code.lower()}"
            kw = {}
            if row.body is not None:
                kw["json"] = row.body() if callable(row.body) else row.body
            if row.files is not None:
                kw["files"] = row.files() if callable(row.files) else row.files
            before = _audit_tip(svc)
            r = svc.client.request(row.method, row.path, headers=svc.as_(user), **kw)
            if row.method in CHANGES and 200 <= r.status_code < 300:
                # Every state change that succeeded is in the audit trail, made by its caller.
                written = _audit_since(svc, before)
                if not any(u == user and a != "read" for u, a in written):
                    failures.append(f"{row.method} {row.path} as {user}: {r.status_code} but no audit entry ({written})")
            expected = row.expected(role, code)
            if r.status_code != expected:
                failures.append(f"{row.method} {row.path} as {user}: {r.status_code}, expected {expected} ({r.text[:120]})")
    return failures


# --- the tables --------------------------------------------------------------------------


def _png() -> dict:
    return {"file": (f"{_unique()}.png", b"\x89PNG\r\n\x1a\n" + _unique().encode() * 8)}


def firearm_rows(i) -> list[Row]:
    gun, ammo, case = i["gun"], i["ammo"], i["case"]
    return [
        Row("POST", f"/api/cases/{case}/firearms", WRITERS, 404, body={"kind": "rifle"}),
        Row("GET", f"/api/cases/{case}/firearms", READERS, 404),
        Row("GET", "/api/firearms/search?serial=MX1", SERIAL_SEARCHERS, 200),
        Row("GET", f"/api/firearms/{gun}", READERS, 404),
        Row("PATCH", f"/api/firearms/{gun}", WRITERS, 404, body=lambda: {"notes": _unique(), "reason": "matrix"}),
        Row("POST", f"/api/firearms/{gun}/events", WRITERS, 404, body={"status": "examined"}),
        Row("POST", f"/api/firearms/{gun}/photos", WRITERS, 404, files=_png),
        # The first request waits for a second person; another while it waits is a conflict.
        Row("POST", f"/api/firearms/{gun}/destruction-requests", WRITERS, 404, body={"reason": "m"},
            own={"lab_submitter": 201, "examiner": 409}),
        Row("POST", f"/api/exhibits/{ammo}/destruction-requests", WRITERS, 404, body={"reason": "m"},
            own={"lab_submitter": 201, "examiner": 409}),
    ] + [Row("GET", f"/api/firearms/{gun}/{sub}", READERS, 404)
         for sub in ("events", "revisions", "exhibits", "links", "photos", "destruction-requests")]


def destruction_rows(i) -> list[Row]:
    # Requested by NORTH's lab submitter: the first approver decides, the next finds it decided.
    first = {"examiner": 200, "analyst": 409}
    return [
        Row("POST", f"/api/destruction-requests/{i['gun_request']}/approve", DESTRUCTION_APPROVERS, 404, body={}, own=first),
        Row("POST", f"/api/destruction-requests/{i['ammo_request']}/approve", DESTRUCTION_APPROVERS, 404, body={}, own=first),
        Row("POST", f"/api/destruction-requests/{i['gun2_request']}/refuse", DESTRUCTION_APPROVERS, 404,
            body={"reason": "still needed"}, own=first),
    ]


def record_rows(i) -> list[Row]:
    case, exhibit = i["case"], i["exhibit"]
    return [
        Row("GET", "/api/users/me", EVERYONE, 200),
        Row("GET", "/api/jurisdictions", EVERYONE, 200),
        Row("GET", "/api/agencies", EVERYONE, 200),
        Row("GET", "/api/users", ADMINS, 200),
        # Administrators manage every jurisdiction's accounts (the focal point's system administrators).
        Row("POST", "/api/users", ADMINS, 201, body=lambda: {
            "username": _unique().lower() + "x", "password": "matrix passphrase " + _unique(), "role": "investigator",
            "jurisdiction_id": i["NORTH"]}),
        Row("PATCH", f"/api/users/{i['target_user']}", ADMINS, 200, body=lambda: {"full_name": _unique()}),
        Row("POST", f"/api/users/{i['target_user']}/unlock", ADMINS, 200, own=200),
        Row("POST", "/api/jurisdictions", ADMINS, 201, body=lambda: {"code": _unique(), "name": "x"}),
        Row("PATCH", f"/api/jurisdictions/{i['SOUTH']}", ADMINS, 200, body=lambda: {"map_region": "MK"}),
        Row("POST", "/api/agencies", ADMINS, 201, body=lambda: {"jurisdiction_id": i["SOUTH"], "name": _unique()}),
        Row("GET", "/api/cases", READERS, 200),
        Row("POST", "/api/cases", WRITERS, 201, body=lambda: {"reference": _unique()}),
        Row("GET", f"/api/cases/{case}", READERS, 404),
        Row("PATCH", f"/api/cases/{case}", WRITERS, 404, body=lambda: {"title": _unique()}),
        Row("GET", f"/api/cases/{case}/events", READERS, 404),
        Row("POST", f"/api/cases/{case}/events", WRITERS, 404, body={"kind": "seizure", "date_from": "2024-05-01"}),
        Row("GET", f"/api/cases/{case}/exhibits", READERS, 404),
        Row("POST", f"/api/cases/{case}/exhibits", WRITERS, 404, body=lambda: {"kind": "test_fire", "lab_number": _unique()}),
        Row("GET", f"/api/exhibits/{exhibit}", READERS, 404),
        Row("GET", f"/api/exhibits/{exhibit}/custody", READERS, 404),
        Row("POST", f"/api/exhibits/{exhibit}/custody", WRITERS, 404, body={"action": "examined"}),
        Row("GET", f"/api/exhibits/{exhibit}/scans", READERS, 404),
        Row("POST", f"/api/exhibits/{exhibit}/urgency", WRITERS, 404, own=200,
            body=lambda: {"urgent": True, "reason": _unique()}),
        Row("GET", f"/api/exhibits/{exhibit}/turnaround", READERS, 404),
        Row("GET", "/api/turnaround/overdue", READERS, 200),
        Row("GET", "/api/audit", AUDITORS, 200),
        Row("GET", "/api/audit/verify", AUDITORS, 200),
    ]


REGISTER_CSV = b"make,model,calibre,serial,country,date_reported\nGlock,17,9mm,MX-1,AT,2020-01-01\n"


def register_rows(i) -> list[Row]:
    case, gun, trace, person = i["case"], i["gun"], i["trace"], i["person"]
    return [
        Row("POST", f"/api/firearms/{gun}/traces", WRITERS, 404, body={"target": "manufacturer"}),
        Row("GET", f"/api/firearms/{gun}/traces", READERS, 404),
        Row("GET", "/api/traces/overdue", READERS, 200),
        Row("PATCH", f"/api/traces/{trace}", WRITERS, 404, body=lambda: {"answer": _unique()}),
        Row("POST", f"/api/traces/{trace}/documents", WRITERS, 404,
            files=lambda: {"file": ("answer.pdf", b"%PDF-1.4 " + _unique().encode())}),
        Row("GET", f"/api/traces/{trace}/documents", READERS, 404),
        # Registers of lost and stolen guns are national: any jurisdiction's importers (re-)import them.
        Row("POST", "/api/registers/matrix/imports", REGISTRY_IMPORTERS, 201, files={"file": ("r.csv", REGISTER_CSV)}),
        Row("GET", "/api/registers/imports", READERS, 200),
        Row("GET", f"/api/cases/{case}/alerts", READERS, 404),
        Row("GET", "/api/alerts", READERS, 200),
        Row("POST", f"/api/cases/{case}/people", PEOPLE_WRITERS, 404, body=lambda: {"name": _unique(), "role": "witness"}),
        Row("GET", f"/api/cases/{case}/people", PEOPLE_READERS, 404),
        Row("GET", f"/api/firearms/{gun}/people", PEOPLE_READERS, 404),
        Row("GET", f"/api/people/{person}", PEOPLE_READERS, 404),
        Row("POST", f"/api/people/{person}/links", PEOPLE_WRITERS, 404, body={"role": "owner", "firearm_id": gun}),
        # Retention is the data controller's: it runs over every jurisdiction's people.
        Row("POST", "/api/people/retention-run", RETENTION_RUNNERS, 200, own=200, body={}),
        # Counts only (no case, serial or person): every jurisdiction's guns are counted for every reader.
        Row("GET", "/api/intel/firearms-by-type", READERS, 200),
        Row("GET", "/api/intel/trafficking-routes?format=csv", READERS, 200),
    ]


def evidence_rows(w) -> list[Row]:
    """Scans, runs, candidates, reviews, leads, hits (NORTH's run found SOUTH's case)."""
    bad_file = {"file": ("bad.x3p", b"not a scan")}
    return [
        # Authorised callers reach the reader, which refuses the file: 422, nothing stored.
        Row("POST", f"/api/exhibits/{w['exhibit']}/scans", UPLOADERS, 404, files=bad_file, own=422),
        # A scan: stored once (and searched); the same file again is a duplicate.
        Row("POST", f"/api/exhibits/{w['exhibit']}/scans", UPLOADERS, 404,
            files=lambda: {"file": ("Fadul 2-2.x3p", w["scan_bytes"])}, own={"lab_submitter": 201, "examiner": 409}),
        Row("GET", f"/api/scans/{w['scan']}", READERS, 404),
        # A run whose scope holds nothing to compare: queued (202) and done at once.
        Row("POST", f"/api/scans/{w['scan']}/runs", RUN_WRITERS, 404, body={"scope": {"calibre": "none such"}}, own=202),
        Row("GET", "/api/runs", RUN_READERS, 200),
        Row("GET", f"/api/runs/{w['run']}", RUN_READERS, 404),
        Row("GET", f"/api/runs/{w['run']}/candidates", RUN_READERS, 404),
        Row("GET", f"/api/runs/{w['run']}/result", RUN_READERS, 404),
        Row("GET", f"/api/candidates/{w['candidate']}/reviews", RUN_READERS, 404),
        Row("POST", f"/api/candidates/{w['candidate']}/reviews", REVIEWERS, 404, body={"decision": "inconclusive"}),
        # A lead on the run's second candidate (SOUTH's other case): NORTH's writers raise it.
        Row("POST", "/api/leads", LEAD_WRITERS, 404, body={"candidate_id": w["second_candidate"]}),
        Row("GET", "/api/leads", LEAD_READERS, 200),
        # The leads link NORTH and SOUTH: both sides read them, only NORTH moves them.
        Row("GET", f"/api/leads/{w['lead']}", LEAD_READERS, 200),
        Row("POST", f"/api/leads/{w['lead']}/transition", LEAD_WRITERS, 403, body={"to": "proposed"}, own=409),
        Row("GET", "/api/hits", HIT_READERS, 200),
        Row("GET", f"/api/hits/{w['hit']}", HIT_READERS, {"SOUTH": 200, "PARTNER": 404}),
        Row("GET", f"/api/hits/{w['hit']}/firearms", HIT_READERS, {"SOUTH": 200, "PARTNER": 404}),
        Row("GET", "/api/disclosures", DISCLOSURE_REQUESTERS, 200),
        # One request per jurisdiction and hit: the first asker's, then a conflict; PARTNER has no hit.
        Row("POST", "/api/disclosures", DISCLOSURE_REQUESTERS,
            {"analyst.south": 201, "SOUTH": 409, "PARTNER": 404},
            body={"hit_id": w["hit"], "justification": "matrix"}, own={"analyst": 201, "investigator": 409, "prosecutor": 409}),
        # Reports are made in the caller's own scope, and shared within its jurisdiction only.
        Row("POST", "/api/reports", HIT_READERS, 201, body={"kind": "statistics", "format": "json"}),
        Row("GET", "/api/reports", HIT_READERS, 200),
    ]


def lead_rows(w) -> list[Row]:
    """The lead that ``evidence_rows`` raised first, issued by NORTH (and only once)."""
    return [Row("POST", f"/api/leads/{w['new_lead']}/transition", LEAD_WRITERS, 403, body={"to": "issued"},
                own={"examiner": 200, "analyst": 409})]


def decision_rows(w) -> list[Row]:
    """What the owning jurisdiction decides, and what stays inside a jurisdiction."""
    return [
        # Each disclosure is decided by the jurisdiction that owns the case, once.
        Row("POST", f"/api/disclosures/{w['north_asks']}/approve", DISCLOSURE_APPROVERS, 200, body={"reason": "ok"}, own=403),
        Row("POST", f"/api/disclosures/{w['south_asks']}/refuse", DISCLOSURE_APPROVERS, 403, body={"reason": "no"}, own=200),
        Row("GET", f"/api/reports/{w['report']}", HIT_READERS, 404),
        Row("GET", f"/api/reports/{w['report']}/content", HIT_READERS, 404),
    ]


def exchange_rows(i) -> list[Row]:
    """Across jurisdictions: a stolen-register alert on NORTH's gun, trace requests NORTH
    addressed to PARTNER and to SOUTH, and the gun record behind a serial-query hit."""
    alert, to_partner, to_south = i["alert"], i["to_partner"], i["to_south"]
    doc = lambda: {"file": ("answer.pdf", b"%PDF-1.4 " + _unique().encode())}  # noqa: E731
    return [
        # Any reader of the owning jurisdiction acknowledges it, once; the next finds it done.
        Row("POST", f"/api/alerts/{alert}/acknowledge", READERS, 404, body={"note": "matrix"},
            own={"lab_submitter": 200, "NORTH": 409}),
        # A trace request is answered by the jurisdiction it is addressed to (and once), never by the
        # requester; to everyone else it does not exist.
        Row("GET", "/api/incoming-traces", TRACE_ANSWERERS, 200),
        Row("GET", f"/api/incoming-traces/{to_partner}", TRACE_ANSWERERS, {"partner": 200, "SOUTH": 404}, own=404),
        Row("POST", f"/api/incoming-traces/{to_partner}/answer", TRACE_ANSWERERS, {"partner": 200, "SOUTH": 404},
            body={"status": "answered", "answer": "matrix"}, own=404),
        Row("POST", f"/api/incoming-traces/{to_partner}/documents", TRACE_ANSWERERS, {"partner": 201, "SOUTH": 404},
            files=doc, own=404),
        Row("GET", f"/api/incoming-traces/{to_partner}/documents", TRACE_ANSWERERS, {"partner": 200, "SOUTH": 404},
            own=404),
        Row("POST", f"/api/incoming-traces/{to_south}/answer", TRACE_ANSWERERS,
            {"examiner.south": 200, "analyst.south": 409, "PARTNER": 404}, body={"status": "no_record", "answer": "m"},
            own=404),
        Row("POST", f"/api/incoming-traces/{to_south}/documents", TRACE_ANSWERERS, {"SOUTH": 201, "PARTNER": 404},
            files=doc, own=404),
        # The gun record behind a hit: one request per jurisdiction and gun (the first asker's, then a
        # conflict); the owning jurisdiction asks nobody for its own gun.
        Row("POST", "/api/firearm-disclosures", DISCLOSURE_REQUESTERS, {"analyst.south": 201, "SOUTH": 409, "PARTNER": 201},
            body={"serial": i["serial"], "opaque_reference": i["reference"], "justification": "matrix"}, own=409),
        Row("GET", "/api/firearm-disclosures", DISCLOSURE_REQUESTERS, 200),
    ]


def exchange_decision_rows(i) -> list[Row]:
    """The owning jurisdiction decides each gun-record disclosure, once; the requester may not,
    and to a third jurisdiction it does not exist."""
    return [
        Row("POST", f"/api/firearm-disclosures/{i['south_asks']}/approve", DISCLOSURE_APPROVERS, 403,
            body={"reason": "ok"}, own=200),
        Row("POST", f"/api/firearm-disclosures/{i['partner_asks']}/refuse", DISCLOSURE_APPROVERS, 404,
            body={"reason": "no"}, own=200),
    ]


TABLES: list[Callable[[Any], list[Row]]] = [
    firearm_rows, destruction_rows, record_rows, register_rows, evidence_rows, lead_rows, decision_rows,
    exchange_rows, exchange_decision_rows]


# --- the worlds --------------------------------------------------------------------------


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=DATABASES)
def new_database(request, tmp_path_factory):
    """Makes fresh databases for the worlds below: SQLite files, or databases on the test cluster."""
    import uuid

    from tests.service.conftest import _pg_admin

    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    made = []

    def make(name: str):
        root = tmp_path_factory.mktemp(f"{name}-{request.param}")
        if server is None:
            return f"sqlite:///{root / 'db.sqlite'}", root
        made.append(f"{name}_{uuid.uuid4().hex[:12]}")
        _pg_admin(server, f"CREATE DATABASE {made[-1]}")
        return f"{server}/{made[-1]}", root

    yield make
    for db in made:
        _pg_admin(server, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


@pytest.fixture(scope="module")
def records_world(new_database):
    url, root = new_database("records")
    svc = start_service(url, root)
    with svc.client:
        ids = svc.world()
        ids["case"], ids["exhibit"] = svc.case_with_exhibit("lab_submitter.north", "N-MATRIX")
        users = {u["username"]: u["id"] for u in svc.ok(svc.get("/api/users", "admin.north"))}
        ids["target_user"] = users["investigator.north"]
        yield svc, ids


def test_firearms_matrix(records_world):
    svc, ids = records_world
    case = ids["case"]
    ids["gun"] = svc.ok(svc.post(f"/api/cases/{case}/firearms", "lab_submitter.north", json={"serial_number": "MX-1"}), 201)["id"]
    ids["ammo"] = svc.ok(svc.post(f"/api/cases/{case}/exhibits", "lab_submitter.north",
                                  json={"kind": "bullet", "lab_number": "MX-B"}), 201)["id"]
    gun2 = svc.ok(svc.post(f"/api/cases/{case}/firearms", "lab_submitter.north", json={"serial_number": "MX-2"}), 201)["id"]
    ids["gun2_request"] = svc.ok(svc.post(f"/api/firearms/{gun2}/destruction-requests", "lab_submitter.north",
                                          json={"reason": "m"}), 201)["id"]
    failures = _check(svc, firearm_rows(ids))
    assert not failures, "\n".join(failures)
    (ids["gun_request"],) = [r["id"] for r in svc.ok(svc.get(f"/api/firearms/{ids['gun']}/destruction-requests", "examiner.north"))]
    with svc.app.state.session_factory() as s:
        from sqlalchemy import select

        from service.models import DestructionRequest

        (ids["ammo_request"],) = s.scalars(select(DestructionRequest.id).where(DestructionRequest.exhibit_id == ids["ammo"])).all()
    failures = _check(svc, destruction_rows(ids))
    assert not failures, "\n".join(failures)
    assert svc.ok(svc.get(f"/api/firearms/{ids['gun']}", "examiner.north"))["status"] == "destroyed"
    assert svc.ok(svc.get(f"/api/firearms/{gun2}", "examiner.north"))["status"] != "destroyed"
    custody = svc.ok(svc.get(f"/api/exhibits/{ids['ammo']}/custody", "examiner.north"))
    assert custody[-1]["action"] == "destroyed"


def test_records_matrix(records_world):
    svc, ids = records_world
    failures = _check(svc, record_rows(ids))
    # Jurisdiction-wide lists never include another jurisdiction's case.
    for role in READERS:
        listed = {c["id"] for c in svc.ok(svc.get("/api/cases", f"{role}.south"))}
        assert ids["case"] not in listed
    assert not failures, "\n".join(failures)


def test_register_matrix(records_world):
    """Traces, lost-and-stolen registers, people, retention and the firearm intelligence."""
    svc, ids = records_world
    ids["gun"] = svc.ok(svc.post(f"/api/cases/{ids['case']}/firearms", "examiner.north",
                                 json={"serial_number": "MX-1"}), 201)["id"]
    ids["trace"] = svc.ok(svc.post(f"/api/firearms/{ids['gun']}/traces", "examiner.north",
                                   json={"target": "manufacturer"}), 201)["id"]
    ids["person"] = svc.ok(svc.post(f"/api/cases/{ids['case']}/people", "analyst.north",
                                    json={"name": "Matrix Person", "role": "owner"}), 201)["id"]
    failures = _check(svc, register_rows(ids))
    assert not failures, "\n".join(failures)
    # The register's serial MX-1 raised an alert to NORTH's case, and to nobody else's.
    assert {a["case_id"] for a in svc.ok(svc.get("/api/alerts", "examiner.north"))} == {ids["case"]}
    assert svc.ok(svc.get("/api/alerts", "examiner.south")) == []


def test_exchange_matrix(records_world):
    """Alerts, trace requests addressed to another jurisdiction, and gun-record disclosures."""
    svc, ids = records_world
    i = {"serial": "MX-X9"}
    gun = svc.ok(svc.post(f"/api/cases/{ids['case']}/firearms", "examiner.north", json={"serial_number": i["serial"]}), 201)["id"]
    r = svc.client.post("/api/registers/exchange/imports", headers=svc.as_("analyst.north"),
                        files={"file": ("x.csv", REGISTER_CSV.replace(b"MX-1", i["serial"].encode()))})
    (i["alert"],) = [a["id"] for a in svc.ok(r, 201)["alerts"]]
    for target, code in (("to_partner", "PARTNER"), ("to_south", "SOUTH")):
        i[target] = svc.ok(svc.post(f"/api/firearms/{gun}/traces", "examiner.north", json={
            "target": "partner_jurisdiction", "partner_jurisdiction_id": ids[code]}), 201)["id"]
    (match,) = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": i["serial"]}))["matches"]
    i["reference"] = match["case"]["opaque_reference"]
    failures = _check(svc, exchange_rows(i))
    assert not failures, "\n".join(failures)
    asked = {d["requesting_jurisdiction"]: d["id"] for d in svc.ok(svc.get("/api/firearm-disclosures", "analyst.north"))}
    i["south_asks"], i["partner_asks"] = asked["SOUTH"], asked["PARTNER"]
    failures = _check(svc, exchange_decision_rows(i))
    assert not failures, "\n".join(failures)
    # The requester sees both answers, and each answerer's documents; the decisions stand.
    traces = {t["id"]: t for t in svc.ok(svc.get(f"/api/firearms/{gun}/traces", "examiner.north"))}
    assert traces[i["to_partner"]]["answered_by_jurisdiction"] == "PARTNER"
    assert traces[i["to_south"]]["answered_by_jurisdiction"] == "SOUTH" and traces[i["to_south"]]["status"] == "no_record"
    assert len(svc.ok(svc.get(f"/api/traces/{i['to_south']}/documents", "examiner.north"))) == 2
    decided = {d["requesting_jurisdiction"]: d["status"] for d in svc.ok(svc.get("/api/firearm-disclosures", "analyst.north"))}
    assert decided == {"SOUTH": "approved", "PARTNER": "refused"}


def test_signing_in_refreshing_and_out_is_audited(records_world):
    svc, _ = records_world
    user = "prosecutor.south"
    before = _audit_tip(svc)
    r = svc.client.post("/api/login/access-token", data={"username": user, "password": svc.passwords[user]})
    assert r.status_code == 200
    r = svc.client.post("/api/login/refresh", json={"refresh_token": r.json()["refresh_token"]})
    assert r.status_code == 200
    r = svc.client.post("/api/logout", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert r.status_code == 204
    assert [a for u, a in _audit_since(svc, before) if u == user] == ["login", "token.refresh", "logout"]


@pytest.fixture(scope="module")
def evidence_world(new_database, sample_scans):
    from tests.service.test_workflow import link_two_cases

    url, root = new_database("evidence")
    svc = start_service(url, root)
    with svc.client:
        svc.world()
        w = link_two_cases(svc, sample_scans)
        cands = svc.ok(svc.get(f"/api/runs/{w['run']}/candidates", "examiner.north"))
        w["second_candidate"] = next(c["id"] for c in cands if c["id"] != w["candidate"])
        w["scan_bytes"] = (SAMPLE / "Fadul 2-2.x3p").read_bytes()
        yield svc, w


def test_evidence_matrix(evidence_world):
    """Routes on scans, runs, candidates, leads, hits, disclosures and reports (needs the engine)."""
    svc, w = evidence_world
    leads_before = {lead["id"] for lead in svc.ok(svc.get("/api/leads", "examiner.north"))}
    failures = _check(svc, evidence_rows(w))
    new = sorted({lead["id"] for lead in svc.ok(svc.get("/api/leads", "examiner.north"))} - leads_before)
    assert len(new) == 2, new  # examiner's and analyst's (a candidate may carry several leads)
    w["new_lead"] = new[0]
    failures += _check(svc, lead_rows(w))
    assert not failures, "\n".join(failures)
    # Every run the rows started finished (the uploaded scan's search, the empty-scope runs).
    for run in svc.ok(svc.get("/api/runs", "examiner.north")):
        assert svc.wait_run(run["id"], "examiner.north")["status"] == "done", run
    # SOUTH sees the hit, NORTH's side only as an opaque reference; PARTNER does not see it.
    hit = svc.ok(svc.get(f"/api/hits/{w['hit']}", "investigator.south"))
    assert hit["other_case"]["case_id"] is None and hit["other_case"]["opaque_reference"].startswith("REF-")
    # Deciding a disclosure belongs to the owning jurisdiction's approvers.
    disclosures = svc.ok(svc.get("/api/disclosures", "analyst.south"))
    w["south_asks"] = next(d["id"] for d in disclosures if d["requesting_jurisdiction"] == "SOUTH")
    w["north_asks"] = next(d["id"] for d in disclosures if d["requesting_jurisdiction"] == "NORTH")
    (w["report"],) = [r["id"] for r in svc.ok(svc.get("/api/reports", "investigator.north"))
                      if r["created_by_id"] == _user_id(svc, "examiner.north")]
    failures = _check(svc, decision_rows(w))
    assert not failures, "\n".join(failures)
    # NORTH now sees SOUTH's case behind the hit; SOUTH still sees NORTH's only as a reference.
    assert svc.ok(svc.get(f"/api/hits/{w['hit']}", "investigator.north"))["other_case"]["case_id"] == w["south_case"]
    assert svc.ok(svc.get(f"/api/hits/{w['hit']}", "investigator.south"))["other_case"]["case_id"] is None


def _user_id(svc, username: str) -> int:
    return svc.ok(svc.get("/api/users/me", username))["id"]


# --- coverage -----------------------------------------------------------------------------


def test_every_state_changing_route_is_in_the_matrix_with_a_caller_who_succeeds(tmp_path):
    """The tables above cover every route that changes state, each with at least one caller
    expected to succeed (whose audit entry ``_check`` then requires). A new route that
    changes state fails here until it has its row."""
    from service.main import create_app
    from tests.service.conftest import make_settings

    app = create_app(make_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path))  # never started
    routes = {}
    for path, operations in app.openapi()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method in {m.upper() for m in operations} & CHANGES:
            routes[f"{method} {path}"] = (method, pattern)
    assert len(routes) > 30
    covered = set(SIGN_IN_ROUTES)
    dummy = defaultdict(lambda: 1)
    for table in TABLES:
        for row in table(dummy):
            if row.method not in CHANGES or not any(200 <= row.expected(r, c) < 300 for r, c in USERS):
                continue
            path = row.path.split("?")[0]
            matches = [key for key, (m, rx) in routes.items() if m == row.method and rx.match(path)]
            assert matches, f"{row.method} {row.path} is no route of the API"
            covered.update(matches)
    assert sorted(set(routes) - covered) == []
