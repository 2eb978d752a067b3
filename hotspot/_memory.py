"""Process memory: hand freed memory back to the operating system between the
big steps of a large read or load (issue 21: a 3 M-row CSV under 1.5 GB), and
read this process's own peak (:func:`peak_rss_mb`, for the league's and the
morning run's per-worker figures).

A step that frees hundreds of MB of short-lived cells (Python strings, NumPy
and Arrow buffers) leaves most of it in the allocators' free lists: glibc
keeps freed heap pages unless asked, and Arrow's pool keeps its own. The next
step then allocates on top, and the peak is the sum. Measured on the 3 M-row
police.uk CSV: 1.79 GB resident after the read, 1.34 GB after this.
"""

from __future__ import annotations

import ctypes

_LIBC: ctypes.CDLL | bool | None = None  # False: no C library to ask


def release_free_memory() -> None:
    """Return freed memory to the operating system: Arrow's pool, then the
    C heap (glibc's ``malloc_trim``; elsewhere nothing). Costs a heap walk:
    call it between big steps, not per row.

    Returns
    -------
    None
    """
    global _LIBC
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # noqa: BLE001 - an older pyarrow or another pool: only the memory is at stake
        pass
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL(None)  # the process's own symbols: the C library's among them
        except OSError:
            _LIBC = False
    trim = getattr(_LIBC, "malloc_trim", None) if _LIBC else None
    if trim is not None:  # glibc only (musl and macOS have none)
        trim(0)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (2**20 bytes).

    ``VmHWM`` from ``/proc/self/status`` where there is one (Linux): the
    high-water mark of this process's own memory. ``ru_maxrss`` is the
    fallback (macOS reports bytes, Linux KiB); on Linux it is carried across
    fork and exec, so a worker started by a large parent would report at
    least the parent's size.

    Returns
    -------
    float
        Peak resident set size, MB.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2.0**20 if sys.platform == "darwin" else peak / 1024.0
