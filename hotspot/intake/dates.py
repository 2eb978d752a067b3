"""Dates: the date column parsed once per source.

Day/month order is decided once per column, never per row (see the package
notes, "Dates"); ISO 8601, police.uk months, UTC offsets, AM/PM and month
names are read; the precision (month, day or minute) is detected; dates
pandas cannot hold, before ``settings.EARLIEST_DATE`` or in the future are
marked.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .. import settings
from .._errors import InputFileError
from .record import RowDetails, _mark, _Parsed

# dd/mm/yyyy, mm/dd/yyyy, with "/", "." or "-" and an optional time after it.
_NUMERIC_DATE = r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})((?:[ T].*)?)$"


def _format_order(fmt: str) -> str:
    """Day/month order named by a strftime format."""
    d, m = fmt.find("%d"), max(fmt.find("%m"), fmt.find("%b"), fmt.find("%B"))
    if d < 0 or m < 0:
        return "as given by the format"
    return "day-first" if d < m else "month-first"


def decide_date_order(s: pd.Series, path: Path | str, col: str) -> tuple[str | None, str]:
    """Day/month order of a column of ``dd/mm/yyyy``-like dates, decided once.

    Parameters
    ----------
    s : Series of str
        The column (index = row number).
    path, col : str
        File and column, for the messages.

    Returns
    -------
    order : {"day-first", "month-first"} or None
        None when the column has no ``nn/nn/yyyy`` dates at all.
    how : str
        The evidence: the first row whose first field (day-first) or second
        field (month-first) is above 12.

    Raises
    ------
    InputFileError
        Some rows prove day-first and others month-first (the message names
        one row of each), or no row proves either (give ``--date-format``).
    """
    m = s.str.extract(_NUMERIC_DATE)
    numeric = m[0].notna()
    if not numeric.any():
        return None, ""
    f1 = m.loc[numeric, 0].astype(int)
    f2 = m.loc[numeric, 2].astype(int)
    day_proof = f1.index[(f1 > 12) & (f2 <= 12)]
    month_proof = f2.index[(f2 > 12) & (f1 <= 12)]
    if len(day_proof) and len(month_proof):
        r1, r2 = day_proof[0], month_proof[0]
        raise InputFileError(
            f"{path}: column '{col}' mixes day-first and month-first dates: row {r1} {s[r1]!r} is day-first "
            f"(first field > 12), row {r2} {s[r2]!r} is month-first (second field > 12); "
            "correct the file or give date_format=", param='date_format')
    if len(day_proof):
        r = day_proof[0]
        return "day-first", f"inferred from the column: row {r} {s[r]!r} has a first field > 12 ({len(day_proof):,} rows do)"
    if len(month_proof):
        r = month_proof[0]
        return "month-first", f"inferred from the column: row {r} {s[r]!r} has a second field > 12 ({len(month_proof):,} rows do)"
    r = numeric.index[numeric][0]
    raise InputFileError(
        f"{path}: column '{col}': day/month order cannot be told: in all {int(numeric.sum()):,} dates like "
        f"{s[r]!r} (row {r}) both fields are 12 or less; give date_format= (e.g. %d/%m/%Y or %m/%d/%Y)", param='date_format')


def _all_on_the_first(occ: pd.Series) -> bool:
    """Whether dates with no time all fall on the 1st of a month, over at
    least ``settings.MONTH_DATES_MIN`` rows and two months: (1/30)^20 for
    real days, so the dates stand for months."""
    from .. import settings

    if len(occ) < settings.MONTH_DATES_MIN or (occ != occ.dt.normalize()).any():
        return False
    return bool((occ.dt.day == 1).all() and occ.dt.to_period("M").nunique() >= 2)


def _in_ns_range(p: _Parsed, occ: pd.Series, s: pd.Series, col: str) -> pd.Series:
    """``occ`` with dates pandas cannot hold in nanoseconds (before 1678 or
    after 2261: a police.uk ``Month`` of ``1066-10`` or ``9999-12``) rejected
    per row as too early or in the future, never a crash on the conversion."""
    if len(occ) == 0 or occ.dtype == "datetime64[ns]" or not pd.api.types.is_datetime64_any_dtype(occ):
        return occ
    year = occ.dt.year
    early, late = (year < 1678).fillna(False), (year > 2261).fillna(False)
    if not (early.any() or late.any()):
        return occ
    text = s.reindex(occ.index)
    _mark(p, _row_mask(p, early), "before earliest date", col,
          _row_detail(p, text, f"is before {settings.EARLIEST_DATE} (settings.EARLIEST_DATE)"))
    _mark(p, _row_mask(p, late), "future", col, _row_detail(p, text, "is in the future"))
    return occ.where(~(early | late))


def _row_mask(p: _Parsed, sub: pd.Series) -> np.ndarray:
    """A mask over all of ``p``'s rows from a boolean Series over some of them (by row label)."""
    return sub.reindex(p.table.index, fill_value=False).to_numpy(bool)


def _row_detail(p: _Parsed, text: pd.Series, why: str) -> RowDetails:
    """Details ``value why`` of the marked rows (positions in ``p``)."""
    return lambda rows: (f"{v!r} {why}" for v in text.reindex(p.table.index).fillna("").iloc[rows])


