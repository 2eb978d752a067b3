"""The application layer: what a command or a run does, above the analytics.

One module per job, to come (issue 23); for now :mod:`hotspot.jobs.reference`
(the reference data folder and its layers) and the jobs' defaults that fill
from it. Nothing below this package imports it: core <- analytics <- jobs <-
cli/render.
"""
