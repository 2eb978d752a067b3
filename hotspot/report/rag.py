"""The RAG rating of the rolling-12-month change, with its caveats (too few
burglaries to rate, a change within chance).
"""

from __future__ import annotations

from .series import change_pct


def rag_with_caveats(now: int, before: int, *, green: float = 5.0, red: float = 5.0,
                     high_exception_recent: bool = False) -> tuple[str, list[str]]:
    """The RAG rating of a rolling-12-month change with what qualifies it:
    no rating below ``settings.MIN_RAG_VOLUME`` burglaries in the year
    before (+100 % on 1 -> 2 is noise, or data that do not cover the area),
    and a warning when a RED or GREEN change is within chance.

    Parameters
    ----------
    now, before : int
        Burglaries in the last 12 months and in the 12 before.
    green, red : float
        Thresholds of :func:`rag_rating`, percent.
    high_exception_recent : bool
        A high exception in the latest quarter (lifts GREEN to AMBER).

    Returns
    -------
    (str, list of str)
        ``"RED"``, ``"AMBER"``, ``"GREEN"`` or ``"n/a"``, and the warnings.
    """
    from .. import settings

    if before < settings.MIN_RAG_VOLUME:
        return "n/a", [f"only {before} burglaries in the 12 months before and {now} in the last 12: too few for a "
                       "rating (check that the input covers the area)"]
    rag = rag_rating(change_pct(now, before), green=green, red=red, high_exception_recent=high_exception_recent)
    return rag, _chance_note(now, before, rag) if rag in ("RED", "GREEN") else []


def _chance_note(now: int, before: int, rag: str) -> list[str]:
    """A warning when a RED or GREEN change is within chance: the exact test
    of two Poisson counts (given their sum, ``now`` is binomial with p = 1/2
    when the rate has not changed), two-sided, at 5 %."""
    from scipy.stats import binomtest

    p = binomtest(now, now + before, 0.5).pvalue
    if p < 0.05:
        return []
    return [f"{rag} on {before:,} -> {now:,} burglaries: a change this size happens by chance (p = {p:.2f}, exact "
            "test of two Poisson counts); read the rating with care"]


def rag_rating(rolling_change: float | None, *, green: float = 5.0, red: float = 5.0,
               high_exception_recent: bool = False) -> str:
    """RED / AMBER / GREEN from the rolling-12-month change (percent).

    GREEN when the change is at or below ``-green``; RED at or above
    ``+red``; AMBER otherwise (and when the change cannot be computed). A
    high exception in the latest quarter lifts GREEN to AMBER.

    Parameters
    ----------
    rolling_change : float or None
        Change of the rolling 12 months against the 12 before, percent;
        None when it cannot be computed (no base).
    green : float
        A fall of at least this many percent is GREEN (default 5).
    red : float
        A rise of at least this many percent is RED (default 5).
    high_exception_recent : bool
        True when a month of the latest quarter is a high exception.

    Returns
    -------
    str
        ``"RED"``, ``"AMBER"`` or ``"GREEN"``.
    """
    if rolling_change is None:
        return "AMBER"
    if rolling_change >= red:
        return "RED"
    if rolling_change <= -green:
        return "AMBER" if high_exception_recent else "GREEN"
    return "AMBER"
