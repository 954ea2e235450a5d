"""Commands: ``ingest``, ``search`` and ``store`` (info, check, tombstone, split).

``ingest FILES... --store S`` and ``search FILE --store S --top K`` are a stable
contract; the search table's columns are rank, candidate, breech_face,
firing_pin, fused, log10_lr, decision (``--json`` prints the same as objects).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional

import typer

from ballistics_core.cli.common import guarded
from ballistics_core.errors import BallisticsError

store_app = typer.Typer(no_args_is_help=True, help="Inspect and maintain a signature store.")

STORE_OPT = typer.Option(..., "--store", "-s", help="Signature store directory.")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("search")(search_cmd)
    app.add_typer(store_app, name="store")


def signature_of(path: Path, extra_meta: dict | None = None):
    """Read a scan file and make its signature (the full pipeline, as the store keeps it)."""
    from ballistics_core.io import read_scan

    try:
        from ballistics_core.signature import make_signature
    except ImportError:
        raise BallisticsError("the signature pipeline (ballistics_core.signature.make_signature) is not installed") from None
    scan = read_scan(path)
    if extra_meta:
        scan = scan.replace(meta={k: v for k, v in extra_meta.items() if v is not None})
    return make_signature(scan)


def open_or_create(path: Path, first_signature, n_shards: int):
    from ballistics_core.store import SignatureStore

    if (path / "manifest.json").exists():
        return SignatureStore.open(path)
    return SignatureStore.create_for(path, first_signature, n_shards=n_shards)


@guarded
def ingest(
    files: List[Path] = typer.Argument(..., metavar="FILES...", help="Scan files to add."),
    store: Path = STORE_OPT,
    shards: int = typer.Option(1, "--shards", help="Number of shards when the store is created."),
    calibre: Optional[str] = typer.Option(None, help="Calibre recorded with every file."),
    firing_pin_class: Optional[str] = typer.Option(None, "--firing-pin-class", help="Firing-pin shape class."),
    jurisdiction: Optional[str] = typer.Option(None, help="Jurisdiction that submitted the exhibits."),
    date: Optional[str] = typer.Option(None, help="Date (ISO 8601) recorded with every file; default: the scan's own."),
) -> None:
    """Add scans to a store (created on first use); identical files are reported as duplicates.

    Unreadable files are reported as ``error: FILE: REASON``; the others are
    still ingested, and the exit code is 2 if any file failed.
    """
    extra = {"calibre": calibre, "firing_pin_class": firing_pin_class, "jurisdiction": jurisdiction, "date": date}
    t0 = time.perf_counter()
    st = None
    failed = added = dups = 0
    batch = []

    def flush():
        nonlocal added, dups, batch
        if batch:
            rep = st.add(batch)
            added += len(rep.added)
            dups += len(rep.duplicates)
            for name, sha in rep.duplicates:
                typer.echo(f"duplicate: {name} (sha256 {sha[:12]}) is already stored")
            for name, sha in rep.tombstoned:
                typer.echo(f"refused: {name} (sha256 {sha[:12]}) was destroyed by a tombstone", err=True)
            batch = []

    for path in files:
        try:
            sig = signature_of(path, extra)
        except (BallisticsError, OSError, MemoryError) as exc:
            typer.echo(f"error: {path}: {_one_line(exc)}", err=True)
            failed += 1
            continue
        if st is None:
            st = open_or_create(store, sig, shards)
        batch.append(sig)
        if len(batch) >= 32:
            flush()
    if st is not None:
        flush()
    dt = time.perf_counter() - t0
    n = len(st) if st is not None else 0
    typer.echo(f"ingested {added}, duplicates {dups}, failed {failed}; store holds {n} ({len(files) / max(dt, 1e-9):.1f} files/s)")
    if failed:
        raise typer.Exit(2)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or type(exc).__name__}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


COLUMNS = ("rank", "candidate", "breech_face", "firing_pin", "fused", "log10_lr", "decision")


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


@guarded
def search_cmd(
    file: Path = typer.Argument(..., metavar="FILE", help="Questioned scan."),
    store: Path = STORE_OPT,
    top: int = typer.Option(10, "--top", "-k", min=1, help="Rows in the ranked list."),
    rescore: Optional[int] = typer.Option(None, "--rescore", min=1, help="Candidates given the full comparison unconditionally (default max(top, 10))."),
    rescore_bound: int = typer.Option(20, "--rescore-bound", min=1,
                                      help="Most full comparisons: beyond --rescore, candidates whose ring score is within the margin of a mate's are compared up to this."),
    shortlist: int = typer.Option(10_000, "--shortlist", min=1, help="Least tier-1 candidates re-ranked by ring spectra."),
    shortlist_fraction: float = typer.Option(0.1, "--shortlist-fraction", min=0.0, max=1.0,
                                             help="Fraction of the store re-ranked by ring spectra when that is more."),
    calibre: Optional[str] = typer.Option(None),
    firing_pin_class: Optional[str] = typer.Option(None, "--firing-pin-class"),
    jurisdiction: Optional[str] = typer.Option(None),
    date_from: Optional[str] = typer.Option(None, "--from", help="Earliest date (ISO)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Latest date (ISO)."),
    executor: str = typer.Option("local", "--executor", help="local or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (default: a local cluster)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Rank the stored exhibits against a scan: breech-face, firing-pin and fused scores with the likelihood ratio."""
    from ballistics_core.search import Filters, SearchParams, search
    from ballistics_core.store import SignatureStore

    st = SignatureStore.open(store)
    q = signature_of(file)
    filters = Filters(calibre, firing_pin_class, jurisdiction, date_from, date_to)
    res = search(st, q, top=top, rescore=rescore, filters=filters, exclude=[q.source_sha256],
                 executor=executor, scheduler_address=scheduler, search_params=SearchParams(shortlist=shortlist, shortlist_fraction=shortlist_fraction,
                                               rescore_bound=rescore_bound))
    if as_json:
        typer.echo(json.dumps({"query": str(file), "screened": res.n_screened, "shortlisted": res.n_shortlisted,
                               "rescored": res.n_rescored, "params_digest": res.params_digest,
                               "search_params_digest": res.search_params_digest,
                               "algorithm_version": res.algorithm_version,
                               "kind": res.kind, "other_kind_not_searched": res.n_other_kind,
                               "depth": res.depth.as_dict() if res.depth else None,
                               "hits": [h.as_dict() for h in res.hits]}, indent=1))
        return
    rows = [[_fmt(getattr(h, c)) for c in COLUMNS] for h in res.hits]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(COLUMNS)]
    typer.echo("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)))
    for r in rows:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    d = res.depth
    deep = "" if d is None else (f" (bound {d.bound}, {d.mates_found} scoring as mates"
                                 + ("; BOUND REACHED: candidates within the margin of a mate were left uncompared" if d.bound_reached else "")
                                 + ")")
    other = (f"; {res.n_other_kind} stored signatures of another kind not searched (a {res.kind} query is "
             f"compared with {res.kind} signatures only)" if res.n_other_kind else "")
    typer.echo(f"({res.n_screened} {res.kind} screened, {res.n_shortlisted} re-ranked by ring spectra, {res.n_rescored} compared "
               f"in full{deep}{other}; algorithm {res.algorithm_version}, params {res.params_digest}, search {res.search_params_digest})")


@store_app.command("info")
@guarded
def info(store: Path = STORE_OPT) -> None:
    """Schema, parameter digest, shards and counts."""
    from ballistics_core.store import SignatureStore

    st = SignatureStore.open(store)
    typer.echo(json.dumps({"path": str(st.path), "params_digest": st.params_digest,
                           "algorithm_version": st.algorithm_version, "descriptor_dim": st.descriptor_dim,
                           "shards": st.n_shards, "segments": len(st.segments), "live": len(st),
                           "tombstoned": len(st.tombstones())}, indent=1))


@store_app.command("check")
@guarded
def check(store: Path = STORE_OPT) -> None:
    """Re-read every stored array against its checksum; exit 1 if anything is wrong."""
    from ballistics_core.store import SignatureStore

    st = SignatureStore.open(store)
    problems = st.check_integrity()
    for p in problems:
        typer.echo(f"problem: {p}")
    typer.echo(f"{'FAILED' if problems else 'ok'}: {len(st)} live, {len(st.tombstones())} tombstoned, {len(problems)} problems")
    if problems:
        raise typer.Exit(1)


@store_app.command("tombstone")
@guarded
def tombstone(
    exhibit: str = typer.Argument(..., help="Stored name or SHA-256 (prefix) of the exhibit."),
    store: Path = STORE_OPT,
    reason: str = typer.Option(..., "--reason", help="Why it must be destroyed (logged)."),
    operator: str = typer.Option("", "--operator", help="Who ordered it (logged)."),
) -> None:
    """Destroy an exhibit: unsearchable at once, stored data overwritten, act logged."""
    from ballistics_core.store import SignatureStore

    entry = SignatureStore.open(store).tombstone(exhibit, reason=reason, operator=operator)
    typer.echo(f"tombstoned {entry['name']} (sha256 {entry['sha256'][:12]}) at {entry['time']}")


@store_app.command("split")
@guarded
def split(store: Path = STORE_OPT, shards: int = typer.Option(..., "--shards", min=1)) -> None:
    """Spread the store's segments over SHARDS shards (for ``--executor dask``)."""
    from ballistics_core.store import SignatureStore

    st = SignatureStore.open(store)
    st.split(shards)
    typer.echo(f"{len(st)} signatures in {shards} shards")
