"""Schema-driven fuzzing of the whole API with schemathesis, in process.

Every operation of ``/openapi.json`` is called with generated requests (valid ones,
and ones that break the schema) under the token of an examiner, an analyst, a lab
submitter and an administrator, on a service that has real cases, exhibits, scans,
runs and their candidates, and one of every firearm-register record. Every check
schemathesis has is on: no server error, every status code, media type and body as
the OpenAPI document declares it, schema-breaking input refused, schema-conforming
input not refused for being malformed.

The seed is fixed and the number of examples bounded, so a failure reproduces and the
test stays within a few minutes on two cores.

On PostgreSQL, which holds to its column types where SQLite does not, the default run
fuzzes every operation as well, more cheaply: the fuzzing phase only (no coverage
phase), two examples per operation, each sent as an examiner, an analyst and an
administrator (the roles that between them reach every operation). With
``BALLISTICS_FUZZ_POSTGRES=1`` the writing operations also get the full treatment there
(every phase, as each of those roles; a few minutes, so not part of the default run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import get_client, shutdown_lifespans

from service.main import create_app
from tests.service.conftest import SAMPLE, Service, make_settings

# The suite's roles (they must include PG_ROLES below); by hand, any others too: BALLISTICS_FUZZ_ROLES=investigator,prosecutor,auditor,partner
FUZZ_ROLES = os.environ.get("BALLISTICS_FUZZ_ROLES", "examiner,analyst,lab_submitter,admin").split(",")
# A deeper search by hand: BALLISTICS_FUZZ_EXAMPLES=50 BALLISTICS_FUZZ_SEED=1 (the suite keeps these).
MAX_EXAMPLES = int(os.environ.get("BALLISTICS_FUZZ_EXAMPLES", "4"))
SEED = int(os.environ.get("BALLISTICS_FUZZ_SEED", "20261201"))

CHECKS = {
    # A schema cannot say which records exist or which cross-field rules hold
    # (an agency of another jurisdiction, a date range backwards, an already
    # decided disclosure): schema-conforming data may still be refused with
    # a reasoned 404, 409 or 422. Everything else must be accepted.
    "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]},
}
CONFIG = SchemathesisConfig.from_dict(
    {"seed": SEED, "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"}, "checks": CHECKS}
)
# The default run on PostgreSQL: the fuzzing phase alone (the coverage phase sends some
# fifty boundary cases per operation), with valid and schema-breaking examples.
PG_QUICK_EXAMPLES = int(os.environ.get("BALLISTICS_FUZZ_PG_QUICK_EXAMPLES", "2"))
PG_QUICK_CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": PG_QUICK_EXAMPLES, "mode": "all"},
        "phases": {"coverage": {"enabled": False}},
        "checks": CHECKS,
    }
)


# The app and its schema exist at import (the eager ``parametrize`` needs the
# operations at collection); nothing touches a database or a file until the fixture
# below starts the lifespan. Each xdist worker has its own app and folder.
FUZZ_ROOT = Path(tempfile.gettempdir()) / f"ballistics-fuzz-{uuid.uuid4().hex[:12]}"
# Tokens outlive the run (it may be slow on a busy machine), and the fuzzed sign-ins
# do not throttle the test's own address (throttling has its own tests, test_signin.py).
FUZZ_SETTINGS = dict(job_workers=1, access_token_minutes=240, login_max_failures_per_address=10**6)
SETTINGS = make_settings(f"sqlite:///{FUZZ_ROOT / 'fuzz.db'}", FUZZ_ROOT, **FUZZ_SETTINGS)
APP = create_app(SETTINGS)
schema = schemathesis.openapi.from_dict(APP.openapi(), config=CONFIG)
# Requests go to the app in process (schemathesis' ASGI transport), never a network.
schema.app = APP
pg_quick_schema = schemathesis.openapi.from_dict(APP.openapi(), config=PG_QUICK_CONFIG)


def _user(role: str) -> str:
    return {"admin": "admin.north", "partner": "partner.partner"}.get(role, f"{role}.north")


def _serve(app, settings) -> Service:
    """Start ``app`` (schemathesis runs its lifespan once and keeps it for every request
    it sends; the TestClient here reuses that state) and give it a world to fuzz: users
    of every role, cases with scans and finished runs, and one of every register record
    (a firearm with a photo, a trace, a destruction request; a person; a stolen-register
    import), so that the identifiers the fuzzer tries first (1, 2) name real objects."""
    with get_client(app):
        pass
    svc = Service(client=TestClient(app), settings=settings)
    svc.world()
    cases = []
    for i, path in enumerate(sorted(SAMPLE.glob("*.x3p"))[:2]):
        case_id, exhibit_id = svc.case_with_exhibit("examiner.north", f"FUZZ-{i + 1}")
        cases.append(case_id)
        run = svc.ok(svc.upload("examiner.north", exhibit_id, path))["run"]
        svc.wait_run(run["id"], "examiner.north")
    for case_id in cases:
        gun = svc.ok(svc.post(f"/api/cases/{case_id}/firearms", "examiner.north",
                              json={"kind": "pistol", "make": "Glock", "serial_number": f"FZ-{case_id}"}), 201)
        svc.ok(svc.post(f"/api/firearms/{gun['id']}/photos", "examiner.north",
                        files={"file": (f"g{case_id}.png", b"\x89PNG fuzz " + bytes([case_id]))}), 201)
        svc.ok(svc.post(f"/api/firearms/{gun['id']}/traces", "examiner.north",
                        json={"target": "manufacturer", "deadline": "2024-01-01"}), 201)
        svc.ok(svc.post(f"/api/firearms/{gun['id']}/destruction-requests", "examiner.north", json={"reason": "fuzz"}), 201)
        svc.ok(svc.post(f"/api/cases/{case_id}/people", "analyst.north",
                        json={"name": f"Fuzz Person {case_id}", "role": "owner", "firearm_id": gun["id"]}), 201)
    svc.ok(svc.client.post("/api/registers/fuzz/imports", headers=svc.as_("analyst.north"),
                           files={"file": ("r.csv", b"make,model,calibre,serial,country,date_reported\n"
                                                    b"Glock,17,9mm,FZ-1,AT,2020-01-01\n")}), 201)
    users = {u["username"]: u["id"] for u in svc.ok(svc.get("/api/users", "admin.north"))}
    svc.fuzz_user_ids = {users[_user(r)] for r in FUZZ_ROLES}
    svc.spare_user_id = users["investigator.north"]
    for role in FUZZ_ROLES:
        svc.as_(_user(role))
    #: Requests sent, per role, and the statuses they got, per operation (for the report
    #: a failure prints, and for ``-s`` runs that want the counts).
    svc.fuzz_requests = Counter()
    svc.fuzz_statuses = defaultdict(Counter)
    return svc


def _summary(svc, database: str) -> None:
    """What was sent (shown with ``pytest -s``): operations, requests per role, statuses,
    and any operation no role got past its permission check."""
    statuses = svc.fuzz_statuses
    unreached = sorted(op for op, seen in statuses.items() if set(seen) <= {401, 403})
    print(f"\nfuzzed on {database}: {len(statuses)} operations, requests per role {dict(svc.fuzz_requests)}, "
          f"statuses {dict(sorted(sum(statuses.values(), Counter()).items()))}, refused to every role: {unreached}")


@pytest.fixture(scope="module")
def fuzz_service():
    FUZZ_ROOT.mkdir(parents=True, exist_ok=True)
    try:
        svc = _serve(APP, SETTINGS)
        yield svc
        _summary(svc, "SQLite")
    finally:
        shutdown_lifespans()
        shutil.rmtree(FUZZ_ROOT, ignore_errors=True)


@pytest.fixture(scope="module")
def fuzz_pg_service(postgres_server):
    """The same app and world on PostgreSQL, which holds to its column types where SQLite
    does not (32-bit keys, NUL-free text, bounded strings)."""
    from tests.service.conftest import _pg_admin

    name = "fuzz_" + uuid.uuid4().hex[:12]
    _pg_admin(postgres_server, f"CREATE DATABASE {name}")
    root = FUZZ_ROOT.with_name(FUZZ_ROOT.name + "-pg")
    root.mkdir(parents=True, exist_ok=True)
    settings = make_settings(f"{postgres_server}/{name}", root, **FUZZ_SETTINGS)
    app = create_app(settings)
    try:
        svc = _serve(app, settings)
        svc.fuzz_app = app
        yield svc
        _summary(svc, "PostgreSQL")
    finally:
        shutdown_lifespans()
        shutil.rmtree(root, ignore_errors=True)
        _pg_admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _call(case, svc, role: str, **kw) -> None:
    username = _user(role)
    if case.path_parameters and case.path_parameters.get("user_id") in svc.fuzz_user_ids:
        # The accounts the fuzzer signs in with are not its targets: deactivating or
        # re-passwording one would turn the rest of that role's run into 401s.
        case.path_parameters["user_id"] = svc.spare_user_id
    headers = svc.as_(username)
    if case.operation.path == "/api/logout":
        # Signing out ends the session: do it with a session of its own.
        r = svc.client.post("/api/login/access-token", data={"username": username, "password": svc.passwords[username]})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    try:
        response = case.call_and_validate(headers=headers, **kw)
    except BaseException as exc:
        exc.add_note(f"sent as {role} ({username})")
        raise
    svc.fuzz_requests[role] += 1
    svc.fuzz_statuses[case.operation.label][response.status_code] += 1


@schema.parametrize()
def test_api_under_fuzzing(case, fuzz_service):
    """Every operation on SQLite, every generated request sent as every role of
    ``FUZZ_ROLES`` in turn. The requests schemathesis generates for an operation do not
    depend on the role (the seed is fixed): one test per operation sends the same
    requests as one test per role and operation did, while generating them once instead
    of once per role (generation and collection were most of the run's time)."""
    for role in FUZZ_ROLES:
        _call(case, fuzz_service, role)


# On PostgreSQL: the three roles that between them reach every operation past its
# permission check (the examiner the laboratory's, the analyst people and disclosures,
# the administrator accounts and retention).
PG_ROLES = ["examiner", "analyst", "admin"]
WRITES = schema.include(method=["POST", "PATCH", "PUT", "DELETE"])


def _fuzz_on_postgres_as(role: str):
    def test(case, fuzz_pg_service):
        _call(case, fuzz_pg_service, role, app=fuzz_pg_service.fuzz_app)

    test.__name__ = test.__qualname__ = f"test_api_under_fuzzing_on_postgres_as_{role}"
    return pytest.mark.postgres(WRITES.parametrize()(test))


@pytest.mark.postgres
@pg_quick_schema.parametrize()
def test_api_under_fuzzing_on_postgres(case, fuzz_pg_service):
    """Every operation on PostgreSQL, in the default run: each generated request is sent
    as every role of ``PG_ROLES``, so that an operation one of them may not call is still
    exercised past the permission check."""
    for role in PG_ROLES:
        _call(case, fuzz_pg_service, role, app=fuzz_pg_service.fuzz_app)


if os.environ.get("BALLISTICS_FUZZ_POSTGRES") == "1":
    for _role in PG_ROLES:
        globals()[f"test_api_under_fuzzing_on_postgres_as_{_role}"] = _fuzz_on_postgres_as(_role)
