"""One streaming pass over a delimited text file: content hash and physical line of every record.

DuckDB's CSV reader does not say on which physical line a record starts, and a quoted field may
hold newlines, so "row N" is not "line N + 1". This pass finds the record boundaries the way an
RFC 4180 reader does — a newline ends a record only outside quotes, i.e. when the number of
quote characters before it is even — with numpy over fixed-size chunks (bounded memory, no
per-row Python). ``reconcile`` later checks the boundaries against DuckDB's own record count and
falls back to record numbers when the two disagree (stray quotes inside unquoted fields).
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import shutil
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ticketlens.core.errors import InputError

CHUNK_BYTES = 32 * 1024 * 1024
HEAD_BYTES = 256 * 1024
NEWLINE = 10
QUOTE = ord('"')
CARRIAGE_RETURN = 13
GZIP_MAGIC = b"\x1f\x8b"
DELIMITER_BYTES = (ord(","), ord(";"), ord("\t"), ord("|"))  # csvfile's candidates


@dataclass(frozen=True)
class FileScan:
    """What one pass over the bytes found.

    ``record_starts``/``record_lines``: byte offset and 1-based physical line of every non-blank
    record in file order, header included (offsets in the decompressed stream for .gz files).
    """

    sha256: str
    size: int
    head: bytes
    record_starts: np.ndarray
    record_lines: np.ndarray
    compressed: bool
    crlf_records: int = 0  # records ending in \r\n
    lf_records: int = 0  # records ending in a bare \n
    bare_cr: int = 0  # carriage returns not followed by \n (old Mac line ends, stray bytes)
    first_bare_cr_line: int = 0
    physical_lines: int = 0  # lines of the file (\n-terminated, plus an unterminated last one)
    bare_cr_unquoted: int = 0  # of ``bare_cr``, those outside quoted fields
    first_bare_cr_unquoted_line: int = 0
    # Bytes seen right before a quote that opens a field and right after one that closes it
    # (-1: start or end of the file), in this pass's every-quote-toggles model. A reader
    # following RFC 4180 (DuckDB) agrees with the model only when these are delimiters, line
    # ends or quotes: a quote inside an unquoted field is text to it.
    quote_open_after: frozenset[int] = frozenset()
    quote_close_before: frozenset[int] = frozenset()
    # Per candidate delimiter byte: the physical lines inside a quoted field (a record's
    # lines after its first) holding at least as many of it as the header — whole rows that
    # a stray quote swallowed, unless a field really holds a row's worth of delimiters.
    row_like_inner_lines: dict[int, np.ndarray] = field(default_factory=dict)

    def quotes_agree(self, delimiter: str) -> bool:
        """Whether the record boundaries found here are the ones an RFC 4180 reader with this
        delimiter finds (every quote opens or closes a field at a field boundary)."""
        if len(delimiter) != 1:
            return False
        allowed = {-1, NEWLINE, CARRIAGE_RETURN, ord(delimiter), QUOTE}
        return self.quote_open_after <= allowed and self.quote_close_before <= allowed

    def record_spans(self) -> np.ndarray:
        """Physical lines each record covers, up to the next record (blank lines after a
        record count towards it): 1 for a one-line record, more for a multi-line field."""
        ends = np.concatenate((self.record_lines[1:], [self.physical_lines + 1]))
        return ends - self.record_lines

    @property
    def records(self) -> int:
        return len(self.record_starts)


class _HashingReader:
    """Wraps a raw file so whatever reads it (gzip) also feeds the content hash."""

    def __init__(self, raw: BinaryIO, digest: hashlib._Hash) -> None:
        self._raw = raw
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._digest.update(data)
        return data


# What a damaged gzip stream raises: BadGzipFile (an OSError: bad header, CRC, length),
# EOFError (truncated), zlib.error (a corrupt deflate block).
GZIP_ERRORS = (OSError, EOFError, zlib.error)


def gzip_error(path: Path, exc: BaseException) -> InputError:
    """The one message for a gzip file that cannot be decompressed."""
    return InputError(f"{path}: cannot read (corrupt or truncated gzip?): {exc}")


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of ``path``, decompressed when it is gzip."""
    with path.open("rb") as fh:
        head = fh.read(size)
    if head[:2] != GZIP_MAGIC:
        return head
    try:
        with gzip.open(path, "rb") as gz:
            return gz.read(size)
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from None


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# The UTF-8 copies of this process's UTF-16 inputs, by input (removed by drop_utf8_copies).
_UTF8_COPIES: dict[Path, Path] = {}


