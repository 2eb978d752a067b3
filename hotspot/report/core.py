"""The performance report itself: :func:`build_report` and its result
:class:`PerformanceReport`, with the rates and ranks among the London
reference and what each change is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .._errors import HotspotError, ModelError, OptionError
from .london import LondonContext
from .rag import rag_with_caveats
from .series import change_pct, complete_financial_years, fy_volume, monthly_series, probably_missing_months, window_sum
from .trend import expected_range, observed_only


@dataclass
class PerformanceReport:
    """The figures of :func:`build_report` for one area and month.

    Volumes are burglaries; ``change_pct`` values percent (one decimal);
    ``rate_per_1000`` holds rolling-12-month burglaries per 1,000 residents
    and per 1,000 households; ranks are 1 for the highest rate; ``series``
    is :func:`expected_range`'s frame and ``seasonal`` the seasonal index.
    """

    area: str
    month: pd.Period
    latest_quarter: dict
    rolling_12m: dict
    vs_baseline: dict
    rate_per_1000: dict
    london_rank: int | None
    london_of: int | None
    peer_rank: int | None
    peers: list[str]
    exceptions: list[dict]
    rag: str
    series: pd.DataFrame = field(repr=False)
    seasonal: pd.Series = field(repr=False)
    #: Conditions that change how the numbers may be read (partial coverage,
    #: rank withheld, months that look missing): shown on the page too.
    warnings: list[str] = field(default_factory=list)
    #: How the London ranks were counted (None without a London reference).
    rank_counting: str | None = None
    #: Where the burglaries come from, for the page's source line (see :func:`data_source`).
    source: str = "the incident data given"
    #: Areas left out of the ranks (too small a rate basis), with why.
    unranked: dict[str, str] = field(default_factory=dict)
    #: The rate the ranks order areas by: per 1,000 "households" or "residents" (``settings.RANK_BASIS``).
    rank_basis: str = "residents"

    def to_json(self) -> dict:
        """The report as a JSON-ready dict (see ``hotspot report --json``)."""
        vs = change_basis(self.month, self.vs_baseline["fy"])
        return {"area": self.area, "month": str(self.month), "latest_quarter": {**self.latest_quarter, **vs["latest_quarter"]},
                "rolling_12m": {**self.rolling_12m, **vs["rolling_12m"]},
                "vs_baseline": {**self.vs_baseline, **vs["vs_baseline"]}, "rate_per_1000": self.rate_per_1000,
                "london_rank": self.london_rank, "london_of": self.london_of, "peer_rank": self.peer_rank,
                "peers": self.peers, "exceptions": self.exceptions, "rag": self.rag, "warnings": self.warnings,
                "rank_counting": self.rank_counting, "unranked": self.unranked,
                # ranks order areas by this rate, as the league's ranks do (settings.RANK_BASIS)
                "rank_by": f"burglaries per 1,000 {self.rank_basis}, rolling 12 months"}

    def to_csv_frame(self) -> pd.DataFrame:
        """The monthly series (observed, expected, band, direction) with a
        ``month`` text column, for CSV."""
        s = self.series.copy()
        s.index = s.index.astype(str)
        return s.rename_axis("month").reset_index()



def build_report(incidents: pd.DataFrame, area_name: str, month: str, *, london: LondonContext | None = None,
                 baseline_fy: int | None = None, peers: list[str] | None = None, z: float = 2.5,
                 green: float = 5.0, red: float = 5.0, coverage_tolerance: float | None = None) -> PerformanceReport:
    """Compute the performance report for an area and a reporting month.

    Parameters
    ----------
    incidents : GeoDataFrame
        The area's own incidents (``occurred``), one row per burglary.
    area_name : str
        The area's name; with ``london`` it must be a borough of the reference.
    month : str
        Reporting month ``YYYY-MM``; it must not be after the last month in
        the data.
    london : LondonContext, optional
        Reference counts, population and households for rates and ranks.
    baseline_fy : int, optional
        Baseline financial year (2014 = April 2014 to March 2015); default the
        earliest complete one.
    peers : list of str, optional
        Peer areas (default: nearest in density and deprivation). Unknown
        names are an error with closest matches.
    z : float
        Exception band, standard deviations (default 2.5).
    green : float
        GREEN at a fall of the rolling 12 months of at least this many
        percent (default 5).
    red : float
        RED at a rise of the rolling 12 months of at least this many percent
        (default 5).
    coverage_tolerance : float, optional
        Largest relative difference (fraction) between the input's rolling
        12-month volume and the reference's before the input counts as
        covering the area only partly (default ``settings.COVERAGE_TOLERANCE``).

    Returns
    -------
    PerformanceReport
        Volumes (burglaries), changes (percent), rates per 1,000 residents
        and households, ranks, exceptions, RAG and ``warnings``.

    Raises
    ------
    HotspotError
        No incidents, a month after the data end, fewer than 24 months, a
        month missing inside the windows the figures use, unknown peers.
    """
    from .. import settings
    from ..campaigns.timing import seasonal_index

    if len(incidents) == 0:
        raise HotspotError(f"no incidents for {area_name}: nothing to report (check crime_types= and the area)", param='crime_types')
    from ..periods import parse_month

    M = parse_month(month, "month")
    last = incidents["occurred"].max().to_period("M")
    if M > last:
        raise HotspotError(f"month={M}: the data end in {last}; months after it are missing, not zero "
                           f"(choose {last} or earlier, or add the later months' data)", param='month')
    series = monthly_series(incidents, end=M)
    series = series[series.index <= M]
    if len(series) < 24 or M - 23 < series.index.min():
        raise HotspotError(f"the report for {M} needs 24 months of data up to it; the data start {series.index.min()}")
    fys = complete_financial_years(series)
    if baseline_fy is None:
        if not fys:
            raise HotspotError("no complete financial year in the data for a baseline")
        baseline_fy = fys[0]
    elif baseline_fy not in fys:
        raise HotspotError(f"baseline_fy={baseline_fy}: financial year {baseline_fy}/{baseline_fy + 1} is not "
                           f"complete in the data (complete: {', '.join(map(str, fys)) or 'none'})", param='baseline_fy')
    missing = probably_missing_months(series)
    used = set(pd.period_range(M - 23, M, freq="M")) | set(
        pd.period_range(pd.Period(f"{baseline_fy}-04", "M"), pd.Period(f"{baseline_fy + 1}-03", "M"), freq="M"))
    gaps = [p for p in missing if p in used]
    if gaps:
        raise HotspotError(f"month(s) {', '.join(map(str, gaps))} have no incident although the months around them "
                           f"have {settings.MISSING_MONTH_LEVEL:g}+ a month: the data look incomplete there; add "
                           "those months or choose another month=/baseline_fy=", param=('month', 'baseline_fy'))
    warnings = [f"{p} has no incident although the months around it have {settings.MISSING_MONTH_LEVEL:g}+ a "
                "month (probably missing data); the expected range is fitted with it" for p in missing]
    q, q_prev = window_sum(series, M, 3), window_sum(series, M - 12, 3)
    r, r_prev = window_sum(series, M, 12), window_sum(series, M - 12, 12)
    base = fy_volume(series, baseline_fy)
    try:
        rng = expected_range(series, z=z)
    except ModelError as exc:
        # too few burglaries a month for the model (a small area): the volumes stand, with no band, no
        # exceptions and no rating, as the league does for a small ward
        warnings.append(f"{exc}; no exceptions and no RAG rating")
        rng = observed_only(series)
    recent = rng[rng.index > M - 24]
    exceptions = [{"month": str(p), "direction": row.direction, "observed": int(row.observed),
                   "expected": round(float(row.expected), 1)} for p, row in recent.iterrows() if row.direction]
    high_q = any(x["direction"] == "high" and pd.Period(x["month"], "M") > M - 3 for x in exceptions)
    rates: dict = {"residents": None, "households": None}
    london_rank = london_of = peer_rank = None
    peer_list: list[str] = []
    basis = _rank_basis(london, warnings)
    if london is not None:
        if peers:
            # the area is not its own peer; a name given twice counts once
            peer_list = [p for p in dict.fromkeys(london.check_peers(peers)) if p != area_name]
        london_rank, london_of, peer_rank, peer_list, rates = _ranks(
            london, area_name, M, r, peer_list, warnings,
            settings.COVERAGE_TOLERANCE if coverage_tolerance is None else coverage_tolerance, per=basis)
    change = change_pct(r, r_prev)
    rag, caveats = rag_with_caveats(r, r_prev, green=green, red=red, high_exception_recent=high_q)
    warnings.extend(caveats)
    if rng["expected"].isna().all():
        rag = "n/a"
    return PerformanceReport(
        area=area_name, month=M,
        latest_quarter={"volume": q, "change_pct": change_pct(q, q_prev)},
        rolling_12m={"volume": r, "change_pct": change},
        vs_baseline={"fy": baseline_fy, "volume": base, "change_pct": change_pct(r, base)},
        rate_per_1000=rates, london_rank=london_rank, london_of=london_of, peer_rank=peer_rank, peers=list(peer_list),
        exceptions=exceptions, rag=rag,
        series=rng, seasonal=seasonal_index(incidents[incidents["occurred"].dt.to_period("M") <= M]),
        warnings=warnings, rank_counting=london.counting if london is not None else None,
        unranked=dict(small_rate_bases(london)) if london is not None else {}, rank_basis=basis,
    )


def _rank_basis(london: LondonContext | None, warnings: list[str]) -> str:
    """The rate ranks order by: ``settings.RANK_BASIS``, or residents (with
    a warning) when the reference has no households."""
    from .. import settings

    basis = settings.RANK_BASIS
    if basis not in ("households", "residents"):
        raise OptionError(f"settings.RANK_BASIS = {basis!r}: households or residents")
    if basis == "households" and london is not None and not len(london.households):
        warnings.append("no households in the reference (--households): ranks are by burglaries per 1,000 "
                        "residents, not per 1,000 households as the league's")
        basis = "residents"
    return basis


def _ranks(london: LondonContext, area: str, M: pd.Period, volume: int, peers: list[str], warnings: list[str],
           tolerance: float, per: str = "residents"):
    """Rates and ranks from one counting: the reference's, for every area.

    The input's own volume must agree with the reference's for the same
    months; otherwise the input covers the area only partly (or another
    area), its rates would not be comparable, and the ranks are withheld.
    """
    rates: dict = {"residents": None, "households": None}
    ref = london.volume(area, M)
    if ref is None:
        warnings.append(f"{area} is not in the London reference for the 12 months to {M}: no rates or ranks")
        return None, None, None, [], rates
    if abs(volume - ref) > tolerance * max(ref, 1):
        warnings.append(f"the input has {volume:,} burglaries for {area} in the 12 months to {M}, the London "
                        f"reference {ref:,} ({change_pct(volume, ref):+.1f}%): the input covers the area only "
                        "partly, so rates and ranks are withheld")
        return None, None, None, list(peers), rates
    pop, hh = london.population.get(area), london.households.get(area)
    rates = {"residents": round(ref / pop * 1000, 3) if pop else None,
             "households": round(ref / hh * 1000, 3) if hh else None}
    lr = london.rolling_rates(M, per=per)
    if area not in lr.index:
        warnings.append(f"{area}: no {'households' if per == 'households' else 'population'} in the London "
                        "reference, so no rank")
        return None, None, None, list(peers), rates
    small = small_rate_bases(london)
    lr = lr.drop(small.index, errors="ignore")
    if area in small.index:
        warnings.append(f"{area}: {small[area]}, too small a base to rank on (the rate is shown, no rank)")
        return None, None, None, list(peers), rates
    london_rank = int(lr.rank(ascending=False, method="min")[area])
    # default peers: the nearest areas that can be ranked
    peer_list = peers or [p for p in london.peers(area, 5 + len(small)) if p not in small.index][:5]
    group = lr.reindex([area] + list(peer_list))
    missing = [p for p in peer_list if pd.isna(group.get(p)) and p not in small.index]
    if missing:
        warnings.append(f"peers without a rate in the reference, left out of the peer rank: {', '.join(missing)}")
    unranked = [p for p in peer_list if p in small.index]
    if unranked:
        warnings.append("peers left out of the peer rank (too small a base to rank on): "
                        + "; ".join(f"{p}: {small[p]}" for p in unranked))
    peer_rank = int(group.dropna().rank(ascending=False, method="min")[area])
    return london_rank, len(lr), peer_rank, list(peer_list), rates


def small_rate_bases(london: LondonContext) -> pd.Series:
    """Areas whose rate basis is too small to rank on, each with why.

    An area with fewer residents than ``settings.MIN_RANK_RESIDENTS`` or
    fewer households than ``settings.MIN_RANK_HOUSEHOLDS`` (when the
    reference has households) gets a rate but no rank: on a tiny resident
    base with a large workday population (City of London) a rate per
    resident does not measure risk.

    Parameters
    ----------
    london : LondonContext
        The reference population and households (persons, households).

    Returns
    -------
    Series
        Reason text indexed by area name; empty when every area is large enough.
    """
    from .. import settings

    why: dict[str, str] = {}
    for key, value in london.population.items():
        name = str(key)
        if pd.notna(value) and value < settings.MIN_RANK_RESIDENTS:
            why[name] = f"{value:,.0f} residents (fewer than {settings.MIN_RANK_RESIDENTS:,}, settings.MIN_RANK_RESIDENTS)"
    for key, value in london.households.items():
        name = str(key)
        if pd.notna(value) and value < settings.MIN_RANK_HOUSEHOLDS and name not in why:
            why[name] = (f"{value:,.0f} households (fewer than {settings.MIN_RANK_HOUSEHOLDS:,}, "
                         "settings.MIN_RANK_HOUSEHOLDS)")
    return pd.Series(why, dtype=object)


def change_basis(month: pd.Period, baseline_fy: int) -> dict:
    """What each change in the report is compared with, in words and months.

    Parameters
    ----------
    month : Period
        The reporting month (monthly period).
    baseline_fy : int
        Baseline financial year (2014 = April 2014 to March 2015).

    Returns
    -------
    dict
        For ``latest_quarter``, ``rolling_12m`` and ``vs_baseline``: the
        ``months`` of its ``volume`` (first, last; ``YYYY-MM``),
        ``change_vs`` (what the change is against, in words) and
        ``change_vs_months`` (first, last month of that comparison); the
        baseline's change is of the rolling 12 months (``change_of``,
        ``change_of_months``).
    """
    M = pd.Period(month, "M")
    fy = (str(pd.Period(f"{baseline_fy}-04", "M")), str(pd.Period(f"{baseline_fy + 1}-03", "M")))
    return {
        "latest_quarter": {"months": [str(M - 2), str(M)], "change_vs": "the same 3 months a year before",
                           "change_vs_months": [str(M - 14), str(M - 12)]},
        "rolling_12m": {"months": [str(M - 11), str(M)], "change_vs": "the 12 months before",
                        "change_vs_months": [str(M - 23), str(M - 12)]},
        "vs_baseline": {"months": list(fy), "change_of": "the rolling 12 months",
                        "change_of_months": [str(M - 11), str(M)],
                        "change_vs": f"the baseline financial year {baseline_fy}/{str(baseline_fy + 1)[-2:]}",
                        "change_vs_months": list(fy)},
    }
