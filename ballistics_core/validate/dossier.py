"""Write a validation dossier: figures, tables and reports for ISO/IEC 17025 7.2.2.

:func:`write_dossier` takes the per-pair table (:mod:`ballistics_core.validate.pairs`)
and the provenance of the run (input files with SHA-256, versions, parameters)
and writes, under one folder:

- ``dossier.html``: self-contained report (figures embedded as base64 PNG);
- ``dossier.pdf``: the same content as text pages and figure pages (matplotlib);
- ``results.json``: every figure, per dataset and pooled, with the provenance;
- ``pairs.csv``: every pair's outcome and ground truth;
- ``files.csv``: every input file, its SHA-256 and whether it was used;
- ``figures/*.png``: ROC, DET, Tippett and ECE plots per dataset and pooled.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ballistics_core.validate.metrics import Performance, performance
from ballistics_core.validate.pairs import PAIR_COLUMNS, POOLED

__all__ = ["DossierSet", "evaluate_sets", "write_dossier"]

RATE_LABELS = {
    "false_identification": "False identification (identification | different source)",
    "false_elimination": "False elimination (elimination | same source)",
    "inconclusive_same_source": "Inconclusive | same source",
    "inconclusive_different_source": "Inconclusive | different source",
    "inconclusive": "Inconclusive | all pairs",
}
FIGURE_KINDS = ("roc", "det", "tippett", "ece")


@dataclass
class DossierSet:
    """One set of pairs the dossier reports on: a dataset, or all of them pooled."""

    name: str
    slug: str
    n_scans: int
    performance: Performance


def _slug(name: str, taken: set[str]) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "set"
    base, k = s, 2
    while s in taken:
        s, k = f"{base}-{k}", k + 1
    taken.add(s)
    return s


def _arrays(rows: list[dict]):
    return (np.array([r["log10_lr"] for r in rows], float), np.array([r["score"] for r in rows], float),
            np.array([bool(r["same_source"]) for r in rows], bool), np.array([r["decision"] for r in rows], object))


def _threshold(decision_params: dict, word: str) -> float | None:
    """The log10 LR threshold of one decision, found by name (``*identification*log10_lr*``)."""
    for k, v in _lr_thresholds(decision_params).items():
        if word in k:
            return v
    return None


def evaluate_sets(rows: list[dict], decision_params: dict | None = None) -> list[DossierSet]:
    """Performance per dataset (pairs with ``in_dataset``) and pooled (every row)."""
    t_id = _threshold(decision_params or {}, "identification")
    t_el = _threshold(decision_params or {}, "elimination")
    names = sorted({r["dataset"] for r in rows if r["in_dataset"]})
    taken: set[str] = set()
    sets = []
    for name in [*names, POOLED]:
        sub = [r for r in rows if r["in_dataset"] and r["dataset"] == name] if name != POOLED else rows
        if not sub:
            continue
        scans = {r["a"] for r in sub} | {r["b"] for r in sub}
        perf = performance(*_arrays(sub), gates=[r.get("gate", "") for r in sub],
                           identification_log10_lr=t_id, elimination_log10_lr=t_el)
        sets.append(DossierSet(name, _slug(name, taken), len(scans), perf))
    return sets


# ---------------------------------------------------------------- figures

def _lr_thresholds(decision_params: dict) -> dict[str, float]:
    """Decision thresholds on the log10 LR scale, read off the parameters by name."""
    out = {}
    for k, v in (decision_params or {}).items():
        if "log10_lr" in k:
            try:
                out[k] = float(v)
            except (TypeError, ValueError):
                continue
    return out


def _no_data(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"{what}: needs same- and different-source pairs", ha="center", va="center",
            transform=ax.transAxes, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


def _plot_roc(ax, perf: Performance, title: str) -> None:
    c_s, c_l = perf.curves["roc_score"], perf.curves["roc_log10_lr"]
    ax.set_title(f"ROC: {title}", fontsize=9)
    if c_s["fpr"].size == 0:
        return _no_data(ax, "ROC")
    ax.plot(c_s["fpr"], c_s["tpr"], drawstyle="steps-post", label=f"score (AUC {perf.auc_score:.3f})")
    ax.plot(c_l["fpr"], c_l["tpr"], drawstyle="steps-post", linestyle="--",
            label=f"log10 LR (AUC {perf.auc_log10_lr:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.6, linestyle=":")
    ax.set_xlabel("false-positive rate (different source above threshold)")
    ax.set_ylabel("true-positive rate")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, linestyle=":")


def _plot_det(ax, perf: Performance, title: str) -> None:
    from scipy.stats import norm

    ax.set_title(f"DET: {title}", fontsize=9)
    c_s, c_l = perf.curves["det_score"], perf.curves["det_log10_lr"]
    if c_s["fpr"].size == 0:
        return _no_data(ax, "DET")
    # probit axes; rates of exactly 0 (no error at that threshold) are drawn at the axis edge
    eps = 0.5 / max(perf.n_pairs, 1)

    def probit(p):
        return norm.ppf(np.clip(p, eps, 1 - eps))

    # markers: a perfectly separating set is a single point in the corner
    ax.plot(probit(c_s["fpr"]), probit(c_s["fnr"]), marker="o", markersize=3, clip_on=False, label="score")
    ax.plot(probit(c_l["fpr"]), probit(c_l["fnr"]), marker="x", markersize=4, linestyle="--", clip_on=False,
            label="log10 LR")
    ticks = [t for t in (0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95) if t > eps]
    for setter in (ax.set_xticks, ax.set_yticks):
        setter(norm.ppf(ticks))
    ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=7)
    ax.set_yticklabels([f"{t:g}" for t in ticks], fontsize=7)
    lim = (norm.ppf(eps) - 0.1, norm.ppf(1 - eps) + 0.1)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("false-positive rate (probit scale)")
    ax.set_ylabel("false-negative rate (probit scale)")
    ax.legend(fontsize=7)
    ax.grid(True, linestyle=":")


def _plot_tippett(ax, perf: Performance, title: str, thresholds: dict[str, float]) -> None:
    t = perf.curves["tippett"]
    ax.set_title(f"Tippett: {title}", fontsize=9)
    if t["log10_lr"].size == 0:
        return _no_data(ax, "Tippett")
    x = t["log10_lr"]
    pad = max(0.05 * float(x[-1] - x[0]), 0.25)
    # share(>= x) is constant on (x[k-1], x[k]]: steps "pre", from all pairs on the left to none on the right
    xs = np.concatenate([[x[0] - pad], x, [x[-1] + pad]])
    for key, n, colour, label in (("same_source", perf.n_same_source, "tab:red", "same source"),
                                  ("different_source", perf.n_different_source, "tab:blue", "different source")):
        if n:
            ax.step(xs, np.concatenate([[1.0], t[key], [0.0]]), where="pre", color=colour,
                    label=f"{label} (n={n})")
    ax.axvline(0, color="k", linestyle="--", linewidth=0.8)
    for name, v in thresholds.items():
        ax.axvline(v, color="grey", linestyle=":", linewidth=0.8)
        ax.text(v, 0.5, name, rotation=90, fontsize=6, va="center", ha="right", color="grey",
                transform=ax.get_xaxis_transform())
    ax.set_xlabel("log10 LR")
    ax.set_ylabel("proportion of pairs with log10 LR >= x")
    ax.set_ylim(-0.01, 1.01)
    ax.legend(fontsize=7)
    ax.grid(True, linestyle=":")


def _plot_ece(ax, perf: Performance, title: str) -> None:
    e = perf.curves["ece"]
    ax.set_title(f"ECE: {title}", fontsize=9)
    if e["log10_prior_odds"].size == 0:
        return _no_data(ax, "ECE")
    x = e["log10_prior_odds"]
    ax.plot(x, e["ece"], label=f"LRs as reported (Cllr {perf.cllr:.3f})")
    ax.plot(x, e["ece_pav"], linestyle="--", label=f"after PAV (Cllr_min {perf.cllr_min:.3f})")
    ax.plot(x, e["ece_reference"], linestyle=":", color="grey", label="LR = 1 (reference)")
    finite = np.concatenate([v[np.isfinite(v)] for v in (e["ece"], e["ece_pav"], e["ece_reference"])])
    top = float(finite.max()) if finite.size else 1.0
    ax.set_ylim(0, min(max(top, 0.1) * 1.05, 2.0))
    ax.set_xlabel("prior log10 odds")
    ax.set_ylabel("empirical cross-entropy (bits)")
    ax.legend(fontsize=7)
    ax.grid(True, linestyle=":")


def _draw(kind: str, ax, s: DossierSet, thresholds: dict[str, float]) -> None:
    title = f"{s.name} ({s.performance.n_pairs} pairs)"
    if kind == "roc":
        _plot_roc(ax, s.performance, title)
    elif kind == "det":
        _plot_det(ax, s.performance, title)
    elif kind == "tippett":
        _plot_tippett(ax, s.performance, title, thresholds)
    else:
        _plot_ece(ax, s.performance, title)


# ---------------------------------------------------------------- text

def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.{digits}f}"
    return str(v)


def _rate_text(r) -> str:
    if r.n == 0:
        return "n/a (no pairs)"
    return f"{r.k}/{r.n} = {r.rate:.4f}  [{r.lower:.4f}, {r.upper:.4f}]"


def _limitations(sets: list[DossierSet], prov: dict) -> list[str]:
    out = [
        "Pairs are not independent: every scan takes part in many pairs, so the binomial intervals "
        "(Clopper-Pearson, 95 %) understate the uncertainty of the rates.",
        "Each figure holds only for the instruments, firearm models, ammunition and preprocessing of its "
        "dataset; it says nothing about conditions that are not represented.",
        "Where a dataset was used to train or tune the score model or its calibration, its figures describe "
        "the fit, not an independent validation; only figures on data held out of training validate the method.",
        "Scans of one comparison run are compared at the coarsest lateral spacing among them, so a pair's "
        "outcome can depend slightly on which other scans were run with it (re-running compare-all on a "
        "different folder can change the last digits).",
        "Two files of the same cartridge case are never paired; such files count once per dataset.",
    ]
    for s in sets:
        p = s.performance
        fi = p.rates["false_identification"]
        if fi.n and fi.k == 0:
            out.append(f"{s.name}: no false identification in {fi.n} different-source pairs; at 95 % "
                       f"confidence the rate is below {fi.upper:.4f}, no lower bound can be claimed from these data.")
        if p.n_same_source < 30 or p.n_different_source < 30:
            out.append(f"{s.name}: small ({p.n_same_source} same-source, {p.n_different_source} "
                       "different-source pairs); its figures are indicative only.")
    if prov.get("excluded"):
        out.append(f"{len(prov['excluded'])} input file(s) were left out (see Data); the figures do not cover them.")
    return out


def _summary_lines(sets: list[DossierSet]) -> list[str]:
    lines = []
    for s in sets:
        p = s.performance
        lines += [
            f"{s.name}: {s.n_scans} scans, {p.n_pairs} pairs ({p.n_same_source} same source, "
            f"{p.n_different_source} different source)",
            f"  Cllr {_fmt(p.cllr)}   Cllr_min {_fmt(p.cllr_min)}   AUC (score) {_fmt(p.auc_score, 4)}   "
            f"AUC (log10 LR) {_fmt(p.auc_log10_lr, 4)}",
        ]
        for key, label in RATE_LABELS.items():
            lines.append(f"  {label:<60s} {_rate_text(p.rates[key])}")
        dc = p.decision_counts
        lines.append("  decisions, same source:      " + ", ".join(f"{k} {v}" for k, v in dc["same_source"].items()))
        lines.append("  decisions, different source: " + ", ".join(f"{k} {v}" for k, v in dc["different_source"].items()))
        m = p.misleading_log10_lr
        lines.append(f"  misleading LRs: same source with log10 LR < 0: {m['same_source_below_0']}, "
                     f"different source with log10 LR > 0: {m['different_source_above_0']}")
        lines.append("  decisions contradicted by their own LR: "
                     + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in p.coherence.items()))
        if p.gate_counts:
            lines.append("  quality gates fired: " + ", ".join(f"{k} {v}" for k, v in p.gate_counts.items()))
        lines.append("")
    return lines


def _report_sections(sets: list[DossierSet], prov: dict) -> list[tuple[str, list[str]]]:
    files = prov.get("files", [])
    data_lines = [f"Folder: {prov.get('folder', '')}",
                  f"Ground truth: {prov.get('truth', {}).get('path', '')} (SHA-256 {prov.get('truth', {}).get('sha256', '')})",
                  f"Pair outcomes: {prov.get('pairs_source', '')}", "",
                  f"{len(files)} input files (SHA-256, file, case, firearm, dataset, status):"]
    for f in files:
        data_lines.append(f"{f['sha256'] or '(unreadable)':<64s}  {f['file']}")
        data_lines.append(f"{'':<64s}    case {f['scan_id']}, firearm {f['firearm']}, {f['dataset']}: {f['status']}")
    if prov.get("absent"):
        data_lines += ["", "Truth rows naming files not in the folder (not validated): " + ", ".join(prov["absent"])]
    method_lines = [
        f"Algorithm version: {prov.get('algorithm_version', '')}",
        f"Engine parameter digest: {prov.get('params_digest', '')}   mode: {prov.get('mode', '')}",
        "Decision parameters recorded with the results:",
        *[f"  {k} = {v}" for k, v in (prov.get("decision_params") or {}).items()],
        "",
        "Every unordered pair of distinct cartridge cases is compared; a pair is same-source when the ground "
        "truth gives both cases the same firearm. The score orders pairs (ROC, DET, AUC); the log10 likelihood "
        "ratio is evaluated for discrimination and calibration (Cllr, Cllr_min, Tippett, ECE); the reported "
        "decision (identification / inconclusive / elimination) for error and inconclusive rates.",
        "",
        f"Date (UTC): {prov.get('date', '')}",
        f"Machine: {', '.join(f'{k} {v}' for k, v in (prov.get('machine') or {}).items())}",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in (prov.get("packages") or {}).items()),
        f"Command: {prov.get('command', '')}",
    ]
    scope = [
        "Method validation under ISO/IEC 17025:2017 clause 7.2.2: performance characteristics of the "
        "automated comparison of cartridge-case breech-face marks (3-D topographies, and 2-D images where "
        "present) for the question 'same firearm or different firearms'.",
        f"Datasets: {', '.join(s.name for s in sets if s.name != POOLED)}; 'pooled' holds every pair, including "
        "pairs across datasets.",
    ]
    return [("1. Scope", scope), ("2. Data", data_lines), ("3. Method", method_lines),
            ("4. Performance characteristics", _summary_lines(sets)),
            ("5. Limitations", _limitations(sets, prov))]


# ---------------------------------------------------------------- writers

def _json_ready(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _json_ready(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_ready(x) for x in v]
    if isinstance(v, np.generic):
        return _json_ready(v.item())
    return v


def _write_pairs_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(PAIR_COLUMNS)
        for r in rows:
            out = []
            for c in PAIR_COLUMNS:
                v = r[c]
                if isinstance(v, bool):
                    v = int(v)
                elif isinstance(v, float):
                    v = "" if math.isnan(v) else f"{v:.6f}"
                out.append(v)
            w.writerow(out)


def _write_files_csv(path: Path, files: list[dict]) -> None:
    cols = ("file", "sha256", "scan_id", "firearm", "dataset", "status")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for f in files:
            w.writerow([f.get(c, "") for c in cols])


def _text_pages(pdf, title: str, lines: list[str], *, per_page: int = 88) -> None:
    import textwrap

    import matplotlib.pyplot as plt

    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, 118, subsequent_indent="    ") or [""]
    for start in range(0, max(len(wrapped), 1), per_page):
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.06, 0.965, title + (" (continued)" if start else ""), fontsize=11, weight="bold", va="top")
        fig.text(0.06, 0.94, "\n".join(wrapped[start:start + per_page]), fontsize=6.4, family="monospace", va="top")
        pdf.savefig(fig)
        plt.close(fig)


def write_dossier(out_dir: str | Path, rows: list[dict], provenance: dict) -> dict[str, Path]:
    """Write the dossier of one validation run.

    Parameters
    ----------
    out_dir : path
        Created if absent; the files listed in the module docstring are (over)written.
    rows : list of dict
        Per-pair table (:func:`ballistics_core.validate.pairs.form_pairs`).
    provenance : dict
        ``files`` (list of dicts: file, sha256, scan_id, firearm, dataset, status),
        ``excluded``, ``absent``, ``truth``, ``folder``, ``pairs_source``, ``mode``,
        ``algorithm_version``, ``params_digest``, ``decision_params``, ``date``,
        ``machine``, ``packages``, ``command``.

    Returns
    -------
    dict of the paths written (``html``, ``pdf``, ``json``, ``pairs``, ``files`` and ``figures``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from jinja2 import Environment, PackageLoader, select_autoescape
    from matplotlib.backends.backend_pdf import PdfPages

    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    sets = evaluate_sets(rows, provenance.get("decision_params"))
    thresholds = _lr_thresholds(provenance.get("decision_params") or {})

    figures: dict[str, dict[str, str]] = {}
    written_figs = []
    for s in sets:
        figures[s.slug] = {}
        for kind in FIGURE_KINDS:
            fig, ax = plt.subplots(figsize=(5.2, 4.2))
            _draw(kind, ax, s, thresholds)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110)
            plt.close(fig)
            png = fig_dir / f"{s.slug}_{kind}.png"
            png.write_bytes(buf.getvalue())
            written_figs.append(png)
            figures[s.slug][kind] = base64.b64encode(buf.getvalue()).decode("ascii")

    results = {
        "provenance": provenance,
        "sets": {s.name: {"n_scans": s.n_scans, **s.performance.numbers()} for s in sets},
    }
    json_path = out / "results.json"
    json_path.write_text(json.dumps(_json_ready(results), indent=2, ensure_ascii=False), encoding="utf-8")
    pairs_path = out / "pairs.csv"
    _write_pairs_csv(pairs_path, rows)
    files_path = out / "files.csv"
    _write_files_csv(files_path, provenance.get("files", []))

    sections = _report_sections(sets, provenance)
    env = Environment(loader=PackageLoader("ballistics_core.validate", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = _fmt
    html = env.get_template("dossier.html.j2").render(
        prov=provenance, sets=sets, figures=figures, kinds=FIGURE_KINDS, rate_labels=RATE_LABELS,
        limitations=dict(sections)["5. Limitations"], scope=dict(sections)["1. Scope"], pooled=POOLED,
    )
    html_path = out / "dossier.html"
    html_path.write_text(html, encoding="utf-8")

    pdf_path = out / "dossier.pdf"
    with PdfPages(pdf_path, metadata={"Title": "Method validation dossier", "Subject": "ISO/IEC 17025 7.2.2",
                                      "Creator": f"ballistics-engine {provenance.get('algorithm_version', '')}"}) as pdf:
        for title, lines in sections:
            _text_pages(pdf, title, lines)
        for s in sets:
            fig, axes = plt.subplots(2, 2, figsize=(11.69, 8.27))
            for kind, ax in zip(FIGURE_KINDS, axes.ravel()):
                _draw(kind, ax, s, thresholds)
            fig.suptitle(f"{s.name}: {s.n_scans} scans, {s.performance.n_pairs} pairs", fontsize=11)
            fig.tight_layout()
            pdf.savefig(fig)
            plt.close(fig)
    return {"html": html_path, "pdf": pdf_path, "json": json_path, "pairs": pairs_path,
            "files": files_path, "figures": written_figs}