def _parse_dates(p: _Parsed, s: pd.Series, col: str, month_only: bool, date_format: str | None) -> None:
    s = s.str.strip()
    _mark(p, (s == "").to_numpy(), "missing date", col)
    info = {"column": col}
    if month_only:  # police.uk's Month, as YYYY-MM or as a spreadsheet re-saved it (--date-format)
        occ = _in_ns_range(p, pd.to_datetime(s, format=date_format or "%Y-%m", errors="coerce"), s, col)
        precision = "month"
        info.update(order="year-month", how=f"police.uk Month column ({date_format or 'YYYY-MM'})")
    else:
        if date_format:
            try:
                occ = _in_ns_range(p, pd.to_datetime(s, format=date_format, errors="coerce"), s, col)
            except ValueError as exc:
                raise InputFileError(f"date_format={date_format!r} is not a valid strftime format: {exc}", param='date_format') from None
            info.update(order=_format_order(date_format), how=f"format given: {date_format}")
        else:
            order, how = decide_date_order(s, p.path, col)
            norm = s
            if order is not None:
                m = s.str.extract(_NUMERIC_DATE)
                ok = m[0].notna()
                day, month = (m[0], m[2]) if order == "day-first" else (m[2], m[0])
                year = m[3].where(m[3].str.len() == 4,
                                  # strptime's %y rule: 69-99 -> 1900s, 00-68 -> 2000s
                                  m[3].map(lambda y: str(1900 + int(y) if int(y) >= 69 else 2000 + int(y))
                                           if isinstance(y, str) else y))
                iso = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + m[4].fillna("")
                norm = s.where(~ok, iso)
                info.update(order=order, how=how)
            else:
                info.update(order="year-month-day", how="ISO 8601")
            # UTC offsets (Z, +01:00, -0500): keep the wall-clock time as
            # written; a column mixing offsets (daylight saving) is one clock
            offset = norm.str.contains(r"\d(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False)
            if offset.any():
                norm = norm.str.replace(r"(?<=\d)(?:Z|[+-]\d{2}:?\d{2})$", "", regex=True)
                info["offsets"] = f"{int(offset.sum()):,} values carried a UTC offset: wall-clock times kept"
            occ = _in_ns_range(p, pd.to_datetime(norm, format="ISO8601", errors="coerce", utc=False), s, col)
            rest = occ.isna() & (norm != "")
            if rest.any():
                # Times with AM/PM or month names ("3 Feb 2024"): unambiguous
                # once the numeric day/month order is fixed above.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    alt = pd.to_datetime(norm[rest], format="mixed", dayfirst=False, errors="coerce")
                alt = _in_ns_range(p, alt, s, col)
                if getattr(alt.dt, "tz", None) is not None:
                    alt = alt.dt.tz_localize(None)
                if getattr(occ.dt, "tz", None) is not None:
                    occ = occ.dt.tz_localize(None)
                occ = occ.astype("datetime64[ns]")
                occ[rest] = alt.astype("datetime64[ns]")
        if getattr(occ.dt, "tz", None) is not None:
            # Keep the wall-clock time as written; offsets in crime exports
            # usually mislabel local time, and days are what matter here.
            occ = occ.dt.tz_localize(None)
        ok = occ.notna()
        nonempty = s[ok]
        if nonempty.str.fullmatch(r"\d{4}-\d{2}").all() and ok.any():
            precision = "month"
        elif ok.any() and ((occ[ok] - occ[ok].dt.normalize()) != pd.Timedelta(0)).any():
            precision = "minute"
        elif _all_on_the_first(occ[ok]):
            # monthly data saved as dates (a spreadsheet turns 2023-01 into 2023-01-01): read as days
            # they would make every burglary of a month "same day" and fake a near-repeat
            precision = "month"
            info["how"] = f"{info['how']}; every date is the 1st of a month: read as months"
        else:
            precision = "day"
    occ = occ.astype("datetime64[ns]")
    hint = "" if date_format or not month_only else " (police.uk Month is YYYY-MM: give --date-format, e.g. %b-%y)"
    _mark(p, occ.isna().to_numpy(), "unparsable date", col, lambda rows: (f"{col}={v!r}{hint}" for v in s.iloc[rows]))
    p.occurred, p.precision = occ, precision
    info["precision"] = precision
    p.info["dates"] = info


def _mark_implausible_dates(p: _Parsed, now: pd.Timestamp) -> None:
    """Reject dates before ``settings.EARLIEST_DATE`` (1901 is a default or a
    typo, not a burglary to plan on) and name the date column on future dates."""
    col = (p.info.get("dates") or {}).get("column")
    p.column[(p.reason == "future") & (p.column == None)] = col  # noqa: E711 (elementwise)
    earliest = pd.Timestamp(settings.EARLIEST_DATE)
    early = (p.occurred < earliest).to_numpy()
    _mark(p, early, "before earliest date", col,
          lambda rows: (f"{d:%Y-%m-%d} is before {earliest:%Y-%m-%d} (settings.EARLIEST_DATE)" if pd.notna(d) else ""
                        for d in p.occurred.iloc[rows]))
