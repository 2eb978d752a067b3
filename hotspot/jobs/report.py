"""The ``report`` job's reference: the counts and population behind rates and
ranks, filled from the reference data folder (was
``hotspot.report.london_context``).
"""

from __future__ import annotations

from pathlib import Path

from .._errors import OptionError
from ..report.london import LondonContext
from .reference import ReferenceData, resolve_data_dir


def london_context(data: str | Path | None = None, *, counts_csv: str | Path | None = None,
                   population_csv: str | Path | None = None, households_csv: str | Path | None = None,
                   imd_csv: str | Path | None = None, boroughs_layer: str | Path | None = None) -> LondonContext | None:
    """The reference counts and population for rates and ranks: the files
    given, the others filled from the reference data folder.

    Parameters
    ----------
    data : path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``, if any).
    counts_csv : path, optional
        Counts of every area: police.uk incidents or LSOA month counts.
    population_csv : path, optional
        LSOA population (per-1,000 rates, peers).
    households_csv : path, optional
        LSOA Census households.
    imd_csv : path, optional
        LSOA deprivation (IMD), for default peers.
    boroughs_layer : path, optional
        Polygons of every area, for population density (default peers).

    Returns
    -------
    LondonContext or None
        None when neither counts nor population are given or found (then a
        report has no rates or ranks).
    """
    root = resolve_data_dir(data)
    defaults = ReferenceData(root).london_files() if root is not None else {}
    given = {"counts_csv": counts_csv, "population_csv": population_csv, "households_csv": households_csv,
             "imd_csv": imd_csv, "boroughs_layer": boroughs_layer}
    chosen = {k: v or defaults.get(k) for k, v in given.items()}
    if chosen["counts_csv"] is None and chosen["population_csv"] is None:
        return None
    if chosen["counts_csv"] is None or chosen["population_csv"] is None:
        raise OptionError("rates and ranks need both reference_counts= and population=", param=('reference_counts', 'population'))
    for p in chosen.values():
        if p is not None and not Path(p).exists():
            raise OptionError(f"{p}: file not found")
    return LondonContext.from_files(**chosen)
