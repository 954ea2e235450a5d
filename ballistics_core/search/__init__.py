"""Ranked search: tier-1 descriptor screening, tier-1b ring spectra, tier-2 full comparison, optional Dask.

Public API
----------
search(store, query, *, top=10, rescore=None, filters=None, exclude=(), tier2=True,
       executor="local", scheduler_address=None, client=None, compare_params=None,
       search_params=None, progress=None, pool=None) -> SearchResult
SearchParams(shortlist=10_000, shortlist_fraction=0.1, descriptor_centre_um=100.0, ring_centre_um=75.0, centre_step_um=25.0,
             rescore_bound=20, depth_margin_sd=3.0, mate_log10_lr=0.0)
Depth: how deep the full comparison went (SearchResult.depth)
Filters(calibre=None, firing_pin_class=None, jurisdiction=None, date_from=None, date_to=None)
"""

from ballistics_core.search.engine import DEFAULT_RESCORE, Depth, Hit, SearchParams, SearchResult, make_executor, search
from ballistics_core.search.tier1 import Filters, load_shard, screen, top_k

__all__ = ["search", "SearchParams", "Depth", "SearchResult", "Hit", "Filters", "make_executor", "load_shard", "screen", "top_k", "DEFAULT_RESCORE"]
