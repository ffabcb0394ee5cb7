"""Opening the warehouse file: a file held open for a run is shared by every connection of the run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.db import connect, held_open


def test_connections_inside_held_open_share_the_file_and_it_is_closed_after(tmp_path: Path) -> None:
    path = tmp_path / "work.duckdb"
    with held_open(path):
        with connect(path) as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
        # A read-only request inside the block reads the same instance (a separate read-only open of a file this
        # process holds read-write would be refused by DuckDB).
        with connect(path, read_only=True) as con:
            assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
        with held_open(path), connect(path) as con:  # re-entrant: the inner block does not close the file
            con.execute("INSERT INTO t VALUES (2)")
        with connect(path) as con:
            assert con.execute("SELECT count(*) FROM t").fetchall() == [(2,)]
    # Closed when the block ended: a connection with other options can open it now, and sees both rows.
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT sum(x) FROM t").fetchall() == [(3,)]


def test_held_open_releases_the_file_when_the_block_fails(tmp_path: Path) -> None:
    path = tmp_path / "work.duckdb"
    with pytest.raises(RuntimeError), held_open(path):
        with connect(path) as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
        raise RuntimeError("a step failed")
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
