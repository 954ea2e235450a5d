"""Raw scans and 2-D photographs through the whole pipeline (reads ../shared/data)."""

import numpy as np
import pytest

from ballistics_core.engine import compare_signatures, make_signature
from ballistics_core.io import read_scan
from ballistics_core.preprocess.render import render_oblique


@pytest.fixture(scope="module")
def raw_fadul(shared_data):
    return {n: make_signature(read_scan(shared_data / "fadul_raw" / f"Fadul {n} raw.x3p")) for n in ("1-1", "1-2", "2-1")}


@pytest.mark.slow
def test_raw_scans_same_slide_ranks_above_different(raw_fadul):
    same = compare_signatures(raw_fadul["1-1"], raw_fadul["1-2"])
    diff = [compare_signatures(raw_fadul["1-1"], raw_fadul["2-1"]), compare_signatures(raw_fadul["1-2"], raw_fadul["2-1"])]
    assert same.decision == "identification"
    assert all(d.decision != "identification" for d in diff)
    assert same.score > max(d.score for d in diff)
    # the raw scans keep their firing-pin impressions: the channel is reported beside the breech face
    assert same.firing_pin_score is not None and all(d.firing_pin_score is not None for d in diff)
    assert raw_fadul["1-1"].firing_pin is not None


@pytest.mark.slow
def test_raw_scan_matches_processed_reference_of_its_mate(raw_fadul, shared_data):
    processed_12 = make_signature(read_scan(shared_data / "fadul" / "Fadul 1-2.x3p"))
    processed_21 = make_signature(read_scan(shared_data / "fadul" / "Fadul 2-1.x3p"))
    same = compare_signatures(raw_fadul["1-1"], processed_12)
    diff = compare_signatures(raw_fadul["1-1"], processed_21)
    assert same.cmc > diff.cmc and same.score > diff.score
    assert same.decision == "identification"


@pytest.mark.slow
def test_nbide_photographs_register_at_about_15_degrees(shared_data):
    a = make_signature(read_scan(shared_data / "nbide_2d" / "NBIDE R BF 118.png"))
    b = make_signature(read_scan(shared_data / "nbide_2d" / "NBIDE R BF 129.png"))
    assert a.kind == b.kind == "intensity"
    c = compare_signatures(a, b)
    # Tai & Eddy (2018): maximum cross-correlation about 0.36 at about 15 degrees
    assert 10 <= abs(c.rotation_deg) <= 20
    assert c.features["full_scan_r"] > 0.2


def test_rendered_topographies_compare_as_images(sample_data):
    sig = {n: make_signature(render_oblique(read_scan(sample_data / f"Fadul {n}.x3p"))) for n in ("2-1", "2-2", "3-1")}
    assert all(s.kind == "intensity" for s in sig.values())
    same = compare_signatures(sig["2-1"], sig["2-2"])
    diff = compare_signatures(sig["2-1"], sig["3-1"])
    assert same.score > diff.score
    assert np.isfinite(same.log10_lr) and same.log10_lr > diff.log10_lr
