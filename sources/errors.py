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
