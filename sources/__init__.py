"""Readers for the bundled (and, later, fetched) open data files. No Dagster, no DuckDB: each reader
takes a path and returns Polars frames, or raises :class:`sources.errors.SourceFormatError` naming the
file, line and column of the first problem."""
