"""Did it work? One assessment of an intervention: windows, places, counts,
estimates, regression to the mean and the verdict.

:class:`Assessor` holds the incidents, the area and the selection rule; its
:meth:`Assessor.solve` assesses one set of treated places from one date. The
placebo ratios it computes depend only on the rule and the date, so they are
cached and a benchmark assessing many dates reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .. import settings
from .._errors import HotspotError, InputFileError, ModelError, OptionError
from ..areas import Area
from ..periods import data_time_unit
from .estimates import WDD, WDQ, PlaceboAdjustment, RateRatio, did_rate_ratio, log_ratio, placebo_adjust, wdd, wdq
from .selection import SelectionRule, controls_at

ROLES = ("treatment", "buffer", "control", "control_buffer")


@dataclass
class Periods:
    """Months (police.uk dates) or weeks (exact dates) counted from the start.

    Attributes
    ----------
    unit : str
        ``"month"`` or ``"week"``.
    start : Timestamp
        Period 0 begins here.
    first, end : int
        The data's first period and the period after its last whole one.
    """

    unit: str
    start: pd.Timestamp
    first: int
    end: int

    @classmethod
    def from_incidents(cls, incidents: gpd.GeoDataFrame, start: pd.Timestamp) -> "Periods":
        """Periods of the data around a start date.

        Parameters
        ----------
        incidents : GeoDataFrame
            Incidents with ``occurred``.
        start : Timestamp
            The intervention's start (the first of a month for month dates).

        Returns
        -------
        Periods
        """
        t = pd.DatetimeIndex(incidents["occurred"])
        if data_time_unit(incidents) == "month":
            if start != start.to_period("M").to_timestamp():
                raise OptionError(f"start={start.date()}: the dates are months only (police.uk); "
                                  "give the first day of a month", param='start')
            p = cls("month", start, 0, 0)
            p.first, p.end = int(p.index(t.min())), int(p.index(t.max())) + 1
            return p
        p = cls("week", start, 0, 0)
        last_day = t.max().normalize() + pd.Timedelta(days=1)
        # whole weeks only: a week the data begin or end in would be undercounted
        p.first = int(np.ceil((t.min().normalize() - start) / pd.Timedelta(days=7)))
        p.end = int(np.floor((last_day - start) / pd.Timedelta(days=7)))
        return p

    def index(self, t: Any) -> Any:
        """Period number of dates (0 = the start's period; negative before).

        Parameters
        ----------
        t : Timestamp or DatetimeIndex
            Dates.

        Returns
        -------
        int or ndarray
        """
        t = pd.DatetimeIndex([t]) if isinstance(t, pd.Timestamp) else pd.DatetimeIndex(t)
        if self.unit == "month":
            k = (t.year - self.start.year) * 12 + (t.month - self.start.month)
        else:
            k = np.floor((t - self.start) / pd.Timedelta(days=7)).astype(int)
        k = np.asarray(k, dtype=int)
        return k if len(k) > 1 else int(k[0])

    def stamp(self, k: int) -> pd.Timestamp:
        """The date period ``k`` begins.

        Parameters
        ----------
        k : int
            Period number.

        Returns
        -------
        Timestamp
        """
        if self.unit == "month":
            return (self.start.to_period("M") + k).to_timestamp()
        return self.start + pd.Timedelta(days=7 * k)

    def label(self, k: int) -> str:
        """Period ``k``'s start as text (YYYY-MM for months).

        Parameters
        ----------
        k : int
            Period number.

        Returns
        -------
        str
        """
        s = self.stamp(k)
        return str(s.to_period("M")) if self.unit == "month" else str(s.date())


@dataclass
class AssessOptions:
    """What to assess, with the ``assess`` command's defaults.

    Attributes
    ----------
    start : str or Timestamp or None
        First day of the intervention (default: the layer's start column).
    end : str or Timestamp or None
        Day after its last day (default: the end of the data's last whole
        period).
    buffer_m : float or None
        Catchment buffer, metres (default by kind: 200 m; ANPR 500 m).
    control : str, Path, GeoDataFrame or None
        ``None``/``"auto"``: next-highest-ranked places by the same rule; or
        a layer of control places.
    visits : str, Path or None
        Patrol log CSV (target id or lon/lat, time, minutes).
    max_placebos : int
        Most placebo dates (the latest ones before the start).
    controls_per_treated : int
        Control places per treated place.
    units : GeoDataFrame or None
        Unit layer of a leaflet plan.
    """

    start: str | pd.Timestamp | None = None
    end: str | pd.Timestamp | None = None
    buffer_m: float | None = None
    control: Any = None
    visits: str | Path | None = None
    max_placebos: int = settings.ASSESS_MAX_PLACEBOS
    controls_per_treated: int = settings.ASSESS_CONTROLS_PER_TREATED
    units: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        if self.buffer_m is not None and not self.buffer_m > 0:
            raise OptionError(f"buffer_m={self.buffer_m:g}: give a width in metres above 0", param='buffer_m')
        if self.max_placebos < 0 or self.controls_per_treated < 1:
            raise OptionError("max_placebos= must be >= 0 and controls per treated place >= 1", param='max_placebos')


@dataclass
class AssessmentResult:
    """An assessment (see :func:`assess_intervention`).

    Attributes
    ----------
    kind : str
        The intervention layer's kind.
    periods : Periods
    n_periods : int
        Periods after the start (the before window has as many).
    buffer_m : float
        Catchment buffer, metres.
    places : GeoDataFrame
        One row per region: ``role`` (treatment, buffer, control,
        control_buffer), ``place_id``, ``before``, ``after``, geometry.
    counts : dict
        Burglaries before and after per role.
    effect : RateRatio
    wdq : WDQ
    wdd : WDD
    rtm : PlaceboAdjustment or None
    placebo_dates : list of str
    control_rule : str
    verdict : str
    called : bool
        True when the verdict's interval excludes 1.
    warnings, notes : list of str
    dosage : dict or None
    """

    kind: str
    periods: Periods
    n_periods: int
    buffer_m: float
    places: gpd.GeoDataFrame
    counts: dict
    effect: RateRatio
    wdq: WDQ
    wdd: WDD
    rtm: PlaceboAdjustment | None
    placebo_dates: list[str]
    control_rule: str
    verdict: str = ""
    called: bool = False
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dosage: dict | None = None

    @property
    def window(self) -> dict:
        """Before and after windows as text (first period, end exclusive)."""
        p, n = self.periods, self.n_periods
        return {"period": p.unit, "periods_each": n, "before": [p.label(-n), p.label(0)],
                "after": [p.label(0), p.label(n)]}

    @property
    def naive_change(self) -> float | None:
        """Naive before/after change in the treated places (share, -0.2 = a 20 % fall)."""
        c = self.counts["treatment"]
        return None if c["before"] == 0 else c["after"] / c["before"] - 1.0

    def to_json(self, *, public: bool = False, k: int = 8) -> dict:
        """Everything the page and the table show (see ``hotspot assess --json``).

        Parameters
        ----------
        public : bool
            Safe to publish: counts below ``k`` become None (said in ``notes``).
        k : int
            Smallest count shown with ``public``.

        Returns
        -------
        dict
        """
        counts = self.counts
        if public:
            counts = {r: {w: (None if 0 < v < k else v) for w, v in c.items()} for r, c in counts.items()}
        rtm = None if self.rtm is None else {
            "expected_ratio": round(self.rtm.expected_ratio, 4), "net_ratio": round(self.rtm.net_ratio, 4),
            "net_ci95": [round(v, 4) for v in self.rtm.net_ci95], "p": round(self.rtm.p, 5), "n": self.rtm.n}
        return {"kind": self.kind, "window": self.window, "buffer_m": self.buffer_m, "control_rule": self.control_rule,
                "counts": counts, "effect": self.effect.to_json(), "wdq": self.wdq.to_json(),
                "wdd": self.wdd.to_json(),
                "rtm": (rtm or {}) | {"placebo_dates": self.placebo_dates},
                "naive": {"change": None if self.naive_change is None else round(self.naive_change, 4)},
                "verdict": self.verdict, "effect_called": self.called, "dosage": self.dosage,
                "warnings": self.warnings,
                "notes": self.notes + ([f"counts below {k} withheld (null)"] if public else []),
                "units": {"counts": "burglaries", "rate_ratio": "ratio (1 = no change relative to control)",
                          "buffer_m": "metres", "wdd": "burglaries", "naive.change": "share (-0.2 = 20 % fall)"}}


def _union(geoms: list[BaseGeometry]) -> BaseGeometry:
    # snap-rounded to 1 cm: places read back from GeoJSON (degrees) can touch
    # each other in ways GEOS's exact union refuses
    if not geoms:
        return shapely.Polygon()
    return shapely.union_all(shapely.make_valid(np.array(geoms, dtype=object)), grid_size=0.01)


class Assessor:
    """Counts in regions over periods, controls and placebo dates for one
    area, one selection rule and one start date.

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area.
    rule : SelectionRule
        How places are chosen (controls and placebo dates).
    start : Timestamp
        The intervention's start.
    cache : dict, optional
        Placebo ratios by date, shared by assessors of the same incidents,
        area and rule (they do not depend on the start).
    """

    def __init__(self, incidents: gpd.GeoDataFrame, area: Area, rule: SelectionRule, start: pd.Timestamp,
                 cache: dict | None = None):
        if not len(incidents):
            raise InputFileError("no incidents in the area: nothing to assess")
        self.area, self.rule = area, rule
        self.periods = Periods.from_incidents(incidents, start)
        self.k = np.asarray(self.periods.index(pd.DatetimeIndex(incidents["occurred"])), dtype=int).reshape(-1)
        self.x, self.y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()
        self._placebo: dict[tuple, float | None] = {} if cache is None else cache

    def series(self, region: BaseGeometry, lo: int, hi: int) -> np.ndarray:
        """Burglaries per period in a region, periods ``lo`` .. ``hi - 1``.

        Parameters
        ----------
        region : Geometry
            Polygon(s), metres.
        lo, hi : int
            Period numbers (``hi`` excluded).

        Returns
        -------
        ndarray
        """
        if region.is_empty:
            return np.zeros(hi - lo)
        inside = shapely.contains_xy(region, self.x, self.y)
        k = self.k[inside]
        k = k[(k >= lo) & (k < hi)]
        return np.bincount(k - lo, minlength=hi - lo).astype(float)

    def check_window(self, n: int) -> None:
        """Refuse windows the data do not cover.

        Parameters
        ----------
        n : int
            Periods after the start (and before it).
        """
        p = self.periods
        if not p.first <= 0 < p.end:
            raise InputFileError(f"start={p.stamp(0).date()}: outside the data ({p.label(p.first)} .. "
                                 f"{p.label(p.end - 1)}); give a start date inside them", param='start')
        if n < 1:
            raise InputFileError(f"end=: the after-period is empty (no whole {p.unit} after start="
                                 f"{p.stamp(0).date()}); give a later end=", param=('end', 'start'))
        if n > p.end:
            raise InputFileError(f"end={p.stamp(n).date()}: after the data's last whole {p.unit} "
                                 f"({p.label(p.end - 1)}); give end={p.stamp(p.end).date()} or earlier", param='end')
        if -n < p.first:
            raise InputFileError(f"start={p.stamp(0).date()}: the before-period of {n} {p.unit}s begins "
                                 f"{p.stamp(-n).date()}, before the data ({p.label(p.first)}); give an earlier end=", param=('start', 'end'))

    def placebo_ratio(self, d: int, n: int, n_treated: int, n_control: int, buffer_m: float) -> float | None:
        """Log ratio at placebo period ``d``: the rule's first ``n_treated``
        places against its next ``n_control`` clear of them (cached).

        Parameters
        ----------
        d : int
            Placebo start period (its after window ends by period 0).
        n : int
            Periods before and after.
        n_treated, n_control : int
            Places in each group.
        buffer_m : float
            Buffer width, metres.

        Returns
        -------
        float or None
            None when the rule finds too few places at that date (fewer
            treated places, or under half the controls).
        """
        key = (self.periods.stamp(d), n, n_treated, n_control, buffer_m)
        if key not in self._placebo:
            when = self.periods.stamp(d)
            # ask once for as many as the controls will need (one ranking per date)
            treated = self.rule.ranked(when, n_treated + 2 * n_control)[:n_treated]
            controls = controls_at(self.rule, when, _union(treated), buffer_m, n_control, skip=n_treated) \
                if len(treated) == n_treated else []
            # a date whose rule finds under half the controls is skipped (a much smaller
            # control group would make its ratio noisier than the observed one)
            if len(controls) < max(1, (n_control + 1) // 2):
                self._placebo[key] = None
            else:
                t, c = _union(treated), _union(controls)
                self._placebo[key] = log_ratio(self.series(t, d - n, d).sum(), self.series(t, d, d + n).sum(),
                                               self.series(c, d - n, d).sum(), self.series(c, d, d + n).sum())
        return self._placebo[key]

    def placebos(self, n: int, n_treated: int, n_control: int, buffer_m: float, most: int) -> tuple[np.ndarray, list[str]]:
        """Log ratios at the latest placebo dates whose after window ends by
        the start and whose before window lies in the data.

        Parameters
        ----------
        n : int
            Periods before and after.
        n_treated, n_control : int
            Places in each group.
        buffer_m : float
            Buffer width, metres.
        most : int
            At most this many dates.

        Returns
        -------
        ndarray, list of str
            The log ratios and their dates.
        """
        ratios: list[float] = []
        dates: list[str] = []
        for d in range(-n, self.periods.first + n - 1, -1):
            if len(ratios) >= most:
                break
            r = self.placebo_ratio(d, n, n_treated, n_control, buffer_m)
            if r is not None:
                ratios.append(r)
                dates.append(self.periods.label(d))
        return np.array(ratios), dates

    def regions(self, treated: list[BaseGeometry], controls: list[BaseGeometry], buffer_m: float) -> dict:
        """The four regions, buffers clipped to the area (burglaries beyond it are not in the data).

        Parameters
        ----------
        treated, controls : list of Polygon
            Places, metres.
        buffer_m : float
            Buffer width, metres.

        Returns
        -------
        dict
            Role -> geometry.
        """
        t, c = _union(treated), _union(controls)
        buf = shapely.difference(t.buffer(buffer_m), t).intersection(self.area.geometry)
        cbuf = shapely.difference(c.buffer(buffer_m), shapely.union(c, t.buffer(buffer_m)))
        return {"treatment": t, "buffer": buf, "control": c, "control_buffer": cbuf.intersection(self.area.geometry)}

    def solve(self, treated: gpd.GeoDataFrame, n: int, buffer_m: float, *, controls: gpd.GeoDataFrame | None = None,
              n_control: int | None = None, max_placebos: int = settings.ASSESS_MAX_PLACEBOS) -> AssessmentResult:
        """Assess treated places from the start over ``n`` periods.

        Parameters
        ----------
        treated : GeoDataFrame
            ``place_id`` and polygons (metres).
        n : int
            Periods after the start (months or weeks); the before window has as many.
        buffer_m : float
            Catchment buffer, metres.
        controls : GeoDataFrame, optional
            Control places (``place_id``, polygons); default the rule's.
        n_control : int, optional
            Control places to choose (default 2 per treated place).
        max_placebos : int
            Most placebo dates.

        Returns
        -------
        AssessmentResult
            With its warnings and verdict.
        """
        self.check_window(n)
        t_geoms = list(treated.geometry)
        n_control = n_control or settings.ASSESS_CONTROLS_PER_TREATED * len(t_geoms)
        ctrl, ctrl_ids = self._controls(t_geoms, controls, buffer_m, n_control)
        regions = self.regions(t_geoms, ctrl, buffer_m)
        cells = {role: (self.series(g, -n, 0), self.series(g, 0, n)) for role, g in regions.items()}
        counts = {r: {"before": int(b.sum()), "after": int(a.sum())} for r, (b, a) in cells.items()}
        pair = {r: (v["before"], v["after"]) for r, v in counts.items()}
        effect = did_rate_ratio(*cells["treatment"], *cells["control"])
        lr, dates = self.placebos(n, len(t_geoms), len(ctrl), buffer_m, max_placebos)
        res = AssessmentResult(
            kind="", periods=self.periods, n_periods=n, buffer_m=buffer_m,
            places=self._places(treated, ctrl, ctrl_ids, regions, n), counts=counts, effect=effect,
            wdq=wdq(pair["treatment"], pair["buffer"], pair["control"]),
            wdd=wdd(pair["treatment"], pair["control"], pair["buffer"], pair["control_buffer"]),
            rtm=placebo_adjust(float(np.log(effect.rate_ratio)), lr) if len(lr) else None, placebo_dates=dates,
            control_rule=self.rule.name if controls is None else "control layer given")
        if controls is None and len(ctrl) < n_control:
            res.warnings.append(f"only {len(ctrl)} control places clear of the treated places and their buffer "
                                f"(asked for {n_control})")
        _qualify(res)
        return res

    def _controls(self, t_geoms: list[BaseGeometry], controls: gpd.GeoDataFrame | None, buffer_m: float,
                  n_control: int) -> tuple[list[BaseGeometry], list[str]]:
        """Control places: the given layer (checked for overlap) or the rule's."""
        t = _union(t_geoms)
        if controls is not None:
            overlap = controls.geometry.intersects(t.buffer(buffer_m))
            if overlap.any():
                ids = controls.loc[overlap.to_numpy(), "place_id"].astype(str).tolist()
                raise InputFileError(f"control=: control place(s) {', '.join(ids[:5])} overlap the treated places "
                                     f"or their {buffer_m:g} m buffer; give controls clear of them", param='control')
            return list(controls.geometry), controls["place_id"].astype(str).tolist()
        ctrl = controls_at(self.rule, self.periods.stamp(0), t, buffer_m, n_control)
        if not ctrl:
            raise ModelError(f"no control place clear of the treated places and their {buffer_m:g} m buffer "
                             "in the area; give control=LAYER or a smaller buffer_m=", param=('control', 'buffer_m'))
        return ctrl, [f"C{i + 1:02d}" for i in range(len(ctrl))]

    def _places(self, treated: gpd.GeoDataFrame, ctrl: list[BaseGeometry], ctrl_ids: list[str], regions: dict,
                n: int) -> gpd.GeoDataFrame:
        """One row per treated and control place and per buffer, with counts."""
        rows = [("treatment", pid, g) for pid, g in zip(treated["place_id"].astype(str), treated.geometry)]
        rows += [("control", pid, g) for pid, g in zip(ctrl_ids, ctrl)]
        rows += [(role, role, regions[role]) for role in ("buffer", "control_buffer")]
        out = gpd.GeoDataFrame({"role": [r[0] for r in rows], "place_id": [r[1] for r in rows]},
                               geometry=[r[2] for r in rows], crs=self.area.crs)
        out["before"] = [int(self.series(g, -n, 0).sum()) for g in out.geometry]
        out["after"] = [int(self.series(g, 0, n).sum()) for g in out.geometry]
        return out


def verdict(res: AssessmentResult) -> tuple[str, bool]:
    """The plain-words verdict and whether an effect is called.

    Net of regression to the mean (permutation over placebo dates) when at
    least :data:`~hotspot.settings.ASSESS_MIN_PLACEBOS` placebo dates exist,
    else from the model's interval (with a warning added by the caller).

    Parameters
    ----------
    res : AssessmentResult
        The assessment.

    Returns
    -------
    str, bool
    """
    if res.rtm is not None and res.rtm.n >= settings.ASSESS_MIN_PLACEBOS:
        ratio, (lo, hi), p, basis = res.rtm.net_ratio, res.rtm.net_ci95, res.rtm.p, "net of regression to the mean"
        called = p < 0.05 and not lo <= 1.0 <= hi
    else:
        ratio, (lo, hi), p, basis = res.effect.rate_ratio, res.effect.ci95, res.effect.p, "relative to control"
        called = not lo <= 1.0 <= hi
    span = f"rate ratio {ratio:.2f}, 95 % interval {lo:.2f}-{hi:.2f}, p = {p:.3f}"
    if not called:
        return f"no detectable effect: burglary in the treated places did not change detectably {basis} ({span})", False
    change = "fell" if ratio < 1 else "rose"
    return f"burglary in the treated places {change} by {abs(1 - ratio):.0%} {basis} ({span})", True


def _rule_for(incidents: gpd.GeoDataFrame, area: Area, kind: str, places: gpd.GeoDataFrame,
              units: gpd.GeoSeries | None) -> SelectionRule:
    from .selection import CountRule, NanoBeatRule

    if kind == "nanobeats":
        return NanoBeatRule(incidents, area)
    if kind == "leaflets" and units is not None:
        return CountRule(incidents, area, candidates=units, window_days=settings.ASSESS_SELECTION_DAYS)
    side = float(np.sqrt(np.median(places.geometry.area)))
    return CountRule(incidents, area, cell=side, window_days=settings.ASSESS_SELECTION_DAYS)


def _date(value: Any, option: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise OptionError(f"{option}={value!r}: not a date (YYYY-MM-DD)", param=option) from exc


def after_periods(periods: Periods, end: Any) -> int:
    """Whole periods from the start to ``end`` (default: the data's end).

    Parameters
    ----------
    periods : Periods
        The data's periods.
    end : date-like or None
        Day after the intervention's last day.

    Returns
    -------
    int
    """
    if end is None:
        return periods.end
    when = _date(end, "end")
    if periods.unit == "month":
        if when != when.to_period("M").to_timestamp():
            raise OptionError(f"end={when.date()}: the dates are months only (police.uk); give the first day of a month", param='end')
        return int(periods.index(when))
    return int(np.floor((when - periods.start) / pd.Timedelta(days=7)))


def assess_intervention(incidents: gpd.GeoDataFrame, area: Area, layer: Any, options: AssessOptions | None = None,
                        ) -> AssessmentResult:
    """Did the intervention work? Counts before/after in treated, buffer and
    control places, a difference-in-differences rate ratio, WDQ, WDD, the
    effect net of regression to the mean and a verdict in plain words.

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's incidents (working CRS, metres).
    area : Area
        The study area.
    layer : str, Path or Intervention
        The intervention layer (:func:`hotspot.assess.layers.read_intervention`).
    options : AssessOptions, optional
        Dates, buffer (metres), controls, visits; default ``AssessOptions()``.

    Returns
    -------
    AssessmentResult
    """
    from .layers import Intervention, read_intervention

    options = options or AssessOptions()
    inter = layer if isinstance(layer, Intervention) else read_intervention(layer, area, units=options.units)
    start = options.start if options.start is not None else inter.start
    if start is None:
        raise OptionError("start=: give the intervention's first day (the layer has no start column)", param='start')
    rule = _rule_for(incidents, area, inter.kind, inter.places, inter.units)
    assessor = Assessor(incidents, area, rule, _date(start, "start"))
    n = after_periods(assessor.periods, options.end if options.end is not None else inter.end)
    buffer_m = options.buffer_m if options.buffer_m is not None else inter.buffer_m
    controls = _control_layer(options.control, area)
    res = assessor.solve(inter.places, n, buffer_m, controls=controls,
                         n_control=options.controls_per_treated * len(inter.places), max_placebos=options.max_placebos)
    res.kind, res.notes = inter.kind, res.notes + inter.notes
    if inter.kind == "nanobeats":
        res.notes.append("controls and placebo dates use the nanobeats command's default window; a plan made with "
                         "another window (--from-knox, --distance) is still compared with places that rule ranks next")
    if options.visits is not None:
        from .dosage import summarise_visits

        res.dosage = summarise_visits(options.visits, inter.places, res.periods.stamp(0), res.periods.stamp(n))
    return res


def _control_layer(control: Any, area: Area) -> gpd.GeoDataFrame | None:
    if control is None or (isinstance(control, str) and control == "auto"):
        return None
    from .layers import read_intervention

    if isinstance(control, gpd.GeoDataFrame):
        return control.to_crs(area.crs)
    return read_intervention(control, area).places


def _qualify(res: AssessmentResult) -> None:
    """Warnings that change the reading, then the verdict."""
    if res.rtm is None or res.rtm.n < settings.ASSESS_MIN_PLACEBOS:
        have = 0 if res.rtm is None else res.rtm.n
        res.warnings.append(f"only {have} placebo dates (at least {settings.ASSESS_MIN_PLACEBOS} are needed): the "
                            "verdict is the model's and does not allow for regression to the mean")
    if res.counts["treatment"]["before"] < 20:
        res.warnings.append(f"{res.counts['treatment']['before']} burglaries in the treated places before: "
                            "too few for a precise estimate")
    if res.effect.corrected:
        res.warnings.append("a zero count: 0.5 added to each count for the rate ratio")
    res.verdict, res.called = verdict(res)


__all__ = ["AssessOptions", "AssessmentResult", "Assessor", "HotspotError", "Periods", "assess_intervention",
           "verdict"]
