"""Nano-beat patrol targets: the few places most at risk of a repeat or
near-repeat burglary in the coming days.

Risk at a 50 m cell as of date D is built from two parts:

* **near-repeat** - every burglary in the ``days`` before D within
  ``distance`` metres adds ``(1 - d / distance) * (1 - age / days)``
  (a cone in space and a ramp in time: close and recent counts most);
* **history** - the location's own longer record: burglaries in the
  ``history_days`` before D within ``location_radius`` metres, each weighted
  ``0.5 ** (age / half_life)``.

The two are normalised to sum to one over the area and mixed,
``risk = (1 - w) * near_repeat + w * history``. The variants (``w`` = 0,
0.25, 0.5, 0.75, 1) were compared by a rolling weekly backtest on the
Chicago exact-date data for 2015 (benchmarks/backtest_nanobeats.py): PAI at
7 days was 12.7, 15.3, 17.3, 22.3 and 21.1, so the default is ``w = 0.75``
(a location's own record carries most of the signal; near-repeat adds a
short boost). 2016-2017 is kept for the out-of-sample report.

By default (``background="forecast"``, issue 20) the history part is
replaced by the forecast that nested selection picks for the data, and ``w``
is chosen on earlier plans too (:class:`hotspot.targets.TargetRisk`): the
plan's ``risk_method`` says which forecast and weight were used and how.

Targets are compact patrol areas: the cell whose ``target_radius``
neighbourhood holds the most risk is chosen, that disc of cells becomes a
target, the risk within two radii of it is cleared (so the next target is a
different place, not a ring round this one), and so on up to N targets. Each target lists
its source burglaries (those within ``distance`` of it in the window),
when it expires (``active_until`` = last source date + ``days``), and a
label from the incidents' location text.

Structure: :class:`Sources` holds the burglaries and their weights as of a
date; a risk model (:class:`RiskModel`: :class:`CellRisk` on grid cells or
:class:`SegmentRisk` on street segments) gives risk per unit, selects targets
(:func:`select_targets`, a pure function on the risk array padded once by
the disc half-width, and :func:`select_segments`) and shapes them; the
:class:`NanoBeatPlanner` describes, routes and notes them. The backtest is
:func:`hotspot.evaluation.backtest_nanobeats`; drawing is
:mod:`hotspot.render.nanobeats`.

Month-precision data (police.uk) cannot support a window in days. The
*monthly variant* uses the last ``months`` complete months (the most recent
month weighs 1, the one before 1 - 1/months, ...), the history in months,
and ``active_until`` = the end of the last source month plus ``months``.
Plans say which variant they used.

Modules: :mod:`~hotspot.nanobeats.sources` (:class:`Sources`, :data:`DateLike`),
:mod:`~hotspot.nanobeats.model` (the :class:`RiskModel` interface),
:mod:`~hotspot.nanobeats.cells` and :mod:`~hotspot.nanobeats.streets` (the
two models, with :func:`street_segments`), :mod:`~hotspot.nanobeats.selection`
(pure target selection), :mod:`~hotspot.nanobeats.describe` (a target's
words: business premises, street names), :mod:`~hotspot.nanobeats.window`
(the near-repeat window, from the user or a Knox result),
:mod:`~hotspot.nanobeats.planner` (:class:`NanoBeatPlanner`),
:mod:`~hotspot.nanobeats.plan` (:class:`NanoBeatPlan`, :func:`write_plan`)
and :mod:`~hotspot.nanobeats.options` (the ``nanobeats`` and ``brief``
commands' options, :func:`plan_nanobeats`).
"""

from .cells import CellRisk
from .cells import _disc as _disc  # private, imported by the tests of the stencils
from .describe import BUSINESS_PLACES, GENERIC_PLACES, business_premises, street_name
from .model import RiskModel
from .options import NanoBeatOptions, plan_nanobeats
from .plan import NanoBeatPlan, write_plan
from .planner import DEFAULT_HISTORY_WEIGHT, NanoBeatPlanner
from .selection import grow_targets, select_segments, select_targets
from .sources import DateLike, Sources
from .streets import SegmentRisk, street_segments
from .window import knox_window, planner_window, require_daily

__all__ = ["BUSINESS_PLACES", "DEFAULT_HISTORY_WEIGHT", "GENERIC_PLACES", "CellRisk", "DateLike", "NanoBeatOptions",
           "NanoBeatPlan", "NanoBeatPlanner", "RiskModel", "SegmentRisk", "Sources", "business_premises",
           "knox_window", "plan_nanobeats", "planner_window", "require_daily", "grow_targets", "select_segments", "select_targets",
           "street_name", "street_segments", "write_plan"]
