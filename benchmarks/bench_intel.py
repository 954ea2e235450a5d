"""Intelligence products on a 10,000-case load: correctness against the planted truth, and time.

Generates the synthetic load (seven jurisdictions, three years, planted series) into
a fresh SQLite file through the real migrations and models, then measures reading
the snapshot, finding the series, the statistics, and every report an investigator
can ask for, end to end as the API does it (load, compute, render, store with
SHA-256). Checks on the way: the series found equal the planted ones and every
domestic count equals the generator's bookkeeping.

Writes ``benchmarks/results/intel/bench_intel.{json,md}`` and the reports themselves
(``benchmarks/results/intel/reports/``). Run:

    .venv/bin/python benchmarks/bench_intel.py [--cases 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from service.core.config import Settings
from service.core.db import make_engine, make_session_factory
from service.intel.data import load_case_load
from service.intel.graph import find_series, link_chart, link_graph
from service.intel.reports import produce
from service.intel.scope import Scope
from service.intel.stats import Period, statistics
from service.intel.store import reports_dir, save_report
from service.intel.synthetic import generate
from service.migrations.runner import upgrade_head
from service.models import User

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "intel"


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--user", default="investigator.north")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-intel-"))
    url = f"sqlite:///{work / 'load.db'}"
    settings = Settings(database_url=url, store_dir=work / "store", jwt_secret="bench-intel-secret-0123456789abcdef")
    engine = make_engine(url)
    upgrade_head(engine)
    factory = make_session_factory(engine)
    result: dict = {"cases": args.cases, "seed": args.seed, "user": args.user,
                    "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
                    "seconds": {}, "checks": {}}
    sec = result["seconds"]
    with factory() as s:
        truth, sec["generate"] = timed(generate, s, n_cases=args.cases, seed=args.seed)
    with factory() as s:
        data, sec["load_snapshot"] = timed(load_case_load, s)
        user = s.scalar(select(User).where(User.username == args.user))
        scope = Scope.for_user(s, settings, user)
    found, sec["find_series_full_graph"] = timed(lambda: find_series(link_graph(data)))
    result["checks"]["planted_series"] = len(truth.series)
    result["checks"]["series_recovered_exactly"] = found == truth.series
    result["checks"]["planted_hits"] = len(truth.hits)
    result["checks"]["firearm_only_links"] = truth.firearm_links
    report, sec["statistics_3_years"] = timed(statistics, data, scope, Period(truth.start, truth.end))
    mismatches = [
        (r.code, k) for r in report.rows
        for k, v in [("items", r.items_recovered), ("scans", r.scans), ("runs", r.runs), ("leads", r.leads),
                     ("hits", r.hits), ("test_fires", r.test_fires)]
        if v != truth.count(k, r.code)
    ]
    result["checks"]["count_mismatches"] = mismatches
    chart, sec["link_chart_scoped"] = timed(link_chart, data, scope)
    result["checks"]["series_in_scope"] = len(chart.series)

    out_dir = OUT / "reports"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    requests = [
        ("link_chart", "html", {}), ("link_chart", "pdf", {}), ("link_chart", "graphml", {}),
        ("link_chart", "csv", {}), ("statistics", "html", {}), ("statistics", "pdf", {}),
        ("timeline", "html", {"series_key": chart.series[0].key}),
        ("timeline", "pdf", {"series_key": chart.series[0].key}),
        ("timeline", "geojson", {"series_key": chart.series[0].key}),
    ]
    reports = []
    for kind, fmt, params in requests:
        # End to end as the API does it: snapshot, compute and render, store with SHA-256.
        t = time.perf_counter()
        with factory() as s:
            snap = load_case_load(s)
            s.commit()
            product = produce(snap, scope, kind, fmt, params)
            stored = save_report(s, reports_dir(settings), scope, product)
            s.commit()
            sha = stored.sha256
        dt = time.perf_counter() - t
        (out_dir / f"{kind}.{fmt}").write_bytes(product.content)
        reports.append({"kind": kind, "format": fmt, "seconds": round(dt, 2), "bytes": len(product.content),
                        "sha256": sha, "summary": product.summary})
    result["reports"] = reports
    sec["all_reports"] = sum(r["seconds"] for r in reports)
    result["seconds"] = {k: round(v, 3) for k, v in sec.items()}
    engine.dispose()
    shutil.rmtree(work, ignore_errors=True)

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_intel.json").write_text(json.dumps(result, indent=1, default=str))
    lines = [
        f"# Intelligence products on {args.cases} synthetic cases (seed {args.seed})", "",
        f"Machine: {result['machine']}. Scope: `{args.user}`.", "",
        f"- planted series: {len(truth.series)}, recovered exactly: **{result['checks']['series_recovered_exactly']}**",
        f"- planted hits: {len(truth.hits)}; firearm-only links: {truth.firearm_links}",
        f"- domestic count mismatches against the generator: **{len(mismatches)}**",
        f"- series in the caller's scope: {len(chart.series)}", "",
        "| step | seconds |", "|---|---|",
        *[f"| {k} | {v:.2f} |" for k, v in result["seconds"].items()], "",
        "| report (load + compute + render + store) | seconds | bytes |", "|---|---|---|",
        *[f"| {r['kind']} {r['format']} | {r['seconds']:.2f} | {r['bytes']} |" for r in reports], "",
    ]
    (OUT / "bench_intel.md").write_text("\n".join(lines))
    print("\n".join(lines))
    if not result["checks"]["series_recovered_exactly"] or mismatches:
        raise SystemExit("intelligence benchmark checks failed")


if __name__ == "__main__":
    main()
