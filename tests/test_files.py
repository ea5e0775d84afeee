"""Outputs are written all at once, and a failure names the user's path, not a temporary file."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest

from ticketlens.analyses.kpi.api import write_tables
from ticketlens.core.errors import InputError
from ticketlens.core.files import StagedFolder, atomic_file, atomic_files


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "facts.csv"
    out.write_text("earlier\n")
    with pytest.raises(RuntimeError), atomic_file(out) as temp:
        temp.write_text("half")
        raise RuntimeError("writer broke")
    assert out.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["facts.csv"]


def test_a_finished_write_replaces_the_file_readable_by_others(tmp_path: Path) -> None:
    out = tmp_path / "facts.csv"
    with atomic_file(out) as temp:
        temp.write_text("new\n")
    assert out.read_text() == "new\n" and out.stat().st_mode & 0o044  # not private


def test_errors_name_the_users_path_not_the_temporary_one(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "facts.csv"
    with (pytest.raises(InputError, match=r"cannot write .*no-such-folder/facts\.csv: folder"),
          atomic_file(missing)):
        pass
    out = tmp_path / "facts.parquet"
    with pytest.raises(InputError) as caught, atomic_file(out) as temp:
        raise OSError(errno.ENOSPC, "No space left on device", str(temp))
    assert str(caught.value) == f"cannot write {out}: No space left on device"


def test_several_files_appear_together_or_not_at_all(tmp_path: Path) -> None:
    outs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    with pytest.raises(RuntimeError), atomic_files(outs) as temps:
        temps[0].write_text("a")
        raise RuntimeError("second file failed")
    assert list(tmp_path.iterdir()) == []
    with atomic_files(outs) as temps:
        for temp, text in zip(temps, ("a", "b"), strict=True):
            temp.write_text(text)
    assert [p.read_text() for p in outs] == ["a", "b"]


def test_kpi_out_writes_every_table_in_every_format(tmp_path: Path) -> None:
    tables = {"kpi_x": pd.DataFrame({"n": [1, 2]}), "kpi_y": pd.DataFrame({"v": ["a"]})}
    write_tables(tables, tmp_path / "kpi", ("parquet", "csv"))
    assert sorted(p.name for p in (tmp_path / "kpi").iterdir()) == [
        "kpi_x.csv", "kpi_x.parquet", "kpi_y.csv", "kpi_y.parquet"]
    assert pd.read_parquet(tmp_path / "kpi" / "kpi_x.parquet")["n"].tolist() == [1, 2]
    assert (tmp_path / "kpi" / "kpi_y.csv").read_text() == "v\na\n"


def test_a_staged_folder_replaces_the_earlier_one_only_on_commit(tmp_path: Path) -> None:
    out = tmp_path / "desk"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with StagedFolder(out) as staged:
        (staged.path / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["old.txt"]  # not committed: nothing changed
    with StagedFolder(out) as staged:
        (staged.path / "new.txt").write_text("new")
        staged.commit()
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk"]


def test_a_committed_folder_gets_the_mode_mkdir_gives(tmp_path: Path) -> None:
    """Not drwx------ (mkdtemp's private mode): a colleague can open a generated desk."""
    import os
    import stat

    umask = os.umask(0o022)
    try:
        with StagedFolder(tmp_path / "desk") as staged:
            (staged.path / "events.csv").write_text("x\n")
            staged.commit()
        (tmp_path / "plain").mkdir()
        mode = stat.S_IMODE((tmp_path / "desk").stat().st_mode)
        assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o755
    finally:
        os.umask(umask)
