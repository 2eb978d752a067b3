"""The forecast method a run maps, chosen once per data and kept.

A run's hotspots stage chooses its forecast method by a rolling backtest of
every candidate over the last two years (about 25 s for a borough, most of a
run). The choice depends only on the binned counts and the backtest's
options, so it is stored under a fingerprint of exactly those (the counts of
the area and its context per period and cell, the grid, the periods, the
options, the method list) with the files it came from, and reused until any
of them changes. ``--refit`` fits again whatever the cache holds. The run says
which it did (``hotspots.selection`` in ``--json``, and a progress line).

The cache is a folder of entries, one per fingerprint
(:func:`hotspot.settings.selection_cache_dir`); each holds the selection's
summary and the backtest table and JSON exactly as the run wrote them, so a
run that reuses the choice writes the same bytes as the run that made it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import settings
from .forecast.counts import PeriodCounts
from .forecast.methods import DEFAULT_METHODS
from .forecast.rolling import BacktestResult, backtest

log = logging.getLogger(__name__)

#: Bump when the backtest or the selection rule changes what it would choose
#: for the same counts: every stored choice is then refitted.
CACHE_VERSION = 1
#: Files an entry holds besides ``selection.json`` (the run's outputs, verbatim).
_OUTPUTS = ("backtest.csv", "backtest.json")


@dataclass
class MethodSelection:
    """The method chosen for an area's forecast, fitted now or reused.

    Attributes
    ----------
    best : str
        The method to map.
    summary : dict
        The run summary's ``hotspots`` figures of the selection (method,
        out-of-sample PAI, ratio to the naive baseline ...).
    reused : bool
        True when read from the cache, False when fitted by this run.
    fingerprint : str
        Hex digest of the counts and options the choice rests on.
    fitted_at : str
        UTC time (ISO 8601) the backtest ran.
    entry : Path
        The cache entry (folder) holding it.
    backtest : BacktestResult or None
        The backtest itself when fitted by this run (None when reused).
    """

    best: str
    summary: dict[str, Any]
    reused: bool
    fingerprint: str
    fitted_at: str
    entry: Path
    backtest: BacktestResult | None = None

    def to_json(self) -> dict[str, Any]:
        """What the run reports about the selection (``hotspots.selection``)."""
        return {"reused": self.reused, "fitted_at": self.fitted_at, "fingerprint": self.fingerprint[:16],
                "cache": str(self.entry),
                "how": ("reused from the cache: the data and options are those it was fitted on (--refit to fit "
                        "again)") if self.reused else "fitted by this run's backtest and cached"}


def _files_signature(files: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Resolved path, size and modification time of each input file (a URL
    or a missing path by its text): reported with the entry; the choice is
    keyed on the counts, so a file touched without a change still matches."""
    out = []
    for f in files:
        p = Path(str(f))
        if p.is_file():
            st = p.stat()
            out.append({"path": str(p.resolve()), "bytes": st.st_size, "modified_ns": st.st_mtime_ns})
        else:
            out.append({"path": str(f)})
    return out


def selection_fingerprint(pc: PeriodCounts, options: dict[str, Any]) -> str:
    """Digest of everything a backtest's choice depends on.

    Parameters
    ----------
    pc : PeriodCounts
        The binned counts (own and context), grid and periods.
    options : dict
        The backtest's options (start, end, bootstrap, methods, level ...),
        JSON-serialisable.

    Returns
    -------
    str
        SHA-256 hex digest.
    """
    h = hashlib.sha256()
    g = pc.grid
    head = {"version": CACHE_VERSION, "grid": [g.x0, g.y0, g.cell, g.nx, g.ny, g.crs.to_string()],
            "periods": [str(pc.periods[0]), str(pc.periods[-1]), len(pc.periods)], "freq": pc.freq,
            "options": options}
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    for arr in (pc.mask, pc.counts, pc.context_counts):
        if arr is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(arr)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _read_entry(entry: Path, fingerprint: str) -> dict[str, Any] | None:
    """The stored selection of ``entry``; None when absent, unreadable or not
    for this fingerprint (a damaged entry is refitted, never trusted)."""
    meta_path = entry / "selection.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("fingerprint") != fingerprint or not all((entry / f).is_file() for f in _OUTPUTS):
        return None
    return meta


def _store_entry(entry: Path, meta: dict[str, Any], outputs: dict[str, Path]) -> None:
    """Write an entry atomically: a temporary folder renamed into place, so a
    killed run never leaves a half-written entry that a later run trusts."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        for name in _OUTPUTS:
            shutil.copyfile(outputs[name], tmp / name)
        (tmp / "selection.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def select_method(
    pc: PeriodCounts,
    *,
    start: str,
    end: str,
    outputs: dict[str, Path],
    summarise: Callable[[BacktestResult], dict[str, Any]],
    write: Callable[[BacktestResult], None],
    files: Sequence[str | Path] = (),
    bootstrap: int = 200,
    methods: Sequence[str] = DEFAULT_METHODS,
    refit: bool = False,
    cache: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MethodSelection:
    """Choose the forecast method by a rolling backtest, or reuse the choice
    stored for the same counts and options.

    Parameters
    ----------
    pc : PeriodCounts
        The area's binned counts (with context).
    start, end : str
        First and last forecast periods of the backtest.
    outputs : dict
        ``"backtest.csv"`` and ``"backtest.json"`` -> the paths the run
        writes them to (copied from the cache when reused).
    summarise : callable
        BacktestResult -> the run summary's figures (stored with the entry).
    write : callable
        Writes a fitted backtest to ``outputs``.
    files : sequence of path
        The input files (reported with the entry).
    bootstrap : int
        Bootstrap resamples of the backtest's intervals.
    methods : sequence of str
        Candidate methods.
    refit : bool
        Fit again even when the cache holds this fingerprint.
    cache : Path, optional
        Cache folder; default :func:`hotspot.settings.selection_cache_dir`.
    progress : callable, optional
        Called with (periods done, total) while fitting.

    Returns
    -------
    MethodSelection
        ``reused`` says which was done.
    """
    options = {"start": start, "end": end, "bootstrap": bootstrap, "methods": list(methods), "best_level": 0.05}
    fp = selection_fingerprint(pc, options)
    entry = (cache or settings.selection_cache_dir()) / fp[:32]
    meta = None if refit else _read_entry(entry, fp)
    if meta is not None:
        for name in _OUTPUTS:
            outputs[name].parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / name, outputs[name])
        return MethodSelection(meta["best"], meta["summary"], True, fp, meta["fitted_at"], entry)
    bt = backtest(pc, start=start, end=end, bootstrap=bootstrap, methods=methods, progress=progress)
    if bt.best is None:
        return MethodSelection("", {}, False, fp, "", entry, bt)
    write(bt)
    summary = summarise(bt)
    fitted_at = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
    meta = {"fingerprint": fp, "best": bt.best, "summary": summary, "fitted_at": fitted_at, "options": options,
            "files": _files_signature(files), "version": CACHE_VERSION}
    try:
        _store_entry(entry, meta, outputs)
    except OSError as exc:  # a read-only cache costs the next run a refit, never this run's result
        log.warning("method selection not cached in %s: %s", entry, exc)
    return MethodSelection(bt.best, summary, False, fp, fitted_at, entry, bt)
