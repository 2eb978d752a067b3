"""Assess an intervention (issue 19): did the patrols, leaflets and cameras work?

* :mod:`~hotspot.assess.layers` reads intervention layers as ``hotspot``
  writes them (nano-beat targets, ANPR sites, leaflet plan units) or any
  point/polygon layer;
* :mod:`~hotspot.assess.selection` chooses control places by the same rule at
  the same date, and treated/control places at placebo dates;
* :mod:`~hotspot.assess.estimates` holds the statistics (difference-in-
  differences rate ratio, WDQ, WDD, regression to the mean);
* :mod:`~hotspot.assess.dosage` summarises a patrol log against the Koper curve;
* :mod:`~hotspot.assess.core` ties them together in
  :func:`assess_intervention`.

Drawing is in :mod:`hotspot.render.assess`.
"""

from .core import AssessmentResult, AssessOptions, Assessor, assess_intervention
from .layers import Intervention, read_intervention

__all__ = ["AssessOptions", "AssessmentResult", "Assessor", "Intervention", "assess_intervention",
           "read_intervention"]
