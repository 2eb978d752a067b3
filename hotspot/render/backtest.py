"""The backtest's coverage curves as a static chart (drawing for
:mod:`hotspot.forecast`, which only computes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..forecast.rolling import BacktestResult


def write_coverage_plot(result: BacktestResult, path: str | Path, *, title: str | None = None) -> Path:
    """One coverage curve per forecast method, the best one drawn thicker.

    Parameters
    ----------
    result : BacktestResult
        From :func:`hotspot.forecast.backtest`; ``curve_levels`` (share of
        the area covered, 0-1) and ``curves`` (share of incidents captured,
        0-1, per method).
    path : path
        Image to write (the format follows the suffix, e.g. ``.png``);
        folders are created.
    title : str, optional
        Chart title (default: "Forecast coverage curves, N periods").

    Returns
    -------
    Path
        ``path``. Axes: area covered (%) against incidents captured (%).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(7, 5))
    for mname, curve in result.curves.items():
        ax.plot(result.curve_levels * 100, curve * 100, label=mname, lw=2.2 if mname == result.best else 1)
    ax.set_xlabel("area covered (%)")
    ax.set_ylabel("incidents captured (%)")
    ax.set_title(title or f"Forecast coverage curves, {result.n_periods} periods")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
