"""Effect estimates of a place-based intervention from counts before and
after it: the difference-in-differences rate ratio (Poisson or negative
binomial, chosen by a likelihood-ratio test of overdispersion), the Weighted
Displacement Quotient (Bowers & Johnson 2003), the Weighted Displacement
Difference (Wheeler & Ratcliffe 2018) and the adjustment for regression to
the mean from placebo dates.

Everything here is pure arithmetic on counts (no geometry, no dates), so it
can be checked against published worked examples and brute force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

#: Significance level of the overdispersion test and of the intervals (5 %).
ALPHA = 0.05


@dataclass
class RateRatio:
    """A difference-in-differences rate ratio, treated against control.

    Attributes
    ----------
    rate_ratio : float
        (treated after / treated before) / (control after / control before).
    ci95 : (float, float)
        95 % Wald interval of the ratio (on the log scale).
    p : float
        Two-sided p-value of ratio = 1.
    model : str
        ``"poisson"`` or ``"negative binomial"``.
    dispersion : float
        The negative binomial's alpha (variance = mu + alpha mu^2); 0 for
        Poisson.
    overdispersion_p : float
        p-value of the likelihood-ratio test of alpha = 0 (half chi-square).
    log_se : float
        Standard error of the log ratio.
    corrected : bool
        True when a zero count made the 0.5 continuity correction necessary.
    """

    rate_ratio: float
    ci95: tuple[float, float]
    p: float
    model: str
    dispersion: float
    overdispersion_p: float
    log_se: float
    corrected: bool = False

    def to_json(self) -> dict:
        """The estimate as JSON (``effect``)."""
        return {"rate_ratio": round(self.rate_ratio, 4), "ci95": [round(v, 4) for v in self.ci95],
                "p": round(self.p, 5), "model": self.model, "dispersion": round(self.dispersion, 5),
                "overdispersion_p": round(self.overdispersion_p, 5), "log_se": round(self.log_se, 5),
                "continuity_corrected": self.corrected}


def _nb_loglik(y: np.ndarray, mu: np.ndarray, alpha: float) -> float:
    """NB2 log-likelihood (variance mu + alpha mu^2); alpha -> 0 is Poisson."""
    if alpha <= 1e-10:
        return float(stats.poisson.logpmf(y, mu).sum())
    r = 1.0 / alpha
    return float((special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1)
                  + r * np.log(r / (r + mu)) + y * np.log(np.where(mu > 0, mu / (r + mu), 1.0))).sum())


def fit_dispersion(cells: list[np.ndarray]) -> tuple[float, float]:
    """Negative binomial dispersion of per-period counts, each cell (group x
    before/after) with its own mean, and the test of no overdispersion.

    In a saturated cell-means model the NB2 maximum-likelihood mean of each
    cell is its sample mean whatever alpha is, so alpha is profiled alone.

    Parameters
    ----------
    cells : list of ndarray
        Counts per period (burglaries per month or week), one array per cell.

    Returns
    -------
    alpha, p : float
        The dispersion (0 when none) and the likelihood-ratio p-value of
        alpha = 0 (half a chi-square with 1 df: alpha sits on its boundary).
    """
    y = np.concatenate([np.asarray(c, float) for c in cells])
    mu = np.concatenate([np.full(len(c), np.mean(c)) for c in cells])
    if len(y) <= len(cells) or not y.any():
        return 0.0, 1.0
    res = optimize.minimize_scalar(lambda la: -_nb_loglik(y, mu, float(np.exp(la))), bounds=(-12.0, 4.0),
                                   method="bounded")
    alpha = float(np.exp(res.x))
    lr = 2.0 * (_nb_loglik(y, mu, alpha) - _nb_loglik(y, mu, 0.0))
    if lr <= 1e-9:
        return 0.0, 1.0
    return alpha, float(0.5 * stats.chi2.sf(lr, 1))


def did_rate_ratio(treated_before: np.ndarray, treated_after: np.ndarray, control_before: np.ndarray,
                   control_after: np.ndarray, *, alpha: float = ALPHA) -> RateRatio:
    """Difference-in-differences rate ratio with a 95 % interval.

    A count model with one mean per cell (group x period); its log rate ratio
    is log(Ta Cb / (Tb Ca)) of the summed counts. Its variance is the sum
    over the four cells of 1/S (Poisson) or 1/S + alpha/n (negative
    binomial: S the cell's total, n its number of periods), the negative
    binomial being chosen when the likelihood-ratio test rejects alpha = 0 at
    the 5 % level. A zero total adds 0.5 to every cell (said in the result).

    Parameters
    ----------
    treated_before, treated_after, control_before, control_after : ndarray
        Burglaries per period (month or week) in each cell; before and after
        periods of equal length.
    alpha : float
        Level of the overdispersion test (0-1).

    Returns
    -------
    RateRatio
    """
    cells = [np.asarray(c, float) for c in (treated_before, treated_after, control_before, control_after)]
    if any(len(c) == 0 for c in cells):
        raise ValueError("every cell needs at least one period")
    sums = np.array([c.sum() for c in cells])
    corrected = bool((sums == 0).any())
    if corrected:
        sums = sums + 0.5
    tb, ta, cb, ca = sums
    log_rr = float(np.log(ta / tb) - np.log(ca / cb) - np.log(len(cells[1]) / len(cells[0]))
                   + np.log(len(cells[3]) / len(cells[2])))
    dispersion, p_over = fit_dispersion(cells)
    nb = p_over < alpha
    n = np.array([len(c) for c in cells], float)
    var = float((1.0 / sums).sum() + (dispersion / n).sum() if nb else (1.0 / sums).sum())
    se = float(np.sqrt(var))
    z = stats.norm.ppf(0.975)
    return RateRatio(rate_ratio=float(np.exp(log_rr)), ci95=(float(np.exp(log_rr - z * se)), float(np.exp(log_rr + z * se))),
                     p=float(2 * stats.norm.sf(abs(log_rr) / se)), model="negative binomial" if nb else "poisson",
                     dispersion=dispersion if nb else 0.0, overdispersion_p=p_over, log_se=se, corrected=corrected)


@dataclass
class WDQ:
    """Weighted Displacement Quotient (Bowers & Johnson 2003).

    Attributes
    ----------
    value : float or None
        (B1/C1 - B0/C0) / (T1/C1 - T0/C0), None when undefined.
    success : float or None
        The denominator, the success measure (< 0: the treated places fell
        relative to control).
    reading : str
        What the value means.
    """

    value: float | None
    success: float | None
    reading: str

    def to_json(self) -> dict:
        """The quotient as JSON (``wdq``)."""
        return {"value": None if self.value is None else round(self.value, 4),
                "success_measure": None if self.success is None else round(self.success, 5), "reading": self.reading}


def wdq(treated: tuple[float, float], buffer: tuple[float, float], control: tuple[float, float]) -> WDQ:
    """The Weighted Displacement Quotient with its reading.

    Bowers & Johnson (2003): with counts before (0) and after (1) in the
    treated area T, its buffer B and the control C,
    WDQ = (B1/C1 - B0/C0) / (T1/C1 - T0/C0). It is read only when the
    treated area fell relative to control (denominator < 0): above 1 the
    benefit spread to the buffer exceeds the direct effect, 0 to 1 diffusion
    of benefits, 0 neither, -1 to 0 displacement smaller than the direct
    effect, below -1 displacement larger (the intervention made things worse).

    Parameters
    ----------
    treated : (float, float)
        Burglaries (before, after) in the treated places.
    buffer : (float, float)
        Burglaries (before, after) in their buffer (counts, unitless).
    control : (float, float)
        Burglaries (before, after) in the control places.

    Returns
    -------
    WDQ
    """
    (t0, t1), (b0, b1), (c0, c1) = treated, buffer, control
    if c0 <= 0 or c1 <= 0:
        return WDQ(None, None, "undefined: no burglary in the control places before or after")
    success = t1 / c1 - t0 / c0
    if success >= 0:
        return WDQ(None, success, "not read: the treated places did not fall relative to control")
    value = (b1 / c1 - b0 / c0) / success
    if value > 1:
        reading = "diffusion of benefits larger than the direct effect"
    elif value > 0:
        reading = "diffusion of benefits to the buffer"
    elif value == 0:
        reading = "no displacement and no diffusion"
    elif value >= -1:
        reading = "displacement to the buffer, smaller than the direct effect"
    else:
        reading = "displacement to the buffer larger than the direct effect (net harm)"
    return WDQ(float(value), float(success), reading)


@dataclass
class WDD:
    """Weighted Displacement Difference (Wheeler & Ratcliffe 2018).

    Attributes
    ----------
    value, se : float
        The total change in burglaries net of control (treated and its
        buffer) and its standard error (Poisson: the root of the sum of the
        eight counts).
    local, local_se : float
        The treated places alone (change minus the control's change).
    displacement, displacement_se : float
        The buffer's change minus the control buffer's change (> 0:
        displacement; < 0: diffusion of benefits).
    z, p : float
        z = value / se and its two-sided p-value.
    ci95 : (float, float)
    """

    value: float
    se: float
    local: float
    local_se: float
    displacement: float
    displacement_se: float
    z: float
    p: float
    ci95: tuple[float, float]

    def to_json(self) -> dict:
        """The test as JSON (``wdd``; counts of burglaries)."""
        r = {k: round(float(getattr(self, k)), 4) for k in ("value", "se", "local", "local_se", "displacement",
                                                            "displacement_se", "z")}
        return r | {"p": round(self.p, 5), "ci95": [round(v, 3) for v in self.ci95], "unit": "burglaries"}


def wdd(treated: tuple[float, float], control: tuple[float, float], disp_treated: tuple[float, float] = (0, 0),
        disp_control: tuple[float, float] = (0, 0)) -> WDD:
    """The Weighted Displacement Difference test.

    WDD = dT - dC + dD - dDc, with d the after minus the before count of the
    treated area T, its control C, the treated area's displacement buffer D
    and the control's buffer Dc; under Poisson counts its variance is the sum
    of the eight counts (Wheeler & Ratcliffe 2018, eq. 1-2).

    Parameters
    ----------
    treated, control, disp_treated, disp_control : (float, float)
        Burglaries (before, after) in each area.

    Returns
    -------
    WDD
    """
    (t0, t1), (c0, c1), (d0, d1), (e0, e1) = treated, control, disp_treated, disp_control
    local, disp = (t1 - t0) - (c1 - c0), (d1 - d0) - (e1 - e0)
    local_var, disp_var = t0 + t1 + c0 + c1, d0 + d1 + e0 + e1
    value, se = local + disp, float(np.sqrt(local_var + disp_var))
    z = value / se if se > 0 else 0.0
    half = stats.norm.ppf(0.975) * se
    return WDD(value=float(value), se=se, local=float(local), local_se=float(np.sqrt(local_var)),
               displacement=float(disp), displacement_se=float(np.sqrt(disp_var)), z=float(z),
               p=float(2 * stats.norm.sf(abs(z))), ci95=(float(value - half), float(value + half)))


@dataclass
class PlaceboAdjustment:
    """Regression to the mean from placebo dates.

    Attributes
    ----------
    expected_ratio : float
        Geometric mean of the placebo rate ratios: what the selection rule
        alone gives when nothing is done.
    net_ratio : float
        Observed ratio / expected ratio.
    net_ci95 : (float, float)
        The net log ratio plus and minus the 95th percentile of the placebo
        log ratios' distances from their mean (the permutation test
        inverted: it excludes 1 when the test rejects at 5 %, up to the
        test's 1/(n+1) granularity).
    p : float
        Two-sided permutation p-value: (1 + placebos at least as far from
        their mean as the observed ratio, on the log scale) / (n + 1).
    n : int
        Placebo dates used.
    """

    expected_ratio: float
    net_ratio: float
    net_ci95: tuple[float, float]
    p: float
    n: int


def placebo_adjust(observed_log_ratio: float, placebo_log_ratios: np.ndarray) -> PlaceboAdjustment:
    """The effect net of regression to the mean and its permutation p-value.

    Parameters
    ----------
    observed_log_ratio : float
        Log of the observed difference-in-differences rate ratio.
    placebo_log_ratios : ndarray
        The same log ratio at each placebo date (same selection rule, nothing
        done).

    Returns
    -------
    PlaceboAdjustment
    """
    lr = np.asarray(placebo_log_ratios, float)
    if not len(lr):
        raise ValueError("no placebo dates")
    centre = float(lr.mean())
    dev = np.abs(lr - centre)
    p = float((1 + np.sum(dev >= abs(observed_log_ratio - centre) - 1e-12)) / (len(lr) + 1))
    half, net = float(np.quantile(dev, 0.95)), observed_log_ratio - centre
    return PlaceboAdjustment(expected_ratio=float(np.exp(centre)), net_ratio=float(np.exp(net)),
                             net_ci95=(float(np.exp(net - half)), float(np.exp(net + half))), p=p, n=int(len(lr)))


def log_ratio(tb: float, ta: float, cb: float, ca: float) -> float:
    """Log difference-in-differences ratio of four totals, 0.5 added to each
    when any is zero (the same correction as :func:`did_rate_ratio`).

    Parameters
    ----------
    tb, ta, cb, ca : float
        Burglaries: treated before, treated after, control before, control after.

    Returns
    -------
    float
    """
    v = np.array([tb, ta, cb, ca], float)
    if (v == 0).any():
        v = v + 0.5
    return float(np.log(v[1] / v[0]) - np.log(v[3] / v[2]))
