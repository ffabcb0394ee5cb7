"""The checks on the published layer: each published copy of a candidate holds exactly the candidate's rows
(checked by fingerprint instead of running the candidate's suite a second time), and the check can fail."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.defs.published.assets import STAGING_SOURCE
from pipelines.defs.published.checks import published_same_as_candidate
from tests.pipelines.conftest import BuiltWarehouse, resources_for, work_db_for
from warehouse.store import table_fingerprint


def _same_rows_results(built: BuiltWarehouse) -> dict[str, bool]:
    return {
        e.asset_key.path[-1]: e.passed
        for e in built.result.get_asset_check_evaluations()
        if e.check_name == "same_rows_as_candidate"
    }


def test_every_published_copy_is_checked_against_its_candidate_in_the_run(built: BuiltWarehouse) -> None:
    assert _same_rows_results(built) == {t.name: True for t in STAGING_SOURCE}


def test_the_fingerprint_ignores_order_and_sees_a_changed_or_repeated_row(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA s")
        con.execute("CREATE TABLE s.a AS SELECT * FROM (VALUES (1, 'x', 0.5), (2, 'y', NULL)) t(id, code, v)")
        con.execute("CREATE TABLE s.same AS SELECT * FROM (VALUES (2, 'y', NULL), (1, 'x', 0.5)) t(id, code, v)")
        con.execute("CREATE TABLE s.changed AS SELECT * FROM (VALUES (1, 'x', 0.5), (2, 'y', 0.0)) t(id, code, v)")
        con.execute("CREATE TABLE s.repeated AS SELECT * FROM s.a UNION ALL SELECT * FROM s.a WHERE id = 2")
        con.execute("CREATE TABLE s.empty AS SELECT * FROM s.a WHERE false")
    a = table_fingerprint(db, "s", "a")
    assert a == table_fingerprint(db, "s", "same")
    assert a != table_fingerprint(db, "s", "changed")  # NULL -> 0.0: missing is not zero
    assert a != table_fingerprint(db, "s", "repeated")
    assert table_fingerprint(db, "s", "empty") == (0, None)


def test_a_published_table_that_is_not_its_candidate_fails_the_check(
    built: BuiltWarehouse, warehouse_copy: Path
) -> None:
    with duckdb.connect(str(work_db_for(warehouse_copy))) as con:
        con.execute("DELETE FROM staging.geographies WHERE rowid = (SELECT min(rowid) FROM staging.geographies)")
    result = dg.materialize(
        [published_same_as_candidate],
        resources=resources_for(built.data_dir, warehouse_copy),
        selection=dg.AssetSelection.checks(published_same_as_candidate),
        raise_on_error=False,
    )
    outcome = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    assert not outcome["geographies"].passed
    assert (
        outcome["geographies"].metadata["published_rows"].value
        == outcome["geographies"].metadata["candidate_rows"].value + 1
    )
    assert all(e.passed for name, e in outcome.items() if name != "geographies")
