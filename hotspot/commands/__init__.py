"""The command line's commands: each parses its options, calls one job or API function and prints or
writes. ``cli.py`` at the repository's top is the table that names them; this package sits at its layer
(nothing below the jobs imports it)."""
