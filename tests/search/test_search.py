"""Ranked search: tier-1 screening, filters, exclusion, shards on Dask, tier-2 rescoring."""

from __future__ import annotations

import numpy as np
import pytest

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.errors import ParamsMismatchError
from ballistics_core.search import Filters, search, top_k
from ballistics_core.signature.polar import PolarParams
from ballistics_core.signature.descriptor import descriptor_dimension
from ballistics_core.store import SignatureStore
from tests.store.sigs import DIGEST, fadul_truth, real, synth

FADUL = ["Fadul 1-1", "Fadul 1-2", "Fadul 2-1", "Fadul 2-2", "Fadul 3-1", "Fadul 3-2", "Fadul F"]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory, shared_data):
    path = tmp_path_factory.mktemp("search") / "s"
    store = SignatureStore.create(path, params_digest=DIGEST, algorithm_version=ALGORITHM_VERSION,
                                  descriptor_dim=descriptor_dimension(), ring_shape=PolarParams().shape)
    reals = {n: real(shared_data / "fadul" / f"{n}.x3p") for n in FADUL}
    # three batches so the store can later be split into shards along segments
    store.add([reals[n] for n in FADUL[:3]] + [synth(i, calibre="9mm", jurisdiction="NL") for i in range(20)])
    store.add([reals[n] for n in FADUL[3:5]] + [synth(i, calibre=".40", jurisdiction="DE", date="2020-05-01") for i in range(20, 40)])
    store.add([reals[n] for n in FADUL[5:]] + [synth(i, calibre="9mm", jurisdiction="DE", date="2023-02-01") for i in range(40, 60)])
    return path, reals


def test_top_k_is_deterministic_with_ties():
    s = np.array([0.5, 0.9, 0.5, 0.9, 0.1], np.float32)
    assert top_k(s, 3).tolist() == [1, 3, 0]
    assert top_k(s, 10).tolist() == [1, 3, 0, 2, 4]


def test_screening_finds_mates_among_distractors(small_store, shared_data):
    path, reals = small_store
    truth = fadul_truth(shared_data)
    for q in ("Fadul 1-1", "Fadul 2-2", "Fadul 3-1"):
        res = search(path, reals[q], top=5, tier2=False, exclude=[reals[q].source_sha256])
        assert res.n_screened == len(FADUL) + 60 and res.n_rescored == 0
        assert res.n_shortlisted == len(FADUL) + 60 - 1  # the default shortlist holds the whole small store
        top = [h.candidate for h in res.hits]
        assert reals[q].meta["source"] not in top
        assert truth[top[0].removesuffix(".x3p")] == truth[q], (q, top)
        scores = [h.ring_score for h in res.hits]
        assert scores == sorted(scores, reverse=True)
        # the mate stands well clear of the best distractor on the ring spectra
        best_synthetic = max(h.ring_score for h in search(path, reals[q], top=67, tier2=False).hits
                             if h.candidate.startswith("synthetic-"))
        assert res.hits[0].ring_score > best_synthetic + 0.1


def test_ring_tier_reranks_a_short_tier1_list(small_store):
    from ballistics_core.search import SearchParams

    path, reals = small_store
    q = reals["Fadul 2-1"]
    res = search(path, q, top=3, tier2=False, exclude=[q.source_sha256], search_params=SearchParams(shortlist=12))
    assert res.n_shortlisted == 12 and len(res.hits) == 3
    tier1 = search(path, q, top=12, tier2=False, exclude=[q.source_sha256], search_params=SearchParams(shortlist=12))
    assert {h.sha256 for h in res.hits} <= {h.sha256 for h in tier1.hits}


