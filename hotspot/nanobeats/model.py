"""The interface every nano-beat risk model provides (:class:`RiskModel`):
risk per unit (grid cell or street segment), target selection over units,
and the targets' shapes and extra columns. The models are
:class:`~hotspot.nanobeats.cells.CellRisk` and
:class:`~hotspot.nanobeats.streets.SegmentRisk`."""

from __future__ import annotations

from typing import Protocol

import geopandas as gpd
import numpy as np
from shapely.geometry.base import BaseGeometry

from .sources import DateLike


class RiskModel(Protocol):
    """What a nano-beat risk model provides (:class:`CellRisk`,
    :class:`SegmentRisk`): risk per unit (grid cell or street segment), target
    selection over units, and the targets' shapes and extra columns."""

    #: appended to the plan's variant ("" for cells, " streets")
    variant_suffix: str

    def components(self, as_of: DateLike, *, own_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Near-repeat and history risk per unit, each summing to 1 (or all zero).

        Parameters
        ----------
        as_of : str, Timestamp, date or datetime64
            The planning date; burglaries strictly before it count.
        own_only : bool
            Only the part from the area's own burglaries (same scale).

        Returns
        -------
        near_repeat, history : ndarray
            Risk per unit.
        """
        ...

    def select(self, risk: np.ndarray, n_targets: int) -> list[np.ndarray]:
        """Up to ``n_targets`` groups of units, best first.

        Parameters
        ----------
        risk : ndarray
            Risk per unit.
        n_targets : int
            At most this many groups.

        Returns
        -------
        list of ndarray
            The units of each group.
        """
        ...

    def group_sums(self, values: np.ndarray, groups: list[np.ndarray]) -> list[float]:
        """``values`` summed over each group.

        Parameters
        ----------
        values : ndarray
            A value per unit.
        groups : list of ndarray
            The groups (from :meth:`select`).

        Returns
        -------
        list of float
        """
        ...

    def polygons(self, groups: list[np.ndarray]) -> list[BaseGeometry]:
        """One patrol-area polygon per group (metres).

        Parameters
        ----------
        groups : list of ndarray
            The groups (from :meth:`select`).

        Returns
        -------
        list of shapely geometry
        """
        ...

    def describe_targets(self, targets: gpd.GeoDataFrame, groups: list[np.ndarray]) -> None:
        """Add the model's own columns to the targets (in place).

        Parameters
        ----------
        targets : GeoDataFrame
            One row per group, in the order of ``groups``.
        groups : list of ndarray
            The groups (from :meth:`select`).
        """
        ...
