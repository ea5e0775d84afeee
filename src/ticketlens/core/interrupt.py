"""A Ctrl-C that cannot be lost.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens to be, and some
places swallow it: a callback run from C (numba's compiler events, say) prints it as "Exception
ignored" and carries on, so a long command would finish and commit its output as if nobody had
pressed Ctrl-C. ``install`` (the CLI calls it) also notes the request, and ``check`` — called
at the safe points of long work (each generated chunk) and before any output is moved into
place (``files.StagedFolder.commit``) — raises it again if it was swallowed.
"""

from __future__ import annotations

import contextlib
import signal
from types import FrameType

_requested: list[bool] = []


def _on_sigint(_signum: int, _frame: FrameType | None) -> None:
    _requested.append(True)
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT from now on (main thread only; elsewhere nothing changes)."""
    with contextlib.suppress(ValueError):  # not the main thread: no handler can be set there
        signal.signal(signal.SIGINT, _on_sigint)


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed and its interrupt went missing."""
    if _requested:
        raise KeyboardInterrupt
