"""The campaign team's drop list: one row per postcode unit to drop, by
target, highest risk first, with the households (or units) and the leaflets
and timer switches for each; the target's street names ride along so a
delivery team can find it. No burglary counts are written (the list leaves
the police)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..io.write import write_table

if TYPE_CHECKING:
    from ..campaigns.plan import CampaignPlan


def drop_list_frame(plan: CampaignPlan, *, public: bool = False) -> pd.DataFrame:
    """The drop list of a :class:`~hotspot.campaigns.CampaignPlan`.

    Parameters
    ----------
    plan : CampaignPlan
        From :func:`hotspot.campaigns.plan_campaign`; its ``drops`` (postcode
        units per target) and ``targets`` (allocations, streets).
    public : bool
        Safe to publish: from exact-address data
        (``plan.streets_from_addresses``) the list is by postcode sector
        (:func:`public_drop_list`), without streets or risk order.

    Returns
    -------
    DataFrame
        ``target_rank, unit, unit_name, drop_order, postcode, households,
        households_basis, leaflets, timer_switches, streets`` (risk is used
        for the order only and not written). Targets without postcodes get
        one row with an empty postcode and the whole allocation.
    """
    t = plan.targets
    streets = {str(u): "; ".join(s) for u, s in zip(t["unit"], t.get("streets", [[]] * len(t)))}
    d = plan.drops if plan.drops is not None else pd.DataFrame(columns=["target_rank", "unit"])
    rows = [d.drop(columns=[c for c in ("risk", "risk_basis") if c in d.columns])]
    have = set(d["unit"]) if len(d) else set()
    targets: list[Any] = list(t.itertuples())  # rows of columns of several types
    missing = [{"target_rank": int(r.rank), "unit": str(r.unit), "unit_name": str(r.name), "drop_order": 1,
                "postcode": "", "households": int(r.households), "households_basis": "no postcode in the layer",
                "leaflets": int(r.leaflets), "timer_switches": int(r.timer_switches)}
               for r in targets if str(r.unit) not in have]
    if missing:
        rows.append(pd.DataFrame(missing))
    out = pd.concat([x for x in rows if len(x)], ignore_index=True) if any(len(x) for x in rows) else rows[0]
    if len(out):
        out = out.sort_values(["target_rank", "drop_order"], kind="stable").reset_index(drop=True)
        out["streets"] = out["unit"].astype(str).map(streets).fillna("")
    if public and plan.streets_from_addresses:
        out = public_drop_list(out)
    window = plan.campaign_window
    out["campaign_window"] = f"{window[0]:%Y-%m-%d} to {window[1]:%Y-%m-%d}"
    return out


def public_drop_list(drops: pd.DataFrame) -> pd.DataFrame:
    """A drop list by postcode sector for the public when the plan comes
    from exact-address data: households, leaflets and timer switches summed
    per target and sector, sectors in alphabetical order (the risk order of
    postcode units would point at burgled addresses), no streets.

    Parameters
    ----------
    drops : DataFrame
        :func:`drop_list_frame`'s rows (``target_rank, unit, unit_name,
        postcode, households, leaflets, timer_switches``).

    Returns
    -------
    DataFrame
        ``target_rank, unit, unit_name, postcode_sector, households,
        leaflets, timer_switches``; totals equal those of ``drops``.
    """
    from ..disclosure.publish import postcode_sector

    d = drops.assign(postcode_sector=[postcode_sector(p) if p else "" for p in drops["postcode"]])
    keys = ["target_rank", "unit", "unit_name", "postcode_sector"]
    return (d.groupby(keys, sort=True, dropna=False)[["households", "leaflets", "timer_switches"]].sum()
            .reset_index())


def write_drop_list(plan: CampaignPlan, path: str | Path, *, public: bool = False) -> Path:
    """Write the drop list as CSV.

    Parameters
    ----------
    plan : CampaignPlan
        From :func:`hotspot.campaigns.plan_campaign`.
    path : str or Path
        Where to write the CSV (:func:`drop_list_frame`'s columns); missing
        parent folders are created.
    public : bool
        The public form (:func:`drop_list_frame`).

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    write_table(drop_list_frame(plan, public=public), path)  # the one formula-safe CSV writer
    return path
