"""A city's register with a bad row is rejected whole inside a real run: nothing from it is published, every row
error is kept, the other tables are published as usual."""

from __future__ import annotations

import shutil
from pathlib import Path

from sources.config import BUNDLED_REGISTERS_DIR
from tests.pipelines.conftest import BuiltWarehouse, both_files, materialize_all


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


def test_a_register_with_a_bad_row_publishes_nothing_from_it(
    built: BuiltWarehouse, warehouse_copy: Path, tmp_path: Path
) -> None:
    registers = tmp_path / "registers"
    shutil.copytree(BUNDLED_REGISTERS_DIR, registers)
    target = registers / "prevention_pyramid.csv"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[2].rstrip("\n").split(",")
    cells[header.index("pyramid_level")] = "7"
    lines[2] = ",".join(cells) + "\n"
    target.write_text("".join(lines), encoding="utf-8")

    result = materialize_all(built.data_dir, warehouse_copy, registers)

    assert result.success  # a rejected register does not stop the other tables
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "register_accepted"]
    assert not check.passed
    with both_files(warehouse_copy) as con:
        published = con.execute(
            "SELECT indicator_id, count(*) FROM published.indicator_values "
            "WHERE indicator_id LIKE 'PP_%' OR indicator_id = 'CIM_CONDITIONS' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        errors = con.execute('SELECT file, line, "column", message FROM work.staging.register_errors').fetchall()
    assert published == [("CIM_CONDITIONS", 20)]  # the other register still publishes
    assert errors == [("prevention_pyramid.csv", 3, "pyramid_level", "7 is not a pyramid level (1-4)")]
