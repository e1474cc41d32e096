"""Handing memory back at a quiet point (a session's close), so a device that runs for years stays flat.

Measured on the 24-hour soak (`python -m bench.bench_soak`, docs/measurements.md, "Memory over a simulated day"): the
process's resident memory grew while Python's objects did not, and the growth was memory in use by
glibc's malloc (mallinfo2's `uordblks`) that tracemalloc did not see. Its cause is NumPy's own cache of
small array buffers (numpy/_core/src/multiarray/alloc.c, `datacache`): a freed data buffer smaller than
1024 bytes is kept, up to 7 of each byte size, for the next array of that size; these are malloc'd,
untracked, and never given back. The bound is 7 x (1 + ... + 1023) bytes, 3.7 MB, but it fills slowly:
each new small size an array happens to take (a beat window of n intervals, a chunk of k samples) adds
up to 7 buffers for good, so over a day the device's heap kept growing by 0.1-0.15 MB an hour. With the
cache emptied at every session's close and the heap trimmed, the soak's growth after the first hour fell
from +0.35 MB over hours 2-5 to +0.03 MB (the same as with the cache filled before the start).

- `release_numpy_cache()` empties that cache: it takes every cached buffer of each small size out (an
  array of that size gets one) and frees it past the cache (the array is first resized to 1 KiB, which
  NumPy reallocates without the cache, and a 1 KiB buffer is not cached when freed). About 7,000 small
  allocations, a few ms; the cache refills with what the next minutes use.
- `trim_heap()` calls glibc's `malloc_trim(0)` (malloc_trim(3)), which gives the heap's free pages back
  to the kernel. Only where glibc is the C library; elsewhere it does nothing and says so (False).
- `heap_in_use_bytes()`: glibc's count of malloc'd bytes in use (mallinfo2(3): in the heaps, `uordblks`,
  and in chunks of their own mapping, `hblkhd`; a large array moves between the two as malloc's mmap
  threshold adapts), for the benchmark and tests; None without glibc 2.33 or later.

Nothing here raises: memory not handed back is a missed saving, never a fault of the device.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# NumPy's small-buffer cache (numpy/_core/src/multiarray/alloc.c): one bucket per byte size below
# NBUCKETS, holding at most NCACHE buffers each.
NUMPY_CACHE_SIZES = 1024
NUMPY_CACHE_PER_SIZE = 7


class _MallInfo2(ctypes.Structure):
    """glibc's struct mallinfo2 (mallinfo2(3)): every field a size_t."""

    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]


_libc: Any = None
_libc_looked = False


def _glibc() -> Any:
    """The running process's C library when it is glibc (has malloc_trim), else None. Looked up once."""
    global _libc, _libc_looked
    if not _libc_looked:
        _libc_looked = True
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None)  # the symbols already loaded into this process
            except OSError:
                libc = None
            if libc is not None and hasattr(libc, "malloc_trim"):
                libc.malloc_trim.argtypes = [ctypes.c_size_t]
                libc.malloc_trim.restype = ctypes.c_int
                _libc = libc
    return _libc


def release_numpy_cache() -> int:
    """Empty NumPy's cache of small array buffers (see the module's docstring); returns the number of
    buffers taken out and freed (cached ones and, where a size held fewer, fresh ones)."""
    freed = 0
    for size in range(1, NUMPY_CACHE_SIZES):
        held = [np.empty(size, dtype=np.uint8) for _ in range(NUMPY_CACHE_PER_SIZE)]
        for buffer in held:
            # A realloc, past the cache; a buffer of NUMPY_CACHE_SIZES bytes is freed, not cached.
            buffer.resize(NUMPY_CACHE_SIZES, refcheck=False)
        freed += len(held)
        del held
    return freed


def trim_heap() -> bool:
    """glibc's malloc_trim(0): the heap's free pages go back to the kernel. False where the C library
    is not glibc (nothing is done)."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def heap_in_use_bytes() -> int | None:
    """Bytes malloc'd and in use in the process (glibc's mallinfo2: `uordblks` + `hblkhd`); None without
    glibc 2.33+."""
    libc = _glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return int(info.uordblks + info.hblkhd)


def release_memory() -> None:
    """At a quiet point (a session has closed): empty NumPy's small-buffer cache and trim the heap."""
    debug = log.isEnabledFor(logging.DEBUG)  # the heap is only read for the log
    before = heap_in_use_bytes() if debug else None
    freed = release_numpy_cache()
    trimmed = trim_heap()
    after = heap_in_use_bytes() if debug else None
    if before is not None and after is not None:
        log.debug("released memory: %d small NumPy buffers; heap in use %.2f -> %.2f MB (trimmed: %s)",
                  freed, before / 1e6, after / 1e6, trimmed)
