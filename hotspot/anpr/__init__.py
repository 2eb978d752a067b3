"""ANPR camera siting: cover the cross-border traffic that matters most.

* :mod:`~hotspot.anpr.demand`: each boundary crossing's demand (traffic flow
  times burglary risk along its route) and the candidate sites;
* :mod:`~hotspot.anpr.siting`: the coverage model and its exact solve
  (:class:`CameraSiting`, the maximal covering location problem with CBC);
* :mod:`~hotspot.anpr.result`: what a solve gives (:class:`SitingResult`);
* :mod:`~hotspot.anpr.naming`: each site named for a highways engineer;
* :mod:`~hotspot.anpr.caveats`: what the plan rests on and cannot tell;
* :mod:`~hotspot.anpr.plan`: all of it in one call (:func:`plan_anpr`) and
  the ``anpr`` command's defaults.

Drawing is in :mod:`hotspot.render.anpr_report` and :mod:`hotspot.render.maps`;
the ``anpr`` job (reference data filling the layers not given) is
:mod:`hotspot.jobs.anpr`.
"""

from .caveats import FEW_SITES, TRAFFIC_CAMERA_LABEL, boundary_covered, cover_notes, nearest_within, red_route_caveat
from .demand import ALONG_M, CORRIDOR_M, candidate_sites, crossing_demand, route_corridors
from .naming import MOTORWAY_PATTERN, describe_sites
from .plan import CONTEXT_REACH_M, ANPRPlan, plan_anpr, with_candidate_defaults
from .result import SitingResult
from .siting import CameraSiting

__all__ = ["ALONG_M", "CONTEXT_REACH_M", "CORRIDOR_M", "FEW_SITES", "MOTORWAY_PATTERN", "TRAFFIC_CAMERA_LABEL",
           "ANPRPlan", "CameraSiting", "SitingResult", "boundary_covered", "candidate_sites", "cover_notes",
           "crossing_demand", "describe_sites", "nearest_within", "plan_anpr", "red_route_caveat", "route_corridors",
           "with_candidate_defaults"]