def utf8_source(path: Path, encoding: str | None = None) -> Path:
    """Where to read ``path``'s bytes: ``path`` itself, or for a UTF-16 file (a byte-order
    mark, or ``encoding`` utf-16) a UTF-8 copy made once, so the record scan (quotes and
    newlines found in bytes), line numbers and DuckDB's reader all see one text encoding."""
    if path in _UTF8_COPIES:
        return _UTF8_COPIES[path]
    if not path.is_file():
        return path
    with path.open("rb") as fh:
        head = fh.read(2)
    wanted = (encoding or "").lower().replace("_", "-") in ("utf-16", "utf16")
    if head not in UTF16_BOMS and not wanted:
        return path
    copy = Path(tempfile.mkdtemp(prefix="ticketlens-utf8-")) / path.name
    _UTF8_COPIES[path] = copy
    # without a byte-order mark: little-endian, as Windows writes it
    codec = "utf-16" if head in UTF16_BOMS else "utf-16-le"
    try:
        with (path.open(encoding=codec, newline="") as text,
              copy.open("w", encoding="utf-8", newline="") as out):
            while chunk := text.read(CHUNK_BYTES // 4):
                out.write(chunk)
    except UnicodeError as exc:
        raise InputError(f"{path}: not valid UTF-16 ({exc}): check --encoding") from None
    return copy


def drop_utf8_copies() -> None:
    """Remove the UTF-8 copies (an ingest calls this when it ends, however it ends)."""
    for copy in _UTF8_COPIES.values():
        shutil.rmtree(copy.parent, ignore_errors=True)
    _UTF8_COPIES.clear()


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def scan_file(
    path: Path, quote: int = ord('"'), on_bytes: Callable[[int], None] | None = None,
    encoding: str | None = None,
) -> FileScan:
    """Hash the file and locate every record's start offset and physical line (of its UTF-8
    copy when it is UTF-16: ``utf8_source``)."""
    path = utf8_source(path, encoding)
    digest = hashlib.sha256()
    compressed = is_gzip(path)
    finder = _RecordFinder(quote)
    head = b""
    raw = path.open("rb")
    stream: BinaryIO = (
        gzip.GzipFile(fileobj=_HashingReader(raw, digest)) if compressed else raw  # type: ignore[arg-type]
    )
    try:
        while True:
            try:
                chunk = stream.read(CHUNK_BYTES)
            except GZIP_ERRORS as exc:
                raise gzip_error(path, exc) from None
            if not chunk:
                break
            if not compressed:
                digest.update(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            finder.feed(chunk)
            if on_bytes is not None:
                on_bytes(raw.tell() if compressed else finder.offset)
    finally:
        stream.close()
        raw.close()
    return finder.result(digest.hexdigest(), path.stat().st_size, head, compressed)


class _RecordFinder:
    """Record terminators, found chunk by chunk: the quote parity, line count and a trailing
    carriage return carry over from one chunk to the next."""

    def __init__(self, quote: int) -> None:
        self.quote = quote
        self.terminators: list[np.ndarray] = []
        self.terminator_line: list[np.ndarray] = []
        self.cr_before: list[np.ndarray] = []
        self.bare_cr_offsets: list[np.ndarray] = []
        self.bare_cr_unquoted: list[np.ndarray] = []
        self.offset = 0
        self.newlines = 0
        self.quotes = 0
        self.last_byte = -1
        self.pending_cr = False  # previous chunk ended in \r
        self.open_after: set[int] = set()
        self.close_before: set[int] = set()
        self.pending_close = False  # previous chunk ended in a closing quote
        self.header_delimiters: dict[int, int] | None = None  # per candidate, in the header
        self.row_like: dict[int, list[np.ndarray]] = {}

    def feed(self, chunk: bytes) -> None:
        offset = self.offset
        data = np.frombuffer(chunk, dtype=np.uint8)
        nl = np.flatnonzero(data == NEWLINE)
        qpos = np.flatnonzero(data == self.quote)
        # Quote parity before each newline decides whether it ends a record.
        parity = (self.quotes + np.searchsorted(qpos, nl)) & 1
        ends = parity == 0
        local = nl[ends]
        self.terminators.append(local + offset)
        self.terminator_line.append(np.flatnonzero(ends) + self.newlines)
        prev = np.where(local > 0, data[np.maximum(local - 1, 0)], self.last_byte)
        self.cr_before.append(prev == CARRIAGE_RETURN)
        cr = np.flatnonzero(data == CARRIAGE_RETURN)
        if len(cr):
            following = np.where(cr + 1 < len(data), data[np.minimum(cr + 1, len(data) - 1)],
                                 -1)
            bare = cr[(following != NEWLINE) & (cr + 1 < len(data))]
            self.bare_cr_offsets.append(bare + offset)
            # A bare \r outside quotes is where a reader that takes \r as a line end (DuckDB)
            # splits a row that this pass, and RFC 4180, see as one.
            unquoted = ((self.quotes + np.searchsorted(qpos, bare)) & 1) == 0
            self.bare_cr_unquoted.append(bare[unquoted] + offset)
        if self.pending_cr and data[0] != NEWLINE:
            self.bare_cr_offsets.append(np.array([offset - 1], dtype=np.int64))
            if self.quotes % 2 == 0:  # every quote so far came before that \r
                self.bare_cr_unquoted.append(np.array([offset - 1], dtype=np.int64))
        self.pending_cr = data[-1] == CARRIAGE_RETURN
        self._quote_context(data, qpos)
        self._row_like_inner_lines(data, nl, ends)
        self.newlines += len(nl)
        self.quotes += len(qpos)
        self.last_byte = int(data[-1])
        self.offset += len(chunk)

    def _row_like_inner_lines(self, data: np.ndarray, nl: np.ndarray, ends: np.ndarray) -> None:
        """Lines that start inside a quoted field and hold a row's worth of delimiters (the
        header's count); the header is the first non-blank line (within the first chunk)."""
        if self.header_delimiters is None:
            text = bytes(data[: int(nl[ends][0]) if ends.any() else len(data)]).lstrip(b"\r\n")
            header = text.split(b"\n", 1)[0]
            self.header_delimiters = {d: header.count(bytes([d])) for d in DELIMITER_BYTES
                                      if header.count(bytes([d]))}
        inner = np.flatnonzero(~ends)  # indices (into nl) of newlines inside quotes
        if not len(inner) or not self.header_delimiters:
            return
        line_end = np.append(nl, len(data))[inner + 1]
        for byte, need in self.header_delimiters.items():
            at = np.flatnonzero(data == byte)
            counts = np.searchsorted(at, line_end) - np.searchsorted(at, nl[inner])
            hits = inner[counts >= need]
            if len(hits):  # the line after newline k of the file is line k + 2
                self.row_like.setdefault(byte, []).append(hits + self.newlines + 2)

    def _quote_context(self, data: np.ndarray, qpos: np.ndarray) -> None:
        """Record the bytes around opening and closing quotes (distinct values only)."""
        if self.pending_close:
            self.close_before.add(int(data[0]))
        self.pending_close = False
        if not len(qpos):
            return
        opening = ((self.quotes + np.arange(len(qpos))) & 1) == 0
        before = np.where(qpos > 0, data[np.maximum(qpos - 1, 0)], self.last_byte)
        if self.offset == 0 and qpos[0] == 3 and bytes(data[:3]) == b"\xef\xbb\xbf":
            before[0] = -1  # right after a UTF-8 byte-order mark: the file's start
        self.open_after.update(np.unique(before[opening]).tolist())
        closing = qpos[~opening]
        inside = closing[closing + 1 < len(data)]
        self.close_before.update(np.unique(data[inside + 1]).tolist())
        self.pending_close = bool(len(closing)) and int(closing[-1]) == len(data) - 1

    def result(self, sha256: str, size: int, head: bytes, compressed: bool) -> FileScan:
        """The records between the terminators, blank lines dropped."""
        offset, last_byte = self.offset, self.last_byte
        ends_at = np.concatenate(self.terminators) if self.terminators else np.empty(0, np.int64)
        end_lines = (np.concatenate(self.terminator_line) if self.terminator_line
                     else np.empty(0, np.int64))
        cr_flags = np.concatenate(self.cr_before) if self.cr_before else np.empty(0, bool)
        # Record k starts right after terminator k-1 (the first at offset 0) and ends at
        # terminator k (the last at end of file when the file does not end with a newline).
        starts = np.concatenate(([0], ends_at + 1)).astype(np.int64)
        lines = np.concatenate(([1], end_lines + 2)).astype(np.int64)
        stops = np.concatenate((ends_at, [offset])).astype(np.int64)
        crs = np.concatenate((cr_flags, [last_byte == CARRIAGE_RETURN]))
        length = stops - starts
        blank = (length == 0) | ((length == 1) & crs)
        # The empty "record" after a final newline is not a line of the file.
        trailing = np.zeros(len(starts), dtype=bool)
        if len(starts) and starts[-1] >= offset:
            trailing[-1] = True
        keep = ~blank & ~trailing
        bare_offsets = (np.concatenate(self.bare_cr_offsets) if self.bare_cr_offsets
                        else np.empty(0, np.int64))
        unquoted = (np.concatenate(self.bare_cr_unquoted) if self.bare_cr_unquoted
                    else np.empty(0, np.int64))
        physical = self.newlines + (1 if offset and last_byte != NEWLINE else 0)

        def line_of(at: int) -> int:
            record = int(np.searchsorted(starts, at, side="right")) - 1
            return int(lines[max(record, 0)])
        return FileScan(
            sha256=sha256,
            size=size,
            head=head,
            record_starts=starts[keep],
            record_lines=lines[keep],
            compressed=compressed,
            crlf_records=int(cr_flags.sum()),
            lf_records=int(len(cr_flags) - cr_flags.sum()),
            bare_cr=len(bare_offsets),
            first_bare_cr_line=line_of(int(bare_offsets[0])) if len(bare_offsets) else 0,
            physical_lines=physical,
            bare_cr_unquoted=len(unquoted),
            first_bare_cr_unquoted_line=line_of(int(unquoted[0])) if len(unquoted) else 0,
            quote_open_after=frozenset(self.open_after),
            quote_close_before=frozenset(self.close_before),
            row_like_inner_lines={b: np.concatenate(v) for b, v in self.row_like.items()},
        )
