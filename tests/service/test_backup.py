"""Backup and restore (``ballistics backup`` / ``ballistics restore``) of a running service,
on SQLite and PostgreSQL: consistent while uploads arrive, atomic when killed, and
refusing a damaged backup with the damaged file named."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from service.cli import app as cli
from ballistics_core.store import SignatureStore
from service.backup import BACKUP_MANIFEST, backup
from tests.service.conftest import REPO, _pg_admin, start_service


@pytest.fixture
def empty_database_url(database_url, tmp_path, request):
    """A second, empty database of the same kind: the "new machine" a backup is restored on."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'ballistics.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = "r_" + uuid.uuid4().hex[:12]
    _pg_admin(server, f"CREATE DATABASE {name}")
    yield f"{server}/{name}"
    _pg_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _env(settings) -> dict[str, str]:
    return {
        "BALLISTICS_DATABASE_URL": settings.database_url,
        "BALLISTICS_STORE_DIR": str(settings.store_dir),
        "BALLISTICS_UPLOAD_DIR": str(settings.upload_dir),
        "BALLISTICS_JWT_SECRET": settings.jwt_secret.get_secret_value(),
    }


def _target_env(url: str, root: Path) -> dict[str, str]:
    return {
        "BALLISTICS_DATABASE_URL": url,
        "BALLISTICS_STORE_DIR": str(root / "store"),
        "BALLISTICS_UPLOAD_DIR": str(root / "uploads"),
        "BALLISTICS_JWT_SECRET": "restored-" + uuid.uuid4().hex,
    }


