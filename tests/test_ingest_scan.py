"""The record scan: every record's physical line, whatever the chunk boundaries.

The scan reads the file in chunks and carries the quote parity, the line count and a trailing
carriage return from one chunk to the next; splitting the same bytes at every possible place
must find the same records.
"""

from __future__ import annotations

import gzip
from dataclasses import asdict

import numpy as np
import pytest

from ticketlens.sources.ingest import scan

# A blank first line, CRLF and LF line ends, a quoted newline, a CRLF blank line, a bare carriage
# return inside a record, escaped quotes, and a final newline.
TEXT = b'\n"id","note"\r\n1,"two\nlines"\r\n\r\n2,plain\r3,x\n4,"a ""quoted"" word"\n'


def _plain(found: scan.FileScan) -> dict:
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in asdict(found).items()}


def test_records_lines_and_line_ends(tmp_path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(TEXT)
    found = scan.scan_file(path)
    assert found.record_lines.tolist() == [2, 3, 6, 7]
    assert found.record_starts.tolist() == [1, 14, 31, 43]
    assert (found.crlf_records, found.lf_records) == (3, 3)
    assert (found.bare_cr, found.first_bare_cr_line) == (1, 6)
    assert not found.compressed and found.size == len(TEXT)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 13])
@pytest.mark.parametrize("compressed", [False, True])
def test_chunk_boundaries_do_not_change_the_scan(tmp_path, monkeypatch, chunk, compressed) -> None:
    path = tmp_path / ("f.csv.gz" if compressed else "f.csv")
    path.write_bytes(gzip.compress(TEXT, mtime=0) if compressed else TEXT)
    whole = _plain(scan.scan_file(path))
    monkeypatch.setattr(scan, "CHUNK_BYTES", chunk)
    progress: list[int] = []
    assert _plain(scan.scan_file(path, on_bytes=progress.append)) == whole
    assert progress[-1] == path.stat().st_size
    assert whole["compressed"] is compressed
