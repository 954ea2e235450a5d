"""Intelligence products of the Focal Point: link charts, the life of a gun, statistics, reports.

Every product is computed by a pure function from a :class:`~service.intel.data.CaseLoad`
(a read-only snapshot of the case records) and a :class:`~service.intel.scope.Scope`
(who is asking), and returns plain data: a networkx graph, timeline rows, dataclasses.
Rendering (figures, HTML, PDF) and storage are separate modules on top of that data.
"""

from service.intel.data import CaseLoad, load_case_load
from service.intel.graph import LinkChart, Series, find_series, link_chart, link_graph
from service.intel.scope import Scope, ScopeError
from service.intel.stats import Period, StatsReport, statistics
from service.intel.timeline import Timeline, TimelineRow, coarsen, gun_timeline, to_geojson

__all__ = [
    "CaseLoad",
    "LinkChart",
    "Period",
    "Scope",
    "ScopeError",
    "Series",
    "StatsReport",
    "Timeline",
    "TimelineRow",
    "coarsen",
    "find_series",
    "gun_timeline",
    "link_chart",
    "link_graph",
    "load_case_load",
    "statistics",
    "to_geojson",
]
