"""The application layer: what a command or a run does, above the analytics.

One module per job (issue 23): :mod:`hotspot.jobs.reference` (the reference
data folder and its layers), the jobs' defaults that fill from it
(:mod:`~hotspot.jobs.anpr`, :mod:`~hotspot.jobs.report`,
:mod:`~hotspot.jobs.league`), the entry points the CLI and the run share
(:mod:`~hotspot.jobs.nanobeats`, :mod:`~hotspot.jobs.brief`,
:mod:`~hotspot.jobs.campaign`, :mod:`~hotspot.jobs.assess`) and
:mod:`hotspot.jobs.morning` (every area's run at once). Nothing below this
package imports it: core <- analytics <- jobs <- cli/render.
"""
