"""CRS handling in one place.

Data are projected once, on load, into a *working CRS* in metres; every
distance in the package is then in metres. British data use the British
National Grid (EPSG:27700); other data use the CRS the user gives (if it is
projected and in metres) or the UTM zone of their median location.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer

from ._errors import CRSError
from .settings import GB_CRS, GB_LONLAT_BOUNDS, WGS84


def as_crs(value: str | int | CRS | None) -> CRS | None:
    """Parse a user's CRS (``"EPSG:27700"``, ``27700``, WKT, CRS) or None.

    Parameters
    ----------
    value : str, int, pyproj.CRS or None
        Anything :meth:`pyproj.CRS.from_user_input` reads: an authority string,
        an EPSG code, WKT or a CRS. None or ``""`` means "not given".

    Returns
    -------
    pyproj.CRS or None
        The parsed CRS, or None when nothing was given.

    Raises
    ------
    CRSError
        ``value`` is not a CRS pyproj knows.
    """
    if value is None or value == "":
        return None
    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises its own CRSError subclasses
        raise CRSError(f"unknown CRS {value!r}: {exc}") from None


def is_metric_projected(crs: CRS) -> bool:
    """True when ``crs`` is projected and both axes are in metres.

    Parameters
    ----------
    crs : pyproj.CRS
        The CRS to inspect.

    Returns
    -------
    bool
        Whether distances in ``crs`` are metres (feet and degrees are not).
    """
    if not crs.is_projected:
        return False
    return all((ax.unit_name or "").lower() in ("metre", "meter", "m") for ax in crs.axis_info[:2])


def utm_crs_for(lon: float, lat: float) -> CRS:
    """The WGS84 UTM zone CRS containing (lon, lat) in degrees.

    Parameters
    ----------
    lon, lat : float
        A point's longitude and latitude, degrees (WGS84).

    Returns
    -------
    pyproj.CRS
        The northern (EPSG:326xx) or southern (EPSG:327xx) UTM zone, metres.
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def choose_working_crs(lon: np.ndarray, lat: np.ndarray, user_crs: str | CRS | None = None) -> CRS:
    """Pick the working CRS (metres) for points given in lon/lat degrees.

    Parameters
    ----------
    lon, lat : array of float
        Point coordinates in degrees (WGS84); NaNs are ignored.
    user_crs : CRS-like, optional
        The user's choice; must be projected in metres.

    Returns
    -------
    pyproj.CRS
        ``user_crs`` if given; EPSG:27700 if the median point lies in Great
        Britain; otherwise the UTM zone of the median point.
    """
    crs = as_crs(user_crs)
    if crs is not None:
        require_metric(crs, "the working CRS")
        return crs
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return CRS.from_user_input(GB_CRS)
    mlon, mlat = float(np.median(lon[ok])), float(np.median(lat[ok]))
    x0, y0, x1, y1 = GB_LONLAT_BOUNDS
    if x0 <= mlon <= x1 and y0 <= mlat <= y1:
        return CRS.from_user_input(GB_CRS)
    return utm_crs_for(mlon, mlat)


def require_metric(crs: CRS, what: str) -> None:
    """Raise :class:`CRSError` unless ``crs`` is projected in metres.

    Parameters
    ----------
    crs : pyproj.CRS
        The CRS to check.
    what : str
        What the CRS belongs to, named in the error (e.g. ``"the working CRS"``).

    Raises
    ------
    CRSError
        ``crs`` is geographic or its axes are not in metres.
    """
    if not is_metric_projected(crs):
        raise CRSError(
            f"{what} must be a projected CRS in metres, got {crs.to_string()} "
            "(distances are never measured in degrees or feet)"
        )


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    try:
        # Never a "ballpark" operation: pyproj silently falls back to one
        # (errors of ~150 m for BNG) where its best operation does not apply.
        return Transformer.from_crs(src, dst, always_xy=True, allow_ballpark=False)
    except Exception:
        names = [CRS.from_wkt(c).to_string() for c in (src, dst)]
        raise CRSError(f"no accurate transformation from {names[0]} to {names[1]}: their areas of use do not "
                       "overlap (are the data and the area in the same part of the world, and is crs= right?)", param='crs') from None


def _given_crs(value: CRS | str, what: str) -> CRS:
    """``as_crs`` for a CRS that must be given (an empty string is refused)."""
    crs = as_crs(value)
    if crs is None:
        raise CRSError(f"no CRS given for {what}")
    return crs


def transformer(src: CRS | str, dst: CRS | str) -> Transformer:
    """The (cached) accurate transformation from ``src`` to ``dst``.

    Parameters
    ----------
    src, dst : pyproj.CRS or str
        The source and target CRSs (anything :func:`as_crs` reads).

    Returns
    -------
    pyproj.Transformer
        An ``always_xy`` transformer (lon/lat order for degrees) that never
        falls back to a "ballpark" operation.

    Raises
    ------
    CRSError
        No accurate transformation exists between the two CRSs.
    """
    return _transformer(_given_crs(src, "the source").to_wkt(), _given_crs(dst, "the target").to_wkt())


