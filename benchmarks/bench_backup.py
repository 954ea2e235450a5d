"""Backup and restore times (``ballistics backup`` / ``restore``) for the demo data and a 10,000-signature store.

    python benchmarks/bench_backup.py                 # SQLite, and PostgreSQL when its binaries are installed
    python benchmarks/bench_backup.py --n 10000 --no-pg

Each case: the demo service is seeded (7 sample scans, their runs done), backed up
and restored onto an empty database and folders, twice (the median is kept). The
large case adds ``--n`` synthetic signatures to the demo store first. Restore time
includes checking every SHA-256, the audit-chain verification and the store
integrity check (which re-reads every stored array).

The synthetic rows are made as ``search.bench.add_distractors`` makes them, except
that only 256 distinct distractors are computed (about 25 ms each) and each is stored
under many seeds: the bytes per row, which is what a backup copies and checks, are
those of real distractors. Results go to benchmarks/results/backup/.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "results" / "backup"


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


@contextmanager
def pg_cluster():
    """A throwaway PostgreSQL cluster on 127.0.0.1 (as the test suite starts one); yields its server URL."""
    import socket

    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise SystemExit("PostgreSQL binaries not found (scripts/ensure_postgres.sh installs them)")
    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    run_as = {"user": "postgres"} if os.geteuid() == 0 else {}
    if run_as:
        shutil.chown(root, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    subprocess.run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, **run_as)
    subprocess.run([pg_ctl, "-D", str(data), "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=200",
                    "-l", str(root / "log"), "-w", "-t", "60", "start"], check=True, capture_output=True, **run_as)
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, **run_as)
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str | None, root: Path, name: str) -> str:
    if server is None:
        return f"sqlite:///{root / name / 'ballistics.db'}"
    import psycopg2

    db = f"b_{name}_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(server.replace("postgresql+psycopg2", "postgresql") + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {db}")
    conn.close()
    return f"{server}/{db}"


def settings_for(url: str, root: Path, **kw):
    from service.core.config import Settings

    return Settings(database_url=url, store_dir=root / "store", upload_dir=root / "uploads",
                    jwt_secret="bench-" + uuid.uuid4().hex, demo=True, argon2_time_cost=1, argon2_memory_kib=8192,
                    argon2_parallelism=1, **kw)


def seed_demo(settings) -> None:
    """The demo service as `ballistics serve --demo` seeds it, with every run finished."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from service.main import create_app
    from service.models import CorrelationRun, RunStatus

    app = create_app(settings)
    with TestClient(app):
        while True:
            with app.state.session_factory() as s:
                pending = s.scalars(select(CorrelationRun.id).where(
                    CorrelationRun.status.in_([RunStatus.queued, RunStatus.running]))).all()
            if not pending:
                break
            time.sleep(0.5)


def add_synthetic(store_dir: Path, n: int, distinct: int = 256) -> float:
    """Grow the store by ``n`` synthetic rows (``distinct`` computed distractors, reused); returns seconds."""
    import numpy as np

    from ballistics_core.search.bench import distractor_arrays
    from ballistics_core.signature.model import Signature
    from ballistics_core.signature.synthetic import SYNTHETIC_SPACING_UM, synthetic_sha256, synthetic_spec
    from ballistics_core.store import SignatureStore
    from ballistics_core.store.segment import StoredRecord

    st = SignatureStore.open(store_dir)
    desc, rings = distractor_arrays(range(distinct))
    t0 = time.perf_counter()
    for lo in range(0, n, 512):
        seeds = range(lo, min(n, lo + 512))
        recs = [StoredRecord(Signature(
            surface=np.zeros((0, 0), np.float32), spacing_um=SYNTHETIC_SPACING_UM, descriptor=desc[s % distinct],
            ring_spectra=rings[s % distinct], algorithm_version=st.algorithm_version, params_digest=st.params_digest,
            source_sha256=synthetic_sha256(s), meta={"source": f"synthetic-{s}", "synthetic": True}),
            synthetic=synthetic_spec(s)) for s in seeds]
        st.add(recs, batch_size=512)
    return time.perf_counter() - t0


def measure(settings, server: str | None, root: Path, label: str, repeats: int) -> dict:
    from service.backup import backup, restore

    rows = []
    for i in range(repeats):
        rep = backup(settings, root / f"backup-{label}")
        target = root / f"restored-{label}-{i}"
        r_settings = settings_for(new_database(server, target, "r"), target)
        t = restore(r_settings, root / f"backup-{label}")
        assert t.audit_ok and not t.store_problems, (t.audit_reason, t.store_problems[:3])
        rows.append({"backup_s": rep.seconds, "restore_s": t.seconds, "files": rep.files, "bytes": rep.bytes,
                     "signatures": t.store_signatures, "audit_entries": t.audit_entries})
        shutil.rmtree(target, ignore_errors=True)
    out = {"case": label, "database": "postgresql" if server else "sqlite",
           "backup_s_median": statistics.median(r["backup_s"] for r in rows),
           "restore_s_median": statistics.median(r["restore_s"] for r in rows),
           "files": rows[0]["files"], "bytes": rows[0]["bytes"], "signatures": rows[0]["signatures"],
           "audit_entries": rows[0]["audit_entries"], "runs": rows}
    print(json.dumps({k: v for k, v in out.items() if k != "runs"}), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="synthetic signatures for the large case")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = ap.parse_args()
    results = []
    servers: list[str | None] = [None]
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp, \
            (pg_cluster() if not args.no_pg and _pg_bin("initdb") else _none()) as pg:
        if pg:
            servers.append(pg)
        for server in servers:
            kind = "pg" if server else "sqlite"
            root = Path(tmp) / kind / "live"
            settings = settings_for(new_database(server, root, "live"), root)
            seed_demo(settings)
            results.append(measure(settings, server, Path(tmp) / kind, "demo", args.repeats))
            t_add = add_synthetic(settings.store_dir, args.n)
            print(json.dumps({"database": kind, "added_synthetic": args.n, "seconds": t_add}), flush=True)
            results.append(measure(settings, server, Path(tmp) / kind, f"demo+{args.n}", args.repeats))
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"machine": f"{platform.node()} {os.cpu_count()} cores", "load_average": os.getloadavg(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (OUT / "backup_restore.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))


@contextmanager
def _none():
    yield None


if __name__ == "__main__":
    main()
