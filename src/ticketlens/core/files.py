"""Writing output all at once: files and folders are written beside their destination under a
temporary name and moved into place at the end, so a reader never sees half an output and a
failed run leaves an earlier one intact. Errors name the user's path, never the temporary one.

* ``atomic_file(out)`` / ``atomic_files(outs)``: one file, or several that appear together;
* ``StagedFolder(out)``: a whole folder (a generated desk), swapped in by ``commit()``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from ticketlens.core import interrupt
from ticketlens.core.errors import InputError


def _folder(out: Path) -> Path:
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {out}: folder {folder} does not exist")
    return folder


def _cannot_write(out: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write {out}: {exc.strerror or exc}")


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def make_folder(out: Path) -> Path:
    """Create the folder ``out`` (and its parents); an error names ``out``."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(out, exc) from exc
    return out


@contextmanager
def atomic_files(outs: Sequence[Path]) -> Iterator[list[Path]]:
    """Yield a temporary path beside each of ``outs``; on success each replaces its ``out``,
    on error they all go (and no ``out`` changes)."""
    temps: list[Path] = []
    try:
        for out in outs:
            try:
                handle, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=_folder(out))
            except OSError as exc:
                raise _cannot_write(out, exc) from exc
            os.close(handle)
            temps.append(Path(name))
        try:
            yield temps
        except OSError as exc:  # the writer failed: say which output, not which temp file
            raise _cannot_write(outs[0] if len(outs) == 1 else outs[0].parent, exc) from exc
        umask = _umask()
        for temp, out in zip(temps, outs, strict=True):
            temp.chmod(0o666 & ~umask)  # mkstemp makes files private; an output is not
            try:
                os.replace(temp, out)
            except OSError as exc:
                raise _cannot_write(out, exc) from exc
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


@contextmanager
def atomic_file(out: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success it replaces ``out``, on error it goes.

    A reader never sees a half-written file, and a failed run leaves an earlier ``out`` intact.
    """
    with atomic_files([out]) as (temp,):
        yield temp


class StagedFolder:
    """A temporary folder beside ``out``; ``commit`` moves it into place (replacing an earlier
    ``out``). ``check(out)`` runs before starting and again before the swap: it raises when
    ``out`` may not be replaced."""

    def __init__(self, out: Path, check: Callable[[Path], None] | None = None) -> None:
        self.out, self._check = out, check or (lambda _out: None)
        self._check(out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
            # mkdtemp makes the folder private (0700); an output folder gets mkdir's mode
            self.path.chmod(0o777 & ~_umask())
        except OSError as exc:
            raise _cannot_write(out, exc) from exc

    def __enter__(self) -> StagedFolder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> None:
        interrupt.check()  # a Ctrl-C swallowed on the way must not publish the output
        self._check(self.out)
        old = None
        try:
            if self.out.exists():
                old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
                self.out.rename(old)
            self.path.rename(self.out)
        except OSError as exc:
            raise _cannot_write(self.out, exc) from exc
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


__all__ = ["StagedFolder", "atomic_file", "atomic_files", "make_folder"]
