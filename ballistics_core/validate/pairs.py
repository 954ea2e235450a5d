"""The per-pair table of a validation run: outcomes joined with ground truth.

Outcomes come either from :func:`ballistics_core.pairwise.compare_all` (their
``summary`` dicts) or from a ``compare-all --details`` CSV; both are reduced to
one dict per pair with the columns of :data:`PAIR_COLUMNS`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ballistics_core.errors import BallisticsError
from ballistics_core.validate.truth import TruthEntry

__all__ = ["PAIR_COLUMNS", "DETAILS_COLUMNS", "outcome_from_summary", "read_details_csv", "form_pairs", "POOLED"]

POOLED = "pooled"
CROSS = "(across datasets)"

PAIR_COLUMNS = (
    "a", "b", "file_a", "file_b", "scan_id_a", "scan_id_b", "firearm_a", "firearm_b",
    "dataset", "in_dataset", "same_source", "score", "cmc", "log10_lr", "decision", "gate",
    "breech_face", "firing_pin", "rotation_deg",
)
# The stable columns of ``compare-all --details`` this reads; ``gate`` is optional.
DETAILS_COLUMNS = ("a", "b", "score", "cmc", "log10_lr", "decision")
_DECISIONS = ("identification", "inconclusive", "elimination")


def _num(v) -> float:
    if v is None or v == "":
        return float("nan")
    return float(v)


def outcome_from_summary(summary: dict) -> dict:
    """The columns of one pair from a ``Comparison.summary()`` dict."""
    fp = summary.get("firing_pin_score")
    return {
        "score": float(summary["score"]),
        "cmc": int(summary["cmc"]),
        "log10_lr": float(summary["log10_lr"]),
        "decision": str(summary["decision"]),
        # the quality gate that forced an inconclusive, where the engine reports one
        "gate": str(summary.get("gate", "") or ""),
        "breech_face": _num(summary.get("breech_face_score")),
        "firing_pin": _num(fp),
        "rotation_deg": _num(summary.get("rotation_deg")),
    }


def read_details_csv(path: str | Path) -> dict[tuple[str, str], dict]:
    """Outcomes from a ``compare-all --details`` CSV, keyed by the (a, b) scan names.

    Rows whose score is empty (a 3-D scan against a 2-D image) are not
    comparable and are left out.
    """
    p = Path(path)
    if not p.is_file():
        raise BallisticsError(f"pairs file {p}: not found or not a file")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BallisticsError(f"pairs file {p}: not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in DETAILS_COLUMNS if c not in header]
    if missing:
        raise BallisticsError(f"pairs file {p}: missing column(s) {', '.join(missing)}; "
                              "expected the output of 'ballistics compare-all --details'")
    out: dict[tuple[str, str], dict] = {}
    for line_no, row in enumerate(reader, start=2):
        where = f"pairs file {p}, line {line_no}"
        if None in row or any(v is None for v in row.values()):
            raise BallisticsError(f"{where}: wrong number of fields")
        if row["score"] == "":
            continue
        try:
            outcome = {
                "score": float(row["score"]),
                "cmc": int(float(row["cmc"])),
                "log10_lr": float(row["log10_lr"]),
                "decision": row["decision"],
                "gate": row.get("gate", "") or "",
                "breech_face": _num(row.get("breech_face")),
                "firing_pin": _num(row.get("firing_pin")),
                "rotation_deg": _num(row.get("rotation_deg")),
            }
        except ValueError as exc:
            raise BallisticsError(f"{where}: {exc}") from None
        if outcome["decision"] not in _DECISIONS:
            raise BallisticsError(f"{where}: unknown decision {row['decision']!r}")
        if math.isnan(outcome["score"]) or math.isnan(outcome["log10_lr"]):
            raise BallisticsError(f"{where}: score or log10_lr is NaN")
        key = (row["a"], row["b"])
        if key in out or key[::-1] in out:
            raise BallisticsError(f"{where}: pair {row['a']!r} / {row['b']!r} appears twice")
        out[key] = outcome
    return out


def form_pairs(entries: list[TruthEntry], outcomes: dict[tuple[str, str], dict]) -> tuple[list[dict], list[str]]:
    """Join outcomes with truth, one row per unordered pair of distinct cases.

    Two files of one ``scan_id`` (the same cartridge case measured or
    processed twice) are never a pair: they would test the repeatability of
    one case, not whether two cases share a firearm. A pair counts towards its
    dataset (``in_dataset``) when both scans belong to it, or to two states of
    one dataset (then the set is named like ``"Fadul2011 (processed vs raw)"``),
    and neither is a second file of a case its dataset already holds; every
    row counts towards the pooled figures.

    Returns
    -------
    rows : list of dict
        With the keys of :data:`PAIR_COLUMNS`.
    duplicates : list of str
        ``"NAME: same case as OTHER"`` for each file left out of its dataset's pairs.
    """
    first_of_case: dict[tuple[str, str], str] = {}
    dup_of: dict[str, str] = {}
    for e in entries:
        key = (e.dataset, e.scan_id)
        if key in first_of_case:
            dup_of[e.name] = first_of_case[key]
        else:
            first_of_case[key] = e.name
    rows = []
    for i, ea in enumerate(entries):
        for eb in entries[i + 1:]:
            if ea.scan_id == eb.scan_id:
                continue
            outcome = outcomes.get((ea.name, eb.name)) or outcomes.get((eb.name, ea.name))
            if outcome is None:
                continue
            if ea.dataset == eb.dataset:
                dataset = ea.dataset
            elif ea.group and ea.group == eb.group:  # one dataset, two states: raw against processed
                dataset = f"{ea.group} ({' vs '.join(sorted((ea.state, eb.state)))})"
            else:
                dataset = CROSS
            rows.append({
                "a": ea.name, "b": eb.name, "file_a": ea.relpath, "file_b": eb.relpath,
                "scan_id_a": ea.scan_id, "scan_id_b": eb.scan_id,
                "firearm_a": ea.firearm, "firearm_b": eb.firearm,
                "dataset": dataset,
                "in_dataset": dataset != CROSS and ea.name not in dup_of and eb.name not in dup_of,
                "same_source": ea.firearm == eb.firearm,
                **outcome,
            })
    duplicates = [f"{n}: same case as {o}" for n, o in dup_of.items()]
    return rows, duplicates
