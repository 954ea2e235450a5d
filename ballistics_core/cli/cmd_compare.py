"""Commands: ``compare A B`` and ``compare-all FOLDER --out pairs.csv``."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import typer

from ballistics_core.cli.common import fail, guarded
from ballistics_core.io.folders import scan_files


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
    app.command("compare-all")(compare_all_cmd)


def _signature(path: Path, params):
    from ballistics_core.engine import make_signature
    from ballistics_core.errors import BallisticsError
    from ballistics_core.io import read_scan

    try:
        return make_signature(read_scan(path), params=params)
    except BallisticsError as exc:
        raise type(exc)(f"{path.name}: {exc}") from None


def _params(exhaustive: bool):
    from ballistics_core.compare.params import EXHAUSTIVE
    from ballistics_core.engine import DEFAULT_PARAMS, EngineParams

    if not exhaustive:
        return DEFAULT_PARAMS
    return EngineParams(compare=EXHAUSTIVE)


@guarded
def compare(
    a: Path = typer.Argument(..., exists=True, dir_okay=False, help="First scan (X3P, PNG or TIFF)."),
    b: Path = typer.Argument(..., exists=True, dir_okay=False, help="Second scan."),
    exhaustive: bool = typer.Option(False, help="Finer angles and 6.25 µm cells (slow reference mode)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
) -> None:
    """Compare two scans: scores, CMC count, rotation, translation and the decision."""
    params = _params(exhaustive)
    from ballistics_core.engine import compare_signatures

    c = compare_signatures(_signature(a, params), _signature(b, params), params=params)
    if as_json:
        typer.echo(json.dumps({"a": a.name, "b": b.name, **c.summary()}, indent=2))
        return
    fp = "n/a (no firing-pin impression in one or both scans)" if c.firing_pin_score is None else f"{c.firing_pin_score:.3f}"
    typer.echo(
        f"A: {a.name}\nB: {b.name}\n"
        f"score (fused):      {c.score:.3f}\n"
        f"breech-face score:  {c.breech_face_score:.3f}\n"
        f"firing-pin score:   {fp}\n"
        f"CMC:                {c.cmc} of {c.n_cells} cells (A->B {c.cmc_ab}, B->A {c.cmc_ba})\n"
        f"log10 LR:           {c.log10_lr:+.2f} ({c.verbal})\n"
        f"rotation of B:      {c.rotation_deg:+.1f} deg{' (B mirrored left-right first)' if c.mirrored else ''}\n"
        f"translation of B:   ({c.translation_um[0]:+.0f}, {c.translation_um[1]:+.0f}) um (row, col)\n"
        f"decision:           {c.decision}\n"
        + "".join(f"gate:               {r}\n" for r in c.gate_reasons)
        + f"thresholds:         identification at log10 LR >= {params.decide.identification_log10_lr:+.1f}, "
        f"elimination at <= {params.decide.elimination_log10_lr:+.1f} (LR model {c.lr_model})\n"
        f"algorithm {c.algorithm_version}, parameters {c.params_digest}"
    )


@guarded
def compare_all_cmd(
    folder: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder of scans (X3P and images)."),
    out: Path = typer.Option(..., "--out", help="CSV to write: a,b,score,cmc,match (one row per unordered pair)."),
    processes: int = typer.Option(0, help="Worker processes (0: all cores)."),
    details: bool = typer.Option(False, help="Add columns: log10_lr, decision, breech_face, firing_pin, rotation_deg, gate, verbal."),
    exhaustive: bool = typer.Option(False, help="Slow reference mode (finer angles, 6.25 µm cells)."),
) -> None:
    """Score every unordered pair of scans in a folder, using every core.

    ``score`` is higher for more similar pairs; ``match`` is 1 where the
    conclusion is an identification (calibrated log10 LR at or above the
    identification threshold, no quality gate fired); ``gate`` names the gates
    that withheld a conclusion. Pairs of a 3D scan and a 2D image are not comparable: their
    row has an empty score.
    """
    from rich.progress import Progress

    from ballistics_core.pairwise import compare_all

    files = scan_files(folder)
    if len(files) < 2:
        fail(f"{folder}: fewer than two scan files (.x3p, .png, .tif)")
    params = _params(exhaustive)
    sigs = []
    with Progress(transient=True, disable=not sys.stderr.isatty()) as prog:
        task = prog.add_task("signatures", total=len(files))
        for f in files:
            sigs.append(_signature(f, params))
            prog.advance(task)
    kinds = {s.kind for s in sigs}
    rows: dict[tuple[int, int], dict] = {}
    for kind in sorted(kinds):
        idx = [i for i, s in enumerate(sigs) if s.kind == kind]
        n_pairs = len(idx) * (len(idx) - 1) // 2
        with Progress(transient=True, disable=not sys.stderr.isatty()) as prog:
            task = prog.add_task(f"pairs ({kind})", total=n_pairs)
            results = compare_all([sigs[i] for i in idx], params=params, processes=processes or None,
                                  progress=lambda n: prog.advance(task, n))
        for r in results:
            rows[(idx[r.i], idx[r.j])] = r.summary
    out.parent.mkdir(parents=True, exist_ok=True)
    header = ["a", "b", "score", "cmc", "match"]
    if details:
        header += ["log10_lr", "decision", "breech_face", "firing_pin", "rotation_deg", "gate", "verbal"]
    mixed = 0
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(len(files)):
            for j in range(i + 1, len(files)):
                s = rows.get((i, j))
                if s is None:
                    mixed += 1
                    row = [files[i].stem, files[j].stem, "", 0, 0]
                    if details:
                        row += ["", "not comparable (3D vs 2D)", "", "", "", "kind_mismatch", ""]
                else:
                    row = [files[i].stem, files[j].stem, f"{s['score']:.6f}", s["cmc"], int(s["decision"] == "identification")]
                    if details:
                        fp = s["firing_pin_score"]
                        row += [f"{s['log10_lr']:.4f}", s["decision"], f"{s['breech_face_score']:.6f}",
                                "" if fp is None or (isinstance(fp, float) and math.isnan(fp)) else f"{fp:.6f}",
                                f"{s['rotation_deg']:.2f}", s.get("gate", ""), s.get("verbal", "")]
                w.writerow(row)
    n = len(files) * (len(files) - 1) // 2
    typer.echo(f"{n} pairs of {len(files)} scans written to {out}" + (f" ({mixed} 3D/2D pairs not comparable)" if mixed else ""))
