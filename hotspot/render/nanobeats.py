"""Nano-beat plans on maps (:class:`~hotspot.nanobeats.NanoBeatPlan`).

:mod:`hotspot.nanobeats` plans and draws nothing; this module puts a plan on
a :class:`~hotspot.render.leaflet.HotspotMap` through the layer
:func:`hotspot.render.maps.add_nanobeats` draws.
"""

from __future__ import annotations

from ..nanobeats import NanoBeatPlan
from .leaflet import HotspotMap
from .maps import add_nanobeats

__all__ = ["add_plan_to_map"]


def add_plan_to_map(m: HotspotMap, plan: NanoBeatPlan, name: str = "Nano-beat targets", show: bool = True) -> None:
    """Targets (numbered in patrol order), route and start of a plan on a map.

    Parameters
    ----------
    m : HotspotMap
        The map to draw on.
    plan : NanoBeatPlan
        From :meth:`hotspot.nanobeats.NanoBeatPlanner.solve` (working CRS, metres).
    name : str
        Layer name in the layer control.
    show : bool
        Whether the layers are visible when the map opens.
    """
    add_nanobeats(m, plan, name=name, show=show)
