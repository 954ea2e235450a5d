"""Correlation-run throughput with one and with two ``ballistics worker`` processes on one queue.

    python benchmarks/bench_workers.py --runs 8     # PostgreSQL (throwaway cluster), 8 timed runs per round
    python benchmarks/bench_workers.py --runs 20 --workers 1,2,4 --sqlite

The demo service is seeded with its API process executing nothing (job_workers=0).
For each worker count, that many worker processes (one thread each) are started and
first drain what is queued (the demo's runs, then one more per worker: imports and
JIT compilation happen there),
then ``--runs`` runs are queued through the HTTP API at once and timed until the
last is done, with the CPU time the workers used meanwhile (on a shared machine
``worker_cpu_share`` says how much of a core each worker actually got). Results go to
benchmarks/results/workers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
OUT = REPO / "benchmarks" / "results"

from bench_backup import new_database, pg_cluster, settings_for  # noqa: E402


def _pending(app) -> int:
    from sqlalchemy import func, select

    from service.models import CorrelationRun, RunStatus

    with app.state.session_factory() as s:
        return s.scalar(select(func.count()).select_from(CorrelationRun).where(
            CorrelationRun.status.in_([RunStatus.queued, RunStatus.running])))


def _wait_idle(app, procs) -> None:
    while _pending(app):
        assert all(p.poll() is None for p in procs), "a worker exited"
        time.sleep(0.05)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    from fastapi.testclient import TestClient

    from service.main import create_app

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--out", default=None, help="results JSON (default benchmarks/results/workers.json)")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        ctx = pg_cluster() if not args.sqlite else None
        server = ctx.__enter__() if ctx else None
        try:
            root = Path(tmp) / "live"
            settings = settings_for(new_database(server, root, "live"), root, job_workers=0)
            env = {**os.environ, "BALLISTICS_DATABASE_URL": settings.database_url,
                   "BALLISTICS_STORE_DIR": str(settings.store_dir), "BALLISTICS_UPLOAD_DIR": str(settings.upload_dir),
                   "BALLISTICS_JWT_SECRET": settings.jwt_secret.get_secret_value(), "BALLISTICS_JOB_POLL_S": "0.1"}
            app = create_app(settings)
            with TestClient(app) as client:
                tok = client.post("/api/login/access-token",
                                  data={"username": "lab_submitter.north", "password": "demo-lab_submitter.north"})
                headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
                # the demo scans this user's jurisdiction holds (each was uploaded with a run)
                scans = sorted({r["scan_id"] for r in client.get("/api/runs", headers=headers).json()})
                for k in counts:
                    procs = [subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--threads", "1"],
                                              env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                             for _ in range(k)]
                    load_before = os.getloadavg()
                    try:
                        # warm-up: every worker executes at least one run before the clock starts
                        for i in range(k):
                            r = client.post(f"/api/scans/{scans[i % len(scans)]}/runs", headers=headers,
                                            json={"scope": {}})
                            assert r.status_code == 202, r.text
                        _wait_idle(app, procs)
                        cpu0 = sum(_cpu_seconds(p.pid) for p in procs)
                        t0 = time.perf_counter()
                        for i in range(args.runs):
                            r = client.post(f"/api/scans/{scans[i % len(scans)]}/runs", headers=headers, json={"scope": {}})
                            assert r.status_code == 202, r.text
                        _wait_idle(app, procs)
                        secs = time.perf_counter() - t0
                        cpu = sum(_cpu_seconds(p.pid) for p in procs) - cpu0
                    finally:
                        for p in procs:
                            p.send_signal(signal.SIGTERM)
                        for p in procs:
                            p.wait(timeout=120)
                    # The machine may be shared: its load average (1, 5, 15 min) before and after says how much.
                    row = {"workers": k, "runs": args.runs, "seconds": round(secs, 2),
                           "seconds_per_run": round(secs / args.runs, 2),
                           "runs_per_minute": round(60 * args.runs / secs, 3),
                           # CPU the workers got while timed: per run (the work), and as a share of
                           # workers x wall time (below 1: they waited for a core, or for the queue)
                           "worker_cpu_seconds_per_run": round(cpu / args.runs, 2),
                           "worker_cpu_share": round(cpu / (secs * k), 3),
                           "load_average_before": [round(x, 2) for x in load_before],
                           "load_average_after": [round(x, 2) for x in os.getloadavg()]}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
        finally:
            if ctx:
                ctx.__exit__(None, None, None)
    base = rows[0]["runs_per_minute"]
    for r in rows:
        r["speedup"] = round(r["runs_per_minute"] / base, 3)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    meta = {"machine": f"{platform.node()} {os.cpu_count()} cores", "database": "sqlite" if args.sqlite else "postgresql",
            "command": " ".join(["python", "benchmarks/bench_workers.py", *sys.argv[1:]]), "commit": commit,
            "store_signatures": 7, "query_scans": len(scans), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    OUT.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else OUT / "workers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
