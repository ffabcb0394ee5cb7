"""The bundled example registers in a real run: published and labelled as examples. (A register with a bad row
inside a real run: tests/pipelines/test_materialize.py, together with a quarantined cell, to share one run.)"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
from sources.registers import COLLECTIVE_IMPACT_SCHEMA, PREVENTION_SCHEMA
from tests.pipelines.conftest import BuiltWarehouse, both_files, resources_for, work_db_for
from warehouse.db import connect


def test_example_registers_are_published_and_labelled(built: BuiltWarehouse) -> None:
    with both_files(built.db) as con:
        rows = con.execute(
            "SELECT indicator_id, count(*), bool_and(note LIKE '%EXAMPLE DATA%') FROM published.indicator_values "
            "WHERE indicator_id IN ('PP_LEVEL_SHARE', 'PP_BALANCE', 'CIM_CONDITIONS') GROUP BY 1 ORDER BY 1"
        ).fetchall()
        errors = con.execute("SELECT count(*) FROM work.staging.register_errors").fetchall()[0][0]
    assert [r[0] for r in rows] == ["CIM_CONDITIONS", "PP_BALANCE", "PP_LEVEL_SHARE"]
    assert all(labelled for _, _, labelled in rows)
    assert errors == 0


def test_a_missing_register_file_is_an_empty_table_with_the_register_columns(
    built: BuiltWarehouse, warehouse_copy: Path, tmp_path: Path
) -> None:
    """Regression: with no register files the run crashed writing a frame without columns; the assets promise an
    empty table (docs/registers.md), with the register's columns, and no indicator values from it."""
    empty_folder = tmp_path / "no_registers"
    empty_folder.mkdir()
    result = dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        selection=[
            dg.AssetKey(["staging", name])
            for name in ("prevention_measures", "collective_impact_initiatives", "register_errors")
        ]
        + [dg.AssetKey(["staging", "register_indicator_values"])],
        resources=resources_for(built.data_dir, warehouse_copy, empty_folder),
        raise_on_error=False,
    )
    assert result.success
    with connect(work_db_for(warehouse_copy), read_only=True) as con:
        measures = con.sql("SELECT * FROM staging.prevention_measures").pl()
        initiatives = con.sql("SELECT * FROM staging.collective_impact_initiatives").pl()
        values = con.execute("SELECT count(*) FROM staging.register_indicator_values").fetchall()[0][0]
    assert measures.height == initiatives.height == values == 0
    assert set(PREVENTION_SCHEMA) <= set(measures.columns)
    assert "programme_title" in measures.columns  # linked to the ESIF programmes as when the register exists
    assert list(initiatives.schema) == list(COLLECTIVE_IMPACT_SCHEMA)
    [materialisation] = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["staging", "prevention_measures"])
    ]
    assert materialisation.metadata["prevention_pyramid"].value == "missing"
