"""``ballistics validate``: a dossier from real Fadul scans, numbers checked against the metrics."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.cli.app import app
from ballistics_core.engine import EngineParams
from ballistics_core.validate.metrics import performance
from tests.conftest import missing

SCANS = ("Fadul 1-1", "Fadul 1-2", "Fadul 2-1")  # 3 pairs: one same-firearm, two different
TRUTH_HEADER = "file,dataset,scan_id,firearm,state\n"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _pdf_pages(data: bytes) -> int:
    # matplotlib writes one uncompressed page object per page
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def _perf_from_pairs_csv(path: Path, dataset: str | None = None):
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if dataset is not None:
        rows = [r for r in rows if r["dataset"] == dataset and r["in_dataset"] == "1"]
    return performance(np.array([float(r["log10_lr"]) for r in rows]), np.array([float(r["score"]) for r in rows]),
                       np.array([r["same_source"] == "1" for r in rows]), np.array([r["decision"] for r in rows]))


@pytest.fixture(scope="module")
def fadul_run(tmp_path_factory, sample_data: Path):
    absent = [s for s in SCANS if not (sample_data / f"{s}.x3p").is_file()]
    if absent:
        missing(f"sample scans {absent} not in {sample_data}")
    root = tmp_path_factory.mktemp("validate")
    folder = root / "scans"
    (folder / "fadul").mkdir(parents=True)
    for s in SCANS:
        shutil.copy(sample_data / f"{s}.x3p", folder / "fadul" / f"{s}.x3p")
    (folder / "fadul" / "broken.x3p").write_bytes(b"PK\x03\x04 not a scan")
    truth = root / "truth.csv"
    truth.write_text(TRUTH_HEADER + "".join(
        f"fadul/{s}.x3p,Fadul2011,{s},slide{s.split()[1].split('-')[0]},processed\n" for s in SCANS)
        + "fadul/broken.x3p,Fadul2011,broken,slide9,processed\n", encoding="utf-8")
    out = root / "dossier"
    result = CliRunner().invoke(app, ["validate", str(folder), "--truth", str(truth), "--out", str(out), "--jobs", "1"])
    return folder, truth, out, result


def test_validate_writes_html_pdf_json_and_pairs(fadul_run) -> None:
    folder, truth, out, result = fadul_run
    assert result.exit_code == 0, result.output
    assert "broken.x3p" in result.stderr and "left out" in result.stderr
    html = (out / "dossier.html").read_text(encoding="utf-8")
    for f in sorted((folder / "fadul").glob("*.x3p")):
        assert _sha(f) in html, f"SHA-256 of {f.name} missing from the HTML"
        assert f.name in html
    assert _sha(truth) in html
    assert ALGORITHM_VERSION in html and EngineParams().digest() in html
    assert "identification_log10_lr" in html and "7.2.2" in html
    assert html.count("data:image/png;base64,") == 8  # 4 plots x (dataset + pooled)
    pdf = (out / "dossier.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert _pdf_pages(pdf) >= 7  # 5 text sections + 2 figure pages
    assert len(list((out / "figures").glob("*.png"))) == 8
    with open(out / "files.csv", encoding="utf-8") as fh:
        files = {r["file"]: r for r in csv.DictReader(fh)}
    assert files["fadul/broken.x3p"]["status"].startswith("left out")
    assert files["fadul/broken.x3p"]["sha256"] == _sha(folder / "fadul" / "broken.x3p")
    assert all(files[f"fadul/{s}.x3p"]["status"] == "used" for s in SCANS)


def test_validate_numbers_match_metrics_computed_directly(fadul_run) -> None:
    _, _, out, result = fadul_run
    assert result.exit_code == 0, result.output
    with open(out / "pairs.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 and sum(r["same_source"] == "1" for r in rows) == 1
    assert {r["dataset"] for r in rows} == {"Fadul2011"}
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(results["sets"]) == {"Fadul2011", "pooled"}
    direct = _perf_from_pairs_csv(out / "pairs.csv")
    got = results["sets"]["Fadul2011"]
    assert got["n_pairs"] == 3 and got["n_same_source"] == 1
    assert got["cllr"] == pytest.approx(direct.cllr, rel=1e-4)
    assert got["cllr_min"] == pytest.approx(direct.cllr_min, abs=1e-9)
    assert got["auc_score"] == pytest.approx(direct.auc_score)
    for key, rate in direct.rates.items():
        assert got["rates"][key]["k"] == rate.k and got["rates"][key]["n"] == rate.n
        assert got["rates"][key]["upper"] == pytest.approx(rate.upper)
    # the real engine separates these three Fadul scans
    assert got["auc_score"] == 1.0
    assert got["rates"]["false_identification"]["k"] == 0 and got["rates"]["false_elimination"]["k"] == 0
    prov = results["provenance"]
    assert prov["params_digest"] == EngineParams().digest() and prov["algorithm_version"] == ALGORITHM_VERSION
    assert prov["decision_params"] == EngineParams().as_dict()["decide"]
    assert prov["packages"]["lir"] != "not installed"


def test_validate_from_compare_all_details_csv_gives_the_same_figures(fadul_run, tmp_path: Path) -> None:
    folder, truth, out, result = fadul_run
    assert result.exit_code == 0, result.output
    with open(out / "pairs.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    details = tmp_path / "details.csv"
    with open(details, "w", newline="", encoding="utf-8") as fh:  # compare-all --details columns
        w = csv.writer(fh)
        w.writerow(["a", "b", "score", "cmc", "match", "log10_lr", "decision", "breech_face", "firing_pin", "rotation_deg"])
        for r in rows:
            w.writerow([r["a"], r["b"], r["score"], r["cmc"], int(r["decision"] == "identification"), r["log10_lr"],
                        r["decision"], r["breech_face"], r["firing_pin"], r["rotation_deg"]])
    again = tmp_path / "again"
    res = CliRunner().invoke(app, ["validate", str(folder), "--truth", str(truth), "--out", str(again),
                                   "--pairs", str(details)])
    assert res.exit_code == 0, res.output
    a = json.loads((out / "results.json").read_text())["sets"]
    b = json.loads((again / "results.json").read_text())["sets"]
    for name in a:
        assert b[name]["n_pairs"] == a[name]["n_pairs"]
        assert b[name]["cllr"] == pytest.approx(a[name]["cllr"], rel=1e-4)
        assert b[name]["rates"] == a[name]["rates"]
    assert "not recomputed" in (again / "dossier.html").read_text()


def _stub_folder(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "scans"
    for n in names:
        p = folder / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"stub " + n.encode())  # only hashed in --pairs mode
    return folder


def test_datasets_from_subfolders_duplicates_and_gate_column(tmp_path: Path) -> None:
    # no dataset column: subfolders are the datasets; 'A1 raw' is a second file of case A1
    names = ["x/A1.x3p", "x/A1 raw.x3p", "x/A2.x3p", "x/B1.x3p", "y/C1.x3p", "y/C2.x3p", "y/D1.x3p"]
    folder = _stub_folder(tmp_path, names)
    truth = tmp_path / "t.csv"
    truth.write_text("file,scan_id,firearm\n" + "".join(
        f"{n},{Path(n).stem.split()[0]},{Path(n).stem[0]}\n" for n in names), encoding="utf-8")
    stems = [Path(n).stem for n in names]
    rng = np.random.default_rng(0)
    details = tmp_path / "d.csv"
    with open(details, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "score", "cmc", "match", "log10_lr", "decision", "breech_face", "firing_pin",
                    "rotation_deg", "gate"])
        for i, a in enumerate(stems):
            for b in stems[i + 1:]:
                same = a[0] == b[0]
                llr = (2.0 if same else -2.0) + rng.normal(0, 0.5)
                gate = "small overlap" if a == "A1 raw" else ""
                dec = "inconclusive" if gate else ("identification" if llr > 1 else "elimination" if llr < -1 else "inconclusive")
                w.writerow([a, b, f"{llr:.4f}", 0, 0, f"{llr:.4f}", dec, f"{llr:.4f}", "", "0.0", gate])
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["validate", str(folder), "--truth", str(truth), "--out", str(out),
                                   "--pairs", str(details)])
    assert res.exit_code == 0, res.output
    with open(out / "pairs.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert not any({r["a"], r["b"]} == {"A1", "A1 raw"} for r in rows)  # one case is never paired with itself
    assert len(rows) == 21 - 1
    assert all(r["gate"] == "small overlap" for r in rows if "A1 raw" in (r["a"], r["b"]))
    results = json.loads((out / "results.json").read_text())["sets"]
    assert set(results) == {"x", "y", "pooled"}
    assert results["x"]["n_pairs"] == 3  # A1, A2, B1 ('A1 raw' counts once, in pooled only)
    assert results["y"]["n_pairs"] == 3 and results["pooled"]["n_pairs"] == 20
    direct = _perf_from_pairs_csv(out / "pairs.csv", "x")
    assert results["x"]["cllr"] == pytest.approx(direct.cllr, rel=1e-4)
    with open(out / "files.csv", encoding="utf-8") as fh:
        status = {r["file"]: r["status"] for r in csv.DictReader(fh)}
    pooled_only = [f for f, st in status.items() if st.startswith("used in pooled figures only")]
    assert pooled_only in (["x/A1 raw.x3p"], ["x/A1.x3p"]), status


BAD_TRUTHS = {
    "missing_column": ("file,scan_id\nfadul/Fadul 1-1.x3p,Fadul 1-1\n", r"missing column\(s\) firearm"),
    "unknown_file": (TRUTH_HEADER + "fadul/Fadul 1-1.x3p,F,Fadul 1-1,s1,processed\nfadul/nope.x3p,F,n,s1,processed\n",
                     r"not found in .*'fadul/nope.x3p'"),
    "short_row": (TRUTH_HEADER + "fadul/Fadul 1-1.x3p,F,Fadul 1-1\n", r"line 2: 3 fields, header has 5"),
    "empty_firearm": (TRUTH_HEADER + "fadul/Fadul 1-1.x3p,F,Fadul 1-1,,processed\n", r"line 2: empty 'firearm'"),
    "listed_twice": (TRUTH_HEADER + "fadul/Fadul 1-1.x3p,F,a,s1,processed\nfadul/Fadul 1-1.x3p,F,a,s1,processed\n",
                     r"line 3: .* already given on line 2"),
    "two_firearms": (TRUTH_HEADER + "fadul/Fadul 1-1.x3p,F,a,s1,processed\nfadul/Fadul 1-2.x3p,F,a,s2,processed\n",
                     r"case 'a' is given firearm 's2' here and 's1' on line 2"),
    "empty": ("", r"empty"),
    "no_rows": (TRUTH_HEADER, r"no rows"),
}


@pytest.mark.parametrize("case", sorted(BAD_TRUTHS))
def test_bad_truth_files_end_in_one_error_line(case: str, tmp_path: Path) -> None:
    folder = _stub_folder(tmp_path, ["fadul/Fadul 1-1.x3p", "fadul/Fadul 1-2.x3p"])
    text, pattern = BAD_TRUTHS[case]
    truth = tmp_path / "truth.csv"
    truth.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(folder), "--truth", str(truth), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and re.search(pattern, lines[0]), res.stderr
    assert not (tmp_path / "o").exists()


def test_binary_truth_file_and_bad_pairs_file(tmp_path: Path) -> None:
    folder = _stub_folder(tmp_path, ["a.x3p", "b.x3p"])
    truth = tmp_path / "truth.csv"
    truth.write_bytes(b"\xff\xfe\x00\x01garbage")
    res = CliRunner().invoke(app, ["validate", str(folder), "--truth", str(truth), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and res.stderr.startswith("error: ") and "not UTF-8" in res.stderr
    truth.write_text("file,scan_id,firearm\na.x3p,a,g1\nb.x3p,b,g1\n", encoding="utf-8")
    pairs = tmp_path / "p.csv"
    pairs.write_text("a,b,score\na,b,1.0\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(folder), "--truth", str(truth), "--out", str(tmp_path / "o"),
                                   "--pairs", str(pairs)])
    assert res.exit_code == 2 and "missing column(s) cmc, log10_lr, decision" in res.stderr, res.output
    assert len(res.stderr.strip().splitlines()) == 1


def test_states_of_one_dataset_are_split_and_crossed(tmp_path: Path) -> None:
    names = ["p/A1.x3p", "p/A2.x3p", "p/B1.x3p", "r/A1 raw.x3p", "r/B2 raw.x3p", "q/C1.x3p"]
    folder = _stub_folder(tmp_path, names)
    truth = tmp_path / "t.csv"
    lines = [TRUTH_HEADER]
    for n in names:
        stem = Path(n).stem
        ds, state = ("other", "processed") if stem == "C1" else ("D", "raw" if "raw" in stem else "processed")
        lines.append(f"{n},{ds},{stem.split()[0]},{stem[0]},{state}\n")
    truth.write_text("".join(lines), encoding="utf-8")
    stems = [Path(n).stem for n in names]
    details = tmp_path / "d.csv"
    with open(details, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "score", "cmc", "log10_lr", "decision"])
        for i, a in enumerate(stems):
            for b in stems[i + 1:]:
                llr = 3.0 if a[0] == b[0] else -3.0
                w.writerow([a, b, llr, 0, llr, "identification" if llr > 0 else "elimination"])
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["validate", str(folder), "--truth", str(truth), "--out", str(out),
                                   "--pairs", str(details)])
    assert res.exit_code == 0, res.output
    sets = json.loads((out / "results.json").read_text())["sets"]
    assert set(sets) == {"D (processed)", "D (raw)", "D (processed vs raw)", "other", "pooled"} - {"other"}
    assert sets["D (processed)"]["n_pairs"] == 3 and sets["D (raw)"]["n_pairs"] == 1
    # processed x raw, less A1 against its own raw file
    assert sets["D (processed vs raw)"]["n_pairs"] == 3 * 2 - 1
    assert sets["pooled"]["n_pairs"] == 15 - 1
    assert sets["pooled"]["coherence"]["identification_with_log10_lr_below_0"] == 0
