"""The screening keeps every mate the full comparison finds: the worst case of
``benchmarks/screening_vs_engine.py`` on the seven bundled Fadul scans, as scanned and as
another pipeline or scan window would have left them, and the search's depth rule."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ballistics_core.engine import DEFAULT_PARAMS, make_signature
from ballistics_core.io import read_scan
from ballistics_core.search import Depth, SearchParams
from ballistics_core.search.engine import _deepen, sample_query
from ballistics_core.signature.polar import polar_correlation

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from screening_vs_engine import build_sets, screening_scores, transform_scan, transform_seed  # noqa: E402

# the slide of each bundled scan (sample_data/README.md: Fadul S-C is slide S; F is slide 1)
SLIDE = {"Fadul 1-1": 1, "Fadul 1-2": 1, "Fadul F": 1, "Fadul 2-1": 2, "Fadul 2-2": 2, "Fadul 3-1": 3, "Fadul 3-2": 3}
# the transforms whose failures motivated the centre-anchored ring band and the robust aperture fit
HARD = ("crop_inner", "crop_side", "aperture_damaged")
# on 4 Fadul scans x 7 transforms against the 39 others (benchmarks/README.md) the weakest mate
# stands 4.96 non-mate standard deviations clear in tier 1b; here, among only 4 non-mates, ask for 1
MIN_Z = 1.0


@pytest.fixture(scope="module")
def sample(sample_data):
    scans = {n: read_scan(sample_data / f"{n}.x3p") for n in SLIDE}
    gallery = {n: make_signature(s) for n, s in scans.items()}
    return scans, gallery


def _tier1b(query_sig, gallery: dict, names: list[str]) -> np.ndarray:
    _, rings = sample_query(query_sig, params=DEFAULT_PARAMS, search_params=SearchParams())
    return polar_correlation(rings, np.stack([gallery[n].ring_spectra for n in names]))


@pytest.mark.parametrize("how", [None, *HARD])
def test_every_mate_ranks_above_every_non_mate_in_the_ring_tier(sample, how):
    scans, gallery = sample
    for i, q in enumerate(["Fadul 1-1", "Fadul 2-2", "Fadul 3-1"]):
        sig = gallery[q] if how is None else make_signature(transform_scan(scans[q], how, seed=i))
        names = [n for n in SLIDE if n != q]
        s = _tier1b(sig, gallery, names)
        mate = np.array([SLIDE[n] == SLIDE[q] for n in names])
        z = (s[mate].min() - s[~mate].mean()) / s[~mate].std()
        assert s[mate].min() > s[~mate].max() and z > MIN_Z, (q, how, dict(zip(names, s.round(3))))


def test_rings_hang_on_the_centre_not_on_the_cropped_edge(sample):
    """A pipeline that kept 120 µm less of the annulus moves the fitted edge, not the centre:
    the ring spectra at the rings both scans measured stay the same."""
    scans, gallery = sample
    a = gallery["Fadul 1-1"]
    b = make_signature(transform_scan(scans["Fadul 1-1"], "crop_inner"))
    both = (np.abs(a.ring_spectra).sum(1) > 0) & (np.abs(b.ring_spectra).sum(1) > 0)
    assert both.sum() >= 8
    self_r = polar_correlation(a.ring_spectra[both], b.ring_spectra[both][None], mirror=False)[0]
    assert self_r > 0.9


def _ranked(ring_scores):
    return [(float(r), 0.0, f"{i:064x}", f"c{i}") for i, r in enumerate(ring_scores)]


def test_depth_rule_follows_mates_down_to_the_bound():
    """Candidates within the margin of the weakest mate found are compared, round after round."""
    rng = np.random.default_rng(0)
    # two mates on top, nine non-mates, a weak mate at rank 12, then the bulk of the store
    ring = np.r_[0.9, 0.3, np.linspace(0.29, 0.21, 9), 0.2, rng.normal(0.05, 0.02, 50)]
    ranked = sorted(_ranked(ring), key=lambda c: -c[0])
    is_mate = {c[2]: c[0] in (0.9, 0.3, 0.2) for c in ranked}
    assert [c[2] for c in ranked].index(next(s for s, m in is_mate.items() if m and ring[int(s, 16)] == 0.2)) == 11

    def compare(batch):
        return [{"sha256": sha, "fused": 1.5 if is_mate[sha] else 0.4, "log10_lr": 3.0 if is_mate[sha] else -1.3}
                for _, _, sha, _ in batch]

    sp = SearchParams(rescore_bound=20, depth_margin_sd=3.0, mate_log10_lr=0.0)
    rows = compare(ranked[:10])
    d = _deepen(ranked, rows, 10, 20, sp, compare)
    assert isinstance(d, Depth) and 10 < d.compared <= 20 and d.mates_found == 3
    assert {r["sha256"] for r in rows if r["log10_lr"] > 0} == {s for s, m in is_mate.items() if m}
    assert d.next_ring_score is not None and d.next_ring_score < d.ring_floor and not d.bound_reached

    tight = compare(ranked[:10])
    d2 = _deepen(ranked, tight, 10, 11, sp, compare)
    assert d2.compared == 11 and d2.bound_reached  # the bound cut off candidates the evidence asked for

    none = [{"sha256": r["sha256"], "fused": 0.4, "log10_lr": -1.3} for r in compare(ranked[:10])]
    d3 = _deepen(ranked, none, 10, 20, sp, lambda b: pytest.fail("no mate found: nothing more to compare"))
    assert d3.compared == 10 and d3.mates_found == 0 and d3.ring_floor is None and not d3.bound_reached


# The worst rows of benchmarks/results/screening/screening_vs_engine.csv among the mates the full
# comparison was run on and ranks above every non-mate of their query (engine bce-0.4.0, session 7):
# (set, query, mate, tier-1b rank, tier-1b z).
WORST_CHECKED = ("dfsc_raw", "K013sA1 raw", "K014vA2", 3, 1.48)  # the engine: 0.908, its best non-mate 0.641
WORST_TRANSFORMED = ("crop_inner", "Fadul A", "Fadul Z", 4, 4.96)  # the engine: 1.367 vs 0.489


def _place(q, gallery, mate: str) -> tuple[int, float]:
    from ballistics_core.search import SearchParams

    gal = [g for g in gallery if g.case != q.case]
    _, t1b = screening_scores(q, gal, SearchParams())
    non = np.array([g.firearm != q.firearm for g in gal])
    j = [g.name for g in gal].index(mate)
    return int(1 + (t1b > t1b[j]).sum()), float((t1b[j] - t1b[non].mean()) / t1b[non].std())


@pytest.mark.slow
def test_the_worst_engine_found_mate_keeps_its_place_in_tier1b(shared_data):
    """The weakest mate the full comparison finds (a raw DFSC scan against the processed set, the
    one set that has a mate the engine misses) stays where the table puts it, and the engine still
    ranks it above the non-mate it scored highest."""
    from ballistics_core.engine import compare_signatures

    set_name, query, mate, rank, z = WORST_CHECKED
    queries, gallery = build_sets([set_name], None)[set_name]
    q = next(e for e in queries if e.name == query)
    got_rank, got_z = _place(q, gallery, mate)
    assert got_rank <= rank and got_z >= z - 0.05, (got_rank, got_z)
    by_name = {g.name: g.sig for g in gallery}
    assert compare_signatures(q.sig, by_name[mate]).score > compare_signatures(q.sig, by_name["K004dB1"]).score


@pytest.mark.slow
def test_the_worst_transformed_mate_keeps_its_place_in_tier1b(shared_data):
    """The weakest engine-found mate over the transformed sets, rebuilt with the table's seed."""
    from screening_vs_engine import Entry, ground_truth

    how, query, mate, rank, z = WORST_TRANSFORMED
    gt = ground_truth()
    fadul = sorted(f for f in gt if f.startswith("fadul/"))
    gallery = [Entry(Path(f).stem, make_signature(read_scan(shared_data / f)), gt[f]["firearm"], gt[f]["scan_id"])
               for f in fadul]
    f = f"fadul/{query}.x3p"
    sig = make_signature(transform_scan(read_scan(shared_data / f), how, seed=transform_seed(how, f)))
    got_rank, got_z = _place(Entry(f"{query} {how}", sig, gt[f]["firearm"], gt[f]["scan_id"]), gallery, mate)
    assert got_rank <= rank and got_z >= z - 0.05, (got_rank, got_z)


