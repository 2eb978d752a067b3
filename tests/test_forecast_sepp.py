"""The gridded self-exciting point process (sepp): parameter recovery on
simulated data with known parameters, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot._errors import ModelError
from hotspot.forecast import PeriodCounts, backtest, method_score
from hotspot.grid import Grid
from hotspot.sepp import GridHawkes

_RING = np.ones((3, 3))
_RING[1, 1] = 0


def _simulate(mu, theta, theta_ring, beta, periods, seed):
    """Counts from the model itself: lambda = mu + theta E + theta_ring R."""
    from scipy.ndimage import convolve

    rng = np.random.default_rng(seed)
    E = np.zeros_like(mu)
    out = []
    for _ in range(periods):
        lam = mu + theta * E + theta_ring * convolve(E, _RING, mode="constant")
        n = rng.poisson(lam).astype(float)
        out.append(n)
        E = beta * E + (1 - beta) * n
    return np.array(out)


def _pc(counts):
    ny, nx = counts.shape[1:]
    grid = Grid(0, 0, 100, nx, ny, 27700)
    periods = pd.period_range("2015-01-05", periods=len(counts), freq="W")
    return PeriodCounts(grid, np.ones((ny, nx), bool), periods, counts, "W")


def test_em_recovers_known_parameters():
    rng = np.random.default_rng(1)
    mu = rng.gamma(0.6, 0.08, (30, 30))
    counts = _simulate(mu, theta=0.5, theta_ring=0.0, beta=0.6, periods=160, seed=2)
    model = GridHawkes.from_period_counts(_pc(counts), train_periods=150, betas=(0.2, 0.4, 0.6, 0.8), iterations=300)
    p = model.fit(160)
    assert p["beta"] == 0.6
    assert p["theta"] == pytest.approx(0.5, abs=0.06)
    assert p["theta_ring"] < 0.01
    # background: recovered rates track the true ones (cells pooled by true rate to beat Poisson noise)
    order = np.argsort(mu.ravel())
    true_q = mu.ravel()[order].reshape(10, -1).mean(1)
    est_q = p["mu"][order].reshape(10, -1).mean(1)
    np.testing.assert_allclose(est_q, true_q, rtol=0.25, atol=0.004)


def test_em_reaches_the_maximum_likelihood_of_a_direct_optimiser():
    from scipy.ndimage import convolve
    from scipy.optimize import minimize

    rng = np.random.default_rng(6)
    mu = rng.gamma(0.6, 0.08, (15, 15))
    counts = _simulate(mu, theta=0.4, theta_ring=0.03, beta=0.6, periods=100, seed=7)
    p = GridHawkes.from_period_counts(_pc(counts), train_periods=90, betas=(0.6,), iterations=3000).fit(100)
    # reference: L-BFGS-B on the same Poisson log-likelihood (mu per cell, theta, theta_ring), beta = 0.6
    E = np.zeros_like(counts[0])
    Es, Rs = [], []
    for t in range(100):
        if t >= 10:
            Es.append(E.ravel().copy())
            Rs.append(convolve(E, _RING, mode="constant").ravel())
        E = 0.6 * E + 0.4 * counts[t]
    Es, Rs, n = np.array(Es), np.array(Rs), counts[10:].reshape(90, -1)

    def nll(x):
        m, th, tr = x[:-2], x[-2], x[-1]
        lam = m[None] + th * Es + tr * Rs
        r = n / lam
        grad = np.r_[(1 - r).sum(0), ((1 - r) * Es).sum(), ((1 - r) * Rs).sum()]
        return lam.sum() - (n * np.log(lam)).sum(), grad

    x0 = np.r_[n.mean(0) + 1e-3, 0.1, 0.01]
    ref = minimize(nll, x0, jac=True, method="L-BFGS-B", bounds=[(1e-9, None)] * len(x0),
                   options={"maxiter": 20000, "ftol": 1e-13, "gtol": 1e-9})
    assert p["loglik"] >= -ref.fun - 1e-3  # EM is at least as good as the direct optimiser
    assert p["theta"] == pytest.approx(ref.x[-2], abs=2e-3)
    assert p["theta_ring"] == pytest.approx(ref.x[-1], abs=1e-3)


def test_no_excitation_gives_theta_near_zero():
    rng = np.random.default_rng(3)
    mu = rng.gamma(0.6, 0.1, (25, 25))
    counts = rng.poisson(mu, (150, 25, 25)).astype(float)
    p = GridHawkes.from_period_counts(_pc(counts), train_periods=140, iterations=200).fit(150)
    assert p["theta"] < 0.05 and p["theta_ring"] < 0.01


def test_sepp_never_sees_the_future_and_runs_in_the_backtest():
    rng = np.random.default_rng(4)
    mu = rng.gamma(0.6, 0.08, (20, 20))
    counts = _simulate(mu, theta=0.4, theta_ring=0.05, beta=0.5, periods=80, seed=5)
    later = counts.copy()
    later[60:] += rng.poisson(2.0, later[60:].shape)  # a different future
    a, b = _pc(counts), _pc(later)
    for origin in (40, 55, 60):
        np.testing.assert_array_equal(method_score_sepp(a, origin), method_score_sepp(b, origin))
    res = backtest(a, start=str(a.periods[40].start_time.date()), end=str(a.periods[79].start_time.date()),
                   methods=["counts_52", "sepp"], levels=[0.05], baseline="counts_52", bootstrap=50)
    assert res.selected.periods == 40
    # simulated from the model: the model beats counts alone on its own data
    at = res.at(0.05).set_index("method")["pai"]
    assert at["sepp"] > at["counts_52"]


def method_score_sepp(pc, origin):
    return GridHawkes.from_period_counts(pc).score(origin)


def test_bad_decays_are_refused():
    with pytest.raises(ModelError):
        GridHawkes.from_period_counts(_pc(np.zeros((10, 5, 5))), betas=(0.5, 1.0))
    with pytest.raises(ModelError):
        method_score(_pc(np.zeros((10, 5, 5))), "sepp_2", 5)


def test_scaled_background_variant_has_a_finite_likelihood_and_a_floor():
    rng = np.random.default_rng(8)
    mu = rng.gamma(0.6, 0.08, (15, 15))
    counts = _simulate(mu, theta=0.3, theta_ring=0.02, beta=0.5, periods=80, seed=9)
    counts[70, 0, 0] += 1  # a first incident in a corner cell at the end of training
    counts[:70, :3, :3] = 0
    counts[:, 11:, 11:] = 0  # a corner that never has an incident
    model = GridHawkes.from_period_counts(_pc(counts), train_periods=60, background_tau=26, iterations=100)
    p = model.fit(80)
    assert np.isfinite(p["loglik"]) and p["floor"] > 0 and p["background_scale"] > 0
    s = model.score(80)
    assert s.min() >= p["floor"] - 1e-12
    # the floor is the only rate of a cell with no history anywhere near it
    empty = np.ones((15, 15), bool)
    seen = counts[:80].sum(0)
    from scipy.ndimage import convolve

    empty &= convolve(seen, np.ones((3, 3)), mode="constant") == 0
    assert empty.sum() >= 9
    np.testing.assert_allclose(s[empty], p["floor"])