def project(x: ArrayLike, y: ArrayLike, src: CRS | str, dst: CRS | str) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinates between two CRSs (lon/lat order for degrees).

    From WGS84 lon/lat this is :func:`from_lonlat`, the exact inverse of
    :func:`to_lonlat`.

    Parameters
    ----------
    x, y : array-like of float
        Coordinates in ``src`` units (metres for a projected CRS, degrees of
        longitude and latitude for a geographic one).
    src, dst : pyproj.CRS or str
        The CRS of the coordinates and the CRS wanted.

    Returns
    -------
    tuple of numpy.ndarray
        ``(x, y)`` in ``dst`` units, as float arrays.
    """
    src_c, dst_c = _given_crs(src, "the source"), _given_crs(dst, "the target")
    if src_c.equals(dst_c):
        return np.asarray(x, float), np.asarray(y, float)
    if src_c.equals(CRS.from_user_input(WGS84)):
        return from_lonlat(x, y, dst_c)
    ox, oy = transformer(src_c, dst_c).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(ox, float), np.asarray(oy, float)


def to_lonlat(x: ArrayLike, y: ArrayLike, crs: CRS | str) -> tuple[np.ndarray, np.ndarray]:
    """Project working-CRS coordinates (metres) to WGS84 lon/lat degrees.

    Parameters
    ----------
    x, y : array-like of float
        Coordinates in ``crs``, metres.
    crs : pyproj.CRS or str
        The CRS of ``x`` and ``y``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` in degrees (WGS84).
    """
    lon, lat = transformer(crs, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def from_lonlat(lon: ArrayLike, lat: ArrayLike, crs: CRS | str) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat degrees to ``crs`` (metres).

    Two-dimensional datum shifts (e.g. OSGB36 Helmert) drop the ellipsoidal
    height, so PROJ's inverse is off the forward map by up to ~1 mm. One
    fixed-point step, ``x1 = 2 x0 - inv(fwd(x0))``, makes this the inverse
    of :func:`to_lonlat` to well under a micrometre.

    Parameters
    ----------
    lon, lat : array-like of float
        Longitude and latitude, degrees (WGS84).
    crs : pyproj.CRS or str
        The target CRS (metres).

    Returns
    -------
    tuple of numpy.ndarray
        ``(x, y)`` in ``crs``, metres; rows with NaN or infinite input stay NaN.
    """
    t = transformer(crs, WGS84)
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x0, y0 = t.transform(lon, lat, direction="INVERSE")
    lon1, lat1 = t.transform(x0, y0)
    xb, yb = t.transform(lon1, lat1, direction="INVERSE")
    with np.errstate(invalid="ignore"):  # NaN/inf rows stay NaN
        return 2 * np.asarray(x0) - np.asarray(xb), 2 * np.asarray(y0) - np.asarray(yb)


def require_same_metric_crs(**layers: Any) -> CRS:
    """Check that every named layer has one and the same projected CRS in metres.

    Every distance-based function calls this on its inputs, so that degrees
    are never read as metres and two layers in different CRSs are never
    compared.

    Parameters
    ----------
    **layers
        Name -> anything with a ``crs`` attribute (GeoDataFrame, GeoSeries,
        :class:`~hotspot.areas.Area`, :class:`~hotspot.grid.Grid`, surface) or
        a CRS. ``None`` values are skipped (optional layers).

    Returns
    -------
    pyproj.CRS
        The common CRS.

    Raises
    ------
    CRSError
        A layer without a CRS, a geographic or non-metre CRS, or two CRSs.
    """
    crss = {}
    for name, obj in layers.items():
        if obj is None:
            continue
        crs = obj if isinstance(obj, CRS) else getattr(obj, "crs", None)
        if crs is None:
            raise CRSError(f"{name} has no CRS: set it (e.g. .set_crs) and project to metres (e.g. EPSG:27700)")
        crs = CRS.from_user_input(crs)
        require_metric(crs, name)
        crss[name] = crs
    if not crss:
        raise CRSError("no layer with a CRS given")
    (first_name, first), *rest = crss.items()
    for name, crs in rest:
        if not crs.equals(first):
            raise CRSError(f"{name} is in {crs.to_string()} but {first_name} is in {first.to_string()}: "
                           f"project both to one metric CRS (e.g. .to_crs({first.to_string()!r}))")
    return first


def require_metre_coordinates(x: np.ndarray, y: np.ndarray, what: str) -> None:
    """Refuse raw coordinates that look like degrees where metres are needed.

    Distinct points that all lie within 2 units of each other and inside the
    lon/lat range are degrees (a town spans about 0.1 degree); in metres such
    data would sit within 2 m of each other, which no distance-based analysis
    of burglary can use. Points all at one spot are not judged.

    Parameters
    ----------
    x, y : numpy.ndarray
        Coordinates that should be metres; NaN rows are ignored.
    what : str
        What the coordinates are, named in the error (e.g. a file name).

    Raises
    ------
    CRSError
        The coordinates look like lon/lat degrees.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return
    x, y = x[ok], y[ok]
    if 0 < max(np.ptp(x), np.ptp(y)) < 2 and np.abs(x).max() <= 180 and np.abs(y).max() <= 90:
        raise CRSError(f"{what}: coordinates span {np.ptp(x):.4g} x {np.ptp(y):.4g} units and look like degrees; "
                       "project them to a metric CRS (e.g. EPSG:27700) first")
