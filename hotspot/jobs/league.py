"""The ``league`` job's defaults: its inputs and households table, filled from
the reference data folder (was ``hotspot.league.league_sources``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .._errors import OptionError
from .reference import resolve_data_dir


def league_sources(inputs: Sequence[str] | None = None, households: str | Path | None = None,
                   data: str | Path | None = None) -> tuple[list[str], Path]:
    """The inputs and households table of a league, filled from the reference
    data folder when not given.

    Parameters
    ----------
    inputs : sequence of str, optional
        Incident files or ``postgresql://`` URLs; default: the London police.uk
        Parquet file of the reference data.
    households : path, optional
        LSOA households table; default: the reference data's Census 2011 table.
    data : path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``).

    Returns
    -------
    (list of str, Path)
        The inputs and the households table to pass to :func:`build_league`.
    """
    root = resolve_data_dir(data)
    if not inputs:
        default = root / "crime" / "london_burglary_police_uk_2013-12_2025-02.parquet" if root else None
        if default is None or not default.is_file():
            raise OptionError("give INPUT files or URLs (no reference London Parquet file found)")
        inputs = [str(default)]
    if households is None:
        found = root / "demographics" / "lsoa2011_census2011_population_households.csv" if root else None
        if found is None or not found.is_file():
            raise OptionError("give households=FILE (no reference Census households table found)", param='households')
        households = found
    return list(inputs), Path(households)
