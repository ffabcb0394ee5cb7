"""The bundled example registers in a real run: published and labelled as examples. (A register with a bad row
inside a real run: tests/pipelines/test_materialize.py, together with a quarantined cell, to share one run.)"""

from __future__ import annotations

from tests.pipelines.conftest import BuiltWarehouse, both_files


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
