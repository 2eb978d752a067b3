"""Outputs that are whole or absent, and output folders one run at a time.

* :func:`atomic_path` - every file output is written to a hidden temporary
  name beside it and renamed over the target only when complete
  (``os.replace`` is atomic on one file system): a run stopped by Ctrl-C,
  SIGTERM, a crash or a full disk leaves the previous file or none, never a
  truncated one. A failure to write names the file (one line, exit 2).
* :func:`folder_lock` - an exclusive lock on an output folder for a whole
  run: a second run into the same folder is refused at once, so two runs
  never interleave their files and one run's JSON never names files holding
  the other's content.
* :func:`staged_folders` - a run writes into hidden staging folders and
  moves its files into place at the end: a run stopped in any stage leaves
  the folder as the previous run left it (no new brief HTML beside the
  previous run's PDF).
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from ._errors import InputFileError

#: Prefix of the hidden files and folders in the making (cleaned up when a run ends or the next one starts).
PARTIAL_PREFIX = ".partial-"
LOCK_NAME = ".hotspot-run.lock"


def _why(exc: OSError) -> str:
    """An OS error in words, the full disk named as such."""
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    return exc.strerror or type(exc).__name__


@contextmanager
def atomic_path(path: str | Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path``
    when the block ends without error, removed otherwise.

    Parameters
    ----------
    path : str or Path
        The file to write; missing parent folders are created.
    keep_existing : bool
        Start the temporary file as a copy of ``path`` (a GeoPackage that
        gains a layer keeps its other layers).

    Yields
    ------
    Path
        The temporary path (same folder, same suffix, hidden name).

    Raises
    ------
    InputFileError
        The OS refused the file (a full disk, no permission): names ``path``.
    """
    path = Path(path)
    tmp = path.with_name(f"{PARTIAL_PREFIX}{secrets.token_hex(4)}-{path.name}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if keep_existing and path.is_file():
            shutil.copy2(path, tmp)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write it ({_why(exc)})") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all (:func:`atomic_path`).

    Parameters
    ----------
    path : str or Path
        The file to write.
    text : str
        Its content.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


@contextmanager
def folder_lock(folder: str | Path) -> Iterator[IO[str]]:
    """Hold the exclusive run lock of ``folder`` (``flock`` on a hidden lock
    file, released by the OS if the process dies).

    Parameters
    ----------
    folder : str or Path
        The output folder (made when missing).

    Yields
    ------
    file
        The open lock file.

    Raises
    ------
    InputFileError
        Another run holds the folder: says which process and what to do.
    """
    import fcntl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    f = open(folder / LOCK_NAME, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            raise InputFileError(f"{folder}: another hotspot run (pid {holder}) is writing to this folder; wait for "
                                 "it to finish or give another output folder") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        yield f
    finally:
        f.close()


@contextmanager
def staged_folders(*folders: Path) -> Iterator[dict[Path, Path]]:
    """Lock each output folder and give a hidden staging folder inside it to
    write to; at the end without error, move every staged file into place
    (keeping sub-folders), else drop the staging. Staging left by a killed
    run is removed when the next run takes the lock.

    Parameters
    ----------
    *folders : Path
        The real output folders (duplicates are locked once).

    Yields
    ------
    dict
        Real folder -> its staging folder.
    """
    real = list(dict.fromkeys(Path(f).resolve() for f in folders))
    with _locks(real):
        for f in real:
            for stale in f.glob(PARTIAL_PREFIX + "run-*"):
                shutil.rmtree(stale, ignore_errors=True)
        token = f"{PARTIAL_PREFIX}run-{os.getpid()}-{secrets.token_hex(3)}"
        staging = {f: f / token for f in real}
        try:
            for s in staging.values():
                s.mkdir()
            yield staging
            for f, s in staging.items():
                _move_into(s, f)
        except OSError as exc:
            raise InputFileError(f"{exc.filename or real[0]}: cannot write it ({_why(exc)})") from None
        finally:
            for s in staging.values():
                shutil.rmtree(s, ignore_errors=True)


@contextmanager
def _locks(folders: list[Path]) -> Iterator[None]:
    """:func:`folder_lock` on every folder, in order."""
    if not folders:
        yield
        return
    with folder_lock(folders[0]), _locks(folders[1:]):
        yield


def _move_into(staging: Path, folder: Path) -> None:
    """Move every file under ``staging`` to the same place under ``folder``."""
    for src in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = folder / src.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
