"""Words and columns that describe a target: how far its sources reach,
which burglaries it shares with other targets, how much of it is business
premises (:func:`business_premises`), what lies across the boundary, and the
street a location text names (:func:`street_name`)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .. import settings


def _reach(s: Any, idx: np.ndarray, centre: Any) -> float:
    """The farthest of the burglaries ``idx`` from a target's centre, metres,
    rounded up to 10 m (0 when there are none)."""
    if not len(idx):
        return 0.0
    d = float(np.hypot(s.x[idx] - centre.x, s.y[idx] - centre.y).max())
    return float(max(10.0, np.ceil(d / 10.0) * 10.0))


def _shared_sources(sources: list[np.ndarray], ids: list[str]) -> list[dict[str, Any]]:
    """Per target, its burglaries also counted at other targets:
    ``n_sources_shared``, ``sources_also_at`` ("NB03 (2), NB05 (1)") and
    ``n_sources_first`` (not counted at a target ranked before it: these sum
    to the distinct burglaries), so a sum over targets is never read as
    distinct burglaries."""
    sets = [set(np.asarray(src).tolist()) for src in sources]
    out = []
    seen: set = set()
    for k, mine in enumerate(sets):
        others = {ids[j]: len(mine & other) for j, other in enumerate(sets) if j != k and mine & other}
        shared = set().union(*(mine & other for j, other in enumerate(sets) if j != k)) if others else set()
        # counted at no target ranked before it: summed over targets, the distinct burglaries
        out.append({"n_sources_shared": len(shared), "n_sources_first": len(mine - seen),
                    "sources_also_at": ", ".join(f"{t} ({n})" for t, n in others.items()) or None})
        seen |= mine
    return out


#: police.uk map points named after business premises: burglary there is of a
#: business, not a home, and calls for other advice than visiting neighbours.
BUSINESS_PLACES = frozenset(s.lower() for s in (
    "Supermarket", "Shopping Area", "Shopping Centre", "Petrol Station", "Mobile Phone Shop", "Nightclub",
    "Cinema", "Theatre/Concert Hall", "Conference/Exhibition Centre"))


def business_premises(locations: Iterable[str]) -> dict[str, Any]:
    """How much of a target's burglary is at business premises.

    Parameters
    ----------
    locations : iterable of str
        Location texts of the target's burglaries (police.uk "On or near
        Supermarket").

    Returns
    -------
    dict
        ``business_share`` (0-1, of the burglaries), ``business_places``
        (the kinds, comma-separated, or None) and ``business`` (True when the
        share is at least ``settings.BUSINESS_TARGET_SHARE``).
    """
    kinds = [str(v).strip() for v in locations]
    kinds = [k[len("on or near"):].strip() if k.lower().startswith("on or near") else k for k in kinds]
    hits = [k for k in kinds if k.lower() in BUSINESS_PLACES]
    share = len(hits) / len(kinds) if kinds else 0.0
    return {"business_share": round(share, 4), "business_places": ", ".join(sorted(set(hits))) or None,
            "business": bool(kinds) and share >= settings.BUSINESS_TARGET_SHARE}


def _business_words(locations: np.ndarray) -> str:
    """The ``why`` words for a target mainly of business burglary (else "")."""
    b = business_premises(locations)
    if not b["business"]:
        return ""
    n = len(locations)
    return (f"; mainly business premises: {round(b['business_share'] * n)} of these {n} at "
            f"{b['business_places'].lower()} (police.uk points)")


def _across(n_context: int, n: int, neighbours: list[str]) -> str:
    """The part of a target's burglaries that lie across the boundary, for
    its ``why`` (empty when all are the area's own)."""
    if not n_context:
        return ""
    where = f" ({', '.join(neighbours)})" if neighbours else ""
    return f"; {n_context} of these {n} across the boundary{where}, not in the area"


#: police.uk's anonymous map points named after a kind of place rather than a
#: street ("On or near Supermarket"): not a street anyone can find.
GENERIC_PLACES = frozenset(s.lower() for s in (
    "Supermarket", "Petrol Station", "Parking Area", "Sports/Recreation Area", "Shopping Area", "Nightclub",
    "Further/Higher Educational Building", "Hospital", "Police Station", "Conference/Exhibition Centre",
    "Theatre/Concert Hall", "Pedestrian Subway", "Bus/Coach Station", "Train Station", "Airport/Airfield",
    "Park/Open Space", "Cinema", "Prison", "Place Of Worship", "Shopping Centre", "Mobile Phone Shop"))


def street_name(label: str) -> str:
    """A street from a location text: police.uk's "On or near X" -> "X";
    "" when X is a kind of place (:data:`GENERIC_PLACES`), not a street.

    Parameters
    ----------
    label : str
        A location text (e.g. "On or near Oak Road").

    Returns
    -------
    str
        The street name, or "" for a kind of place.
    """
    text = str(label).strip()
    if text.lower().startswith("on or near"):
        text = text[len("on or near"):].strip()
    return "" if text.lower() in GENERIC_PLACES else text
