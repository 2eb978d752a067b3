"""The partnership board's burglary performance report.

For an area and a reporting month M:

* **latest quarter** - the three months ending M, and the change against the
  same three months a year before;
* **rolling 12 months** - the twelve months ending M against the twelve
  before;
* **baseline** - the rolling 12 months against a baseline financial year
  (April-March; the earliest complete one in the data unless given);
* **rates** per 1,000 residents and per 1,000 households (rolling 12 months);
* **London rank** of the rolling-12-month rate per 1,000 residents among all
  boroughs in the London LSOA counts (1 = highest rate), and the rank within
  a **peer group** (given, or the boroughs nearest in population density and
  deprivation - standardised, Euclidean - plus the area);
* **exceptions** - months (in the 24 up to M) outside the expected range of a
  Poisson model with calendar-month effects and a linear trend, fitted to
  the 60 months up to M (a local trend: burglary's long-run path is not a
  straight line; refitted once without months beyond the limit, so a spike
  does not hide itself), with a quasi-Poisson band of ``z`` standard
  deviations (default 2.5: about 1 month in 80 by chance);
* **RAG** (:func:`rag_rating`) - by the rolling-12-month change: GREEN at or
  below ``-green`` %, RED at or above ``+red`` %, AMBER between; a high
  exception in the latest quarter lifts GREEN to AMBER.

``change_pct`` values are percentages rounded to one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import HotspotError, InputFileError, ModelError, OptionError
from .columns import lsoa_district
from .readonce import read_csv_once


def change_pct(now: float, before: float) -> float | None:
    """Percentage change, one decimal; None when the base is zero.

    Parameters
    ----------
    now : float
        The later value (e.g. burglaries in the last 12 months).
    before : float
        The base value it is compared with (same unit as ``now``).

    Returns
    -------
    float or None
        ``(now - before) / before`` in percent, rounded to one decimal; None
        when ``before`` is zero (no base to compare with).
    """
    if before == 0:
        return None
    return round((now - before) / before * 100.0, 1)


def monthly_series(incidents: pd.DataFrame, *, end: pd.Period | None = None) -> pd.Series:
    """Incidents per calendar month, zero-filled, indexed by Period.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        One row per burglary with an ``occurred`` timestamp column.
    end : Period, optional
        Last month of the series (monthly Period); default the month of the
        latest incident. Months after the data are filled with zero, so pass
        only an ``end`` the data reach.

    Returns
    -------
    Series
        Burglaries per month (int), indexed by a monthly PeriodIndex from the
        first incident's month to ``end``.
    """
    per = incidents["occurred"].dt.to_period("M")
    last = end if end is not None else per.max()
    idx = pd.period_range(per.min(), last, freq="M")
    return per.value_counts().reindex(idx, fill_value=0).sort_index().astype(int)


def window_sum(series: pd.Series, end: pd.Period, months: int) -> int:
    """Sum of the ``months`` months ending at ``end`` (inclusive).

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex
        (:func:`monthly_series`).
    end : Period
        Last month of the window (included).
    months : int
        Length of the window, months.

    Returns
    -------
    int
        Total count over the window (months absent from ``series`` add 0).
    """
    return int(series.loc[(series.index > end - months) & (series.index <= end)].sum())


def complete_financial_years(series: pd.Series) -> list[int]:
    """Financial years (April of year y to March of y+1) fully in the series.

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex.

    Returns
    -------
    list of int
        The starting years ``y`` of the financial years whose twelve months
        are all in the index, oldest first.
    """
    months = set(series.index)
    out = []
    for y in range(series.index.min().year - 1, series.index.max().year + 1):
        fy = pd.period_range(pd.Period(f"{y}-04", "M"), pd.Period(f"{y + 1}-03", "M"), freq="M")
        if all(p in months for p in fy):
            out.append(y)
    return out


def fy_volume(series: pd.Series, fy: int) -> int:
    """Count over a financial year (April ``fy`` to March ``fy + 1``).

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex.
    fy : int
        Starting year of the financial year (2014 = April 2014 to March
        2015).

    Returns
    -------
    int
        Total count over those twelve months.
    """
    return window_sum(series, pd.Period(f"{fy + 1}-03", "M"), 12)


# --------------------------------------------------------------------------- exceptions


def poisson_glm(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, *, tol: float = 1e-10,
                max_iter: int = 100) -> np.ndarray:
    """Maximum-likelihood Poisson regression (log link) by iteratively
    reweighted least squares: coefficients for the columns of ``X``.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Design matrix; its first column is the intercept (ones).
    y : ndarray, shape (n,)
        Observed counts (e.g. burglaries per month).
    weights : ndarray, shape (n,), optional
        Prior weight of each observation (0 leaves it out of the fit);
        default all 1.
    tol : float
        Convergence: largest change of any coefficient between iterations
        (log scale, unitless).
    max_iter : int
        Most iterations; the last estimate is returned when reached.

    Returns
    -------
    ndarray, shape (p,)
        Coefficients on the log scale.

    Raises
    ------
    ModelError
        The fit diverges or is singular (too few counts for the model).
    """
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(np.average(y, weights=w), 1e-9))
    for _ in range(max_iter):
        eta = X @ beta
        if not np.all(np.isfinite(eta)) or eta.max() > 700:
            raise ModelError("the expected range cannot be fitted: too few burglaries a month for a Poisson model")
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        W = w * mu
        try:
            new = np.linalg.lstsq(X * np.sqrt(W)[:, None], z * np.sqrt(W), rcond=None)[0]
        except np.linalg.LinAlgError:
            raise ModelError("the expected range cannot be fitted: too few burglaries a month for a Poisson "
                             "model") from None
        if np.max(np.abs(new - beta)) < tol:
            return new
        beta = new
    return beta


def expected_range(series: pd.Series, *, z: float = 2.5, fit_months: int | None = 60) -> pd.DataFrame:
    """Expected monthly counts from a Poisson GLM (calendar-month effects +
    linear trend) with a quasi-Poisson band of ``z`` sd.

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex; at least 24
        months.
    z : float
        Half-width of the band, standard deviations (default 2.5: about one
        month in 80 outside by chance).
    fit_months : int or None
        Fit to the last ``fit_months`` months of ``series`` (default 60: a
        local trend); None fits all of them.

    Returns
    -------
    DataFrame
        Indexed like ``series`` (its last ``fit_months`` months, all when
        None) with ``observed, expected, lower, upper`` (burglaries per
        month) and ``direction`` ("high", "low" or "").
    """
    if fit_months is not None:
        series = series.iloc[-fit_months:]
    y = series.to_numpy(float)
    n = len(y)
    if n < 24:
        raise HotspotError("an expected range needs at least 24 months of data")
    months = np.array([p.month for p in series.index])
    X = np.column_stack([np.ones(n), np.eye(12)[months - 1][:, 1:], (np.arange(n) - n / 2) / 12.0])

    def fit(weights):
        beta = poisson_glm(X, y, weights)
        mu = np.exp(X @ beta)
        w = weights > 0
        phi = max(1.0, float(np.sum(weights[w] * (y[w] - mu[w]) ** 2 / mu[w]) / max(w.sum() - X.shape[1], 1)))
        return mu, phi

    weights = np.ones(n)
    mu, phi = fit(weights)
    resid = (y - mu) / np.sqrt(phi * mu)
    if np.any(np.abs(resid) > z):
        weights = (np.abs(resid) <= z).astype(float)  # refit without the outliers
        mu, phi = fit(weights)
    sd = np.sqrt(phi * mu)
    lower, upper = np.maximum(mu - z * sd, 0), mu + z * sd
    direction = np.where(y > upper, "high", np.where(y < lower, "low", ""))
    return pd.DataFrame({"observed": y.astype(int), "expected": mu, "lower": lower, "upper": upper,
                         "direction": direction}, index=series.index)


# --------------------------------------------------------------------------- RAG


def rag_with_caveats(now: int, before: int, *, green: float = 5.0, red: float = 5.0,
                     high_exception_recent: bool = False) -> tuple[str, list[str]]:
    """The RAG rating of a rolling-12-month change with what qualifies it:
    no rating below ``settings.MIN_RAG_VOLUME`` burglaries in the year
    before (+100 % on 1 -> 2 is noise, or data that do not cover the area),
    and a warning when a RED or GREEN change is within chance.

    Parameters
    ----------
    now, before : int
        Burglaries in the last 12 months and in the 12 before.
    green, red : float
        Thresholds of :func:`rag_rating`, percent.
    high_exception_recent : bool
        A high exception in the latest quarter (lifts GREEN to AMBER).

    Returns
    -------
    (str, list of str)
        ``"RED"``, ``"AMBER"``, ``"GREEN"`` or ``"n/a"``, and the warnings.
    """
    from . import settings

    if before < settings.MIN_RAG_VOLUME:
        return "n/a", [f"only {before} burglaries in the 12 months before and {now} in the last 12: too few for a "
                       "rating (check that the input covers the area)"]
    rag = rag_rating(change_pct(now, before), green=green, red=red, high_exception_recent=high_exception_recent)
    return rag, _chance_note(now, before, rag) if rag in ("RED", "GREEN") else []


def _chance_note(now: int, before: int, rag: str) -> list[str]:
    """A warning when a RED or GREEN change is within chance: the exact test
    of two Poisson counts (given their sum, ``now`` is binomial with p = 1/2
    when the rate has not changed), two-sided, at 5 %."""
    from scipy.stats import binomtest

    p = binomtest(now, now + before, 0.5).pvalue
    if p < 0.05:
        return []
    return [f"{rag} on {before:,} -> {now:,} burglaries: a change this size happens by chance (p = {p:.2f}, exact "
            "test of two Poisson counts); read the rating with care"]


def rag_rating(rolling_change: float | None, *, green: float = 5.0, red: float = 5.0,
               high_exception_recent: bool = False) -> str:
    """RED / AMBER / GREEN from the rolling-12-month change (percent).

    GREEN when the change is at or below ``-green``; RED at or above
    ``+red``; AMBER otherwise (and when the change cannot be computed). A
    high exception in the latest quarter lifts GREEN to AMBER.

    Parameters
    ----------
    rolling_change : float or None
        Change of the rolling 12 months against the 12 before, percent;
        None when it cannot be computed (no base).
    green : float
        A fall of at least this many percent is GREEN (default 5).
    red : float
        A rise of at least this many percent is RED (default 5).
    high_exception_recent : bool
        True when a month of the latest quarter is a high exception.

    Returns
    -------
    str
        ``"RED"``, ``"AMBER"`` or ``"GREEN"``.
    """
    if rolling_change is None:
        return "AMBER"
    if rolling_change >= red:
        return "RED"
    if rolling_change <= -green:
        return "AMBER" if high_exception_recent else "GREEN"
    return "AMBER"


# --------------------------------------------------------------------------- London


def _boroughs_of(names: pd.Series, path: str) -> pd.Series:
    """The local authority of each police.uk LSOA name (``'Barnet 001A'`` ->
    ``'Barnet'``); a missing or malformed name is refused, never counted
    under a borough of its own."""
    boroughs = lsoa_district(names)
    bad = boroughs.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = names.index[i] + 1 if pd.api.types.is_integer_dtype(names.index) else i + 1  # 1-based, no header
        raise InputFileError(f"{path}: data row {row}, column 'LSOA name': {names.iloc[i]!r} is not a police.uk LSOA "
                             f"name ('<district> 001A'); {int(bad.sum())} such rows: correct or drop them")
    return boroughs


#: Kept for callers of the first API (None for a malformed name): the rule is :func:`hotspot.columns.lsoa_district`.
borough_of_lsoa_name = lsoa_district


@dataclass
class LondonContext:
    """Borough-level counts, population, households and peer measures."""

    monthly: pd.DataFrame  # borough x period
    population: pd.Series
    households: pd.Series
    density: pd.Series
    deprivation: pd.Series

    #: How the borough counts were made (shown with the ranks).
    counting: str = "LSOA month counts"
    #: Area codes (e.g. E09000003) to names, so --peers takes codes too.
    codes: dict = field(default_factory=dict)

    @classmethod
    def from_files(cls, counts_csv: str | Path | None, population_csv: str | Path | None,
                   households_csv: str | Path | None = None,
                   imd_csv: str | Path | None = None, boroughs_layer: str | Path | None = None) -> LondonContext:
        """Borough counts, population, households, deprivation and density.

        Parameters
        ----------
        counts_csv : path
            Either police.uk LSOA month counts (``LSOA name, Month,
            burglary_count``; rows as published, duplicate crime ids included)
            or a police.uk incident table (``.parquet``/``.csv`` with ``Crime
            ID, Month, LSOA name``), counted one burglary per Crime ID: the
            counting the report itself uses, so ranks and volumes agree.
            Required (None is refused, naming the option).
        population_csv : path
            LSOA mid-year population (``Local Authority District name ...``,
            ``Total population ...`` columns), for rates per 1,000 residents.
            Required (None is refused, naming the option).
        households_csv : path, optional
            Census households per LSOA (``lad_name``, ``households``), for
            rates per 1,000 households; without it those rates are None.
        imd_csv : path, optional
            IMD scores per LSOA (``LSOA code (2011)``, ``Index of Multiple
            Deprivation (IMD) Score``): deprivation for choosing peers.
        boroughs_layer : path, optional
            Borough polygons, for population density (residents per km²).

        Returns
        -------
        LondonContext

        Raises
        ------
        InputFileError
            The counts or the population file is not given, or a column is
            missing.
        """
        if counts_csv is None or population_csv is None:
            raise InputFileError("London rates and ranks need both the reference counts (--reference-counts) and "
                                 "the population (--population)")
        counts_csv = str(counts_csv)
        if counts_csv.endswith(".parquet"):
            table = pd.read_parquet(counts_csv, columns=["Crime ID", "Month", "LSOA name", "Longitude"])
            monthly, counting = _monthly_from_incident_table(table, counts_csv)
        else:
            c = pd.read_csv(counts_csv)
            if "Crime ID" in c and "burglary_count" not in c:
                monthly, counting = _monthly_from_incident_table(c, counts_csv)
            else:
                for col in ("LSOA name", "Month", "burglary_count"):
                    if col not in c:
                        raise InputFileError(f"{counts_csv}: required column '{col}' is missing")
                c["borough"] = _boroughs_of(c["LSOA name"], counts_csv)
                c["period"] = pd.PeriodIndex(c["Month"], freq="M")
                monthly = c.pivot_table(index="borough", columns="period", values="burglary_count", aggfunc="sum",
                                        fill_value=0)
                counting = "LSOA month counts (rows as published)"
        pop = pd.read_csv(population_csv)
        pcol = _column(pop, population_csv, lambda c: c.lower().startswith("total population"), "Total population ...")
        lad = _column(pop, population_csv, lambda c: c.lower().startswith("local authority district name"),
                      "Local Authority District name ...")
        population = pop.groupby(lad)[pcol].sum()
        households = pd.Series(dtype=float)
        if households_csv is not None:
            # read as the campaign stage reads it (codes as text): one read of the file per run
            hh = read_csv_once(households_csv, dtype={"lsoa_code": str})
            for col in ("lad_name", "households"):
                _column(hh, households_csv, lambda c, col=col: c == col, col)
            households = hh.groupby("lad_name")["households"].sum()
        deprivation = pd.Series(dtype=float)
        if imd_csv is not None:
            imd = pd.read_csv(imd_csv)
            code = _column(imd, imd_csv, lambda c: c == "LSOA code (2011)", "LSOA code (2011)")
            score = _column(imd, imd_csv, lambda c: c == "Index of Multiple Deprivation (IMD) Score",
                            "Index of Multiple Deprivation (IMD) Score")
            _column(pop, population_csv, lambda c: c == code, code)
            m = imd[[code, score]].merge(pop[[code, lad, pcol]], on=code)
            deprivation = m.groupby(lad)[[score, pcol]].apply(lambda g: np.average(g[score], weights=g[pcol]))
        density = pd.Series(dtype=float)
        if boroughs_layer is not None:
            from .areas import load_boundaries

            b = load_boundaries(boroughs_layer)  # projected in metres once, by the one CRS rule
            name = _column(b, boroughs_layer, lambda c: "name" in c.lower() and c != b.geometry.name, "a name column")
            km2 = pd.Series(b.geometry.area.to_numpy() / 1e6, index=b[name])
            density = population.reindex(km2.index) / km2
        codes = _area_codes(pop, lad)
        return cls(monthly, population, households, density, deprivation, counting, codes)

    def rolling_rates(self, end: pd.Period, per: str = "residents") -> pd.Series:
        """Burglaries per 1,000 residents (or households) over the 12 months ending ``end``.

        Parameters
        ----------
        end : Period
            Last month of the rolling 12 months (included).
        per : {"residents", "households"}
            The rate's denominator (default residents).

        Returns
        -------
        Series
            Rate per 1,000 residents (households) by borough; boroughs
            without a population or that denominator are left out.
        """
        periods = pd.PeriodIndex(self.monthly.columns, freq="M")
        vol = self.monthly.loc[:, (periods > end - 12) & (periods <= end)].sum(axis=1)
        pop = self.population.reindex(vol.index)
        if per == "households":  # the reference's areas are those with a population (the households table is wider)
            pop = self.households.reindex(vol.index).where(pop.notna())
        return (vol / pop * 1000).dropna()

    def volume(self, area: str, end: pd.Period, months: int = 12) -> int | None:
        """The reference count for ``area`` over the ``months`` months ending
        ``end``; None when the area or any of those months is absent.

        Parameters
        ----------
        area : str
            Borough name as in the reference counts.
        end : Period
            Last month of the window (included).
        months : int
            Length of the window, months (default 12).

        Returns
        -------
        int or None
            Burglaries over the window, or None.
        """
        cols = pd.period_range(end - months + 1, end, freq="M")
        if area not in self.monthly.index or any(p not in self.monthly.columns for p in cols):
            return None
        return int(self.monthly.reindex(index=[area], columns=cols).to_numpy().sum())

    def check_peers(self, names: list[str]) -> list[str]:
        """``names`` if every one is a borough of the reference, else an error
        naming the unknown ones with their closest matches.

        Parameters
        ----------
        names : list of str
            Peer area names given by the user (``--peers``).

        Returns
        -------
        list of str
            ``names`` unchanged.

        Raises
        ------
        HotspotError
            A name is not a borough of the reference counts.
        """
        import difflib

        known = list(self.monthly.index)
        names = [_canonical_area(n, known, self.codes) for n in names]
        bad = [n for n in names if n not in known]
        if bad:
            hints = "; ".join(f"{n!r}: did you mean {', '.join(difflib.get_close_matches(n, known, 3, 0.5)) or 'none'}"
                              for n in bad)
            raise HotspotError(f"--peers: unknown area {hints} (known: the {len(known)} areas of the London counts, "
                               "by name in any case or by code)")
        return list(names)

    def peers(self, area: str, n: int = 5) -> list[str]:
        """The ``n`` boroughs nearest in density and deprivation (z-scores).

        Parameters
        ----------
        area : str
            The borough whose peers are wanted (not itself a peer).
        n : int
            How many peers (default 5).

        Returns
        -------
        list of str
            Peer names, nearest first (Euclidean distance of the
            standardised population density and deprivation score).

        Raises
        ------
        HotspotError
            No density or deprivation for ``area``.
        """
        df = pd.DataFrame({"density": self.density, "deprivation": self.deprivation}).dropna()
        if area not in df.index:
            raise HotspotError(f"no density/deprivation for {area}; give the peer group explicitly")
        z = (df - df.mean()) / df.std()
        here = z.loc[area]
        d = pd.Series(np.hypot(z["density"] - here["density"], z["deprivation"] - here["deprivation"]), index=z.index)
        return [b for b in d.sort_values().index if b != area][:n]


def _area_codes(pop: pd.DataFrame, name_col: str) -> dict:
    """Code -> name of the areas in a population table that has a local
    authority code column beside the name (empty otherwise)."""
    code_col = next((c for c in pop.columns if c.lower().startswith("local authority district code")), None)
    if code_col is None:
        return {}
    pairs = pop[[code_col, name_col]].dropna().drop_duplicates()
    return {str(c).strip().upper(): str(n) for c, n in zip(pairs[code_col], pairs[name_col])}


def _canonical_area(name: str, known: list[str], codes: dict) -> str:
    """The reference's spelling of an area given by name in any case or by
    code (``harrow``, ``E09000015`` -> ``Harrow``); unknown names unchanged."""
    if name in known:
        return name
    by_case = {k.casefold(): k for k in known}
    hit = by_case.get(name.strip().casefold()) or codes.get(name.strip().upper())
    return hit if hit is not None else name


def _column(frame: pd.DataFrame, path, match, what: str) -> str:
    """The first column of ``frame`` for which ``match(name)`` holds; an
    InputFileError naming the file and the column wanted otherwise."""
    found = next((c for c in frame.columns if match(str(c))), None)
    if found is None:
        raise InputFileError(f"{path}: no column {what!r} (columns: {', '.join(map(str, frame.columns[:12]))})")
    return found


def _monthly_from_incident_table(table: pd.DataFrame, name: str) -> tuple[pd.DataFrame, str]:
    """Area x month counts from police.uk rows: one burglary per Crime ID
    within an area (as reading that area's rows counts them)."""
    for col in ("Month", "LSOA name"):
        if col not in table:
            raise InputFileError(f"{name}: required column '{col}' is missing")
    t = table.dropna(subset=["LSOA name"])
    if "Longitude" in t:
        t = t.dropna(subset=["Longitude"])  # no location: rejected on intake too
    # a few thousand LSOA names to parse, not every row
    area = _boroughs_of(t["LSOA name"], name)
    keep = np.ones(len(t), bool)
    if "Crime ID" in t:
        ids = t["Crime ID"]
        # rows without an id are distinct crimes; a repeated id is one crime
        keep = ids.isna().to_numpy() | ~pd.DataFrame({"a": area, "id": ids}).duplicated().to_numpy()
    counts = pd.DataFrame({"area": area[keep].to_numpy(), "month": t["Month"][keep].to_numpy()}).value_counts()
    wide = counts.unstack("month", fill_value=0)
    wide.columns = pd.PeriodIndex(wide.columns, freq="M", name="period")
    return wide.sort_index(axis=1).astype(int), "police.uk incidents, one burglary per Crime ID"


# --------------------------------------------------------------------------- data coverage


def probably_missing_months(series: pd.Series, *, min_level: float | None = None) -> list[pd.Period]:
    """Months with no incident where the months around them make zero
    implausible: data missing, not a month without burglary.

    A zero month counts as missing when the median of the up to 12 months
    around it (6 either side, excluding itself) is at least ``min_level``
    (default ``settings.MISSING_MONTH_LEVEL``, 5 a month: a Poisson
    probability of a true zero of exp(-5) = 0.7 %).

    Parameters
    ----------
    series : Series
        Counts per month, indexed by a monthly PeriodIndex.
    min_level : float, optional
        Median count per month around a zero month from which that zero is
        taken as missing data (default ``settings.MISSING_MONTH_LEVEL``).

    Returns
    -------
    list of Period
        The months that look missing, oldest first.
    """
    from . import settings

    level = settings.MISSING_MONTH_LEVEL if min_level is None else min_level
    y = series.to_numpy(float)
    out = []
    for i in np.flatnonzero(y == 0):
        around = np.r_[y[max(0, i - 6):i], y[i + 1:i + 7]]
        if len(around) and np.median(around) >= level:
            out.append(series.index[int(i)])
    return out


# --------------------------------------------------------------------------- the report


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
    from . import settings
    from .campaigns import seasonal_index

    if len(incidents) == 0:
        raise HotspotError(f"no incidents for {area_name}: nothing to report (check --crime-type and the area)")
    from .periods import parse_month

    M = parse_month(month, "--month")
    last = incidents["occurred"].max().to_period("M")
    if M > last:
        raise HotspotError(f"--month {M}: the data end in {last}; months after it are missing, not zero "
                           f"(choose {last} or earlier, or add the later months' data)")
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
        raise HotspotError(f"--baseline-fy {baseline_fy}: financial year {baseline_fy}/{baseline_fy + 1} is not "
                           f"complete in the data (complete: {', '.join(map(str, fys)) or 'none'})")
    missing = probably_missing_months(series)
    used = set(pd.period_range(M - 23, M, freq="M")) | set(
        pd.period_range(pd.Period(f"{baseline_fy}-04", "M"), pd.Period(f"{baseline_fy + 1}-03", "M"), freq="M"))
    gaps = [p for p in missing if p in used]
    if gaps:
        raise HotspotError(f"month(s) {', '.join(map(str, gaps))} have no incident although the months around them "
                           f"have {settings.MISSING_MONTH_LEVEL:g}+ a month: the data look incomplete there; add "
                           "those months or choose another --month/--baseline-fy")
    warnings = [f"{p} has no incident although the months around it have {settings.MISSING_MONTH_LEVEL:g}+ a "
                "month (probably missing data); the expected range is fitted with it" for p in missing]
    q, q_prev = window_sum(series, M, 3), window_sum(series, M - 12, 3)
    r, r_prev = window_sum(series, M, 12), window_sum(series, M - 12, 12)
    base = fy_volume(series, baseline_fy)
    rng = expected_range(series, z=z)
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
    from . import settings

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
    from . import settings

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


# --------------------------------------------------------------------------- the `report` command's reference
def data_source(sources: list[dict[str, Any]] | None) -> str:
    """The source line of a report: police.uk's credit and licence when
    every input is police.uk data, else the files' names.

    Parameters
    ----------
    sources : list of dict, optional
        The intake's detection per input (``IntakeResult.detected``: ``file``
        and ``format``).

    Returns
    -------
    str
    """
    if not sources:
        return "the incident data given"
    if all("police.uk" in str(d.get("format", "")) for d in sources):
        return "data.police.uk (Open Government Licence v3.0)"
    names = [Path(str(d.get("file", ""))).name for d in sources]
    return "the incident files given: " + ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _own_data_notes(rep: PerformanceReport, london: LondonContext, incidents: pd.DataFrame,
                    sources: list[dict[str, Any]] | None, *, baseline_given: bool) -> list[str]:
    """Warnings for a report from the user's own data beside a reference:
    a default baseline year later than the reference's (the data start
    later), and ranks that put the reference's count of this area, not the
    input's, among the other areas' reference counts."""
    out = []
    ref = london.monthly.loc[rep.area] if rep.area in london.monthly.index else None
    fy = rep.vs_baseline["fy"]
    if not baseline_given and ref is not None:
        ref_series = pd.Series(ref.to_numpy(), index=pd.PeriodIndex(london.monthly.columns, freq="M"))
        ref_fys = [y for y in complete_financial_years(ref_series) if y < fy]
        if ref_fys:
            start = incidents["occurred"].min().to_period("M")
            out.append(f"the baseline is FY {fy}/{str(fy + 1)[-2:]}, the first complete financial year of the input "
                       f"(its data start {start}); the reference data start earlier, and a report from them compares "
                       f"with FY {ref_fys[0]}/{str(ref_fys[0] + 1)[-2:]}: give --baseline-fy to compare the same year")
    own = data_source(sources) != data_source([{"format": "police.uk"}])
    if own and rep.london_rank is not None:
        ref_volume = london.volume(rep.area, rep.month)
        out.append(f"rates and ranks count every area the same way, from the reference ({london.counting}): "
                   f"{rep.area} {ref_volume:,} burglaries in the 12 months to {rep.month} there, {rep.rolling_12m['volume']:,} "
                   "in the input; the input's own counts are the volumes and changes, not the ranks")
    return out


def area_report(incidents: pd.DataFrame, area_name: str, month: str, *, london: LondonContext | None = None,
                baseline_fy: int | None = None, peers: list[str] | None = None, z: float = 2.5, green: float = 5.0,
                red: float = 5.0, sources: list[dict[str, Any]] | None = None) -> PerformanceReport:
    """The ``report`` command's report: :func:`build_report`, with a warning
    in the report itself when there is no reference (no rates or ranks).

    Parameters
    ----------
    incidents : DataFrame
        The area's incidents (``occurred`` column).
    area_name : str
        The area's name.
    month : str
        Reporting month ``YYYY-MM``.
    london : LondonContext, optional
        Reference counts and population (:func:`london_context`).
    baseline_fy : int, optional
        Baseline financial year (2014 = Apr 2014-Mar 2015).
    peers : list of str, optional
        Peer areas (default: nearest in density and deprivation).
    z : float
        Exception band, standard deviations.
    green, red : float
        GREEN at or below -green % and RED at or above +red % rolling change (percent).
    sources : list of dict, optional
        The intake's detection per input, for the source line (:func:`data_source`).

    Returns
    -------
    PerformanceReport
    """
    rep = build_report(incidents, area_name, month, london=london, baseline_fy=baseline_fy, peers=peers, z=z,
                       green=green, red=red)
    rep.source = data_source(sources)
    if london is not None:
        rep.warnings.extend(_own_data_notes(rep, london, incidents, sources, baseline_given=baseline_fy is not None))
    if london is None:
        rep.warnings.append("no reference counts and population given (--reference-counts/--population or "
                            "--data): no rates or ranks")
    return rep
