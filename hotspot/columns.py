"""Which column is which: the roles of an incident table's columns (id, date,
x/y or lon/lat, type, location, outcome) found by their common spellings, and
the police.uk street-level header.

Below both :mod:`hotspot.intake` (incidents) and :mod:`hotspot.io`
(tables), which each read columns by these rules.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

#: The columns of a data.police.uk street-level CSV.
POLICE_UK_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)

# Common spellings of each role in records-system exports, compared after
# lower-casing and removing spaces, underscores, dots and hyphens.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("incidentid", "eventid", "crimeid", "id", "incidentno", "incidentnumber", "casenumber",
           "caseno", "recordid", "reference", "urn", "objectid", "fid",
           # force records-system exports (Niche, Athena, Connect, CRIMES): the crime reference number
           "crimereference", "crimereferencenumber", "crimeref", "crimerefno", "crn", "crimeno", "crimenumber",
           "crimerecordnumber", "occurrencenumber", "occurrenceno", "occurrenceid", "occurrencereference",
           "incidentreference", "incidentref", "eventnumber", "eventno", "referencenumber", "refno", "ref"),
    "date": ("occurred", "datetime", "date", "offensedate", "offencedate", "occurrencedate",
             "dateoccurred", "incidentdate", "eventdate", "datesingle", "timestamp", "month",
             "reporteddate", "firstoccurrencedate"),
    "x": ("x", "easting", "xcoordinate", "xcoord", "pointx", "east"),
    "y": ("y", "northing", "ycoordinate", "ycoord", "pointy", "north"),
    "lon": ("longitude", "lon", "lng", "long", "xlong"),
    "lat": ("latitude", "lat", "ylat"),
    "type": ("crimetype", "type", "offense", "offence", "offensetype", "offencetype", "category",
             "primarytype", "crimecategory", "offencedescription"),
    "location": ("locationtext", "location", "hundredblock", "block", "address", "street",
                 "streetname", "locationdescription"),
    "outcome": ("lastoutcomecategory", "outcome", "status", "disposition"),
}


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def detect_columns(columns: Iterable[str], given: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Map roles (id, date, x, y, lon, lat, type, location, outcome) to column
    names, from the user's ``given`` names first, then common spellings.

    Parameters
    ----------
    columns : iterable of str
        The input's column names.
    given : mapping, optional
        Role -> column name as the user gave it (``--date-col`` ...); empty
        values are ignored.

    Returns
    -------
    dict of str to str or None
        Every role of :data:`COLUMN_ALIASES` -> its column, None when absent
        (the first column matching an alias, compared without case, spaces
        or punctuation).
    """
    given = {k: v for k, v in (given or {}).items() if v}
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    out: dict[str, str | None] = {}
    for role, aliases in COLUMN_ALIASES.items():
        if role in given:
            out[role] = given[role]
            continue
        out[role] = next((by_norm[a] for a in aliases if a in by_norm), None)
    return out


# --------------------------------------------------------------------------- police.uk LSOA names


def lsoa_name_pattern(district: str | None = None) -> str:
    r"""The police.uk LSOA-name rule, the one copy of it: a name is the local
    authority district's name, white space, three digits and a capital
    letter (``"Barnet 001A"``; 2011 and 2021 LSOAs alike). Every reader of
    the district part of ``LSOA name`` (intake's area rule, the report's and
    the league's counts, the Parquet, GeoParquet and PostGIS filters) uses
    this pattern.

    Parameters
    ----------
    district : str, optional
        A district's exact name. None: any district, captured as group 1.

    Returns
    -------
    str
        A regular expression anchored at both ends (``^...$``), in the
        syntax Python's ``re``, Arrow's RE2 and PostgreSQL's ``~`` share.

    Examples
    --------
    >>> lsoa_name_pattern("City of London")
    '^City\\ of\\ London\\s+\\d{3}[A-Z]$'
    """
    head = r"(.*\S)" if district is None else re.escape(district)
    return "^" + head + r"\s+\d{3}[A-Z]$"


_ANY_LSOA_NAME = re.compile(lsoa_name_pattern())


def district_of_lsoa_name(name: object) -> str | None:
    """The district part of one police.uk LSOA name (see
    :func:`lsoa_name_pattern`), or None when ``name`` is not of that form.

    Parameters
    ----------
    name : object
        An ``LSOA name`` value; anything but a string of the form gives None.

    Returns
    -------
    str or None
        The district's name (spaces inside it kept), None for a missing or
        malformed name: never a guess.

    Examples
    --------
    >>> district_of_lsoa_name("Barnet 001A")
    'Barnet'
    >>> district_of_lsoa_name("City of London 001A")
    'City of London'
    >>> district_of_lsoa_name("Kingston upon Thames 012B")
    'Kingston upon Thames'
    >>> district_of_lsoa_name("Richmond upon Thames") is None  # no code
    True
    >>> district_of_lsoa_name("Barnet 01A") is None  # two digits
    True
    """
    found = _ANY_LSOA_NAME.fullmatch(name) if isinstance(name, str) else None
    return found.group(1) if found else None


def lsoa_district(names: pd.Series) -> pd.Series:
    """:func:`district_of_lsoa_name` of every value of a column:
    ``"Barking and Dagenham 012B"`` -> ``"Barking and Dagenham"``.

    Parameters
    ----------
    names : Series
        police.uk ``LSOA name`` values.

    Returns
    -------
    Series
        The district of each name (object dtype, same index); None for a
        missing or malformed name.
    """
    # A few thousand distinct names repeat over every month: parse each once.
    codes, uniq = pd.factorize(names)
    parsed = np.array([district_of_lsoa_name(n) for n in uniq] + [None], dtype=object)
    return pd.Series(parsed[codes], index=names.index, dtype=object)  # code -1 (missing) -> the trailing None


def is_lsoa_of(names: pd.Series, district: str) -> np.ndarray:
    """Which police.uk LSOA names are the given district's (the test the
    store filters push down, done in pandas).

    Parameters
    ----------
    names : Series
        ``LSOA name`` values; missing ones are no district's.
    district : str
        The district's exact name (e.g. ``"Kingston upon Thames"``).

    Returns
    -------
    ndarray of bool
        True where the name is ``"<district> NNNX"``.
    """
    return names.astype(str).str.fullmatch(lsoa_name_pattern(district)).fillna(False).to_numpy(bool)


def constant_column(value: str, n: int) -> pd.Categorical[str]:
    """``value`` on ``n`` rows as a one-category Categorical: a byte per row,
    where a text column would hold the text once per row (a 3 M-row file's
    path on every row: 0.1 GB; a run's parameters as JSON: far more).

    Parameters
    ----------
    value : str
        The one value.
    n : int
        Rows.

    Returns
    -------
    pandas.Categorical
    """
    return pd.Categorical.from_codes(np.zeros(n, np.int8), categories=pd.Index([value]))
