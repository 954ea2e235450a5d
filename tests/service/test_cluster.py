"""Runs on a cluster: one queue in the database shared by API and ``ballistics worker`` processes,
searches on a Dask cluster, every run done exactly once, a dead worker's run retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.core.db import make_engine, make_session_factory
from service.engine import Engine
from service.jobs import JobRunner, LostClaim
from tests.service.conftest import REPO, start_service


def _rows(url: str, sql: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def _worker(settings, log: Path, **env) -> subprocess.Popen:
    """A real ``ballistics worker`` process with the service's settings from the environment."""
    full = {
        **os.environ,
        "BALLISTICS_DATABASE_URL": settings.database_url,
        "BALLISTICS_STORE_DIR": str(settings.store_dir),
        "BALLISTICS_UPLOAD_DIR": str(settings.upload_dir),
        "BALLISTICS_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "BALLISTICS_JOB_POLL_S": "0.2",
        **env,
    }
    fh = open(log, "w")
    return subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--threads", "1"],
                            env=full, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)


def _stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _wait_all_done(url: str, n: int, procs, timeout: float = 600.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        runs = _rows(url, "SELECT id, status, attempts, claimed_by FROM correlation_run ORDER BY id")
        if len(runs) == n and all(r.status in ("done", "failed") for r in runs):
            return runs
        assert all(p.poll() is None for p in procs), "a worker process exited"
        assert time.monotonic() < deadline, f"runs not finished: {[tuple(r) for r in runs]}"
        time.sleep(0.2)


def _queued_world(svc, scans):
    """Every sample scan uploaded (each upload queues a run), nothing executed yet."""
    svc.world()
    _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    return [svc.ok(svc.upload("lab_submitter.north", exhibit, p), 201) for p in scans]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_worker_processes_on_a_dask_cluster_do_every_run_exactly_once(database_url, tmp_path, sample_scans):
    from distributed import LocalCluster

    # The API process only queues (job_workers=0); two worker processes execute.
    svc = start_service(database_url, tmp_path, job_workers=0)
    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                           host="127.0.0.1", dashboard_address=None)
    workers = []
    try:
        with svc.client:
            ups = _queued_world(svc, sample_scans[:3])  # a small store keeps 20 runs cheap
            scans = [u["scan"]["id"] for u in ups]
            for i in range(20 - len(ups)):  # 20 submissions in all
                r = svc.post(f"/api/scans/{scans[i % len(scans)]}/runs", "examiner.north", json={"scope": {}})
                assert r.status_code == 202, r.text
            assert {r.status for r in _rows(database_url, "SELECT status FROM correlation_run")} == {"queued"}
            env = {"BALLISTICS_DASK_SCHEDULER": cluster.scheduler_address}
            workers = [_worker(svc.settings, tmp_path / f"w{i}.log", **env) for i in range(2)]
            runs = _wait_all_done(database_url, 20, workers)
    finally:
        _stop(*workers)
        cluster.close()
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    assert all(f"searches on Dask scheduler {cluster.scheduler_address}" in log for log in logs), logs

    # Every run done, each claimed once, by one of the two processes, both of which worked.
    assert [r.status for r in runs] == ["done"] * 20 and {r.attempts for r in runs} == {1}
    holders = {r.claimed_by.rsplit("/", 1)[0] for r in runs}
    assert len(holders) == 2
    audit = Counter((a, rid) for a, rid in _rows(database_url, "SELECT action, resource_id FROM audit_log "
                                                               "WHERE action IN ('run.start', 'run.done')"))
    assert all(audit[("run.start", str(r.id))] == 1 and audit[("run.done", str(r.id))] == 1 for r in runs)

    # Same rankings as one process searching the same store.
    cands: dict[int, list] = {}
    for run_id, sig, fused in _rows(database_url, "SELECT run_id, signature_id, fused_score FROM candidate "
                                                  "ORDER BY run_id, rank"):
        cands.setdefault(run_id, []).append((sig, fused))
    scan_of = dict(_rows(database_url, "SELECT id, scan_id FROM correlation_run"))
    query = dict(_rows(database_url, "SELECT id, signature_id FROM scan"))
    engine = Engine(svc.settings.store_dir)
    expected = {}
    for scan_id, sig in query.items():
        matches, _depth = engine.search(engine.load(sig), top_k=svc.settings.run_top_k, exclude={sig}, filters={},
                                progress=lambda f: None)
        expected[scan_id] = [(m.signature_id, m.fused) for m in matches]
    for run_id in scan_of:
        got, want = cands[run_id], expected[scan_of[run_id]]
        assert [s for s, _ in got] == [s for s, _ in want]
        assert [f for _, f in got] == pytest.approx([f for _, f in want], rel=1e-9)