@pytest.mark.slow
def test_a_crescent_face_keeps_its_mate_in_the_tier1_shortlist(shared_data):
    """DFSC K004xC3 (a large firing-pin aperture off the face's centre, a crescent of breech face):
    with the query's descriptor sampled 50 µm around the fitted centre its best mate sat at the
    24th percentile of synthetic faces, outside the 10 % shortlist of a 100,000-signature store.
    The search's default (100 µm) puts it above every one of 150 distractors; 50 µm would not."""
    from ballistics_core.search.bench import distractor_arrays
    from ballistics_core.signature.descriptor import compute_descriptor
    from ballistics_core.signature.polar import centre_offsets

    q, mate = (make_signature(read_scan(shared_data / "dfsc" / f"{n}.x3p")) for n in ("K004xC3", "K004xC2"))
    distractors, _ = distractor_arrays(range(150))

    def quantile(radius_um: float) -> float:
        d = compute_descriptor(np.asarray(q.surface, np.float32), spacing_um=q.spacing_um,
                               params=DEFAULT_PARAMS.descriptor,
                               offsets_um=centre_offsets(radius_um=radius_um, step_um=SearchParams().centre_step_um))
        mate_score = float((d @ np.asarray(mate.descriptor, np.float32)).max())
        return float(((distractors @ d.T).max(axis=1) >= mate_score).mean())

    assert quantile(SearchParams().descriptor_centre_um) == 0.0
    assert quantile(50.0) > 0.1