def test_the_shortlist_grows_with_the_store_beyond_its_floor(small_store):
    from ballistics_core.search import SearchParams
    from ballistics_core.store import SignatureStore

    path, reals = small_store
    q = reals["Fadul 2-1"]
    n = SignatureStore.open(path).n_rows
    assert n == len(FADUL) + 60
    floor_only = search(path, q, top=3, tier2=False, exclude=[q.source_sha256],
                        search_params=SearchParams(shortlist=12, shortlist_fraction=0.0))
    assert floor_only.n_shortlisted == 12
    # a quarter of the store, rounded up, once that is more than the floor
    res = search(path, q, top=3, tier2=False, exclude=[q.source_sha256],
                 search_params=SearchParams(shortlist=12, shortlist_fraction=0.25))
    assert res.n_shortlisted == -(-n // 4) > 12
    assert res.search_params_digest != floor_only.search_params_digest
    for bad in ({"shortlist": 0}, {"shortlist_fraction": 1.5}, {"shortlist_fraction": -0.1}, {"centre_step_um": 0}):
        with pytest.raises(ValueError):
            SearchParams(**bad)


def test_filters_restrict_candidates(small_store):
    path, reals = small_store
    q = reals["Fadul 1-1"]
    res = search(path, q, top=50, tier2=False, filters=Filters(calibre=".40"))
    assert len(res.hits) == 20 and all(h.candidate.startswith("synthetic-") for h in res.hits)
    res = search(path, q, top=50, tier2=False, filters=Filters(jurisdiction="de", date_from="2021-01-01"))
    assert {int(h.candidate.split("-")[1]) for h in res.hits} == set(range(40, 60))


def test_query_with_other_digest_is_refused(small_store):
    import dataclasses

    path, reals = small_store
    with pytest.raises(ParamsMismatchError):
        search(path, dataclasses.replace(reals["Fadul 1-1"], params_digest="ffffffffffffffff"), tier2=False)


def test_shards_on_dask_match_in_process(small_store, tmp_path):
    import shutil

    from distributed import Client, LocalCluster

    path, reals = small_store
    sharded = tmp_path / "sharded"
    shutil.copytree(path, sharded)
    SignatureStore.open(sharded).split(3)
    q = reals["Fadul 2-1"]
    one = search(path, q, top=15, tier2=False)
    local = search(sharded, q, top=15, tier2=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = search(sharded, q, top=15, tier2=False, executor="dask", client=client)
    assert [h.as_dict() for h in local.hits] == [h.as_dict() for h in one.hits]
    assert [h.as_dict() for h in dask.hits] == [h.as_dict() for h in local.hits]


def _compare_available() -> bool:
    try:
        from ballistics_core.compare import compare_signatures  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _compare_available(), reason="ballistics_core.compare.compare_signatures not in the tree yet")
def test_tier2_rescored_ranking_local_and_dask(small_store, shared_data):
    from distributed import Client, LocalCluster

    path, reals = small_store
    truth = fadul_truth(shared_data)
    q = reals["Fadul 1-2"]
    res = search(path, q, top=5, rescore=5, exclude=[q.source_sha256])
    assert res.n_rescored == res.depth.compared >= 5 and res.depth.initial == 5 and res.depth.bound == 20
    best = res.hits[0]
    assert truth[best.candidate.removesuffix(".x3p")] == truth["Fadul 1-2"]
    assert best.fused is not None and best.breech_face is not None and best.log10_lr is not None and best.decision
    fused = [h.fused for h in res.hits]
    assert fused == sorted(fused, reverse=True)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = search(path, q, top=5, rescore=5, exclude=[q.source_sha256], executor="dask", client=client)
    assert [h.as_dict() for h in dask.hits] == [h.as_dict() for h in res.hits]


def test_shard_index_follows_appends_and_tombstones(tmp_path):
    from ballistics_core.search import load_shard

    store = SignatureStore.create(tmp_path / "s", params_digest=DIGEST, algorithm_version=ALGORITHM_VERSION,
                                  descriptor_dim=descriptor_dimension(), ring_shape=PolarParams().shape)
    store.add([synth(i) for i in range(5)])
    first = load_shard(store, 0)
    assert first.matrix.shape == (5, descriptor_dimension())
    store.add([synth(i) for i in range(5, 8)])
    store.tombstone(synth(2).source_sha256, reason="test")
    grown = load_shard(SignatureStore.open(tmp_path / "s"), 0)
    assert grown.matrix.shape[0] == 8 and grown.matrix.flags.c_contiguous
    np.testing.assert_array_equal(grown.matrix[:5], first.matrix)
    assert grown.alive.tolist() == [True, True, False, True, True, True, True, True]
    res = search(tmp_path / "s", synth(2), top=8, tier2=False)
    assert synth(2).source_sha256 not in {h.sha256 for h in res.hits} and len(res.hits) == 7


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory, shared_data):
    """Three Fadul 3-D scans and the two NBIDE 2-D ring-light images in one store."""
    path = tmp_path_factory.mktemp("mixed") / "s"
    scans = {n: real(shared_data / "fadul" / f"{n}.x3p") for n in ("Fadul 1-1", "Fadul 1-2", "Fadul 2-1")}
    images = {n: real(shared_data / "nbide_2d" / f"{n}.png") for n in ("NBIDE R BF 118", "NBIDE R BF 129")}
    store = SignatureStore.create_for(path, next(iter(scans.values())))
    store.add([scans["Fadul 1-1"], images["NBIDE R BF 118"]])
    store.add([scans["Fadul 1-2"], scans["Fadul 2-1"], images["NBIDE R BF 129"]])
    return path, scans, images


@pytest.mark.slow
def test_a_query_is_compared_only_with_signatures_of_its_kind(mixed_store):
    """A 2-D image among 3-D scans (and the reverse) is searched, in full, against its own kind only:
    the engine refuses a 2-D/3-D pair, and one such pair used to fail the whole search."""
    path, scans, images = mixed_store
    img = images["NBIDE R BF 118"]
    res = search(path, img, top=5, exclude=[img.source_sha256])
    # screened counts the stored signatures of the query's kind, the excluded query itself included
    assert res.kind == "intensity" and res.n_screened == 2 and res.n_other_kind == 3
    assert [h.candidate for h in res.hits] == ["NBIDE R BF 129.png"] and res.hits[0].fused is not None
    assert res.scope() == {"kind": "intensity", "screened": 2, "other_kind_not_searched": 3}
    q = scans["Fadul 1-1"]
    res = search(path, q, top=5, exclude=[q.source_sha256])
    assert res.kind == "topography" and res.n_screened == 3 and res.n_other_kind == 2
    assert {h.candidate for h in res.hits} == {"Fadul 1-2.x3p", "Fadul 2-1.x3p"}
    assert all(h.fused is not None for h in res.hits) and res.hits[0].candidate == "Fadul 1-2.x3p"


def test_kind_is_read_from_segments_written_before_the_kind_column(mixed_store, tmp_path):
    import shutil

    import h5py

    from ballistics_core.search import load_shard

    path, scans, images = mixed_store
    old = tmp_path / "old"
    shutil.copytree(path, old)
    for seg_file in old.glob("seg-*.h5"):
        with h5py.File(seg_file, "a") as f:
            del f["kind"]  # as an earlier version wrote it: the kind only in each row's attributes
    index = load_shard(SignatureStore.open(old), 0)
    assert sorted(index.columns["kind"]) == ["intensity", "intensity", "topography", "topography", "topography"]
    q = images["NBIDE R BF 129"]
    res = search(old, q, top=5, tier2=False, exclude=[q.source_sha256])
    assert [h.candidate for h in res.hits] == ["NBIDE R BF 118.png"] and res.n_other_kind == 3
