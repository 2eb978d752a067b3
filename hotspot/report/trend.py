"""The expected range of the monthly counts: a Poisson GLM with calendar-month
effects and a linear trend, and its quasi-Poisson band (the exceptions).
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from .._errors import HotspotError, ModelError

#: Smallest fitted mean (counts per row) of a row in the fit: R's glm.fit uses
#: 10 * machine epsilon as the floor below which a Poisson rate is numerically 0.
_MU_FLOOR = 10 * np.finfo(float).eps


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
        The fit diverges or is singular (too few counts for the model), or
        a fitted mean of a row in the fit falls to zero (below 10 machine
        epsilons: the likelihood is largest at an infinite coefficient).
    """
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(np.average(y, weights=w), 1e-9))
    for _ in range(max_iter):
        eta = X @ beta
        if not np.all(np.isfinite(eta)) or eta.max() > 700:
            raise ModelError("the expected range cannot be fitted: too few burglaries a month for a Poisson model")
        mu = np.exp(eta)
        # A fitted mean falling to zero on a row in the fit means the maximum
        # likelihood is at infinity (counts of zero wherever some coefficient
        # reaches, e.g. a calendar month with no burglaries in any year): the
        # iterations would only chase it until they overflow. R's glm.fit
        # flags the same floor ("fitted rates numerically 0").
        if np.any(mu[w > 0] < _MU_FLOOR):
            raise ModelError("the expected range cannot be fitted: the Poisson model expects no burglaries at all in "
                             "some months (counts of zero wherever the model could put them)")
        # Rows left out (weight 0) take no part in the step; their working
        # response is kept finite so that 0 * z stays 0 even if mu underflows.
        z = eta + np.divide(y - mu, mu, out=np.zeros_like(mu), where=w > 0)
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


#: Months the expected range is fitted to by default (the last five years: a local trend).
FIT_MONTHS = 60


def expected_range(series: pd.Series, *, z: float = 2.5, fit_months: int | None = FIT_MONTHS) -> pd.DataFrame:
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

    Raises
    ------
    HotspotError
        Fewer than 24 months.
    ModelError
        The model cannot be fitted, e.g. a calendar month has no burglaries
        in any year fitted (its expected count would be exactly zero).
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
        # A calendar month whose counts (in the fit) are all zero has no
        # finite effect: the model would expect exactly none there and flag
        # any later burglary in it. Refused by name, not fitted to a band of 0.
        fitted = weights > 0
        empty = [calendar.month_name[m] for m in range(1, 13)
                 if np.any(fitted & (months == m)) and not np.any(fitted & (months == m) & (y > 0))]
        if empty:
            raise ModelError(f"the expected range cannot be fitted: no burglaries in any {', '.join(empty)} of the "
                             f"{n} months fitted, so a Poisson model with calendar-month effects expects none there")
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


def observed_only(series: pd.Series, *, fit_months: int | None = FIT_MONTHS) -> pd.DataFrame:
    """The frame :func:`expected_range` returns, for a series it cannot fit:
    the observed counts, no expected value or band (NaN), no direction.

    Parameters
    ----------
    series : Series
        Counts per month (burglaries), indexed by a monthly PeriodIndex.
    fit_months : int or None
        The last this many months (default 60), all when None.

    Returns
    -------
    DataFrame
        ``observed, expected, lower, upper, direction`` like
        :func:`expected_range`'s.
    """
    if fit_months is not None:
        series = series.iloc[-fit_months:]
    nan = np.full(len(series), np.nan)
    return pd.DataFrame({"observed": series.to_numpy(float).astype(int), "expected": nan, "lower": nan,
                         "upper": nan, "direction": ""}, index=series.index)
