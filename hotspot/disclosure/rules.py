"""The disclosure rules' numbers: smallest count published (``k``), public cell,
smallest surface bandwidth and cell, window length, surface classes, the
checker's distance, and what a count looks like (keys, text).
"""

from __future__ import annotations

import re

#: Smallest count published (police.uk: at least 8 addresses per map point).
K_DEFAULT = 8
#: Default public cell for counts, metres.
PUBLIC_CELL = 250.0
#: Smallest bandwidth and cell of a published density surface, metres.
MIN_PUBLIC_BANDWIDTH = 250.0
MIN_PUBLIC_CELL = 100.0
#: Length of a published window, calendar months. Windows are fixed (a
#: 12-month window is a calendar year), never sliding or cumulative: two
#: releases cover the same months (and publish the same figures) or months
#: that do not overlap, so subtracting one release from another recovers no
#: count.
PUBLIC_WINDOW_MONTHS = 12
#: Number of ordered classes a public surface is shown in.
PUBLIC_CLASSES = 5
#: Default distance (metres) within which an output coordinate counts as an
#: incident's location.
CHECK_DISTANCE = 25.0

COUNT_KEYS = re.compile(r"^(count|counts|n|incidents|burglaries|crimes|n_sources|n_recent|n_history|in_zone|"
                        r"inside_incidents|outside_incidents|volume)$", re.I)
COUNT_TEXT = re.compile(r"(?<![\d.,])(\d{1,6})\s+(?:incidents?|burglar(?:y|ies)|crimes?|offences?)\b", re.I)
