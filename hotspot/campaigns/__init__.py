"""Prevention campaigns: where to drop leaflets and give timer switches, and when.

* :mod:`~hotspot.campaigns.units`: the units a campaign targets, with households
  (LSOAs with Census households, or any polygons);
* :mod:`~hotspot.campaigns.households`: households of any polygons,
  interpolated by area from LSOAs;
* :mod:`~hotspot.campaigns.targeting`: expected burglaries per unit and the
  allocation of leaflets and timer switches;
* :mod:`~hotspot.campaigns.timing`: the seasonal index and the campaign window;
* :mod:`~hotspot.campaigns.droplist`: the postcodes to drop in each target;
* :mod:`~hotspot.campaigns.plan`: all of it in one call (:func:`plan_campaign`)
  and the ``leaflets`` command's plan.

Drawing is in :mod:`hotspot.render.droplist` and :mod:`hotspot.render.maps`.
"""

from .droplist import drop_list, unit_streets
from .households import MIN_INTERPOLATED_SHARE, interpolate_households
from .plan import CampaignPlan, plan_campaign, plan_json, plan_leaflets, plan_table
from .targeting import allocate, expected_burglaries
from .timing import (
    SUMMER,
    WINTER,
    campaign_window,
    clock_rule_for,
    clocks_go_back,
    next_campaign_window,
    seasonal_index,
    winter_summer_ratio,
)
from .units import campaign_units, lsoa_units, unit_coverage

__all__ = ["MIN_INTERPOLATED_SHARE", "SUMMER", "WINTER", "CampaignPlan", "allocate", "campaign_units",
           "campaign_window", "clock_rule_for", "clocks_go_back", "drop_list", "expected_burglaries",
           "interpolate_households", "lsoa_units", "next_campaign_window", "plan_campaign", "plan_json",
           "plan_leaflets", "plan_table", "seasonal_index", "unit_coverage", "unit_streets", "winter_summer_ratio"]