def _rows(url: str, sql: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {r[0]: tuple(r[1:]) for r in conn.execute(text(sql))}
    finally:
        engine.dispose()


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _populate(svc, scans, n_first: int):
    """A world with ``n_first`` uploads done, one candidate reviewed; returns the exhibit ids."""
    svc.world()
    _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    runs = [svc.ok(svc.upload("lab_submitter.north", exhibit, p), 201)["run"]["id"] for p in scans[:n_first]]
    for run_id in runs:
        assert svc.wait_run(run_id, "examiner.north")["status"] == "done"
    if n_first < 2:
        return exhibit
    top = svc.ok(svc.get(f"/api/runs/{runs[-1]}/candidates", "examiner.north"))[0]
    svc.ok(svc.post(f"/api/candidates/{top['id']}/reviews", "examiner.north", json={"decision": "inconclusive"}), 201)
    return exhibit


@pytest.mark.slow
def test_a_backup_taken_while_uploads_arrive_restores_every_committed_record(
        service, sample_scans, empty_database_url, tmp_path):
    svc = service
    exhibit = _populate(svc, sample_scans, 2)
    before = _rows(svc.settings.database_url, "SELECT id, sha256 FROM scan")

    # Uploads keep arriving through the real app while the backup is taken.
    errors: list[str] = []

    def submit() -> None:
        for p in sample_scans[2:]:
            r = svc.upload("lab_submitter.north", exhibit, p)
            if r.status_code != 201:
                errors.append(r.text)

    uploader = threading.Thread(target=submit)
    uploader.start()
    time.sleep(0.3)
    report = backup(svc.settings, tmp_path / "bk")
    uploader.join()
    assert errors == []
    live_url = svc.settings.database_url

    manifest = json.loads((tmp_path / "bk" / BACKUP_MANIFEST).read_text())
    for rel, meta in manifest["files"].items():
        assert hashlib.sha256((tmp_path / "bk" / rel).read_bytes()).hexdigest() == meta["sha256"], rel
    assert report.scans >= 2 and report.missing == []

    target = tmp_path / "restored"
    env = _target_env(empty_database_url, target)
    out = CliRunner().invoke(cli, ["restore", str(tmp_path / "bk")], env=env)
    assert out.exit_code == 0, out.output
    assert "audit chain intact:" in out.output and "store intact:" in out.output

    # Every record the snapshot committed is there, identical to the live one.
    scans = _rows(empty_database_url, "SELECT id, sha256, signature_id, exhibit_id, filename FROM scan")
    live_scans = _rows(live_url, "SELECT id, sha256, signature_id, exhibit_id, filename FROM scan")
    assert set(before) <= set(scans) and len(scans) == report.scans
    assert all(live_scans[i] == row for i, row in scans.items())
    runs = _rows(empty_database_url, "SELECT id, scan_id, requested_by_id FROM correlation_run")
    live_runs = _rows(live_url, "SELECT id, scan_id, requested_by_id FROM correlation_run")
    assert set(runs) and all(live_runs[i] == row for i, row in runs.items())
    assert {s for s, _u in runs.values()} == set(scans)  # every scan's run came with it
    reviews = _rows(empty_database_url, "SELECT id, candidate_id, examiner_id, decision FROM review")
    assert reviews == _rows(live_url, "SELECT id, candidate_id, examiner_id, decision FROM review") and len(reviews) == 1
    sql = "SELECT seq, hash, prev_hash, action FROM audit_log ORDER BY seq"
    restored_audit, live_audit = _rows(empty_database_url, sql), _rows(live_url, sql)
    last = max(restored_audit)
    assert restored_audit[last][2] == "restore"  # the restore itself is the one entry added
    assert all(live_audit[seq] == row for seq, row in restored_audit.items() if seq != last)
    assert f"audit chain intact: {last} entries" in out.output

    # Every restored scan has its signature in the store and its original on disk, byte for byte.
    store = SignatureStore.open(target / "store")
    assert store.check_integrity() == []
    assert {sig for _sha, sig, _e, _f in scans.values()} <= set(store.catalog())
    paths = _rows(empty_database_url, "SELECT id, stored_path, sha256 FROM scan")
    for path, sha in paths.values():
        assert Path(path).is_relative_to(target / "uploads")
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha

    # The restored service comes up, and runs the backup caught mid-way finish.
    again = start_service(empty_database_url, target, jwt_secret=env["BALLISTICS_JWT_SECRET"])
    again.passwords = svc.passwords
    with again.client:
        for run_id in runs:
            assert again.wait_run(run_id, "examiner.north")["status"] == "done"
        assert again.ok(again.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_a_backup_killed_midway_leaves_the_previous_backup_intact(service, sample_scans, tmp_path):
    svc = service
    _populate(svc, sample_scans, 3)
    dest = tmp_path / "bk"
    backup(svc.settings, dest)
    previous = _tree_digest(dest)
    env = {**os.environ, **_env(svc.settings)}
    killed = False
    for _ in range(20):  # kill it as soon as it has started writing
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", "backup", str(dest)], env=env,
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not list(tmp_path.glob(".bk.partial-*/*")):
            time.sleep(0.0005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == -signal.SIGKILL and list(tmp_path.glob(".bk.partial-*")):
            killed = True
            break
        previous = _tree_digest(dest)  # it finished first: that one is now the previous backup
    assert killed, "could not catch the backup mid-way"
    assert _tree_digest(dest) == previous
    # The next backup clears the debris and replaces the old one.
    backup(svc.settings, dest)
    assert not list(tmp_path.glob(".bk.*"))
    assert json.loads((dest / BACKUP_MANIFEST).read_text())["files"]


@pytest.mark.parametrize("damage", ["flip", "delete"])
def test_a_restore_from_a_damaged_backup_refuses_naming_the_file(service, sample_scans, empty_database_url,
                                                                 tmp_path, damage):
    svc = service
    _populate(svc, sample_scans, 2)
    dest = tmp_path / "bk"
    backup(svc.settings, dest)
    manifest = json.loads((dest / BACKUP_MANIFEST).read_text())
    victim = next(rel for rel in manifest["files"] if rel.startswith("uploads/"))
    if damage == "flip":
        data = bytearray((dest / victim).read_bytes())
        data[len(data) // 2] ^= 0x01
        (dest / victim).write_bytes(bytes(data))
    else:
        (dest / victim).unlink()
    target = tmp_path / "restored"
    out = CliRunner().invoke(cli, ["restore", str(dest)], env=_target_env(empty_database_url, target))
    assert out.exit_code == 2
    expected = "does not match its recorded SHA-256" if damage == "flip" else "is missing"
    assert out.output.strip() == f"error: damaged backup: {victim} {expected}"
    # Nothing was written on the new machine.
    assert not (target / "store").exists() and not (target / "uploads").exists()
    if empty_database_url.startswith("sqlite"):
        assert not Path(empty_database_url.removeprefix("sqlite:///")).exists()
    else:
        assert _rows(empty_database_url, "SELECT tablename, 1 FROM pg_tables WHERE schemaname = 'public'") == {}


def test_restore_refuses_a_machine_that_is_not_empty(service, sample_scans, tmp_path):
    svc = service
    _populate(svc, sample_scans, 1)
    backup(svc.settings, tmp_path / "bk")
    out = CliRunner().invoke(cli, ["restore", str(tmp_path / "bk")], env=_env(svc.settings))
    assert out.exit_code == 2 and out.output.startswith("error: ") and "restore" in out.output
    assert len(out.output.strip().splitlines()) == 1
