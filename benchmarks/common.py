"""Helpers shared by the benchmark scripts: the reference data and its ground truth."""

from __future__ import annotations

import csv
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BALLISTICS_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "benchmarks" / "results"


def ground_truth() -> dict[str, dict]:
    """Rows of ``ground_truth.csv`` keyed by file path relative to the data folder."""
    with open(SHARED_DATA / "ground_truth.csv", newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def variance_ratio(counts, same) -> float:
    """Between-class over within-class variance of CMC counts (Song 2018).

    Class weights are the class proportions (population variances), the form
    that gives 43.2 on NIST's own Fadul counts.
    """
    import numpy as np

    c = np.asarray(counts, float)
    s = np.asarray(same, bool)
    a, b = c[s], c[~s]
    p1, p2 = len(a) / len(c), len(b) / len(c)
    between = p1 * p2 * (a.mean() - b.mean()) ** 2
    within = p1 * a.var() + p2 * b.var()
    return float(between / within) if within > 0 else float("inf")