@pytest.mark.slow
def test_a_worker_killed_mid_run_has_its_run_retried(database_url, tmp_path, sample_scans):
    svc = start_service(database_url, tmp_path, job_workers=0)
    lease = {"BALLISTICS_JOB_LEASE_S": "2"}
    workers = []
    try:
        with svc.client:
            _queued_world(svc, sample_scans[:3])
            first = _worker(svc.settings, tmp_path / "w0.log", **lease)
            deadline = time.monotonic() + 120
            while True:  # kill it the moment it holds a run
                held = _rows(database_url, "SELECT id FROM correlation_run WHERE status = 'running'")
                if held:
                    first.send_signal(signal.SIGKILL)
                    first.wait()
                    break
                assert first.poll() is None and time.monotonic() < deadline, (tmp_path / "w0.log").read_text()
                time.sleep(0.005)
            victim = held[0].id
            (status, attempts), = _rows(database_url, f"SELECT status, attempts FROM correlation_run WHERE id = {victim}")
            assert (status, attempts) == ("running", 1)  # killed mid-run: nothing written
            assert _rows(database_url, f"SELECT id FROM candidate WHERE run_id = {victim}") == []
            workers = [_worker(svc.settings, tmp_path / "w1.log", **lease)]
            runs = _wait_all_done(database_url, 3, workers)
    finally:
        _stop(*workers)
    by_id = {r.id: r for r in runs}
    assert all(r.status == "done" for r in runs)
    assert by_id[victim].attempts == 2
    actions = Counter(a for a, in _rows(database_url, f"SELECT action FROM audit_log WHERE resource = 'run' "
                                                      f"AND resource_id = '{victim}'"))
    assert actions["run.retry"] == 1 and actions["run.start"] == 2 and actions["run.done"] == 1
    ranks = [r for r, in _rows(database_url, f"SELECT rank FROM candidate WHERE run_id = {victim} ORDER BY rank")]
    assert ranks == list(range(1, len(ranks) + 1)) and ranks


