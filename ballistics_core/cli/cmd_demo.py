"""Command: ``demo``: the engine on the bundled sample scans, no service needed."""

from __future__ import annotations

from pathlib import Path

import typer

from ballistics_core.cli.common import fail, guarded

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@guarded
def demo(
    folder: Path = typer.Option(SAMPLE_DATA, help="Folder of scans (default: the bundled sample data)."),
    query: str = typer.Option("Fadul 1-1", help="Scan (file name without extension) to rank the others against."),
) -> None:
    """Load the sample scans, compare them all, and print the ranked candidates for one query."""
    from ballistics_core.engine import compare_signatures, make_signature, prepare_signature
    from ballistics_core.io import read_scan

    files = sorted(p for p in folder.glob("*.x3p"))
    if len(files) < 2:
        fail(f"{folder}: needs at least two .x3p scans")
    names = [f.stem for f in files]
    if query not in names:
        fail(f"query {query!r} not among {', '.join(names)}")
    typer.echo(f"Reading and preprocessing {len(files)} scans from {folder} ...")
    sigs = [make_signature(read_scan(f)) for f in files]
    q = names.index(query)
    pq = prepare_signature(sigs[q])
    rows = []
    for i, s in enumerate(sigs):
        if i == q:
            continue
        c = compare_signatures(sigs[q], s, prepared=(pq, prepare_signature(s)))
        rows.append((c.score, names[i], c))
    rows.sort(key=lambda r: -r[0])
    typer.echo(f"\nRanked candidates for {query}:")
    typer.echo(f"{'rank':>4}  {'candidate':<12} {'score':>7} {'CMC':>7} {'log10 LR':>8}  {'rotation':>8}  decision")
    for k, (score, name, c) in enumerate(rows, 1):
        typer.echo(f"{k:>4}  {name:<12} {score:7.2f} {c.cmc:>3}/{c.n_cells:<3} {c.log10_lr:+8.2f}  {c.rotation_deg:+7.1f}°  {c.decision}")
    typer.echo(f"\nalgorithm {rows[0][2].algorithm_version}, parameters {rows[0][2].params_digest}")
