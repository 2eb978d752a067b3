"""Which column is which: the roles of an incident table's columns (id, date,
x/y or lon/lat, type, location, outcome) found by their common spellings, and
the police.uk street-level header.

Below both :mod:`hotspot.intake` (incidents) and :mod:`hotspot.stores`
(tables), which each read columns by these rules.
"""

from __future__ import annotations

from typing import Iterable, Mapping

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
