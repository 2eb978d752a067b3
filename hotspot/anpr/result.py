"""The result of a camera siting (:class:`SitingResult`): the chosen sites in
install order, the coverage figures, and the ``hotspot anpr --json`` object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd


@dataclass
class SitingResult:
    """Result of :meth:`CameraSiting.solve`."""

    sites: gpd.GeoDataFrame
    k: int
    radius_m: float
    coverage_before: float
    coverage_after: float
    optimal: bool
    solver: str
    status: str
    greedy_coverage: float
    marginal: pd.DataFrame = field(repr=False)
    k_useful: int | None = None
    unused: list = field(default_factory=list)

    @property
    def k_asked(self) -> int:
        """New cameras asked for (``k``)."""
        return self.k

    @property
    def greedy_gap(self) -> float:
        """Optimal minus greedy coverage (share of total demand)."""
        return self.coverage_after - self.greedy_coverage

    def to_json(self) -> dict:
        """The JSON object of ``hotspot anpr --json``: the figures and one entry per site in install order."""
        s = self.sites.sort_values("install_order")
        return {
            "k": self.k, "radius_m": self.radius_m, "coverage_before": round(self.coverage_before, 6),
            "coverage_after": round(self.coverage_after, 6), "optimal": self.optimal, "solver": self.solver,
            "greedy_coverage": round(self.greedy_coverage, 6),
            "k_asked": self.k, "k_useful": len(self.sites) if self.k_useful is None else self.k_useful,
            "unused_sites": len(self.unused),
            "sites": [{"id": r.site_id, "lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6),
                       "road": None if r.road is None else str(r.road), "kind": r.kind,
                       "postcode": _text(getattr(r, "postcode", None)),
                       "neighbour": _text(getattr(r, "neighbour", None)),
                       "owner": _text(getattr(r, "owner", None)),
                       "via": _text(getattr(r, "via", None)), "street": _text(getattr(r, "street", None)),
                       "covered_demand": round(float(r.covered_demand), 6),
                       "traffic_camera_m": _metres(getattr(r, "traffic_camera_m", None)),
                       "marginal_gain": round(float(r.marginal_gain), 6), "install_order": int(r.install_order)}
                      for r in s.itertuples()],
        }


def _metres(v) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 1)


def _text(v) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
