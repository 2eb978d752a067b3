"""The application layer: what a command or a run does, above the analytics.

One module per job (issue 23), each with one entry point that the command
and the run both call (``tests/test_job_entry_points.py`` checks it):
:mod:`~hotspot.jobs.nanobeats`, :mod:`~hotspot.jobs.brief`,
:mod:`~hotspot.jobs.anpr`, :mod:`~hotspot.jobs.campaign`,
:mod:`~hotspot.jobs.report`, :mod:`~hotspot.jobs.assess`, and the command-only
:mod:`~hotspot.jobs.league` and :mod:`~hotspot.jobs.morning` (every area's run
at once); :mod:`hotspot.jobs.reference` holds the reference data folder whose
layers fill what is not given. Nothing below this package imports it:
core <- analytics <- jobs <- cli/render.
"""
