"""Repeat / near-repeat classification of incidents, with chains.

For a window (``distance`` metres, ``days``), two incidents are *linked* when
they are closer than ``distance`` and their times differ by less than
``days`` (half-open, as in the Knox bands). Each incident is then:

* ``repeat`` - linked to an *earlier* incident at the same location
  (closer than ``same_location`` metres, default 1 m);
* ``near-repeat`` - linked to an earlier incident, none at the same location;
* ``originator`` - not preceded by a linked incident, but followed by one;
* ``isolated`` - linked to nothing.

Ties in time (same day) are ordered by input order, so exactly one of two
same-day linked incidents is the originator. A *chain* is a connected
component of the link graph with two or more incidents; ``chain_id`` numbers
chains by their first incident (``-1`` for isolated incidents).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .knox import Metric, TimeUnit, close_pairs, event_times
from .periods import data_time_unit

LABELS = ("originator", "repeat", "near-repeat", "isolated")


def classify_repeats(
    incidents: gpd.GeoDataFrame,
    *,
    distance: float = 200.0,
    days: float = 14.0,
    same_location: float = 1.0,
    metric: Metric = "euclidean",
    time_unit: TimeUnit = "days",
) -> pd.DataFrame:
    """Label every incident originator / repeat / near-repeat / isolated.

    Parameters
    ----------
    incidents : GeoDataFrame
        From :func:`hotspot.intake.read_incidents` (working CRS, metres).
    distance : float
        Near-repeat distance, metres (pairs closer than this are linked).
    days : float
        Near-repeat time window, days (or months with ``time_unit="months"``).
    same_location : float
        Pairs closer than this, metres, are "same location" (repeats).
    metric : {"euclidean", "manhattan"}
        How distances are measured (metres either way).
    time_unit : {"days", "months"}
        Month-precision data need ``"months"`` (see :func:`hotspot.knox.event_times`).

    Returns
    -------
    DataFrame
        Index aligned with ``incidents``; columns ``incident_id``, ``label``,
        ``chain_id``, ``chain_size``, ``n_prior_links`` (earlier linked
        incidents) and ``n_later_links``.
    """
    precision = "month" if data_time_unit(incidents) == "month" else None
    t, _ = event_times(incidents["occurred"], precision, time_unit)  # refuses month data in days
    x, y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()
    n = len(t)
    i, j, d = close_pairs(x, y, max(distance, same_location), metric)
    dt = np.abs(t[i] - t[j])
    keep = dt < days
    i, j, d = i[keep], j[keep], d[keep]
    # orient each link from the earlier to the later incident (ties: input order)
    earlier_i = (t[i] < t[j]) | ((t[i] == t[j]) & (i < j))
    first = np.where(earlier_i, i, j)
    later = np.where(earlier_i, j, i)
    same = d < same_location
    n_prior = np.bincount(later, minlength=n)
    n_prior_same = np.bincount(later[same], minlength=n)
    n_later = np.bincount(first, minlength=n)

    label = np.full(n, "isolated", dtype=object)
    label[n_later > 0] = "originator"
    label[n_prior > 0] = "near-repeat"
    label[n_prior_same > 0] = "repeat"

    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp)[comp]
    # number chains in time order of their first incident
    order = np.lexsort((np.arange(n), t))
    chain_id = np.full(n, -1, np.int64)
    next_id = 0
    seen: dict[int, int] = {}
    for k in order:
        if size[k] < 2:
            continue
        c = comp[k]
        if c not in seen:
            seen[c] = next_id
            next_id += 1
        chain_id[k] = seen[c]
    return pd.DataFrame({
        "incident_id": incidents["incident_id"].to_numpy(),
        "label": label,
        "chain_id": chain_id,
        "chain_size": np.where(size >= 2, size, 1),
        "n_prior_links": n_prior,
        "n_later_links": n_later,
    }, index=incidents.index)
