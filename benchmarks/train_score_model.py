"""Train the likelihood-ratio models on every labelled set, and measure how they transfer.

Two steps, so that the expensive one is done once:

``features``
    Pair features of every labelled set through the engine
    (``compare_all(features_only=True)``), cached as
    ``benchmarks/results/compare/features_<set>.csv``:
    ``fadul`` (780 pairs), ``dfsc`` (deduplicated by scan id, 136 pairs),
    ``raw`` (the raw scans against each other and every processed scan),
    ``fadul2d`` (the Fadul scans rendered as 2-D images, for the intensity model).
``fit``
    Fits score, calibration (lir) and ELUB bounds on the pooled pairs and
    reports, for the model as it will be used: leave one *dataset* out (trained
    without DFSC, scored on DFSC, and the other way round) and leave one
    firearm out; ``--write`` ships the model in ``ballistics_core/decide/models``.

Usage::

    python benchmarks/train_score_model.py features [--sets fadul,dfsc,raw,fadul2d]
    python benchmarks/train_score_model.py fit [--kind topography|intensity] [--write]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, RESULTS, SHARED_DATA, ground_truth  # noqa: E402

from ballistics_core.decide.calibration import fit_lr_model  # noqa: E402
from ballistics_core.validate.metrics import cllr, cllr_min  # noqa: E402
from ballistics_core.decide.features import FEATURE_NAMES  # noqa: E402
from ballistics_core.engine import DEFAULT_PARAMS, combined_cmc, make_signature, prepare_signature, pair_evidence  # noqa: E402
from ballistics_core.io import read_scan  # noqa: E402
from ballistics_core.pairwise import compare_all  # noqa: E402
from ballistics_core.preprocess.render import render_oblique  # noqa: E402

OUT = RESULTS / "compare"
# 2-D training images: the Fadul topographies under one fixed oblique light
LIGHT = {"azimuth_deg": 45.0, "elevation_deg": 30.0}
# The score: translation convergence (the share of all cells whose own best
# offset agrees with the consensus, whatever their correlation) and the CMC
# share count agreement of positions, which no instrument's filtering or noise
# level rescales; correlation amplitudes (full-scan r, mean cell r) do depend on
# them. The CMC share enters with a quarter of the weight: between different
# firearms its spread depends on the instrument (sd 0.020 on Fadul, 0.063 on
# DFSC, where one kit's pistols share subclass marks), the convergence's does not.
SCORE_FEATURES = ("translation_convergence", "cmc_fraction")
SCORE_WEIGHTS = (1.0, 0.25)
MATE_FAILURE_RATE = 0.05


def _dataset(row) -> str:
    return {"Fadul2011": "fadul", "DFSC/Baldwin2014": "dfsc"}.get(row["dataset"], row["dataset"])


def _sets(gt):
    fadul = sorted(f for f in gt if f.startswith("fadul/"))
    by_id: dict[str, str] = {}
    for f, r in sorted(gt.items()):
        if r["dataset"].startswith("DFSC") and (r["scan_id"] not in by_id or r["state"] == "processed"):
            by_id[r["scan_id"]] = f
    dfsc = sorted(by_id.values())
    raw = sorted(f for f, r in gt.items() if r["state"] == "raw")
    processed = sorted(f for f, r in gt.items() if r["state"] == "processed")
    raw_ids = {gt[f]["scan_id"] for f in raw}
    # a raw scan against every processed scan of another case, and against the other raw scans
    raw_set = raw + [f for f in processed if gt[f]["scan_id"] not in raw_ids]
    raw_pairs = [(i, j) for i, j in itertools.combinations(range(len(raw_set)), 2) if i < len(raw)]
    return {"fadul": (fadul, None, "topography"), "dfsc": (dfsc, None, "topography"),
            "raw": (raw_set, raw_pairs, "topography"), "fadul2d": (fadul, None, "intensity")}


def _features_of(files, pairs, kind):
    scans = [read_scan(SHARED_DATA / f) for f in files]
    if kind == "intensity":
        scans = [render_oblique(s, **LIGHT) for s in scans]
    sigs = [make_signature(s) for s in scans]
    if pairs is None:
        res = compare_all(sigs, features_only=True)
        return [(r.i, r.j, r.features, r.cmc_ab, r.cmc_ba) for r in res], sigs
    common = max(s.spacing_um for s in sigs)
    prep = [prepare_signature(s, spacing_um=common) for s in sigs]
    out = []
    for i, j in pairs:
        _, m_ab, m_ba, feats = pair_evidence(prep[i], prep[j])
        out.append((i, j, feats, m_ab.count, m_ba.count))
    return out, sigs


def cmd_features(sets: list[str]) -> None:
    gt = ground_truth()
    defs = _sets(gt)
    OUT.mkdir(parents=True, exist_ok=True)
    phases = DEFAULT_PARAMS.compare.cell_grid_phases
    for name in sets:
        files, pairs, kind = defs[name]
        t = time.perf_counter()
        res, sigs = _features_of(files, pairs, kind)
        dt = time.perf_counter() - t
        path = OUT / f"features_{name}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["a", "b", "dataset_a", "dataset_b", "firearm_a", "firearm_b", "same_firearm", "kind",
                        *FEATURE_NAMES, "cmc", "cmc_ab", "cmc_ba"])
            for i, j, feats, cab, cba in res:
                ra, rb = gt[files[i]], gt[files[j]]
                w.writerow([Path(files[i]).stem, Path(files[j]).stem, _dataset(ra), _dataset(rb), ra["firearm"],
                            rb["firearm"], int(ra["firearm"] == rb["firearm"]), kind,
                            *(f"{v:.6g}" for v in feats), combined_cmc(cab, cba, phases), cab, cba])
        print(f"{name}: {len(res)} pairs in {dt:.0f} s -> {path}")


def _load(names):
    rows = []
    for name in names:
        with open(OUT / f"features_{name}.csv", newline="") as fh:
            for r in csv.DictReader(fh):
                r["set"] = name
                rows.append(r)
    return rows


def _arrays(rows, features):
    X = np.array([[float(r[f]) for f in features] for r in rows])
    y = np.array([int(r["same_firearm"]) for r in rows])
    groups = np.array([(f"{r['dataset_a']}:{r['firearm_a']}", f"{r['dataset_b']}:{r['firearm_b']}") for r in rows])
    return X, y, groups


def _datasets(rows):
    """Each pair's dataset: its two scans' dataset where they share one, else the two joined."""
    return np.array([r["dataset_a"] if r["dataset_a"] == r["dataset_b"] else f"{r['dataset_a']}+{r['dataset_b']}"
                     for r in rows])


def _evaluate(model, rows, features) -> dict:
    X, y, _ = _arrays(rows, features)
    rule = DEFAULT_PARAMS.decide
    scores = np.array([model.score(dict(zip(features, x))) for x in X])
    llr = np.array([model.log10_lr(s) for s in scores])
    ident = llr >= rule.identification_log10_lr
    elim = llr <= rule.elimination_log10_lr
    out = {"pairs": int(len(y)), "same_source_pairs": int(y.sum())}
    if 0 < y.sum() < len(y):
        out.update({
            "auc": float(roc_auc_score(y, scores)),
            "cllr": cllr(llr, y), "cllr_min": cllr_min(llr, y),
            "false_identifications": int((ident & (y == 0)).sum()),
            "false_eliminations": int((elim & (y == 1)).sum()),
            "inconclusive_same_source": int((~ident & ~elim & (y == 1)).sum()),
            "inconclusive_different_source": int((~ident & ~elim & (y == 0)).sum()),
            "min_same_source_log10_lr": float(llr[y == 1].min()),
            "max_different_source_log10_lr": float(llr[y == 0].max()),
            "every_same_above_every_different": bool(scores[y == 1].min() > scores[y == 0].max()),
        })
    return out


def _in(rows, dataset, both=True):
    if both:
        return [r for r in rows if r["dataset_a"] == dataset and r["dataset_b"] == dataset]
    return [r for r in rows if dataset not in (r["dataset_a"], r["dataset_b"])]


def cmd_fit(kind: str, write: bool) -> None:
    names = ["fadul", "dfsc", "raw"] if kind == "topography" else ["fadul2d"]
    names = [n for n in names if (OUT / f"features_{n}.csv").exists()]
    features = SCORE_FEATURES
    fit = dict(feature_names=features, coef=SCORE_WEIGHTS, mate_failure_rate=MATE_FAILURE_RATE)
    rows = _load(names)
    X, y, groups = _arrays(rows, features)
    data = ("Fadul et al. 2011 (NIST, NanoFocus, 40 processed + 3 raw scans) and DFSC/Baldwin 2014 "
            "(Cadre TopMatch, 17 scans + 2 raw): all pairs within each set, every raw scan against every other scan"
            if kind == "topography" else f"Fadul et al. 2011, 40 processed scans rendered as 2-D images under {LIGHT}")
    model = fit_lr_model(X, y, groups, name="pooled", training={"data": data, "kind": kind}, datasets=_datasets(rows), **fit)
    report = {"kind": kind, "sets": names, "features": list(features), "weights": list(SCORE_WEIGHTS),
              "mate_failure_rate": MATE_FAILURE_RATE,
              "bounds": [model.lower_log10_lr, model.upper_log10_lr],
              "cross_validated": model.training["cross_validated"]}
    if kind == "topography":
        lodo = {}
        for held in ("dfsc", "fadul"):
            train = _in(rows, held, both=False)
            Xt, yt, gt_ = _arrays(train, features)
            m = fit_lr_model(Xt, yt, gt_, name=f"{kind}-without-{held}", training={"data": f"{data}; without {held}",
                                                                                  "kind": kind, "sets": names},
                             datasets=_datasets(train), **fit)
            # kept so that `ballistics validate --lr-model` can score the held-out set with it
            (OUT / "models").mkdir(exist_ok=True)
            (OUT / "models" / f"{m.name}.json").write_text(m.to_json())
            lodo[f"trained_without_{held}"] = {"bounds": [m.lower_log10_lr, m.upper_log10_lr],
                                                held: _evaluate(m, _in(rows, held), features),
                                                f"{held}_raw_pairs": _evaluate(m, [r for r in rows if r["set"] == "raw" and held in (r["dataset_a"], r["dataset_b"])], features)}
        report["leave_one_dataset_out"] = lodo
        report["pooled_model_on"] = {s: _evaluate(model, [r for r in rows if r["set"] == s], features) for s in names}
    else:
        report["pooled_model_on"] = {"fadul2d": _evaluate(model, rows, features)}
    print(json.dumps(report, indent=2))
    (OUT / f"lr_model_{kind}.json").write_text(json.dumps(report, indent=2) + "\n")
    if write:
        name = DEFAULT_PARAMS.decide.model if kind == "topography" else DEFAULT_PARAMS.decide.model_intensity
        shipped = fit_lr_model(X, y, groups, name=name, datasets=_datasets(rows), **fit,
                               training={"data": data, "sets": names, "kind": kind,
                                         "compare_params_digest": DEFAULT_PARAMS.compare.digest(),
                                         "leave_one_dataset_out": report.get("leave_one_dataset_out", {})})
        out = REPO / "ballistics_core" / "decide" / "models" / f"{name}.json"
        out.write_text(shipped.to_json())
        print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features")
    f.add_argument("--sets", default="fadul,dfsc,raw,fadul2d")
    t = sub.add_parser("fit")
    t.add_argument("--kind", choices=["topography", "intensity"], default="topography")
    t.add_argument("--write", action="store_true")
    a = ap.parse_args()
    if a.cmd == "features":
        cmd_features([s for s in a.sets.split(",") if s])
    else:
        cmd_fit(a.kind, a.write)


if __name__ == "__main__":
    main()
