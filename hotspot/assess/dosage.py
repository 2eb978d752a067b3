"""Patrol dosage from a visit log, set against the Koper curve.

Koper (1995): crime and disorder stay down longest after a patrol stop of
about 10-15 minutes; shorter stops deter less, longer ones add little. A log
row is one visit: a target id (``target_id``/``place_id``) or a point
(``lon``/``lat``), a ``time`` and its ``minutes``. Every row is accepted,
rejected with its reason, or filtered (outside the after-period); the
counts add up.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import settings
from .._errors import InputFileError


def _assign(frame: pd.DataFrame, places: gpd.GeoDataFrame, path: Path) -> pd.Series:
    """Place id of each visit (None when it matches no treated place)."""
    id_col = next((c for c in frame.columns if c.lower() in ("target_id", "place_id", "target")), None)
    ids = set(places["place_id"].astype(str))
    if id_col is not None:
        return frame[id_col].astype(str).where(frame[id_col].astype(str).isin(ids))
    lon = next((c for c in frame.columns if c.lower() in ("lon", "longitude")), None)
    lat = next((c for c in frame.columns if c.lower() in ("lat", "latitude")), None)
    if lon is None or lat is None:
        raise InputFileError(f"{path}: a visit log needs a target_id column or lon/lat columns")
    pts = gpd.GeoSeries(gpd.points_from_xy(pd.to_numeric(frame[lon], errors="coerce"),
                                           pd.to_numeric(frame[lat], errors="coerce")), crs=settings.WGS84)
    pts = pts.to_crs(places.crs)
    hit = places.sindex.query(pts, predicate="within")
    out = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    out.iloc[hit[0]] = places["place_id"].astype(str).to_numpy()[hit[1]]
    return out


def summarise_visits(path: str | Path, places: gpd.GeoDataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """Visits and minutes per treated place, and how they sit on the Koper curve.

    Parameters
    ----------
    path : str or Path
        Patrol log CSV: ``target_id`` (or ``lon``/``lat`` degrees), ``time``
        and ``minutes`` (duration of the visit, minutes).
    places : GeoDataFrame
        The treated places (``place_id``, polygons, metres).
    start, end : Timestamp
        The after-period (end excluded); visits outside it are filtered.

    Returns
    -------
    dict
        ``rows``, ``accepted``, ``rejected`` (with ``reasons``), ``filtered``,
        ``per_target`` (visits, minutes, mean minutes per visit) and
        ``koper`` (shares of visits shorter than, within and longer than
        10-15 minutes).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"visits={path}: file not found", param='visits')
    frame = pd.read_csv(path)
    if "time" not in frame or "minutes" not in frame:
        raise InputFileError(f"visits={path}: needs columns time and minutes", param='visits')
    target = _assign(frame, places, path)
    when = pd.to_datetime(frame["time"], errors="coerce", format="ISO8601")
    minutes = pd.to_numeric(frame["minutes"], errors="coerce")
    reason = pd.Series("", index=frame.index)
    reason[target.isna()] = "not at a treated place"
    reason[when.isna()] = "time is not a date"
    reason[~(minutes > 0)] = "minutes missing or not above 0"
    rejected = reason != ""
    filtered = ~rejected & ((when < start) | (when >= end))
    ok = ~rejected & ~filtered
    lo, hi = settings.ASSESS_KOPER_MINUTES
    m = minutes[ok]
    per = pd.DataFrame({"target": target[ok], "minutes": m}).groupby("target")["minutes"].agg(["count", "sum"])
    per_target: dict[str, dict[str, float | int | None]] = {str(pid): {"visits": int(per.loc[pid, "count"]) if pid in per.index else 0,
                             "minutes": float(per.loc[pid, "sum"]) if pid in per.index else 0.0}
                  for pid in places["place_id"].astype(str)}
    for v in per_target.values():
        visits, minutes_sum = int(v["visits"] or 0), float(v["minutes"] or 0.0)
        v["mean_minutes"] = round(minutes_sum / visits, 2) if visits else None
    n = int(ok.sum())
    return {"rows": int(len(frame)), "accepted": n, "rejected": int(rejected.sum()), "filtered": int(filtered.sum()),
            "reasons": {str(k): int(v) for k, v in reason[rejected].value_counts().items()},
            "per_target": per_target,
            "koper": {"band_minutes": [lo, hi], "mean_minutes": round(float(m.mean()), 2) if n else None,
                      "share_short": round(float((m < lo).mean()), 4) if n else None,
                      "share_in_band": round(float(((m >= lo) & (m <= hi)).mean()), 4) if n else None,
                      "share_long": round(float((m > hi).mean()), 4) if n else None,
                      "targets_unvisited": int(sum(v["visits"] == 0 for v in per_target.values()))},
            "units": {"minutes": "minutes", "visits": "visits"}}


def koper_reading(dosage: dict) -> str:
    """One sentence on the dosage against the Koper curve.

    Parameters
    ----------
    dosage : dict
        From :func:`summarise_visits`.

    Returns
    -------
    str
    """
    k = dosage["koper"]
    if not dosage["accepted"]:
        return "no visit in the after-period was logged at a treated place"
    lo, hi = k["band_minutes"]
    return (f"{dosage['accepted']} visits, mean {k['mean_minutes']:.1f} minutes; {k['share_in_band']:.0%} lasted "
            f"{lo:g}-{hi:g} minutes (the Koper curve's best), {k['share_short']:.0%} were shorter; "
            f"{k['targets_unvisited']} target(s) never visited")


__all__ = ["koper_reading", "summarise_visits"]
