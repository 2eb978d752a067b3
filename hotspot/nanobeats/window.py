"""The near-repeat window of a planner: given by the user and checked
against the data's time unit (:func:`planner_window`), read from a Knox
result (:func:`knox_window`), and the check for analyses that need dates
with days (:func:`require_daily`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from .._errors import DataPrecisionError, HotspotError
from ..periods import Window, data_time_unit, window_from

if TYPE_CHECKING:
    from ..knox import KnoxResult


def planner_window(incidents: pd.DataFrame, *, days: float | None = None, months: float | None = None,
                   window: Window | None = None) -> Window:
    """The near-repeat window of a planner, with its unit, checked against
    the data's time unit (:func:`hotspot.periods.data_time_unit`).

    Parameters
    ----------
    incidents : DataFrame
        The incidents to plan from (``date_precision`` column).
    days : float, optional
        Window, days; refused on month-only dates.
    months : float, optional
        Window, calendar months.
    window : Window, optional
        The window with its unit. At most one of the three; with none,
        :data:`~hotspot.settings.NANOBEAT_DAYS` days or
        :data:`~hotspot.settings.NANOBEAT_MONTHS` months by the time unit.

    Returns
    -------
    Window

    Raises
    ------
    DataPrecisionError
        A window in days on month-only dates.
    """
    unit = data_time_unit(incidents)
    given = window_from(days=days, months=months, window=window, where="NanoBeatPlanner")
    if given is None:
        return Window(settings.NANOBEAT_MONTHS, "month") if unit == "month" else Window(settings.NANOBEAT_DAYS, "day")
    if unit == "month" and given.unit == "day":
        raise DataPrecisionError(
            f"NanoBeatPlanner {f'days={given.length:g}' if window is None else f'window={window!r}'}: the incidents "
            "are dated to the month "
            f"only (police.uk), so a window in days would be read as months; give months=N (e.g. "
            f"months={settings.NANOBEAT_MONTHS:g}) or window=Window(N, 'month')")
    return given


def knox_window(knox: KnoxResult | Mapping[str, Any], *, alpha: float = 0.05,
                min_ratio: float = 1.2) -> tuple[float, float] | None:
    """(distance, time) window from a Knox result or its JSON dict.

    Parameters
    ----------
    knox : KnoxResult or dict
        A Knox result or its JSON dict (``hotspot knox --json``).
    alpha : float
        False discovery rate (0-1) for the significant cells.
    min_ratio : float
        Smallest Knox ratio (unitless) a cell needs.

    Returns
    -------
    tuple of float or None
        ``(distance in metres, time in days or months)``; None when no
        window is significant.
    """
    if hasattr(knox, "significant_window"):
        return knox.significant_window(alpha=alpha, min_ratio=min_ratio)
    from ..knox import window_from_table

    try:
        p = np.array(knox["p_value"], dtype=float)
        ratio = np.array(knox["ratio"], dtype=float)
        dist = [b[1] for b in knox["distance_bands"][:-1]]  # the finite edges
        time = [b[1] for b in knox["time_bands"][:-1]]
    except (KeyError, TypeError) as exc:
        raise HotspotError(f"not a Knox result: missing {exc}") from None
    return window_from_table(p, ratio, dist, time, alpha=alpha, min_ratio=min_ratio)


def require_daily(incidents: gpd.GeoDataFrame) -> None:
    """Raise when dates are months only (for analyses that need days).

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents with ``occurred`` (and ``date_precision``).

    Raises
    ------
    DataPrecisionError
        The dates are months only.
    """
    if data_time_unit(incidents) == "month":
        raise DataPrecisionError("this needs day-precision dates; police.uk dates are months only")
