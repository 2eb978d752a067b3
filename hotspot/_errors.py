"""Named exceptions.

Every error a user can cause by what they feed the tool derives from
:class:`HotspotError`; the CLI prints its one-line message and exits with
code 2 instead of showing a traceback.

Messages name options as a Python caller spells them, ``rule=`` (``rule='x':
...`` when the value follows), because the API is what raises them. The
exception lists those parameters in :attr:`HotspotError.params`; the command
line rewrites each to its own flag (``--rule``) when it prints the error
(:mod:`hotspot.cliflags`), so neither audience reads the other's spelling.
"""

from __future__ import annotations

from collections.abc import Sequence


class HotspotError(Exception):
    """Base class of every error caused by the user's input or settings.

    Parameters
    ----------
    message : str
        One line, naming each parameter in ``params`` as ``name=`` (directly
        followed by the value when the message quotes it).
    param : str or sequence of str, optional
        The Python parameter(s) the message names, for the CLI to map to flags.
    """

    def __init__(self, message: str = "", *, param: str | Sequence[str] = ()) -> None:
        super().__init__(message)
        #: Python parameter names written ``name=`` in the message.
        self.params: tuple[str, ...] = (param,) if isinstance(param, str) else tuple(param)


class InputFileError(HotspotError):
    """An input file is unusable: missing, empty, header only, undecodable,
    or lacking a required column. The message names the file (and column)."""


class AreaError(HotspotError):
    """A study area could not be found or built (unknown name, bad layer)."""


class CRSError(HotspotError):
    """A coordinate reference system is missing, geographic where metres are
    needed, or two layers disagree."""


class DataPrecisionError(HotspotError):
    """The data are too coarse for the analysis asked for (e.g. a Knox test in
    days on month-precision police.uk dates)."""


class ModelError(HotspotError):
    """A model cannot be built or solved with the inputs given (no
    candidates, k larger than the candidates, infeasible target, ...)."""


class FetchError(HotspotError):
    """A download or a local mirror failed (network, checksum, missing file)."""


class StoreError(HotspotError):
    """A data store is unusable: a database that cannot be reached, a table
    or column that does not exist, or an output that clashes with an
    existing table. The message names the store, table and what to do."""


class OptionError(HotspotError):
    """Settings that conflict with each other or lie outside their range
    (e.g. a time window in days and in months at once). The message names
    the parameter as Python spells it (``rule=``) and lists it in
    ``param``; the CLI shows it with its flag as a usage error (exit 2)."""


class UnitCoverageError(HotspotError):
    """A campaign's units reach too few of the area's burglaries to rank them
    (e.g. an LSOA layer of another area or year)."""
