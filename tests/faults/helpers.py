"""Byte-level edits of COPIES of the real files, for the fault-injection suite.

Every helper takes the file's bytes and returns new bytes; nothing here opens a file in data/raw for writing. Each
edit checks the text it replaces, so a different release of a file fails loudly instead of testing something else.
Line endings (LF or CRLF) and a BOM are preserved.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable

Mutation = Callable[[bytes], bytes]


def _split(data: bytes) -> list[bytes]:
    """The file's lines, each with its line ending."""
    return data.splitlines(keepends=True)


def _body_and_eol(line: bytes) -> tuple[bytes, bytes]:
    for eol in (b"\r\n", b"\n"):
        if line.endswith(eol):
            return line[: -len(eol)], eol
    return line, b""


def edit_line(lineno: int, edit: Callable[[str], str]) -> Mutation:
    """Replace the text of 1-based line ``lineno`` by ``edit(text)``, keeping its line ending."""

    def mutate(data: bytes) -> bytes:
        lines = _split(data)
        body, eol = _body_and_eol(lines[lineno - 1])
        lines[lineno - 1] = edit(body.decode("utf-8")).encode("utf-8") + eol
        return b"".join(lines)

    return mutate


def replace_in_line(lineno: int, old: str, new: str) -> Mutation:
    """Replace the one occurrence of ``old`` in line ``lineno``."""

    def edit(text: str) -> str:
        assert text.count(old) == 1, f"line {lineno}: expected one {old!r} in {text[:120]!r}"
        return text.replace(old, new)

    return edit_line(lineno, edit)


def set_tsv_cell(lineno: int, period: str, new: str, expect: str) -> Mutation:
    """Set the cell of ``period`` (found by header name) on TSV line ``lineno``; the old cell must be ``expect``."""

    def mutate(data: bytes) -> bytes:
        header = _body_and_eol(_split(data)[0])[0].decode("utf-8").removeprefix("\ufeff").split("\t")
        position = [h.strip() for h in header].index(period)

        def edit(text: str) -> str:
            fields = text.split("\t")
            assert fields[position] == expect, f"line {lineno}, {period}: {fields[position]!r} != {expect!r}"
            fields[position] = new
            return "\t".join(fields)

        return edit_line(lineno, edit)(data)

    return mutate


def set_csv_field(lineno: int, column: str, new: str, expect: str) -> Mutation:
    """Set the field ``column`` (by header name) of the one-line CSV record on ``lineno``."""

    def mutate(data: bytes) -> bytes:
        header = next(csv.reader([_body_and_eol(_split(data)[0])[0].decode("utf-8")]))
        position = header.index(column)

        def edit(text: str) -> str:
            record = next(csv.reader([text]))
            assert record[position] == expect, f"line {lineno}, {column}: {record[position]!r} != {expect!r}"
            record[position] = new
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(record)
            return out.getvalue()

        return edit_line(lineno, edit)(data)

    return mutate


def append_line(text: str) -> Mutation:
    """Add a line at the end, with the file's own line ending."""

    def mutate(data: bytes) -> bytes:
        eol = b"\r\n" if data.endswith(b"\r\n") else b"\n"
        return data + text.encode("utf-8") + eol

    return mutate


def copy_line_to_end(lineno: int, edit: Callable[[str], str] = lambda t: t) -> Mutation:
    """Append a copy of line ``lineno`` (optionally edited) at the end of the file."""

    def mutate(data: bytes) -> bytes:
        body, eol = _body_and_eol(_split(data)[lineno - 1])
        return data + edit(body.decode("utf-8")).encode("utf-8") + eol

    return mutate


def replace_once(old: bytes, new: bytes) -> Mutation:
    """Replace the one occurrence of ``old`` anywhere in the file."""

    def mutate(data: bytes) -> bytes:
        assert data.count(old) == 1, f"expected one {old!r}, found {data.count(old)}"
        return data.replace(old, new)

    return mutate


def replace_all(old: bytes, new: bytes, count: int) -> Mutation:
    def mutate(data: bytes) -> bytes:
        assert data.count(old) == count, f"expected {count} x {old!r}, found {data.count(old)}"
        return data.replace(old, new)

    return mutate


def keep_lines(n: int) -> Mutation:
    """Only the first ``n`` lines."""
    return lambda data: b"".join(_split(data)[:n])


def cut_end(n_bytes: int) -> Mutation:
    """Drop the last ``n_bytes`` bytes (a download that stopped early)."""
    return lambda data: data[:-n_bytes]


def cut_after(marker: bytes) -> Mutation:
    """Keep everything up to and including the first ``marker``."""

    def mutate(data: bytes) -> bytes:
        assert marker in data, marker
        return data[: data.index(marker) + len(marker)]

    return mutate


def prepend(prefix: bytes) -> Mutation:
    return lambda data: prefix + data


def empty(_: bytes) -> bytes:
    return b""


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def truncated_gzip(fraction: float) -> Mutation:
    """Gzip the content and keep only the first ``fraction`` of the compressed bytes."""

    def mutate(data: bytes) -> bytes:
        packed = gzipped(data)
        return packed[: int(len(packed) * fraction)]

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(data: bytes) -> bytes:
        for m in mutations:
            data = m(data)
        return data

    return mutate


def insert_bytes(lineno: int, offset: int, raw: bytes) -> Mutation:
    """Insert raw bytes (e.g. an undecodable 0xff) at byte ``offset`` of line ``lineno``."""

    def mutate(data: bytes) -> bytes:
        lines = _split(data)
        line = lines[lineno - 1]
        lines[lineno - 1] = line[:offset] + raw + line[offset:]
        return b"".join(lines)

    return mutate


def replace_bytes_in_line(lineno: int, old: bytes, new: bytes) -> Mutation:
    """Replace the one occurrence of ``old`` in line ``lineno``, byte for byte (to write non-UTF-8 bytes)."""

    def mutate(data: bytes) -> bytes:
        lines = _split(data)
        assert lines[lineno - 1].count(old) == 1, f"line {lineno}: expected one {old!r}"
        lines[lineno - 1] = lines[lineno - 1].replace(old, new)
        return b"".join(lines)

    return mutate
