"""Load benchmark of the Focal Point service.

Starts the service with uvicorn on a free 127.0.0.1 port over a signature store
pre-filled with thousands of synthetic signatures, then lets N concurrent
clients (threads with httpx) each submit scans and search (start a correlation
run, wait for it, read the candidates). Reports throughput, p50 and p99 latency
per operation and the errors, then checks that nothing was lost: every accepted
submission is in the database and in the store, and every run finished.

    .venv/bin/python benchmarks/bench_service_load.py --clients 8 --signatures 3000

Loopback only; everything lives in a temporary directory unless --workdir is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ballistics_core.io import read_scan, write_x3p  # noqa: E402
from service.core.config import Settings  # noqa: E402
from service.crud.bootstrap import create_admin  # noqa: E402
from service.main import create_app  # noqa: E402

PASSWORD = "bench-password-0123456789"


# --- the store ---------------------------------------------------------------------------


def synthetic_records(template, n: int, *, seed0: int = 10_000):
    """Distractor signatures generated from seeds (their surfaces are regenerated, not stored)."""
    from ballistics_core.signature.synthetic import synthetic_signature, synthetic_spec
    from ballistics_core.store import StoredRecord

    for seed in range(seed0, seed0 + n):
        sig = synthetic_signature(seed, params_digest=template.params_digest,
                                  algorithm_version=template.algorithm_version, spacing_um=template.spacing_um,
                                  meta={"jurisdiction": "SYNTH"})
        yield StoredRecord(sig, synthetic=synthetic_spec(seed, spacing_um=template.spacing_um))


def prefill_store(app, n: int, template_file: Path) -> float:
    engine = app.state.engine
    template = engine.make_signature(engine.read_scan(template_file.read_bytes(), name=template_file.name))
    t0 = time.perf_counter()
    engine.bulk_add(synthetic_records(template, n), template=template)
    return time.perf_counter() - t0


def variants(files: list[Path], count: int, workdir: Path) -> list[Path]:
    """Distinct, valid X3P files: sample scans cropped by a few rows each."""
    out = []
    scans = [read_scan(f) for f in files]
    for i in range(count):
        scan = scans[i % len(scans)]
        k = 1 + i // len(scans)
        path = workdir / f"variant-{i:04d}.x3p"
        write_x3p(scan.replace(heights=scan.heights[k:, :], mask=None if scan.mask is None else scan.mask[k:, :]), path)
        out.append(path)
    return out


# --- the server ----------------------------------------------------------------------------


class Server:
    def __init__(self, settings: Settings):
        import socket

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=120)


# --- the clients ---------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def timed(self, op: str, fn):
        t0 = time.perf_counter()
        try:
            r = fn()
        except Exception as exc:  # a benchmark reports errors, it does not stop at them
            with self.lock:
                self.errors.append(f"{op}: {type(exc).__name__}: {exc}")
            return None
        dt = time.perf_counter() - t0
        with self.lock:
            self.latency.setdefault(op, []).append(dt)
            if isinstance(r, httpx.Response) and r.status_code >= 400:
                self.errors.append(f"{op}: HTTP {r.status_code}: {r.text[:200]}")
                return None
        return r


def client_work(url: str, token: str, exhibit: int, files: list[Path], searches: int, rec: Recorder, accepted: list):
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, timeout=600, headers=h) as c:
        mine = []
        for f in files:
            data = f.read_bytes()
            r = rec.timed("submit", lambda: c.post(f"/api/exhibits/{exhibit}/scans", files={"file": (f.name, data)}))
            if r is not None:
                body = r.json()
                mine.append(body["scan"]["id"])
                accepted.append(body)
        for i in range(searches):
            if not mine:
                break
            scan_id = mine[i % len(mine)]

            def search():
                r = c.post(f"/api/scans/{scan_id}/runs", json={"scope": {"top_k": 10}})
                r.raise_for_status()
                run_id = r.json()["id"]
                while True:
                    run = c.get(f"/api/runs/{run_id}").json()
                    if run["status"] in ("done", "failed"):
                        break
                    time.sleep(0.05)
                if run["status"] != "done":
                    raise RuntimeError(f"run {run_id} failed: {run['reason']}")
                return c.get(f"/api/runs/{run_id}/candidates")

            rec.timed("search", search)
            rec.timed("read_case_list", lambda: c.get("/api/cases"))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--signatures", type=int, default=3000, help="synthetic signatures pre-filled in the store")
    ap.add_argument("--submissions", type=int, default=2, help="scans each client submits")
    ap.add_argument("--searches", type=int, default=2, help="correlation runs each client starts and reads")
    ap.add_argument("--job-workers", type=int, default=2)
    ap.add_argument("--database-url", default=None, help="default: an SQLite file in the work directory")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "service_load.json")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-service-"))
    work.mkdir(parents=True, exist_ok=True)
    samples = sorted((REPO / "sample_data").glob("*.x3p"))
    settings = Settings(
        database_url=args.database_url or f"sqlite:///{work / 'ballistics.db'}",
        store_dir=work / "store",
        upload_dir=work / "uploads",
        jwt_secret="bench-" + hashlib.sha256(str(work).encode()).hexdigest(),
        job_workers=args.job_workers,
    )
    files = variants(samples, args.clients * args.submissions, work)

    with Server(settings) as srv:
        app = srv.app
        print(f"service on {srv.url}; pre-filling the store with {args.signatures} synthetic signatures ...", flush=True)
        fill_s = prefill_store(app, args.signatures, samples[0])
        with app.state.session_factory() as s:
            create_admin(s, username="bench.admin", password=PASSWORD, jurisdiction_code="BENCH")
        with httpx.Client(base_url=srv.url, timeout=120) as c:
            admin = {"Authorization": "Bearer " + c.post("/api/login/access-token", data={"username": "bench.admin", "password": PASSWORD}).json()["access_token"]}
            jur = c.get("/api/jurisdictions", headers=admin).json()[0]["id"]
            tokens, exhibits = [], []
            for i in range(args.clients):
                name = f"bench.examiner{i}"
                c.post("/api/users", headers=admin, json={"username": name, "password": PASSWORD, "role": "examiner", "jurisdiction_id": jur}).raise_for_status()
                tok = c.post("/api/login/access-token", data={"username": name, "password": PASSWORD}).json()["access_token"]
                h = {"Authorization": f"Bearer {tok}"}
                case = c.post("/api/cases", headers=h, json={"reference": f"BENCH-{i}"}).json()["id"]
                ex = c.post(f"/api/cases/{case}/exhibits", headers=h, json={"kind": "cartridge_case", "lab_number": f"L{i}"}).json()["id"]
                tokens.append(tok)
                exhibits.append(ex)

        rec, accepted = Recorder(), []
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            futures = [
                pool.submit(client_work, srv.url, tokens[i], exhibits[i],
                            files[i * args.submissions:(i + 1) * args.submissions], args.searches, rec, accepted)
                for i in range(args.clients)
            ]
            for f in futures:
                f.result()
        wall = time.perf_counter() - t0

        # Nothing lost: every accepted submission is in the database and the store, its run finished.
        from sqlalchemy import select

        from service import audit
        from service.models import CorrelationRun, ScanRecord

        with app.state.session_factory() as s:
            db_shas = set(s.scalars(select(ScanRecord.sha256)))
            runs = s.scalars(select(CorrelationRun)).all()
            chain = audit.verify(s)
        store = app.state.engine.snapshot()
        catalog = set(store.catalog())
        accepted_shas = {b["scan"]["sha256"] for b in accepted}
        lost_db = accepted_shas - db_shas
        lost_store = accepted_shas - catalog
        unfinished = [r.id for r in runs if r.status.value != "done"]

    n_requests = sum(len(v) for v in rec.latency.values())
    report = {
        "clients": args.clients,
        "store_signatures": len(catalog),
        "prefill_s": round(fill_s, 2),
        "wall_s": round(wall, 2),
        "requests": n_requests,
        "throughput_rps": round(n_requests / wall, 2),
        "operations": {
            op: {"n": len(v), "per_s": round(len(v) / wall, 3), "p50_s": round(pct(v, 50), 4), "p99_s": round(pct(v, 99), 4),
                 "mean_s": round(statistics.fmean(v), 4)}
            for op, v in sorted(rec.latency.items())
        },
        "errors": len(rec.errors),
        "error_samples": rec.errors[:5],
        "accepted_submissions": len(accepted),
        "lost_from_database": len(lost_db),
        "lost_from_store": len(lost_store),
        "runs_not_done": len(unfinished),
        "audit_chain_ok": chain.ok,
        "audit_entries": chain.entries,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\n{args.clients} clients, store of {len(catalog)} signatures, {wall:.1f} s, {report['throughput_rps']} requests/s")
    print(f"{'operation':16s} {'n':>5s} {'per s':>8s} {'p50 s':>8s} {'p99 s':>8s}")
    for op, m in report["operations"].items():
        print(f"{op:16s} {m['n']:5d} {m['per_s']:8.3f} {m['p50_s']:8.3f} {m['p99_s']:8.3f}")
    print(f"errors {report['errors']}, accepted {len(accepted)}, lost from database {len(lost_db)}, "
          f"lost from store {len(lost_store)}, runs not done {len(unfinished)}, audit chain ok {chain.ok}")
    print(f"report: {args.out}")
    ok = not rec.errors and not lost_db and not lost_store and not unfinished and chain.ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
