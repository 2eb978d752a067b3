"""Every area at once: the all-areas performance table ("league") and the
all-areas forecast backtest, as independent tasks on ``dask.distributed``.

Each area is one task that reads only its own rows (Parquet row-group /
predicate push-down, or a PostGIS ``WHERE``; see :mod:`hotspot.io`) and
returns compact results; the client combines them in a fixed area order, so a
run on a ``LocalCluster``, on a remote scheduler or in-process
(``workers=0``) gives identical tables. A task that fails is reported by area
name (``failed``) and the other areas are still computed.

Attribution of incidents to areas
---------------------------------
``assign="lsoa"`` (default when every input has police.uk's ``LSOA name``):
an incident belongs to the area named by its LSOA-name prefix
(``"Barnet 001A"`` -> Barnet), police.uk's own attribution and the one the
published borough counts use. ``assign="polygon"``: point in the area's
polygon (any data with coordinates). One crime id found in two areas (32 ids
in the London file whose duplicate rows carry two LSOAs) is counted once, in
the area of its first row in the input, as intake does within one read, and
the output says how many were moved.

League measures (per area, reporting month M)
---------------------------------------------
``rolling_12m`` burglaries in the 12 months ending M; ``change_pct`` against
the 12 months before (:func:`hotspot.report.change_pct`); rate per 1,000
households (Census 2011 households summed by local-authority code); ``rank``
of that rate (1 = highest); RAG from :func:`hotspot.report.rag_with_caveats` with
the high-exception check of :func:`hotspot.report.expected_range` on the 60
months up to M, exactly as ``hotspot report`` rates one area.

The package, one topic a file:

* :mod:`~hotspot.league.areas` - which areas run (:class:`AreaSpec`,
  :func:`select_areas`) and the columns an input has;
* :mod:`~hotspot.league.tasks` - one area's task: its rows, its league
  counts, its backtest;
* :mod:`~hotspot.league.run` - running the tasks in process, on a
  ``LocalCluster``, on a scheduler or on the caller's executor
  (:func:`run_area_tasks`, on :func:`hotspot.parallel.map_tasks`);
* :mod:`~hotspot.league.table` - the league table (:func:`build_league`);
* :mod:`~hotspot.league.backtest` - the all-area backtest
  (:func:`backtest_areas`).
"""

from .areas import AreaSpec, select_areas, source_columns
from .backtest import AreaBacktest, backtest_areas, best_methods
from .run import Progress, RunInfo, run_area_tasks, submit_area_tasks
from .table import FIT_MONTHS, LeagueResult, build_league, households_by_area
from .tasks import ANALYSIS_COLUMNS, backtest_task, league_task, read_area

__all__ = ["ANALYSIS_COLUMNS", "AreaBacktest", "AreaSpec", "FIT_MONTHS", "LeagueResult", "Progress", "RunInfo",
           "backtest_areas", "backtest_task", "best_methods", "build_league", "households_by_area", "league_task",
           "read_area", "run_area_tasks", "select_areas", "source_columns", "submit_area_tasks"]
