"""The application layer: what a command or a run does, above the analytics.

One module per job, to come (issue 23); for now :mod:`hotspot.jobs.reference`
(the reference data folder and its layers), the jobs' defaults that fill
from it, and :mod:`hotspot.jobs.morning` (every area's run at once). Nothing
below this package imports it: core <- analytics <- jobs <- cli/render.
"""
