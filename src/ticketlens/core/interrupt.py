"""A Ctrl-C that cannot be lost.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens to be, and some
places swallow it: a ctypes callback run from C (llvmlite's object cache, while numba loads a
kernel) reports it as "Exception ignored …" with a traceback and carries on, so a long command
would finish and commit its output as if nobody had pressed Ctrl-C. ``install`` (the CLI calls
it) also notes the request and keeps such a report quiet (the one line "interrupted" follows),
and ``check`` — called at the safe points of long work (each generated chunk) and before any
output is moved into place (``files.StagedFolder.commit``) — raises it again.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from types import FrameType

_requested: list[bool] = []


def _on_sigint(_signum: int, _frame: FrameType | None) -> None:
    _requested.append(True)
    raise KeyboardInterrupt


def _quiet_when_interrupted(report: sys.UnraisableHookArgs) -> None:
    if report.exc_type is KeyboardInterrupt and _requested:
        return  # noted: ``check`` raises it where it can be handled
    sys.__unraisablehook__(report)


def install() -> None:
    """Handle SIGINT from now on (main thread only; elsewhere nothing changes)."""
    with contextlib.suppress(ValueError):  # not the main thread: no handler can be set there
        signal.signal(signal.SIGINT, _on_sigint)
        sys.unraisablehook = _quiet_when_interrupted


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed and its interrupt went missing."""
    if _requested:
        raise KeyboardInterrupt
