"""The whole graph, materialised once on the real bundled files into a temporary DuckDB file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
    assert set(counts) == {i.indicator_id for i in CATALOGUE}
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
            SELECT o.dataset, o.geo, o.period, regexp_extract(o.dimensions, 'iccs=([^|]*)', 1) AS iccs,
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
         AND coalesce(regexp_extract(o.dimensions, 'iccs=([^|]*)', 1), '') = coalesce(v.breakdown, '')
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


def test_a_file_that_fails_to_parse_stops_the_run_and_keeps_published_tables(
    built: BuiltWarehouse, warehouse_copy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "raw"
    shutil.copytree(built.data_dir, data)
    target = data / "eurostat_crime" / "estat_crim_gen_reg.tsv"
    lines = target.read_bytes().split(b"\n")
    fields = lines[99].split(b"\t")
    fields[3] = b"12x4 "  # line 100, third year column (2010)
    lines[99] = b"\t".join(fields)
    target.write_bytes(b"\n".join(lines))
    before = published_snapshot(warehouse_copy)

    result = materialize_all(data, warehouse_copy)

    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    messages = " ".join(str(e.step_failure_data.error) for e in failures)
    assert "estat_crim_gen_reg.tsv, line 100, column 2010" in messages
    assert published_snapshot(warehouse_copy) == before


@pytest.mark.parametrize("table", ["indicator_values", "indicators", "geographies"])
def test_published_tables_and_columns_carry_comments(built: BuiltWarehouse, table: str) -> None:
    uncommented = _sql(
        built.db,
        f"SELECT column_name FROM duckdb_columns() WHERE schema_name='published' AND table_name='{table}' "
        "AND (comment IS NULL OR comment = '')",
    )
    assert uncommented == []
