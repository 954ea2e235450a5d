"""All-pairs comparison of a set of signatures, on every core.

Per-scan work (resampling, cell grids, template spectra) is done once per scan
in the parent and shared with forked worker processes; only the per-pair work
runs in the workers.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ballistics_core.compare.runtime import set_fft_workers
from ballistics_core.engine import DEFAULT_PARAMS, EngineParams, compare_signatures, pair_evidence, prepare_signature
from ballistics_core.signature.model import Signature

__all__ = ["PairResult", "compare_all"]

_STATE: dict = {}


@dataclass(frozen=True)
class PairResult:
    """One unordered pair: indices into the input and either a summary or features."""

    i: int
    j: int
    summary: dict | None
    features: np.ndarray | None
    cmc_ab: int
    cmc_ba: int


def _work(ij: tuple[int, int]) -> PairResult:
    i, j = ij
    sigs, prep, params, features_only = _STATE["sigs"], _STATE["prep"], _STATE["params"], _STATE["features_only"]
    if features_only:
        _, m_ab, m_ba, feats = pair_evidence(prep[i], prep[j], params=params)
        return PairResult(i, j, None, feats, m_ab.count, m_ba.count)
    c = compare_signatures(sigs[i], sigs[j], params=params, prepared=(prep[i], prep[j]))
    return PairResult(i, j, c.summary(), None, c.cmc_ab, c.cmc_ba)


def _init_worker() -> None:
    set_fft_workers(1)


def compare_all(
    signatures: Sequence[Signature],
    *,
    params: EngineParams | None = None,
    processes: int | None = None,
    features_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[PairResult]:
    """Compare every unordered pair.

    Parameters
    ----------
    signatures : sequence of Signature
    params : EngineParams, optional
    processes : int, optional
        Worker processes (default: all cores). 1 runs in this process.
    features_only : bool
        Return the feature vectors instead of full comparisons (model training).
    progress : callable, optional
        Called with the number of pairs finished since the last call.

    Returns
    -------
    list of PairResult, in ``itertools.combinations`` order.
    """
    params = params or DEFAULT_PARAMS
    sigs = list(signatures)
    common = max(s.spacing_um for s in sigs) if sigs else 0.0
    prep = [prepare_signature(s, params=params, spacing_um=common) for s in sigs]
    pairs = list(itertools.combinations(range(len(sigs)), 2))
    _STATE.update(sigs=sigs, prep=prep, params=params, features_only=features_only)
    processes = processes or os.cpu_count() or 1
    results: list[PairResult] = []
    try:
        if processes <= 1 or len(pairs) < 4:
            for ij in pairs:
                results.append(_work(ij))
                if progress:
                    progress(1)
        else:
            ctx = mp.get_context("fork")
            with ctx.Pool(processes, initializer=_init_worker) as pool:
                for res in pool.imap_unordered(_work, pairs, chunksize=4):
                    results.append(res)
                    if progress:
                        progress(1)
    finally:
        _STATE.clear()
    results.sort(key=lambda r: (r.i, r.j))
    return results
