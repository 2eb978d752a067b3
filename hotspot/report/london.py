"""The London reference: police.uk LSOA names read as boroughs, and the
borough counts, population, households, density and deprivation the rates,
ranks and peers come from (:class:`LondonContext`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import HotspotError, InputFileError
from ..columns import lsoa_district
from ..readonce import read_csv_once


def _boroughs_of(names: pd.Series, path: str) -> pd.Series:
    """The local authority of each police.uk LSOA name (``'Barnet 001A'`` ->
    ``'Barnet'``); a missing or malformed name is refused, never counted
    under a borough of its own."""
    boroughs = lsoa_district(names)
    bad = boroughs.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = names.index[i] + 1 if pd.api.types.is_integer_dtype(names.index) else i + 1  # 1-based, no header
        raise InputFileError(f"{path}: data row {row}, column 'LSOA name': {names.iloc[i]!r} is not a police.uk LSOA "
                             f"name ('<district> 001A'); {int(bad.sum())} such rows: correct or drop them")
    return boroughs


#: Kept for callers of the first API (None for a malformed name): the rule is :func:`hotspot.columns.lsoa_district`.
borough_of_lsoa_name = lsoa_district


@dataclass
class LondonContext:
    """Borough-level counts, population, households and peer measures."""

    monthly: pd.DataFrame  # borough x period
    population: pd.Series
    households: pd.Series
    density: pd.Series
    deprivation: pd.Series

    #: How the borough counts were made (shown with the ranks).
    counting: str = "LSOA month counts"
    #: Area codes (e.g. E09000003) to names, so --peers takes codes too.
    codes: dict = field(default_factory=dict)

    @classmethod
    def from_files(cls, counts_csv: str | Path | None, population_csv: str | Path | None,
                   households_csv: str | Path | None = None,
                   imd_csv: str | Path | None = None, boroughs_layer: str | Path | None = None) -> LondonContext:
        """Borough counts, population, households, deprivation and density.

        Parameters
        ----------
        counts_csv : path
            Either police.uk LSOA month counts (``LSOA name, Month,
            burglary_count``; rows as published, duplicate crime ids included)
            or a police.uk incident table (``.parquet``/``.csv`` with ``Crime
            ID, Month, LSOA name``), counted one burglary per Crime ID: the
            counting the report itself uses, so ranks and volumes agree.
            Required (None is refused, naming the option).
        population_csv : path
            LSOA mid-year population (``Local Authority District name ...``,
            ``Total population ...`` columns), for rates per 1,000 residents.
            Required (None is refused, naming the option).
        households_csv : path, optional
            Census households per LSOA (``lad_name``, ``households``), for
            rates per 1,000 households; without it those rates are None.
        imd_csv : path, optional
            IMD scores per LSOA (``LSOA code (2011)``, ``Index of Multiple
            Deprivation (IMD) Score``): deprivation for choosing peers.
        boroughs_layer : path, optional
            Borough polygons, for population density (residents per km²).

        Returns
        -------
        LondonContext

        Raises
        ------
        InputFileError
            The counts or the population file is not given, or a column is
            missing.
        """
        if counts_csv is None or population_csv is None:
            raise InputFileError("London rates and ranks need both the reference counts (reference_counts=) and "
                                 "the population (population=)", param=('reference_counts', 'population'))
        counts_csv = str(counts_csv)
        if counts_csv.endswith(".parquet"):
            monthly, counting = _monthly_from_parquet(counts_csv)
        else:
            c = pd.read_csv(counts_csv)
            if "Crime ID" in c and "burglary_count" not in c:
                monthly, counting = _monthly_from_incident_table(c, counts_csv)
            else:
                for col in ("LSOA name", "Month", "burglary_count"):
                    if col not in c:
                        raise InputFileError(f"{counts_csv}: required column '{col}' is missing")
                c["borough"] = _boroughs_of(c["LSOA name"], counts_csv)
                c["period"] = pd.PeriodIndex(c["Month"], freq="M")
                monthly = c.pivot_table(index="borough", columns="period", values="burglary_count", aggfunc="sum",
                                        fill_value=0)
                counting = "LSOA month counts (rows as published)"
        pop = pd.read_csv(population_csv)
        pcol = _column(pop, population_csv, lambda c: c.lower().startswith("total population"), "Total population ...")
        lad = _column(pop, population_csv, lambda c: c.lower().startswith("local authority district name"),
                      "Local Authority District name ...")
        population = pop.groupby(lad)[pcol].sum()
        households = pd.Series(dtype=float)
        if households_csv is not None:
            # read as the campaign stage reads it (codes as text): one read of the file per run
            hh = read_csv_once(households_csv, dtype={"lsoa_code": str})
            for col in ("lad_name", "households"):
                _column(hh, households_csv, lambda c, col=col: c == col, col)
            households = hh.groupby("lad_name")["households"].sum()
        deprivation = pd.Series(dtype=float)
        if imd_csv is not None:
            imd = pd.read_csv(imd_csv)
            code = _column(imd, imd_csv, lambda c: c == "LSOA code (2011)", "LSOA code (2011)")
            score = _column(imd, imd_csv, lambda c: c == "Index of Multiple Deprivation (IMD) Score",
                            "Index of Multiple Deprivation (IMD) Score")
            _column(pop, population_csv, lambda c: c == code, code)
            m = imd[[code, score]].merge(pop[[code, lad, pcol]], on=code)
            deprivation = m.groupby(lad)[[score, pcol]].apply(lambda g: np.average(g[score], weights=g[pcol]))
        density = pd.Series(dtype=float)
        if boroughs_layer is not None:
            from ..areas import load_boundaries

            b = load_boundaries(boroughs_layer)  # projected in metres once, by the one CRS rule
            name = _column(b, boroughs_layer, lambda c: "name" in c.lower() and c != b.geometry.name, "a name column")
            km2 = pd.Series(b.geometry.area.to_numpy() / 1e6, index=b[name])
            density = population.reindex(km2.index) / km2
        codes = _area_codes(pop, lad)
        return cls(monthly, population, households, density, deprivation, counting, codes)

    def rolling_rates(self, end: pd.Period, per: str = "residents") -> pd.Series:
        """Burglaries per 1,000 residents (or households) over the 12 months ending ``end``.

        Parameters
        ----------
        end : Period
            Last month of the rolling 12 months (included).
        per : {"residents", "households"}
            The rate's denominator (default residents).

        Returns
        -------
        Series
            Rate per 1,000 residents (households) by borough; boroughs
            without a population or that denominator are left out.
        """
        periods = pd.PeriodIndex(self.monthly.columns, freq="M")
        vol = self.monthly.loc[:, (periods > end - 12) & (periods <= end)].sum(axis=1)
        pop = self.population.reindex(vol.index)
        if per == "households":  # the reference's areas are those with a population (the households table is wider)
            pop = self.households.reindex(vol.index).where(pop.notna())
        return (vol / pop * 1000).dropna()

    def volume(self, area: str, end: pd.Period, months: int = 12) -> int | None:
        """The reference count for ``area`` over the ``months`` months ending
        ``end``; None when the area or any of those months is absent.

        Parameters
        ----------
        area : str
            Borough name as in the reference counts.
        end : Period
            Last month of the window (included).
        months : int
            Length of the window, months (default 12).

        Returns
        -------
        int or None
            Burglaries over the window, or None.
        """
        cols = pd.period_range(end - months + 1, end, freq="M")
        if area not in self.monthly.index or any(p not in self.monthly.columns for p in cols):
            return None
        return int(self.monthly.reindex(index=[area], columns=cols).to_numpy().sum())

    def check_peers(self, names: list[str]) -> list[str]:
        """``names`` if every one is a borough of the reference, else an error
        naming the unknown ones with their closest matches.

        Parameters
        ----------
        names : list of str
            Peer area names given by the user (``--peers``).

        Returns
        -------
        list of str
            ``names`` unchanged.

        Raises
        ------
        HotspotError
            A name is not a borough of the reference counts.
        """
        import difflib

        known = list(self.monthly.index)
        names = [_canonical_area(n, known, self.codes) for n in names]
        bad = [n for n in names if n not in known]
        if bad:
            hints = "; ".join(f"{n!r}: did you mean {', '.join(difflib.get_close_matches(n, known, 3, 0.5)) or 'none'}"
                              for n in bad)
            raise HotspotError(f"peers=: unknown area {hints} (known: the {len(known)} areas of the London counts, "
                               "by name in any case or by code)", param='peers')
        return list(names)

    def peers(self, area: str, n: int = 5) -> list[str]:
        """The ``n`` boroughs nearest in density and deprivation (z-scores).

        Parameters
        ----------
        area : str
            The borough whose peers are wanted (not itself a peer).
        n : int
            How many peers (default 5).

        Returns
        -------
        list of str
            Peer names, nearest first (Euclidean distance of the
            standardised population density and deprivation score).

        Raises
        ------
        HotspotError
            No density or deprivation for ``area``.
        """
        df = pd.DataFrame({"density": self.density, "deprivation": self.deprivation}).dropna()
        if area not in df.index:
            raise HotspotError(f"no density/deprivation for {area}; give the peer group explicitly")
        z = (df - df.mean()) / df.std()
        here = z.loc[area]
        d = pd.Series(np.hypot(z["density"] - here["density"], z["deprivation"] - here["deprivation"]), index=z.index)
        return [b for b in d.sort_values().index if b != area][:n]


def _area_codes(pop: pd.DataFrame, name_col: str) -> dict:
    """Code -> name of the areas in a population table that has a local
    authority code column beside the name (empty otherwise)."""
    code_col = next((c for c in pop.columns if c.lower().startswith("local authority district code")), None)
    if code_col is None:
        return {}
    pairs = pop[[code_col, name_col]].dropna().drop_duplicates()
    return {str(c).strip().upper(): str(n) for c, n in zip(pairs[code_col], pairs[name_col])}


def _canonical_area(name: str, known: list[str], codes: dict) -> str:
    """The reference's spelling of an area given by name in any case or by
    code (``harrow``, ``E09000015`` -> ``Harrow``); unknown names unchanged."""
    if name in known:
        return name
    by_case = {k.casefold(): k for k in known}
    hit = by_case.get(name.strip().casefold()) or codes.get(name.strip().upper())
    return hit if hit is not None else name


def _column(frame: pd.DataFrame, path, match, what: str) -> str:
    """The first column of ``frame`` for which ``match(name)`` holds; an
    InputFileError naming the file and the column wanted otherwise."""
    found = next((c for c in frame.columns if match(str(c))), None)
    if found is None:
        raise InputFileError(f"{path}: no column {what!r} (columns: {', '.join(map(str, frame.columns[:12]))})")
    return found


def _monthly_from_incident_table(table: pd.DataFrame, name: str) -> tuple[pd.DataFrame, str]:
    """Area x month counts from police.uk rows: one burglary per Crime ID
    within an area (as reading that area's rows counts them)."""
    for col in ("Month", "LSOA name"):
        if col not in table:
            raise InputFileError(f"{name}: required column '{col}' is missing")
    t = table.dropna(subset=["LSOA name"])
    if "Longitude" in t:
        t = t.dropna(subset=["Longitude"])  # no location: rejected on intake too
    # a few thousand LSOA names to parse, not every row
    area = _boroughs_of(t["LSOA name"], name)
    keep = np.ones(len(t), bool)
    if "Crime ID" in t:
        ids = t["Crime ID"]
        # rows without an id are distinct crimes; a repeated id is one crime
        keep = ids.isna().to_numpy() | ~pd.DataFrame({"a": area, "id": ids}).duplicated().to_numpy()
    counts = pd.DataFrame({"area": area[keep].to_numpy(), "month": t["Month"][keep].to_numpy()}).value_counts()
    wide = counts.unstack("month", fill_value=0)
    wide.columns = pd.PeriodIndex(wide.columns, freq="M", name="period")
    return wide.sort_index(axis=1).astype(int), "police.uk incidents, one burglary per Crime ID"


def _monthly_from_parquet(path: str) -> tuple[pd.DataFrame, str]:
    """:func:`_monthly_from_incident_table` of a police.uk Parquet file, read
    compactly: the repetitive ``Month`` and ``LSOA name`` columns as
    dictionaries (a few thousand values, each parsed once) and ``Crime ID``
    as integer codes, so London's 743 k rows cost tens of MB, not the
    ~350 MB of text columns and their copies (issue 22). Same counts, same
    refusals (rows numbered as in the file, 1-based)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["Crime ID", "Month", "LSOA name", "Longitude"],
                          read_dictionary=["Month", "LSOA name"])
    # no LSOA or no location: not counted (rejected on intake too); rows keep their place in the file
    usable = pc.and_(pc.is_valid(table["LSOA name"]), pc.is_valid(table["Longitude"]))
    rows = np.flatnonzero(usable.to_numpy(zero_copy_only=False))
    names = table["LSOA name"].combine_chunks()
    name_codes = names.indices.fill_null(0).to_numpy(zero_copy_only=False)[rows]  # nulls: not in rows
    name_values = pd.Series(names.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    district = lsoa_district(name_values).to_numpy()  # per distinct name
    bad = pd.isna(district[name_codes])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFileError(f"{path}: data row {rows[i] + 1}, column 'LSOA name': {name_values[name_codes[i]]!r} is "
                             f"not a police.uk LSOA name ('<district> 001A'); {int(bad.sum())} such rows: correct or "
                             "drop them")
    area = district[name_codes]  # one shared string per district, not one per row
    ids = pc.dictionary_encode(table["Crime ID"]).combine_chunks()
    id_codes = ids.indices.fill_null(-1).to_numpy(zero_copy_only=False)[rows].astype(np.int64)
    del ids
    # rows without an id are distinct crimes; a repeated id is one crime within an area (the first row counts)
    area_codes, _ = pd.factorize(area)
    pair = area_codes.astype(np.int64) * (int(id_codes.max(initial=0)) + 2) + (id_codes + 1)
    keep = (id_codes < 0) | ~pd.Series(pair).duplicated().to_numpy()
    months = table["Month"].combine_chunks()
    month_codes = months.indices.fill_null(-1).to_numpy(zero_copy_only=False)[rows]
    month_values = np.empty(len(months.dictionary) + 1, dtype=object)  # the last: a missing month (code -1)
    month_values[:-1] = months.dictionary.to_numpy(zero_copy_only=False)
    month = month_values[month_codes]
    counts = pd.DataFrame({"area": area[keep], "month": month[keep]}).value_counts()
    wide = counts.unstack("month", fill_value=0)
    wide.columns = pd.PeriodIndex(wide.columns, freq="M", name="period")
    return wide.sort_index(axis=1).astype(int), "police.uk incidents, one burglary per Crime ID"
