"""Success paths of the engine's commands on the bundled sample scans: ``compare A B``
(text and ``--json``), ``compare-all --details``, ``bench scale`` at tiny sizes and
``demo``. The commands run in process; each scan's signature and each pair's comparison
is made once for the module (the real engine, memoised by the files' SHA-256s and the
parameter digest): what these tests check is each command's own work and output.
``bench scale`` runs screening only (``--tier1-only``): a full comparison takes seconds,
and the search's rescoring has tests of its own."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ballistics_core.engine as engine
import ballistics_core.pairwise as pairwise
import ballistics_core.signature as signature_pkg
from ballistics_core.cli.app import app

SCANS = ("Fadul 1-1", "Fadul 1-2", "Fadul 2-1")  # 1-1 and 1-2 are fired by the same pistol
runner = CliRunner()


@pytest.fixture(scope="module")
def scans(tmp_path_factory, sample_data: Path) -> Path:
    """Three sample scans, with a ground_truth.csv (firearm, cartridge case) for ``bench scale``."""
    folder = tmp_path_factory.mktemp("cli") / "scans"
    folder.mkdir()
    for name in SCANS:
        src = sample_data / f"{name}.x3p"
        if not src.is_file():
            from tests.conftest import missing

            missing(f"sample scan {src} not found")
        shutil.copy(src, folder / src.name)
    with open(folder / "ground_truth.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "scan_id", "firearm"])
        for name in SCANS:
            w.writerow([f"{name}.x3p", name, f"pistol-{name.split()[1].split('-')[0]}"])
    make, compare = engine.make_signature, engine.compare_signatures
    made: dict[tuple, object] = {}

    def make_once(scan, *, params=None):
        key = (scan.meta["sha256"], (params or engine.DEFAULT_PARAMS).digest(), tuple(sorted(scan.meta)))
        if key not in made:
            made[key] = make(scan, params=params)
        return made[key]

    def compare_once(a, b, *, params=None, prepared=(None, None)):
        key = (a.source_sha256, b.source_sha256, (params or engine.DEFAULT_PARAMS).digest())
        if key not in made:
            made[key] = compare(a, b, params=params, prepared=prepared)
        return made[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "make_signature", make_once)
        mp.setattr(signature_pkg, "make_signature", make_once, raising=False)
        mp.setattr(engine, "compare_signatures", compare_once)
        mp.setattr(pairwise, "compare_signatures", compare_once)
        yield folder


def _ok(args: list[str]):
    r = runner.invoke(app, args)
    assert r.exit_code == 0, (args, r.output, r.exception)
    return r


def test_compare_text_and_json_agree(scans: Path) -> None:
    a, b = str(scans / "Fadul 1-1.x3p"), str(scans / "Fadul 1-2.x3p")
    text = _ok(["compare", a, b]).output
    lines = dict(re.findall(r"^([A-Za-z0-9 ()-]+):\s+(.*)$", text, flags=re.M))
    assert lines["A"] == "Fadul 1-1.x3p" and lines["B"] == "Fadul 1-2.x3p"
    assert lines["decision"] == "identification"
    out = json.loads(_ok(["compare", a, b, "--json"]).output)
    assert (out["a"], out["b"], out["decision"]) == ("Fadul 1-1.x3p", "Fadul 1-2.x3p", "identification")
    # The text is the JSON, rounded: one comparison, two renderings.
    assert lines["score (fused)"] == f"{out['score']:.3f}"
    assert lines["CMC"].startswith(f"{out['cmc']} of {out['n_cells']} cells (A->B {out['cmc_ab']}, B->A {out['cmc_ba']})")
    assert lines["log10 LR"] == f"{out['log10_lr']:+.2f} ({out['verbal']})"
    assert lines["rotation of B"].startswith(f"{out['rotation_deg']:+.1f} deg")
    assert out["log10_lr"] >= 2.0 and out["gate"] == "" and out["cmc"] >= 6
    assert f"algorithm {out['algorithm_version']}, parameters {out['params_digest']}" in text


def test_compare_all_details(scans: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.csv"
    r = _ok(["compare-all", str(scans), "--out", str(out), "--details", "--processes", "1"])
    assert r.output.strip() == f"3 pairs of 3 scans written to {out}"
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert list(rows[0]) == ["a", "b", "score", "cmc", "match", "log10_lr", "decision", "breech_face", "firing_pin",
                             "rotation_deg", "gate", "verbal"]
    by = {(x["a"], x["b"]): x for x in rows}
    assert set(by) == {("Fadul 1-1", "Fadul 1-2"), ("Fadul 1-1", "Fadul 2-1"), ("Fadul 1-2", "Fadul 2-1")}
    mates = by[("Fadul 1-1", "Fadul 1-2")]
    assert (mates["match"], mates["decision"], mates["gate"]) == ("1", "identification", "")
    assert float(mates["log10_lr"]) >= 2.0 and mates["verbal"]
    for key in [("Fadul 1-1", "Fadul 2-1"), ("Fadul 1-2", "Fadul 2-1")]:
        row = by[key]
        assert row["match"] == "0" and row["decision"] != "identification"
        assert float(row["log10_lr"]) < float(mates["log10_lr"]) and float(row["score"]) < float(mates["score"])
    for row in rows:  # numbers where numbers belong; no firing pin in these processed scans
        float(row["breech_face"]), float(row["rotation_deg"]), int(row["cmc"])
        assert row["firing_pin"] == ""


def test_bench_scale_tiny(scans: Path, tmp_path: Path) -> None:
    out = tmp_path / "scale.csv"
    store = tmp_path / "store"
    r = _ok(["bench", "scale", "--scans", str(scans), "--sizes", "6,12", "--out", str(out), "--tier1-only",
             "--store-dir", str(store)])
    assert f"wrote {out}" in r.output
    assert "size 6: added 3 distractors" in r.output and "size 12: added 6 distractors" in r.output
    rows = list(csv.DictReader(open(out)))
    assert list(rows[0]) == ["size", "query_seconds", "full_compare_seconds", "recall_at_10"]
    assert [int(x["size"]) for x in rows] == [6, 12]
    for row in rows:
        assert float(row["query_seconds"]) > 0 and row["full_compare_seconds"] == "nan"
        # Fadul 1-1 and 1-2 find each other among the distractors (2-1 has no mate here).
        assert float(row["recall_at_10"]) == 1.0
    queries = list(csv.DictReader(open(tmp_path / "scale_queries.csv")))
    assert len(queries) == 2 * len(SCANS)
    ranks = {(q["size"], q["query"]): q["first_mate_rank"] for q in queries}
    assert all(ranks[(size, "Fadul 2-1")] == "" for size in ("6", "12"))
    assert all(ranks[(size, name)] for size in ("6", "12") for name in ("Fadul 1-1", "Fadul 1-2"))
    assert all(q["full_comparisons"] == "0" for q in queries)
    # The store it kept holds the real scans and the distractors, and checks clean.
    from ballistics_core.store import SignatureStore

    kept = SignatureStore.open(store)
    assert len(kept) == 12 and kept.check_integrity() == []


def test_demo_ranks_the_mate_first(scans: Path) -> None:
    out = _ok(["demo", "--folder", str(scans), "--query", "Fadul 1-1"]).output
    assert f"Reading and preprocessing 3 scans from {scans}" in out
    table = out.split("Ranked candidates for Fadul 1-1:")[1].strip().splitlines()
    assert table[0].split() == ["rank", "candidate", "score", "CMC", "log10", "LR", "rotation", "decision"]
    first, second = table[1].split(), table[2].split()
    assert first[:3] == ["1", "Fadul", "1-2"] and first[-1] == "identification"
    assert second[:3] == ["2", "Fadul", "2-1"] and second[-1] != "identification"
    assert float(first[3]) > float(second[3])
    assert re.search(r"^algorithm \S+, parameters [0-9a-f]{16}$", out, flags=re.M)


def test_demo_refuses_an_unknown_query(scans: Path) -> None:
    r = runner.invoke(app, ["demo", "--folder", str(scans), "--query", "Fadul 9-9"])
    assert r.exit_code == 2 and "query 'Fadul 9-9' not among Fadul 1-1, Fadul 1-2, Fadul 2-1" in r.output
