"""The public pipeline on real scans: signatures, comparisons, decisions, provenance."""

import csv
import subprocess
import sys

import numpy as np
import pytest

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.engine import DEFAULT_PARAMS, compare_signatures, make_signature
from ballistics_core.errors import ParamsMismatchError, ScanContentError
from ballistics_core.io import read_scan
from ballistics_core.scan import Scan


@pytest.fixture(scope="module")
def sigs(sample_data):
    return {p.stem: make_signature(read_scan(p)) for p in sorted(sample_data.glob("*.x3p"))}


def test_signature_records_provenance(sigs, sample_data):
    s = sigs["Fadul 1-1"]
    assert s.algorithm_version == ALGORITHM_VERSION
    assert s.params_digest == DEFAULT_PARAMS.digest()
    assert s.source_sha256 == read_scan(sample_data / "Fadul 1-1.x3p").meta["sha256"]
    assert s.spacing_um == pytest.approx(6.25)
    assert np.isfinite(s.surface).mean() > 0.2
    assert s.firing_pin is None  # processed scans hold no firing-pin impression


def test_same_gun_identified_and_different_guns_not(sigs):
    same = compare_signatures(sigs["Fadul 1-1"], sigs["Fadul 1-2"])
    diff = compare_signatures(sigs["Fadul 1-1"], sigs["Fadul 2-1"])
    assert same.decision == "identification" and same.cmc >= 10
    assert diff.decision != "identification" and diff.cmc <= 2
    assert same.score > diff.score
    assert same.log10_lr > 1 > -1 > diff.log10_lr
    # Fadul 1-2 is turned by about 24 degrees against 1-1 (cmcR reports -24 in its own convention)
    assert abs(abs(same.rotation_deg) - 23.5) < 3
    assert same.params_digest == DEFAULT_PARAMS.digest()
    assert same.algorithm_version == ALGORITHM_VERSION


def test_comparison_is_symmetric_in_decision(sigs):
    ab = compare_signatures(sigs["Fadul 3-1"], sigs["Fadul 3-2"])
    ba = compare_signatures(sigs["Fadul 3-2"], sigs["Fadul 3-1"])
    assert ab.decision == ba.decision == "identification"
    # the rotation of B onto A is minus the rotation of A onto B
    assert abs(((ab.rotation_deg + ba.rotation_deg) + 180) % 360 - 180) < 1.5


def test_mixed_digests_and_kinds_refused(sigs):
    a = sigs["Fadul 1-1"]
    other = type(a)(surface=a.surface, spacing_um=a.spacing_um, descriptor=a.descriptor, params_digest="0" * 16)
    with pytest.raises(ParamsMismatchError, match="different parameters"):
        compare_signatures(a, other)
    image = type(a)(surface=a.surface, spacing_um=a.spacing_um, descriptor=a.descriptor, kind="intensity",
                    params_digest=a.params_digest)
    with pytest.raises(ParamsMismatchError, match="intensity"):
        compare_signatures(a, image)


def test_all_nan_scan_refused():
    scan = Scan(np.full((50, 50), np.nan, np.float32), spacing_um=6.25, meta={"sha256": "x"})
    with pytest.raises(ScanContentError):
        make_signature(scan)


def test_compare_all_cli_writes_contract_columns(tmp_path, sample_data):
    folder = tmp_path / "scans"
    folder.mkdir()
    for name in ("Fadul 1-1", "Fadul 1-2", "Fadul 2-1", "Fadul 2-2"):
        (folder / f"{name}.x3p").write_bytes((sample_data / f"{name}.x3p").read_bytes())
    out = tmp_path / "pairs.csv"
    r = subprocess.run([sys.executable, "-m", "ballistics_core.cli.app", "compare-all", str(folder), "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(out)))
    assert list(rows[0]) == ["a", "b", "score", "cmc", "match"]
    assert len(rows) == 6
    by = {(x["a"], x["b"]): x for x in rows}
    assert by[("Fadul 1-1", "Fadul 1-2")]["match"] == "1"
    assert by[("Fadul 2-1", "Fadul 2-2")]["match"] == "1"
    for key in [("Fadul 1-1", "Fadul 2-1"), ("Fadul 1-1", "Fadul 2-2"), ("Fadul 1-2", "Fadul 2-1"), ("Fadul 1-2", "Fadul 2-2")]:
        assert by[key]["match"] == "0"
        assert float(by[key]["score"]) < min(float(by[("Fadul 1-1", "Fadul 1-2")]["score"]), float(by[("Fadul 2-1", "Fadul 2-2")]["score"]))


def test_compare_cli_bad_file_is_one_line_error(tmp_path, sample_data):
    bad = tmp_path / "bad.x3p"
    bad.write_bytes(b"not a zip at all")
    r = subprocess.run([sys.executable, "-m", "ballistics_core.cli.app", "compare", str(bad), str(sample_data / "Fadul 1-1.x3p")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: bad.x3p:") and len(r.stderr.strip().splitlines()) == 1


def test_mirrored_scan_is_recognised(sigs):
    a = sigs["Fadul 2-1"]
    b = sigs["Fadul 2-2"]
    flipped = type(b)(surface=b.surface[:, ::-1], spacing_um=b.spacing_um, descriptor=b.descriptor,
                      params_digest=b.params_digest, source_sha256="mirror")
    plain = compare_signatures(a, b)
    mirrored = compare_signatures(a, flipped)
    assert not plain.mirrored and mirrored.mirrored
    assert mirrored.decision == "identification"
    assert abs(mirrored.cmc - plain.cmc) <= 3


def test_every_result_carries_its_conclusion_verbal_scale_and_quality(sigs):
    same = compare_signatures(sigs["Fadul 1-1"], sigs["Fadul 1-2"])
    s = same.summary()
    assert s["verbal"].endswith("for same source") and s["gate"] == "" and s["gate_reasons"] == []
    assert s["lr_model"] == DEFAULT_PARAMS.decide.model
    q = s["quality"]["a"]
    assert q["valid_area_mm2"] > 2 and q["spacing_um"] == pytest.approx(6.25) and q["snr"] > 1.5
    assert q["instrument"].startswith("NanoFocus") and q["source_spacing_um"] == pytest.approx(6.25)
    # the LR decides: an identification is never below its threshold
    assert same.log10_lr >= DEFAULT_PARAMS.decide.identification_log10_lr


def test_a_thin_scan_is_inconclusive_and_says_which_gate_fired(sigs):
    """A mate cut down to a corner still correlates, but too little was measured to conclude."""
    from dataclasses import replace

    a, b = sigs["Fadul 1-1"], sigs["Fadul 1-2"]
    surf = np.array(b.surface)
    keep = np.zeros_like(surf, dtype=bool)
    h, w = surf.shape
    keep[: h // 3, : w // 2] = True  # a sixth of the scan: under 1 mm² of breech face
    surf[~keep] = np.nan
    meta = {k: v for k, v in b.meta.items() if k != "quality"}  # measured again from the surface
    thin = replace(b, surface=surf, meta=meta)
    c = compare_signatures(a, thin)
    assert c.decision == "inconclusive"
    assert c.gate, c.gate_reasons
    assert all(r.split(":")[0] in c.gate.split(";") for r in c.gate_reasons)
