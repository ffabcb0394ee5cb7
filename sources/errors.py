"""The one error type readers raise for input they cannot parse."""

from __future__ import annotations

from pathlib import Path


class SourceFormatError(ValueError):
    """A source file that cannot be read as its declared format.

    The message always names the file and, where known, the 1-based line and the column (by header name
    or 1-based position), so an engineer can open the file at the right place.
    """

    def __init__(self, path: Path | str, reason: str, line: int | None = None, column: str | None = None):
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = reason
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {reason}")


def decode_utf8(path: Path | str, data: bytes, hint: str = "") -> str:
    """UTF-8 text of a file (a BOM is dropped); undecodable bytes raise SourceFormatError at their line and
    character (counted in characters, not bytes). ``hint`` is appended to the message (e.g. how to fix it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise SourceFormatError(
            path, f"not valid UTF-8 (byte {data[exc.start]:#04x}){hint}", line, f"char {column}"
        ) from None
