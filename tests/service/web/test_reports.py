"""Review figures and the comparison report, on real sample scans."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zlib
from datetime import datetime, timezone

import numpy as np
import pytest
from PIL import Image

from ballistics_core.engine import make_signature
from ballistics_core.io import read_scan
from ballistics_core.signature.model import Signature
from service.reports.alignment import CONGRUENT, align_pair
from service.reports.comparison_report import RecordedReview, ReportContext, build_report
from service.reports.figures import firing_pin_figure, match_firing_pins, review_figures
from service.reports.pairs import ComparedPair, compare_pair
from tests.service.conftest import REPO, SAMPLE
from tests.conftest import missing


def _sig(name: str) -> Signature:
    path = SAMPLE / f"{name}.x3p"
    if not path.is_file():
        missing(f"sample scan missing: {path}")
    return make_signature(read_scan(path.read_bytes(), name=path.name))


@pytest.fixture(scope="module")
def same_pair() -> ComparedPair:
    return compare_pair(_sig("Fadul 1-1"), _sig("Fadul 1-2"), label_a="1-1", label_b="1-2")


@pytest.fixture(scope="module")
def different_pair() -> ComparedPair:
    return compare_pair(_sig("Fadul 1-1"), _sig("Fadul 2-1"), label_a="1-1", label_b="2-1")


def test_alignment_lays_b_on_a_at_the_estimated_pose(same_pair, different_pair):
    al = align_pair(same_pair)
    # Same slide: the aligned surfaces agree; a wrong sign of the rotation or the
    # translation would leave them uncorrelated like a different slide.
    assert al.overlap_r > 0.6 and al.overlap_fraction > 0.8
    assert align_pair(different_pair).overlap_r < 0.35
    cells = al.cells
    cong = cells.status == CONGRUENT
    assert cong.sum() == same_pair.comparison.cmc_ab >= 6
    # A congruent cell's match on B sits where the cell is on A (within a quarter cell).
    miss = np.hypot(*(cells.on_a[cong] - cells.on_b[cong]).T)
    assert np.median(miss) < cells.size_px / 4
    assert np.all(np.abs(cells.turn_deg[cong]) < 10)


def test_figures_are_pngs_for_a_laptop_with_alt_texts_that_carry_the_numbers(same_pair):
    figs = review_figures(same_pair)
    c = same_pair.comparison
    for name, fig in figs.items():
        im = Image.open(io.BytesIO(fig.png()))
        assert 1000 <= im.size[0] <= 1400, (name, im.size)
    assert f"CMC {c.cmc} (A to B {c.cmc_ab}, B to A {c.cmc_ba}) of {c.n_cells} cells" in figs["surfaces"].alt
    assert f"rotated {c.rotation_deg:.1f} degrees" in figs["surfaces"].alt
    assert "Pearson correlation is" in figs["overlay"].alt
    assert figs["firing_pin"].alt.startswith("No firing-pin comparison: A and B have no firing-pin impression")


def test_firing_pin_figure_turns_b_by_the_best_shift():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(40, 360)).astype(np.float32)
    a = (a + np.roll(a, 1, axis=1) + np.roll(a, 2, axis=1)) / 3  # some angular correlation
    b = np.roll(a, -37, axis=1) + rng.normal(scale=0.05, size=a.shape).astype(np.float32)
    b[:, 100:140] = np.nan

    def sig(fp):
        return Signature(surface=np.zeros((4, 4)), spacing_um=6.25, descriptor=np.zeros(4), firing_pin=fp,
                         firing_pin_spacing_um=2.0)

    pair = ComparedPair(sig(a), sig(b), comparison=None, offset_a_um=(0, 0), offset_b_um=(0, 0),
                        common_spacing_um=6.25, label_a="A", label_b="B")
    m = match_firing_pins(pair)
    assert m.r > 0.95 and m.angle_deg == pytest.approx(37.0, abs=1.01)
    fig = firing_pin_figure(pair)
    shown_b = np.ma.filled(fig.figure.axes[1].images[0].get_array(), np.nan)
    ok = np.isfinite(shown_b)
    assert np.corrcoef(shown_b[ok], a[ok])[0, 1] > 0.95  # B as drawn lies on A
    assert "turned by 37.0 degrees" in fig.alt and f"r = {m.r:.2f}" in fig.alt


def _pdf_text(pdf: bytes) -> str:
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            body = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        for arr in re.findall(rb"\[(.*?)\]\s*TJ", body, re.S):
            out.append(b"".join(re.findall(rb"\(((?:\\.|[^\\)])*)\)", arr)).decode("latin-1"))
        out += [s.decode("latin-1") for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", body)]
    return "\n".join(out)


def test_report_states_provenance_scores_and_decisions(same_pair):
    now = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    ctx = ReportContext(
        run_id=7, rank=1, query_case="N-1 (test)", candidate_case="SOUTH REF-X", query_file="Fadul 1-1.x3p",
        query_sha256=same_pair.a.source_sha256, candidate_file="Fadul 1-2.x3p",
        candidate_sha256=same_pair.b.source_sha256, generated_by="examiner.north", generated_at=now,
        reviews=(RecordedReview("identification", "marks agree", "examiner.north", now),),
    )
    pdf = build_report(same_pair, ctx, format="pdf")
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    text = _pdf_text(pdf)
    c = same_pair.comparison
    for needle in (same_pair.a.source_sha256, same_pair.b.source_sha256, c.params_digest, c.algorithm_version,
                   f"{c.cmc} of {c.n_cells} cells", f"{c.log10_lr:.2f}", "IDENTIFICATION by examiner.north",
                   "marks agree"):
        assert needle in text, needle
    png = build_report(same_pair, ctx, format="png")
    assert Image.open(io.BytesIO(png)).size[1] > Image.open(io.BytesIO(png)).size[0]  # one tall page
    with pytest.raises(ValueError):
        build_report(same_pair, ctx, format="docx")


def test_server_side_figures_never_touch_pyplot():
    code = ("import sys, service.reports.comparison_report, service.reports.cache, service.web.pages; "
            "sys.exit('matplotlib.pyplot' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0