def test_a_worker_that_lost_its_lease_writes_nothing(database_url, tmp_path, sample_scans):
    """The stalled worker's late result is dropped; the run completes once, by the worker that retried it."""
    svc = start_service(database_url, tmp_path, job_workers=0)
    with svc.client:
        run_id = _queued_world(svc, sample_scans[:2])[0]["run"]["id"]
        db = make_engine(database_url)
        try:
            sf = make_session_factory(db)
            engine = Engine(svc.settings.store_dir)
            stalled = JobRunner(sf, engine, workers=1, top_k=5, lease_s=60, name="stalled")
            retrier = JobRunner(sf, engine, workers=1, top_k=5, lease_s=60, name="retrier")
            a = stalled.claim("stalled/0")
            assert a.run_id == run_id and a.attempt == 1
            assert retrier.claim("retrier/0").run_id != run_id  # a held lease is not claimable
            with sf() as s:  # the stalled worker's lease runs out
                s.execute(text("UPDATE correlation_run SET lease_until = :t WHERE id = :i"),
                          {"t": "2000-01-01 00:00:00", "i": run_id})
                s.execute(text("UPDATE correlation_run SET status = 'queued', attempts = 0, claimed_by = '' "
                               "WHERE id <> :i"), {"i": run_id})
                s.commit()
            b = retrier.claim("retrier/0")
            assert (b.run_id, b.attempt) == (run_id, 2)
            with pytest.raises(LostClaim):
                stalled._execute(a)
            assert _rows(database_url, f"SELECT id FROM candidate WHERE run_id = {run_id}") == []
            retrier.execute(b)
            stalled.execute(a)  # too late again: still nothing more
        finally:
            db.dispose()
        (status, attempts, holder), = _rows(database_url,
                                            f"SELECT status, attempts, claimed_by FROM correlation_run WHERE id = {run_id}")
        assert (status, attempts, holder) == ("done", 2, "retrier/0")
        n = _rows(database_url, f"SELECT count(*) FROM candidate WHERE run_id = {run_id}")[0][0]
        assert n == 1  # two scans: the other one is the only candidate
        dones = _rows(database_url, f"SELECT count(*) FROM audit_log WHERE action = 'run.done' AND resource_id = '{run_id}'")
        assert dones[0][0] == 1


def test_concurrent_claimers_take_every_queued_run_exactly_once(database_url, tmp_path, sample_scans):
    """Six claimers, each with its own connection pool as a separate process would have,
    race for one queue: on PostgreSQL through ``FOR UPDATE SKIP LOCKED``, on SQLite through
    the conditional update under its write lock. Each run is claimed once (and started
    once in the audit trail), and the queue is empty afterwards."""
    import threading

    svc = start_service(database_url, tmp_path, job_workers=0)
    with svc.client:
        ups = _queued_world(svc, sample_scans[:2])
        scans = [u["scan"]["id"] for u in ups]
        for i in range(22):  # 24 queued runs in all
            r = svc.post(f"/api/scans/{scans[i % 2]}/runs", "examiner.north", json={"scope": {}})
            assert r.status_code == 202, r.text
        queued = sorted(r.id for r in _rows(database_url, "SELECT id FROM correlation_run WHERE status = 'queued'"))
        assert len(queued) == 24
        engine = Engine(svc.settings.store_dir)
        dbs = [make_engine(database_url) for _ in range(6)]
        claimed: list[tuple[str, int, int]] = []
        errors: list[BaseException] = []
        start = threading.Barrier(len(dbs))

        def claimer(i: int, db) -> None:
            runner = JobRunner(make_session_factory(db), engine, workers=0, top_k=5, lease_s=60, name=f"c{i}")
            try:
                start.wait()
                while (c := runner.claim(f"c{i}/0")) is not None:
                    claimed.append((c.holder, c.run_id, c.attempt))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=claimer, args=(i, db)) for i, db in enumerate(dbs)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
        finally:
            for db in dbs:
                db.dispose()
        assert errors == [] and not any(t.is_alive() for t in threads)
        assert sorted(run for _, run, _ in claimed) == queued  # each exactly once
        assert {attempt for _, _, attempt in claimed} == {1}
        rows = _rows(database_url, "SELECT id, status, attempts, claimed_by FROM correlation_run ORDER BY id")
        assert {(r.status, r.attempts) for r in rows} == {("running", 1)}
        holder = {run: h for h, run, _ in claimed}
        if database_url.startswith("postgresql"):
            # SKIP LOCKED lets claimers work side by side; under SQLite's single write lock
            # one claimer may legitimately win every claim, so only PostgreSQL must show the race
            assert len(set(holder.values())) >= 2
        assert all(r.claimed_by == holder[r.id] for r in rows)
        starts = Counter(rid for rid, in _rows(database_url, "SELECT resource_id FROM audit_log WHERE action = 'run.start'"))
        assert starts == Counter(str(run) for run in queued)
