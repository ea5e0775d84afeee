"""How ticketlens compiles its numba kernels (the SLA walks in ``clock/kernel.py``, the queue in
``queueing/kernel.py``): one setting for all of them.

Compiled code is cached on disk beside the kernel (``__pycache__``), else in
``NUMBA_CACHE_DIR``, else the user's cache folder (``~/.cache/numba``). Where none is writable
(a read-only install run without a writable home) the kernels compile in memory in each process
instead of failing.
"""

from __future__ import annotations

from numba import njit


def _probe() -> None:
    """Compiled by nobody: ``_can_cache`` only asks numba where it would cache it."""


def _can_cache() -> bool:
    try:
        njit(cache=True)(_probe)
    except RuntimeError:
        return False
    return True


CACHE = _can_cache()
# a kernel's entry points
jit = njit(nogil=True, cache=CACHE)
# the steps a kernel calls per ticket or event: inlined, so numba keeps no reference counts
# per call
step = njit(nogil=True, cache=CACHE, inline="always")
