"""Writing an output file all at once: a temporary file beside it, moved into place at the end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ticketlens.core.errors import InputError


@contextmanager
def atomic_file(out: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success it replaces ``out``, on error it goes.

    A reader never sees a half-written file, and a failed run leaves an earlier ``out`` intact.
    """
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {out}: folder {folder} does not exist")
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=folder)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        umask = os.umask(0)
        os.umask(umask)
        temp.chmod(0o666 & ~umask)  # mkstemp makes files private; an output is not
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
