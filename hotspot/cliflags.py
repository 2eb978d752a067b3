"""Python parameter names -> command-line flags, for printing errors.

Errors raised by the package name the Python parameter (``rule=: partial or
whole``) and list it in :attr:`hotspot.HotspotError.params`. The CLI prints
them with its own flags (``--rule: partial or whole``) through
:func:`cli_message`. Most flags are the parameter with ``_`` as ``-``; the
tables below hold only the ones that differ, overall or in one command.

This module imports nothing from ``jobs``, ``render`` or ``cli``: it is a
lookup table, kept out of ``cli.py`` so that the command table stays thin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Parameter -> flag where the flag is not ``--`` + the name with ``-`` for ``_``.
#: ``"area.crs"`` is the parameter ``crs`` of the area loaders, written ``crs=``
#: in the message but set by ``--area-crs`` (``--crs`` is the incidents' CRS).
FLAGS: dict[str, str] = {
    "area.crs": "--area-crs",
    "buffer_m": "--buffer",
    "crime_types": "--crime-type",
    "data_dir": "--data",
    "k": "--cameras",
    "knox": "--from-knox",
    "max_placebos": "--placebos",
    "mirror": "--from",
    "n_targets": "--targets",
    "source_file": "--from",
    "start_lonlat": "--start",
}

#: Command -> parameter -> flag, where one command spells a parameter its own way.
COMMAND_FLAGS: dict[str, dict[str, str]] = {
    "league": {"area": "--areas"},
    "run": {"start": "--assess-start"},
}


def flag(param: str, command: str | None = None) -> str:
    """The flag that sets ``param`` in ``command`` (or in any command).

    Parameters
    ----------
    param : str
        Python parameter name, e.g. ``"buffer_m"``.
    command : str, optional
        The CLI command run, e.g. ``"league"``.

    Returns
    -------
    str
        The flag, e.g. ``"--buffer"``.
    """
    own = COMMAND_FLAGS.get(command or "", {})
    return own.get(param) or FLAGS.get(param) or "--" + param.rstrip("_").replace("_", "-")


def cli_message(message: str, params: Sequence[str], command: str | None = None) -> str:
    """``message`` with each ``param=`` written as its flag.

    ``rule=:`` becomes ``--rule:``; ``rule='x'`` (a value follows directly)
    becomes ``--rule 'x'``, as a user types it.

    Parameters
    ----------
    message : str
        The error's message as Python callers read it.
    params : sequence of str
        The parameters it names (:attr:`hotspot.HotspotError.params`); a
        qualified ``"area.crs"`` is written ``crs=`` and looked up whole.
    command : str, optional
        The CLI command run, for flags that differ between commands.

    Returns
    -------
    str
        The message as the command line prints it.
    """
    for p in params:
        f = flag(p, command)

        def spell(m: re.Match[str], f: str = f) -> str:
            nxt = m.group(1)
            if not nxt or nxt in " :,;)/":
                return f
            # a negative value must be joined (--start=-0.2,51.6) or the shell's parser takes it for a flag
            return f + ("=" if nxt == "-" else " ")

        # not inside another word (x=, y= of a coordinate pair are not parameters)
        name = p.rsplit(".", 1)[-1]
        message = re.sub(rf"(?<![\w.-]){re.escape(name)}=(?=(.?))", spell, message, flags=re.S)
    return message


def command_of(argv: Sequence[str]) -> str | None:
    """The command in a ``hotspot`` argument list (the first word not a flag).

    Parameters
    ----------
    argv : sequence of str
        The arguments after the program name.

    Returns
    -------
    str or None
        The command, or None when there is none.
    """
    return next((a for a in argv if not a.startswith("-")), None)
