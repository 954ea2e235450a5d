"""Fixtures for the service tests: a real app on a real database file (SQLite) or a
throwaway PostgreSQL cluster, a real signature store, and a populated "world" of
jurisdictions and users, all through the HTTP API."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.core.config import Settings
from service.crud.bootstrap import create_admin
from service.main import create_app
from tests.conftest import missing

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
ROLES = ["lab_submitter", "examiner", "analyst", "investigator", "prosecutor", "auditor", "admin"]
TERMINAL = {"done", "failed"}


# --- PostgreSQL ------------------------------------------------------------------------


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _no_postgres(reason: str):
    if os.environ.get("BALLISTICS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL required but unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL cluster on 127.0.0.1 (per xdist worker), stopped at the end."""
    if _pg_bin("initdb") is None and os.geteuid() == 0:
        subprocess.run([str(REPO / "scripts" / "ensure_postgres.sh")], check=False)
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        _no_postgres("initdb/pg_ctl not found (scripts/ensure_postgres.sh installs them as root)")
    root = Path(tempfile.mkdtemp(prefix="ballistics-pg-"))
    # initdb refuses to run as root: the cluster belongs to the postgres OS user.
    run_as = {"user": "postgres"} if os.geteuid() == 0 else {}
    if run_as:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    try:
        subprocess.run(
            [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, **run_as,
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            [pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "-t", "60", "start"],
            check=True, capture_output=True, **run_as,
        )
    except (subprocess.CalledProcessError, KeyError, PermissionError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        _no_postgres(f"could not start a cluster: {exc} {detail.decode(errors='replace')[-300:]}")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, **run_as)
        shutil.rmtree(root, ignore_errors=True)


def _pg_admin(server: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(server.replace("postgresql+psycopg2", "postgresql") + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database; the app migrates it on start like any deployment."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ballistics.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = "t_" + uuid.uuid4().hex[:12]
    _pg_admin(server, f"CREATE DATABASE {name}")
    yield f"{server}/{name}"
    _pg_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'ballistics.db'}"


# --- the service -----------------------------------------------------------------------


def make_settings(database_url: str, root: Path, **overrides) -> Settings:
    values = dict(
        database_url=database_url,
        store_dir=root / "store",
        upload_dir=root / "uploads",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
        job_workers=2,
        # Cheap argon2 keeps dozens of logins fast; production keeps RFC 9106 costs.
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Service:
    client: TestClient
    settings: Settings
    passwords: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    live_app: object = None  # set when ``client`` talks to a LiveServer over HTTP

    @property
    def app(self):
        return self.live_app or self.client.app

    def as_(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            r = self.client.post(
                "/api/login/access-token", data={"username": username, "password": self.passwords[username]}
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[username]

    def get(self, path, user, **kw):
        return self.client.get(path, headers=self.as_(user), **kw)

    def post(self, path, user, **kw):
        return self.client.post(path, headers=self.as_(user), **kw)

    def patch(self, path, user, **kw):
        return self.client.patch(path, headers=self.as_(user), **kw)

    def ok(self, response, code=None):
        expected = {code} if code else {200, 201, 202}
        assert response.status_code in expected, f"{response.status_code}: {response.text}"
        return response.json()

    # -- building a world ---------------------------------------------------------------

    def bootstrap_admin(self, username="admin.north", code="NORTH") -> str:
        password = f"pw-{username}-0123456789"
        with self.app.state.session_factory() as s:
            create_admin(s, username=username, password=password, jurisdiction_code=code)
        self.passwords[username] = password
        return username

    def add_jurisdiction(self, code: str, partner: bool = False) -> int:
        r = self.post("/api/jurisdictions", "admin.north", json={"code": code, "name": code.title(), "is_partner": partner})
        return self.ok(r)["id"]

    def add_user(self, role: str, code: str, jurisdiction_id: int) -> str:
        username = f"{role}.{code.lower()}"
        password = f"pw-{username}-0123456789"
        r = self.post(
            "/api/users", "admin.north",
            json={"username": username, "password": password, "role": role, "jurisdiction_id": jurisdiction_id},
        )
        self.ok(r)
        self.passwords[username] = password
        return username

    def world(self) -> dict[str, int]:
        """NORTH and SOUTH with a user for every role, and a foreign PARTNER."""
        self.bootstrap_admin()
        ids = {"NORTH": self.ok(self.get("/api/jurisdictions", "admin.north"))[0]["id"]}
        ids["SOUTH"] = self.add_jurisdiction("SOUTH")
        ids["PARTNER"] = self.add_jurisdiction("PARTNER", partner=True)
        for code in ("NORTH", "SOUTH"):
            for role in ROLES:
                if (role, code) != ("admin", "NORTH"):
                    self.add_user(role, code, ids[code])
        self.add_user("partner", "PARTNER", ids["PARTNER"])
        self.add_user("lab_submitter", "PARTNER", ids["PARTNER"])
        return ids

    def case_with_exhibit(self, user: str, reference: str, kind="cartridge_case") -> tuple[int, int]:
        case = self.ok(self.post("/api/cases", user, json={"reference": reference, "title": f"case {reference}"}))
        ev = self.ok(self.post(f"/api/cases/{case['id']}/events", user, json={"kind": "shooting", "date_from": "2024-03-01", "date_to": "2024-03-02", "location": "High Street", "location_precision": "street"}))
        ex = self.ok(self.post(f"/api/cases/{case['id']}/exhibits", user, json={"kind": kind, "lab_number": f"LAB-{reference}", "event_id": ev["id"]}))
        return case["id"], ex["id"]

    def upload(self, user: str, exhibit_id: int, path: Path, **form):
        with open(path, "rb") as fh:
            return self.post(f"/api/exhibits/{exhibit_id}/scans", user, files={"file": (path.name, fh.read())}, data=form)

    def wait_run(self, run_id: int, user: str, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            run = self.ok(self.get(f"/api/runs/{run_id}", user))
            if run["status"] in TERMINAL:
                return run
            assert time.monotonic() < deadline, f"run {run_id} still {run['status']} after {timeout}s"
            time.sleep(0.1)


def start_service(database_url: str, root: Path, **overrides):
    settings = make_settings(database_url, root, **overrides)
    return Service(client=TestClient(create_app(settings)), settings=settings)


@pytest.fixture
def service(database_url, tmp_path):
    svc = start_service(database_url, tmp_path)
    with svc.client:
        yield svc


@pytest.fixture
def sqlite_service(sqlite_url, tmp_path):
    svc = start_service(sqlite_url, tmp_path)
    with svc.client:
        yield svc


@pytest.fixture(scope="session")
def sample_scans() -> list[Path]:
    files = sorted(SAMPLE.glob("*.x3p"))
    if len(files) < 3:
        missing(f"sample scans missing in {SAMPLE}")
    return files


# --- a real server on a loopback port, for tests that need real concurrency -------------


class LiveServer:
    """uvicorn serving ``create_app(settings)`` on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings):
        import threading

        import uvicorn

        self.settings = settings
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)
