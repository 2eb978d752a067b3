"""Every area's morning products at once: one run per area, on dask.

``hotspot run --areas all|LIST`` runs :func:`hotspot.pipeline.run_area` for
each area of the boundary layer as one task (the league's runner,
:func:`hotspot.league.run_area_tasks`, on :func:`hotspot.parallel.map_tasks`:
in this process, on a LocalCluster, on a scheduler by address or on the
caller's executor). Each area writes into a folder of its own
(``OUT/<area>/maps``, ``OUT/<area>/reports``), and ``OUT/index.html`` links
every area's outputs and lists the areas that failed, each with its reason
(a failed area never stops the others, and never passes unnoticed).
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .._memory import peak_rss_mb
from ..league.areas import AreaSpec, select_areas
from ..league.run import RunInfo, run_area_tasks
from ..pipeline import RunConfig, run_area
from ..sources import slug


@dataclass
class AreasRun:
    """What a run over many areas produced.

    Attributes
    ----------
    root : Path
        The output folder (one sub-folder per area).
    done : dict
        Area name -> ``folder``, ``outputs`` (key -> path), ``method``,
        ``reused`` (method selection from the cache), ``skipped``,
        ``seconds`` (the area's own run time, s).
    failed : dict
        Area name -> one-line reason.
    info : RunInfo
        Workers, wall time (s), peak memory per worker (MB).
    index : Path or None
        The index page.
    """

    root: Path
    done: dict[str, dict[str, Any]]
    failed: dict[str, str]
    info: RunInfo
    index: Path | None = None
    areas: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Everything the command's table shows, JSON-ready."""
        return {"areas": self.areas, "done": self.done, "failed": self.failed, "index": str(self.index),
                "workers": self.info.workers, "seconds": round(self.info.seconds, 2),
                "task_seconds": round(self.info.task_seconds, 2),
                "peak_rss_mb_per_worker": {k: round(v, 1) for k, v in self.info.peak_rss_mb.items()}}


def morning_task(spec: AreaSpec, base: dict[str, Any], root: str, gi: bool, refit: bool,
                 stages: list[str] | None) -> dict[str, Any]:
    """One area's run (one task of :func:`run_areas`): the run of ``base`` for this area, into
    its own folder.

    Parameters
    ----------
    spec : AreaSpec
        The area.
    base : dict
        :class:`~hotspot.pipeline.RunConfig` fields shared by every area.
    root : str
        The output folder; the area writes into ``root/<area slug>/``.
    gi : bool
        Add the Gi* layer.
    refit : bool
        Fit the forecast method selection again.
    stages : list of str, optional
        Stages to run (default all).

    Returns
    -------
    dict
        Folder, outputs, method, whether it was reused, skips, seconds,
        peak memory (MB) and the worker's process id.
    """
    t0 = time.perf_counter()
    cfg = RunConfig(**{**base, "area": spec.code or spec.name})
    folder = Path(root) / slug(spec.name)
    res = run_area(cfg, folder / "maps", reports=folder / "reports", gi_star_layer=gi, refit=refit, stages=stages)
    outputs = {k: str(v) for k, v in res.outputs.items()}
    if res.map_path:
        outputs = {"map": str(res.map_path)} | outputs
    hot = res.summary.get("hotspots") or {}
    return {"folder": str(folder), "outputs": outputs, "method": hot.get("method"),
            "reused": (hot.get("selection") or {}).get("reused"), "skipped": res.skipped,
            "seconds": round(time.perf_counter() - t0, 2), "peak_rss_mb": peak_rss_mb(), "pid": os.getpid()}


def run_areas(
    config: RunConfig,
    areas: str | Sequence[str] = "all",
    out: str | Path = "runs",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    gi_star_layer: bool = True,
    refit: bool = False,
    stages: list[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    executor: Any = None,
) -> AreasRun:
    """Every area's morning products, each in its own folder, and an index.

    Parameters
    ----------
    config : RunConfig
        The run shared by every area (its ``area`` is replaced by each area's).
    areas : str or sequence of str
        ``"all"`` (every area of ``config.area_file``), a comma-separated
        string or a list of names or codes.
    out : str or Path
        Output folder: ``OUT/<area>/maps``, ``OUT/<area>/reports`` and
        ``OUT/index.html``.
    workers : int, optional
        0: one area after another in this process; N: a LocalCluster of N
        single-threaded processes; default one per core.
    scheduler : str, optional
        Address of a running dask scheduler (instead of ``workers``).
    gi_star_layer : bool
        Add the Gi* layer to each area's map.
    refit : bool
        Fit every area's forecast method selection again.
    stages : list of str, optional
        Stages to run (default all).
    progress : callable, optional
        ``progress(done, total, area)`` as each area finishes.
    executor : concurrent.futures.Executor or distributed.Client, optional
        The caller's own executor, instead of ``workers``/``scheduler``;
        left open. Worker processes, not threads: the areas' maps and
        plots share no drawing state then.

    Returns
    -------
    AreasRun
        Each area's outputs, the failed areas with reasons, the index page.
    """
    from ..render import write_page
    from ..render.areas_index import areas_index_html

    specs = select_areas(config.area_file, areas)
    base = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name != "area"}
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    results, info = run_area_tasks(morning_task, specs, args=(base, str(root), gi_star_layer, refit, stages),
                                   workers=workers, scheduler=scheduler, executor=executor, progress=progress)
    done = {s.name: results[s.name] for s in specs if s.name in results}
    run = AreasRun(root=root, done=done, failed=dict(info.failed), info=info, areas=[s.name for s in specs])
    run.index = write_page(root / "index.html", areas_index_html(run.done, run.failed, root))
    return run
