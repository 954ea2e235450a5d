"""Command: ``validate FOLDER --truth TRUTH.csv --out DIR`` (the method-validation dossier)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from ballistics_core.cli.common import fail, guarded

_PACKAGES = ("ballistics-engine", "numpy", "scipy", "scikit-image", "scikit-learn", "opencv-python-headless",
             "numba", "lir", "matplotlib", "jinja2")


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _machine() -> dict[str, str]:
    return {"host": platform.node(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpus": str(os.cpu_count())}


def _sha256(path: Path) -> str:
    from ballistics_core.io.source import open_source

    try:
        return open_source(path).sha256
    except Exception:  # unreadable files are still listed; the reason is in their status
        return ""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _compute(entries, params, jobs: int, status: dict, sha: dict) -> dict:
    """Signatures of every entry, then every pair of scans of one kind."""
    from rich.progress import Progress

    from ballistics_core.engine import make_signature
    from ballistics_core.errors import BallisticsError
    from ballistics_core.io import read_scan
    from ballistics_core.pairwise import compare_all
    from ballistics_core.validate.pairs import outcome_from_summary

    sigs = {}
    with Progress(transient=True, disable=not sys.stderr.isatty()) as prog:
        task = prog.add_task("signatures", total=len(entries))
        for e in entries:
            try:
                scan = read_scan(e.path)
                sha[e.name] = scan.meta.get("sha256", "") or _sha256(e.path)
                sigs[e.name] = make_signature(scan, params=params)
            except (BallisticsError, OSError, MemoryError) as exc:
                status[e.name] = f"left out: cannot be read or processed: {_one_line(exc)}"
            except Exception as exc:  # a reader bug must cost one scan, not the run
                status[e.name] = f"left out: unexpected {type(exc).__name__}: {_one_line(exc)}"
            if e.name in status:
                sha.setdefault(e.name, _sha256(e.path))
                typer.echo(f"warning: {e.relpath}: {status[e.name]}", err=True)
            prog.advance(task)
    outcomes = {}
    names = list(sigs)
    for kind in sorted({s.kind for s in sigs.values()}):
        group = [n for n in names if sigs[n].kind == kind]
        if len(group) < 2:
            continue
        n_pairs = len(group) * (len(group) - 1) // 2
        with Progress(transient=True, disable=not sys.stderr.isatty()) as prog:
            task = prog.add_task(f"pairs ({kind})", total=n_pairs)
            results = compare_all([sigs[n] for n in group], params=params, processes=jobs or None,
                                  progress=lambda k: prog.advance(task, k))
        for r in results:
            outcomes[(group[r.i], group[r.j])] = outcome_from_summary(r.summary)
    return outcomes


@guarded
def validate(
    folder: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder of scans (subfolders are read)."),
    truth: Path = typer.Option(..., "--truth", help="Ground truth CSV: file, scan_id, firearm (optional dataset, state)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the dossier to (created if absent)."),
    exhaustive: bool = typer.Option(False, help="Slow reference mode (finer angles, 6.25 µm cells)."),
    jobs: int = typer.Option(0, "--jobs", help="Worker processes (0: all cores)."),
    pairs: Optional[Path] = typer.Option(None, "--pairs", help="Build the dossier from this 'compare-all --details' "
                                         "CSV of FOLDER instead of comparing again."),
    partial: bool = typer.Option(False, help="Accept truth rows naming files that are not in FOLDER."),
    lr_model: Optional[Path] = typer.Option(None, "--lr-model", exists=True, dir_okay=False,
                                            help="Likelihood-ratio model JSON to score with instead of the shipped one "
                                            "(e.g. one trained without this dataset)."),
) -> None:
    """Validate the method on scans with known ground truth and write a dossier (ISO/IEC 17025 7.2.2).

    Writes DIR/dossier.html, DIR/dossier.pdf, DIR/results.json, DIR/pairs.csv,
    DIR/files.csv and DIR/figures/: per dataset and pooled, ROC, DET, Tippett
    and ECE plots, Cllr and Cllr_min, AUC, and the rates of false
    identification, false elimination and inconclusive with 95 %
    Clopper-Pearson intervals, with every input file's SHA-256, the algorithm
    version and the parameters.
    """
    from ballistics_core import ALGORITHM_VERSION
    from ballistics_core.cli.cmd_compare import _params
    from ballistics_core.errors import BallisticsError
    from ballistics_core.io.folders import scan_files
    from ballistics_core.validate.dossier import evaluate_sets, write_dossier
    from ballistics_core.validate.pairs import form_pairs, read_details_csv
    from ballistics_core.validate.truth import assign_datasets, read_truth

    if jobs < 0:
        fail("--jobs must be 0 (all cores) or more")
    if out.exists() and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder")
    if pairs is not None and exhaustive:
        fail("--exhaustive has no effect with --pairs (the pairs are already computed); drop one")
    files = scan_files(folder)
    if not files:
        fail(f"{folder}: no scan files (.x3p, .png, .tif)")
    entries, unlabelled, absent = read_truth(truth, folder, files, partial=partial)
    entries = assign_datasets(entries, folder.resolve().name)
    params = _params(exhaustive)
    if lr_model is not None:
        if pairs is not None:
            fail("--lr-model has no effect with --pairs (the LRs are already computed); drop one")
        import dataclasses

        from ballistics_core.decide.model import load_model

        try:
            model = load_model(str(lr_model))
        except (ValueError, KeyError, TypeError) as exc:
            fail(f"--lr-model {lr_model}: not a likelihood-ratio model ({exc})")
        field = "model_intensity" if model.training.get("kind") == "intensity" else "model"
        params = dataclasses.replace(params, decide=dataclasses.replace(params.decide, **{field: str(lr_model.resolve())}))
    status: dict[str, str] = {}
    sha: dict[str, str] = {}
    if pairs is None:
        outcomes = _compute(entries, params, jobs, status, sha)
        source = "computed by this run"
    else:
        outcomes = read_details_csv(pairs)
        known = {f.stem for f in files}
        strangers = sorted({n for key in outcomes for n in key} - known)
        if strangers:
            raise BallisticsError(f"pairs file {pairs} names scan(s) not in {folder}: {', '.join(strangers[:5])}")
        for e in entries:
            sha[e.name] = _sha256(e.path)
        source = f"read from {pairs} (SHA-256 {_sha256(pairs)}), not recomputed"
    rows, duplicates = form_pairs(entries, outcomes)
    if not rows:
        fail("no pair of distinct cases could be formed from the readable, labelled scans")
    paired = {r["a"] for r in rows} | {r["b"] for r in rows}
    dup_note = {d.split(":", 1)[0]: d.split(":", 1)[1].strip() for d in duplicates}
    file_records = []
    for e in entries:
        st = status.get(e.name)
        if st is None:
            if e.name not in paired:
                st = "left out: no comparable pair" + (" in the pairs file" if pairs is not None else "")
            elif e.name in dup_note:
                st = f"used in pooled figures only ({dup_note[e.name]} in its dataset)"
            else:
                st = "used"
        file_records.append({"file": e.relpath, "sha256": sha.get(e.name, ""), "scan_id": e.scan_id,
                             "firearm": e.firearm, "dataset": e.dataset, "status": st})
    for f in unlabelled:
        file_records.append({"file": f.relative_to(folder).as_posix(), "sha256": _sha256(f), "scan_id": "",
                             "firearm": "", "dataset": "", "status": "left out: no ground-truth row"})
    provenance = {
        "folder": str(folder),
        "truth": {"path": str(truth), "sha256": _sha256(truth)},
        "pairs_source": source,
        "mode": "exhaustive" if exhaustive else "default",
        "algorithm_version": ALGORITHM_VERSION,
        "params_digest": params.digest(),
        "lr_model": str(lr_model) if lr_model is not None else params.decide.model,
        "decision_params": params.as_dict().get("decide", {}),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
        "packages": _versions(),
        "command": "ballistics " + shlex.join(sys.argv[1:]),
        "files": file_records,
        "excluded": [r for r in file_records if r["status"].startswith("left out")],
        "absent": absent,
    }
    written = write_dossier(out, rows, provenance)
    for s in evaluate_sets(rows, provenance["decision_params"]):
        p = s.performance
        fi, fe = p.rates["false_identification"], p.rates["false_elimination"]
        typer.echo(f"{s.name}: {p.n_pairs} pairs ({p.n_same_source} same source), AUC {p.auc_score:.4f}, "
                   f"Cllr {p.cllr:.3f}, Cllr_min {p.cllr_min:.3f}, false identifications {fi.k}/{fi.n}, "
                   f"false eliminations {fe.k}/{fe.n}, inconclusive {p.rates['inconclusive'].k}/{p.n_pairs}")
    n_out = len(provenance["excluded"])
    typer.echo(f"dossier written to {written['html']} and {written['pdf']}"
               + (f" ({n_out} file(s) left out, listed in the dossier)" if n_out else ""))
