"""A self-exciting point process on the forecast grid (gridded Hawkes / ETAS).

Each cell ``c`` has a constant background rate ``mu_c`` (incidents per
period, the long-term memory) and every incident raises the rate of its own
cell by ``theta`` and of the eight cells around it by ``theta_ring``, spread
over the following periods with geometric decay ``(1 - beta) * beta**(k-1)``
(``k`` = 1, 2, ... periods later; the near-repeat effect)::

    lambda_c(t) = mu_c + theta * E_c(t) + theta_ring * R_c(t)
    E_c(t) = beta * E_c(t-1) + (1 - beta) * n_c(t-1),   R = ring sum of E

This is the model of Mohler et al. (2011, 2015) on grid cells, fitted as they
do by expectation-maximisation of the Poisson likelihood (each incident is
split between "background" and "triggered" in proportion to the terms of
``lambda``; ``mu``, ``theta``, ``theta_ring`` then have closed-form updates;
``beta`` is chosen from a grid by likelihood). Fitting uses only the
``train_periods`` periods before a forecast origin, so nothing after the
origin can reach the forecast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from scipy.ndimage import convolve

from ._errors import ModelError

if TYPE_CHECKING:
    from .forecast.counts import PeriodCounts

_RING = np.ones((3, 3))
_RING[1, 1] = 0.0


def _excitation(counts: np.ndarray, beta: float) -> np.ndarray:
    """E[t] for t = 0 .. len(counts): geometric memory of periods < t."""
    E = np.zeros((len(counts) + 1,) + counts.shape[1:], np.float32)  # float32: one array per candidate decay
    for t in range(1, len(E)):
        E[t] = beta * E[t - 1] + (1.0 - beta) * counts[t - 1]
    return E


class GridHawkes:
    """Self-exciting forecast on a :class:`~hotspot.forecast.PeriodCounts` grid.

    Parameters
    ----------
    pc : PeriodCounts
    train_periods : int
        Periods of history the model is fitted on before each origin
        (104 weeks or 24 months are typical).
    refit : int
        Refit every ``refit`` periods (in between, the parameters are kept
        and only the data are updated).
    betas : sequence of float
        Candidate per-period decays of the triggering (0-1).
    iterations : int
        EM iterations per candidate decay.
    background_tau : float, optional
        If given, the background is ``a * D_c(t)`` with ``D`` the cell's
        incidents decayed with e-folding time ``background_tau`` periods and
        one scale ``a`` fitted by EM (long-term counts as background, as
        open_cp's grid SEPP variants do); otherwise one free rate per cell.
    """

    def __init__(self, pc: PeriodCounts, *, train_periods: int | None = None, refit: int | None = None,
                 betas: Sequence[float] = (0.2, 0.4, 0.6, 0.8, 0.9), iterations: int = 30,
                 background_tau: float | None = None):
        self.pc = pc
        weekly = pc.freq.startswith("W")
        self.train_periods = train_periods or (104 if weekly else 24)
        self.refit = refit or (13 if weekly else 6)
        self.betas = tuple(float(b) for b in betas)
        if not self.betas or not all(0 < b < 1 for b in self.betas):
            raise ModelError("SEPP decays (betas) must lie strictly between 0 and 1")
        self.iterations = iterations
        self.background_tau = background_tau
        self.cells = np.flatnonzero(pc.mask.ravel())
        self.params: dict[str, Any] | None = None
        self._fitted_at: int | None = None
        self._E: dict[float, np.ndarray] = {}
        self.history: list[dict] = []

    @classmethod
    def from_period_counts(cls, pc: PeriodCounts, **kw: Any) -> "GridHawkes":
        """Model for the cells and periods of ``pc`` (see the class parameters).

        Parameters
        ----------
        pc : PeriodCounts
            Incidents binned per period on the grid (the in-area cells are modelled).
        **kw
            ``train_periods``, ``refit``, ``background_tau`` (periods),
            ``betas`` and ``iterations``, as for the class.

        Returns
        -------
        GridHawkes
            The model, fitted lazily by :meth:`score`.
        """
        return cls(pc, **kw)

    def _terms(self, beta: float, origin: int) -> tuple[np.ndarray, np.ndarray]:
        """Own-cell and ring excitation at ``origin`` (in-area cells, flat)."""
        if beta not in self._E:
            self._E[beta] = _excitation(self.pc.counts, beta)
        E = self._E[beta]
        last = len(E) - 1
        if origin <= last:
            e = E[max(origin, 0)]
        else:  # past the data: the memory only decays
            e = E[last] * beta ** (origin - last)
        r = convolve(e, _RING, mode="constant")
        return e.ravel()[self.cells], r.ravel()[self.cells]

    def _background(self, origin: int) -> np.ndarray:
        """Long-term decayed counts at ``origin`` (in-area cells, flat)."""
        assert self.background_tau is not None  # only called for a model with a scaled background
        return self.pc.decayed(origin, self.background_tau).ravel()[self.cells]

    def fit(self, origin: int) -> dict[str, Any]:
        """Fit on periods ``origin - train_periods .. origin - 1``.

        Parameters
        ----------
        origin : int
            Index of the period to forecast (into ``pc.periods``); only
            periods before it are used.

        Returns
        -------
        dict
            ``{"beta", "theta", "theta_ring", "loglik", "periods", ...}``; empty
            when fewer than 2 periods precede ``origin``.
        """
        lo = max(origin - self.train_periods, 0)
        hi = min(origin, len(self.pc.counts))
        if hi - lo < 2:
            self.params = None
            return {}
        n = self.pc.counts[lo:hi].reshape(hi - lo, -1)[:, self.cells]  # (T, cells)
        T = hi - lo
        # cells with no incident before `hi` in or around them have lambda = mu = 0 at the optimum and
        # add nothing to the likelihood: leave them out of the EM (exact, and much faster)
        seen = self.pc.counts[:hi].sum(axis=0)
        live = (convolve(seen, np.ones((3, 3)), mode="constant").ravel()[self.cells] > 0)
        n = n[:, live]
        best: dict[str, Any] | None = None
        for beta in self.betas:
            E = np.stack([self._terms(beta, k)[0][live] for k in range(lo, hi)])
            R = np.stack([self._terms(beta, k)[1][live] for k in range(lo, hi)])
            th, tr = 0.1, 0.01
            sE, sR = E.sum(), R.sum()
            if self.background_tau:
                B = np.stack([self._background(k)[live] for k in range(lo, hi)])
                sB = B.sum()
                a = 0.5 * n.sum() / sB if sB > 0 else 0.0
                mu = None
            else:
                mu = n.mean(axis=0) * 0.9 + 1e-12
            # with a scaled background, a uniform floor c0 per cell and period lets a first incident in a
            # cell with no history have a positive rate (else the likelihood is -inf)
            c0 = 0.05 * n.sum() / (T * len(self.cells)) if mu is None else 0.0
            for _ in range(self.iterations):
                base = a * B + c0 if mu is None else mu[None]
                lam = base + th * E + tr * R
                w = np.divide(n, lam, out=np.zeros_like(lam), where=lam > 0)
                # Poisson EM for a linear intensity: each term keeps its share of the incidents
                if mu is None:
                    a, c0 = ((w * a * B).sum() / sB if sB > 0 else 0.0,
                             c0 * w.sum() / (T * len(self.cells)))  # the floor covers every in-area cell
                else:
                    mu = (w * mu[None]).sum(axis=0) / T
                th = (w * th * E).sum() / sE if sE > 0 else 0.0
                tr = (w * tr * R).sum() / sR if sR > 0 else 0.0
            lam = (a * B + c0 if mu is None else mu[None]) + th * E + tr * R
            pos = n > 0
            ll = float((n[pos] * np.log(lam[pos])).sum() - lam.sum() - c0 * T * (len(self.cells) - n.shape[1]))
            if best is None or ll > best["loglik"]:
                mu_all = np.zeros(len(self.cells))
                if mu is not None:
                    mu_all[live] = mu
                best = {"beta": beta, "theta": float(th), "theta_ring": float(tr), "loglik": ll, "periods": T,
                        "mu": mu_all, "background_scale": float(a) if mu is None else None,
                        "floor": float(c0)}
        assert best is not None  # betas is never empty (checked in __init__)
        self.params = best
        self._fitted_at = origin
        self.history.append({k: v for k, v in best.items() if k != "mu"} | {"origin": origin})
        return best

    def score(self, origin: int) -> np.ndarray:
        """Expected incidents per cell in period ``origin`` (grid array, 0
        outside the area), from periods before ``origin`` only.

        Parameters
        ----------
        origin : int
            Index of the period to forecast (into ``pc.periods``).

        Returns
        -------
        ndarray
            ``(ny, nx)`` expected incidents per cell.
        """
        if self._fitted_at is None or origin < self._fitted_at or origin - self._fitted_at >= self.refit:
            self.fit(origin)
        out = np.zeros(self.pc.counts.shape[1] * self.pc.counts.shape[2])
        p = self.params
        if p:
            e, r = self._terms(p["beta"], origin)
            base = p["mu"] if p["background_scale"] is None else (
                p["background_scale"] * self._background(origin) + p["floor"])
            out[self.cells] = base + p["theta"] * e + p["theta_ring"] * r
        return out.reshape(self.pc.counts.shape[1:])
