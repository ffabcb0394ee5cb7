"""The whole graph, materialised once on the real bundled files into a temporary DuckDB file."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from sources.config import BUNDLED_REGISTERS_DIR
from tests.pipelines.conftest import BuiltWarehouse, both_files, materialize_all, published_snapshot
from warehouse.catalogue import CATALOGUE


def _sql(db: Path, query: str) -> list[tuple]:
    """Run a query on the analysts' file, with the pipeline's working file attached as `work`."""
    with both_files(db) as con:
        return con.execute(query).fetchall()


def test_whole_graph_succeeds_with_every_check_passing(built: BuiltWarehouse) -> None:
    assert built.result.success
    evaluations = built.result.get_asset_check_evaluations()
    assert len(evaluations) >= 8
    assert [e.check_name for e in evaluations if not e.passed] == []


def test_published_tables_have_rows_for_every_catalogued_indicator(built: BuiltWarehouse) -> None:
    counts = dict(_sql(built.db, "SELECT indicator_id, count(*) FROM published.indicator_values GROUP BY 1"))
    local = dict(_sql(built.db, "SELECT indicator_id, count(*) FROM published.local_indicator_values GROUP BY 1"))
    assert not set(counts) & set(local)
    assert set(counts) | set(local) == {i.indicator_id for i in CATALOGUE}
    assert counts["SEC_RECORDED_RATE"] > 80_000
    assert counts["SEC_HOM_COUNT_CITY"] > 400
    levels = {r[0] for r in _sql(built.db, "SELECT DISTINCT geo_level FROM published.indicator_values")}
    assert levels == {"NUTS0", "NUTS1", "NUTS2", "NUTS3", "CITY", "MULTI_COUNTRY"}
    catalogued = {r[0] for r in _sql(built.db, "SELECT indicator_id FROM published.indicators")}
    assert catalogued == {i.indicator_id for i in CATALOGUE}


def test_every_catalogued_indicator_covers_every_territory_its_sources_cover(built: BuiltWarehouse) -> None:
    """Survey indicators: every city of urb_percep and every country of EU-SILC that the sources cover has rows."""
    missing = _sql(
        built.db,
        """
        SELECT DISTINCT o.geo FROM work.staging.observations o
        WHERE o.dataset = 'urb_percep' AND o.value IS NOT NULL
          AND o.geo NOT IN (SELECT geo_code FROM published.indicator_values WHERE source_dataset = 'urb_percep')
        """,
    )
    assert missing == []
    silc = _sql(
        built.db,
        """
        SELECT DISTINCT o.geo FROM work.staging.observations o
        WHERE o.dataset LIKE 'ilc_%' AND o.value IS NOT NULL AND length(o.geo) = 2 AND o.geo NOT LIKE 'E_'
          AND o.geo NOT IN (SELECT geo_code FROM published.indicator_values WHERE source_dataset LIKE 'ilc_%')
        """,
    )
    assert silc == []


def test_every_row_brackets_its_value_and_rates_follow_the_formula(built: BuiltWarehouse) -> None:
    bad_ci = _sql(
        built.db, "SELECT count(*) FROM published.indicator_values WHERE NOT (ci_low <= value AND value <= ci_high)"
    )[0][0]
    bad_rate = _sql(
        built.db,
        "SELECT count(*) FROM published.indicator_values WHERE indicator_id = 'SEC_RECORDED_RATE' "
        "AND abs(value - numerator / denominator * 100000) > 1e-9 * value",
    )[0][0]
    assert (bad_ci, bad_rate) == (0, 0)


def test_source_flags_reach_the_published_row(built: BuiltWarehouse) -> None:
    """Every flag of the source count and of the population used is in the published obs_status."""
    missing = _sql(
        built.db,
        """
        WITH src AS (
            SELECT o.dataset, o.geo, o.period, o.iccs,
                   coalesce(o.obs_status, '') || coalesce(p.obs_status, '') AS flags
            FROM work.staging.observations o JOIN work.staging.population p USING (geo, period)
            WHERE o.dataset IN ('crim_off_cat', 'crim_gen_reg') AND o.unit = 'NR' AND o.value IS NOT NULL
        )
        SELECT count(*) FROM published.indicator_values v
        JOIN src ON src.geo = v.geo_code AND src.period = v.period AND src.iccs = v.breakdown
             AND src.dataset = split_part(v.source_dataset, ' / ', 1)
        WHERE len(src.flags) > 0
          AND NOT list_bool_and(
                list_transform(string_split(src.flags, ''), lambda f: contains(coalesce(v.obs_status, ''), f)))
        """,
    )[0][0]
    flagged = _sql(built.db, "SELECT count(*) FROM published.indicator_values WHERE obs_status IS NOT NULL")[0][0]
    assert missing == 0
    assert flagged > 1000  # the population flags b, p, e really are carried


def test_missing_source_values_are_never_published_as_zero(built: BuiltWarehouse) -> None:
    leaked = _sql(
        built.db,
        """
        SELECT count(*) FROM published.indicator_values v JOIN work.staging.observations o
          ON v.indicator_id IN ('SEC_RECORDED_RATE', 'SEC_HOM_COUNT_CITY')
         AND o.geo = v.geo_code AND o.period = v.period AND o.unit = 'NR'
         AND o.dataset = split_part(v.source_dataset, ' / ', 1)
         AND coalesce(o.iccs, '') = coalesce(v.breakdown, '')
        WHERE o.value IS NULL
        """,
    )[0][0]
    assert leaked == 0


def test_dropped_observations_are_counted_by_reason_in_the_run_metadata(built: BuiltWarehouse) -> None:
    [materialization] = list(built.result.asset_materializations_for_node("staging__crime_indicator_values"))
    reasons = materialization.metadata["dropped_by_reason"].value
    assert reasons["SEC_RECORDED_RATE / crim_gen_reg / extra_regio"] > 0
    assert reasons["SEC_RECORDED_RATE / crim_gen_reg / no_population"] > 0
    assert sum(reasons.values()) == materialization.metadata["dropped_total"].value


def test_geographies_cover_every_published_territory(built: BuiltWarehouse) -> None:
    orphans = _sql(
        built.db,
        "SELECT count(*) FROM (SELECT DISTINCT geo_code FROM published.indicator_values) v "
        "ANTI JOIN published.geographies g USING (geo_code)",
    )[0][0]
    broken_parents = _sql(
        built.db,
        "SELECT count(*) FROM published.geographies c ANTI JOIN published.geographies p "
        "ON c.parent_code = p.geo_code WHERE c.parent_code IS NOT NULL",
    )[0][0]
    vienna = _sql(built.db, "SELECT name, geo_level, parent_code FROM published.geographies WHERE geo_code='AT001C'")
    assert (orphans, broken_parents) == (0, 0)
    assert vienna == [("Wien (greater city)", "CITY", "AT")]  # the Urban Audit C code is the greater city


def test_second_run_leaves_published_tables_identical(built: BuiltWarehouse, warehouse_copy: Path) -> None:
    before = published_snapshot(warehouse_copy)
    result = materialize_all(built.data_dir, warehouse_copy)
    assert result.success
    assert published_snapshot(warehouse_copy) == before


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_with_line_edit(src_dir: Path, dst_dir: Path, relpath: str, line: int, edit) -> None:
    shutil.copytree(src_dir, dst_dir)
    target = dst_dir / relpath
    lines = target.read_bytes().split(b"\n")
    lines[line - 1] = edit(lines[line - 1])
    target.write_bytes(b"\n".join(lines))


def test_a_structurally_broken_file_stops_the_run_and_leaves_the_analysts_file_byte_identical(
    built: BuiltWarehouse, warehouse_copy: Path, tmp_path: Path
) -> None:
    # Line 100 of crim_gen_reg gets an extra field: the columns no longer line up (structural, not one cell).
    _copy_with_line_edit(
        built.data_dir, tmp_path / "raw", "eurostat_crime/estat_crim_gen_reg.tsv", 100, lambda line: line + b"\t5 "
    )
    before = _sha256(warehouse_copy)

    result = materialize_all(tmp_path / "raw", warehouse_copy)

    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    messages = " ".join(str(e.step_failure_data.error) for e in failures)
    assert "estat_crim_gen_reg.tsv, line 100, column" in messages
    assert _sha256(warehouse_copy) == before


def test_row_level_problems_are_set_aside_and_everything_else_is_published(
    built: BuiltWarehouse, warehouse_copy: Path, tmp_path: Path
) -> None:
    """One run with a bad cell in a source file and a bad row in a city register: the cell is quarantined with
    file, line and column; the register is rejected whole with its row error; everything else is published."""

    def break_2010(line: bytes) -> bytes:
        fields = line.split(b"\t")
        fields[10] = b"12x4 "  # line 100 (ICCS0101, BE256), column 2017
        return b"\t".join(fields)

    _copy_with_line_edit(built.data_dir, tmp_path / "raw", "eurostat_crime/estat_crim_gen_reg.tsv", 100, break_2010)
    registers = tmp_path / "registers"
    shutil.copytree(BUNDLED_REGISTERS_DIR, registers)
    register = registers / "prevention_pyramid.csv"
    lines = register.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[2].rstrip("\n").split(",")
    cells[header.index("pyramid_level")] = "7"
    lines[2] = ",".join(cells) + "\n"
    register.write_text("".join(lines), encoding="utf-8")

    result = materialize_all(tmp_path / "raw", warehouse_copy, registers)

    assert result.success
    with both_files(warehouse_copy) as con:
        rows = con.execute(
            'SELECT source_file, line, "column", reason, value_raw FROM work.staging.quarantine'
        ).fetchall()
    assert rows == [("estat_crim_gen_reg.tsv", 100, "2017", "unparseable_value", "12x4")]
    [materialization] = list(result.asset_materializations_for_node("raw__crim_gen_reg"))
    assert materialization.metadata["quarantined_rows"].value == 1
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "nothing_quarantined"]
    assert not check.passed  # a warning the engineer sees in the UI
    key = (
        "SELECT count(*) FROM published.indicator_values WHERE indicator_id = 'SEC_RECORDED_RATE' "
        "AND breakdown = 'ICCS0101' AND geo_code = 'BE256' AND period = '2017' AND series_variant = 'regional_table'"
    )
    assert (_sql(built.db, key)[0][0], _sql(warehouse_copy, key)[0][0]) == (1, 0)  # that one value, and only it
    pp = "SELECT count(*) FROM published.indicator_values WHERE indicator_id LIKE 'PP_%'"
    pp_rows = _sql(built.db, pp)[0][0]
    assert pp_rows > 0 and _sql(warehouse_copy, pp)[0][0] == 0  # nothing from the rejected register
    total = "SELECT count(*) FROM published.indicator_values"
    assert _sql(warehouse_copy, total)[0][0] == _sql(built.db, total)[0][0] - 1 - pp_rows
    cim = "SELECT count(*) FROM published.indicator_values WHERE indicator_id = 'CIM_CONDITIONS'"
    assert _sql(warehouse_copy, cim) == _sql(built.db, cim)  # the other register still publishes
    errors = _sql(warehouse_copy, 'SELECT file, line, "column", message FROM work.staging.register_errors')
    assert errors == [("prevention_pyramid.csv", 3, "pyramid_level", "7 is not a pyramid level (1-4)")]
    [register_check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "register_accepted"]
    assert not register_check.passed


@pytest.mark.parametrize("table", ["indicator_values", "indicators", "geographies"])
def test_published_tables_and_columns_carry_comments(built: BuiltWarehouse, table: str) -> None:
    uncommented = _sql(
        built.db,
        f"SELECT column_name FROM duckdb_columns() WHERE schema_name='published' AND table_name='{table}' "
        "AND (comment IS NULL OR comment = '')",
    )
    assert uncommented == []
