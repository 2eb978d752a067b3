"""The expected range of the monthly counts: a Poisson GLM with calendar-month
effects and a linear trend, and its quasi-Poisson band (the exceptions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import HotspotError, ModelError


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
