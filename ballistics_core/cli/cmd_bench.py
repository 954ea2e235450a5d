"""Commands: ``bench retrieval`` and ``bench scale`` (stable output columns).

* ``bench retrieval FOLDER --out ranks.csv``: leave-one-out through the real
  store and search path; columns ``query,rank,candidate,score`` (names without
  extension, top 10 per query at least).
* ``bench scale --sizes 1000,100000 --out scale.csv``: columns
  ``size,query_seconds,full_compare_seconds,recall_at_10``; ``scale_summary.csv`` adds
  mAP@20, full comparisons per query and depth, ``scale_queries.csv`` has them per query.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import List, Optional

import typer

from ballistics_core.cli.common import guarded
from ballistics_core.errors import BallisticsError

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks through the real store and search path.")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


def _ground_truth(folder: Path, column: str = "firearm") -> dict:
    """``column`` (firearm, or scan_id: the cartridge case) of each scan, by stem, from a
    ground_truth.csv beside or above FOLDER, if any."""
    for cand in (folder / "ground_truth.csv", folder.parent / "ground_truth.csv"):
        if cand.is_file():
            with open(cand) as fh:
                return {Path(r["file"]).stem: r.get(column) for r in csv.DictReader(fh)}
    return {}


def _truth_for(folder: Path) -> dict:
    return _ground_truth(folder)


@bench_app.command("retrieval")
@guarded
def retrieval(
    folder: Path = typer.Argument(..., help="Folder of scans."),
    out: Path = typer.Option(..., "--out", help="CSV: query,rank,candidate,score."),
    top: int = typer.Option(20, "--top", min=10, help="Rows per query (mean average precision is over these)."),
    rescore: Optional[int] = typer.Option(10, "--rescore", min=1,
                                          help="Candidates compared in full per query before the depth rule "
                                               "(up to 20 when mates ask for it); the rest of --top by ring score."),
    executor: str = typer.Option("local", "--executor", help="local or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler"),
    store: Optional[Path] = typer.Option(None, "--store", help="Keep the store here (default: a temporary one)."),
) -> None:
    """Leave-one-out retrieval: every scan searched against a store of all the others."""
    from ballistics_core.cli.cmd_store import signature_of
    from ballistics_core.io.folders import scan_files
    from ballistics_core.search.bench import ingest_files, retrieval as run

    files = scan_files(folder)
    if len(files) < 2:
        raise BallisticsError(f"{folder} holds fewer than two scans")
    with tempfile.TemporaryDirectory() as tmp:
        st, sigs, secs = ingest_files(store or Path(tmp) / "store", files, signature_of, log=typer.echo)
        typer.echo(f"ingested {len(sigs)} scans in {secs:.1f}s ({len(sigs) / secs:.2f}/s)")
        rows = run(st, sigs, out, top=top, rescore=rescore, executor=executor, scheduler_address=scheduler,
                   cases=_ground_truth(folder, "scan_id"))
    truth = _truth_for(folder)
    if truth:
        from ballistics_core.search.bench import retrieval_summary

        m = retrieval_summary(rows, sigs, truth, _ground_truth(folder, "scan_id"), top=top)
        typer.echo(f"recall@1 {m['recall_at_1']:.3f} ({m['recall_hits']}/{m['queries_with_a_mate']} queries with a mate)")
        if m["queries_with_several_mates"]:
            typer.echo(f"mAP@{top} {m['map']:.3f} over {m['queries_with_several_mates']} queries with several mates "
                       f"(lowest {m['lowest_ap']:.3f}: {m['lowest_ap_query']})")
    typer.echo(f"wrote {out}")


@bench_app.command("scale")
@guarded
def scale(
    sizes: str = typer.Option("1000,100000", "--sizes", help="Comma-separated store sizes."),
    out: Path = typer.Option(..., "--out", help="CSV: size,query_seconds,full_compare_seconds,recall_at_10."),
    folders: Optional[List[Path]] = typer.Option(
        None, "--scans", help="Real scans (default: ../shared/data/fadul); repeat to search several sets in one store."),
    store_dir: Optional[Path] = typer.Option(None, "--store-dir", help="Reuse/keep the store here (distractors are slow to make)."),
    rescore: int = typer.Option(10, "--rescore"),
    tier1_only: bool = typer.Option(False, "--tier1-only", help="Skip the full comparison (screening figures only)."),
    distractor_cache: Optional[Path] = typer.Option(
        None, "--distractor-cache",
        help="A directory of distractor descriptors and ring spectra for seeds 0.. "
             "(benchmarks/bench_store.py cache) to skip recomputing them."),
) -> None:
    """Query time and recall@10 of the real scans among synthetic distractors, per store size."""
    from ballistics_core.cli.cmd_store import signature_of
    from ballistics_core.io.folders import scan_files
    from ballistics_core.search.bench import read_signatures, scale as run

    try:
        size_list = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise BallisticsError(f"--sizes must be integers separated by commas, got {sizes!r}") from None
    folders = folders or [Path(__file__).resolve().parents[3] / "shared" / "data" / "fadul"]
    files, truth, cases = [], {}, {}
    for folder in folders:
        found, labels = scan_files(folder), _truth_for(folder)
        if not found or not labels:
            raise BallisticsError(f"no scans with ground truth in {folder}")
        files += found
        truth.update(labels)
        cases.update(_ground_truth(folder, "scan_id"))
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        # scans are told apart by name (ground truth, ranked lists): two files of one name would merge
        raise BallisticsError("two scans share a file name across --scans folders: "
                              + ", ".join(sorted({s for s in stems if stems.count(s) > 1})))
    real = read_signatures(files, signature_of, log=typer.echo)
    with tempfile.TemporaryDirectory() as tmp:
        run(real, truth, size_list, out, store_dir=store_dir or Path(tmp) / "store", rescore=rescore,
            tier2=not tier1_only, log=typer.echo, cache=distractor_cache, cases=cases)
    typer.echo(f"wrote {out}")
