"""Action 5 registers entered by cities: the Prevention Pyramid (measures) and Collective Impact (initiatives).

A register with any bad row is rejected whole: nothing from it is published, and every row error (file, line,
column, reason) lands in staging.register_errors and fails the `register_accepted` check.
"""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING
from pipelines.defs.sources.assets import REGISTERS, source_key
from pipelines.resources import UrbanSafetyPaths
from sources.config import registers_are_example
from sources.registers import (
    COLLECTIVE_IMPACT_SCHEMA,
    PREVENTION_SCHEMA,
    RegisterResult,
    read_collective_impact_register,
    read_prevention_register,
)
from transforms.prevention import collective_impact_indicators, link_esif, prevention_pyramid_indicators
from warehouse.catalogue import CATALOGUE_BY_ID
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, empty_frame

PREVENTION_FILE = "prevention_pyramid.csv"
COLLECTIVE_IMPACT_FILE = "collective_impact.csv"
ERROR_SCHEMA = {"register": pl.String, "file": pl.String, "line": pl.Int64, "column": pl.String, "message": pl.String}


def _errors(register: str, result: RegisterResult | None) -> pl.DataFrame:
    rows = [(register, e.file, e.line, e.column, e.message) for e in (result.errors if result else [])]
    return pl.DataFrame(rows, schema=ERROR_SCHEMA, orient="row")


@dg.multi_asset(
    outs={
        "prevention_measures": dg.AssetOut(
            key=["staging", "prevention_measures"],
            io_manager_key="warehouse_io",
            kinds={"polars", "duckdb"},
            description="Accepted Prevention Pyramid measures (one row per local measure), linked to the ESIF "
            "programme they name; empty when the register is missing or rejected.",
            metadata={"comment": "Prevention Pyramid register rows as accepted."},
        ),
        "collective_impact_initiatives": dg.AssetOut(
            key=["staging", "collective_impact_initiatives"],
            io_manager_key="warehouse_io",
            kinds={"polars", "duckdb"},
            description="Accepted Collective Impact initiatives (five conditions rated 0-3); empty when the register "
            "is missing or rejected.",
            metadata={"comment": "Collective Impact register rows as accepted."},
        ),
        "register_errors": dg.AssetOut(
            key=["staging", "register_errors"],
            io_manager_key="warehouse_io",
            kinds={"polars", "duckdb"},
            description="Every row-level error of the registers: file, line, column and what to correct.",
            metadata={"comment": "Row errors of the Action 5 registers (a register with errors is not published)."},
        ),
    },
    ins={"city_codes": dg.AssetIn(key=["raw", "city_codes"]), "esif_planned": dg.AssetIn(key=["raw", "esif_planned"])},
    group_name="stg_registers",
    deps=[source_key(REGISTERS)],
    can_subset=False,
    pool="duckdb_write",
)
def registers(context, paths: UrbanSafetyPaths, city_codes: pl.DataFrame, esif_planned: pl.DataFrame):
    folder = paths.registers_path
    cities = set(city_codes["code"])
    programmes = esif_planned.select("cci", "programme_title").unique("cci", keep="first")
    prevention = collective = None
    if (folder / PREVENTION_FILE).is_file():
        prevention = read_prevention_register(
            folder / PREVENTION_FILE, known_cities=cities, known_programmes=set(programmes["cci"])
        )
    if (folder / COLLECTIVE_IMPACT_FILE).is_file():
        collective = read_collective_impact_register(
            folder / COLLECTIVE_IMPACT_FILE, known_cities=cities, known_indicator_ids=set(CATALOGUE_BY_ID)
        )
    errors = pl.concat([_errors("prevention_pyramid", prevention), _errors("collective_impact", collective)])
    for e in errors.head(20).iter_rows(named=True):
        context.log.warning(f"{e['file']}, line {e['line']}, column {e['column']}: {e['message']}")
    # A missing register is an empty table with the register's columns (the documented shape), not a crash.
    measures = link_esif(
        prevention.rows if prevention is not None else pl.DataFrame(schema=PREVENTION_SCHEMA), programmes
    )
    initiatives = collective.rows if collective is not None else pl.DataFrame(schema=COLLECTIVE_IMPACT_SCHEMA)
    status = {
        name: (
            "missing"
            if result is None
            else "accepted"
            if result.accepted
            else f"rejected ({len(result.errors)} errors)"
        )
        for name, result in (("prevention_pyramid", prevention), ("collective_impact", collective))
    }
    for name, state in status.items():
        context.log.info(f"{name} register in {folder}: {state}")
    meta = {"registers_dir": str(folder), "example_registers": registers_are_example(folder), **status}
    yield dg.Output(measures, "prevention_measures", metadata={"dagster/row_count": measures.height, **meta})
    yield dg.Output(
        initiatives, "collective_impact_initiatives", metadata={"dagster/row_count": initiatives.height, **meta}
    )
    yield dg.Output(errors, "register_errors", metadata={"dagster/row_count": errors.height, **meta})


@dg.asset(
    key=["staging", "register_indicator_values"],
    ins={
        "prevention_measures": dg.AssetIn(key=["staging", "prevention_measures"]),
        "collective_impact_initiatives": dg.AssetIn(key=["staging", "collective_impact_initiatives"]),
    },
    group_name="stg_registers",
    description="PP_LEVEL_SHARE (by count and by budget), PP_BALANCE (normalised Shannon evenness, empty levels "
    "named) and CIM_CONDITIONS (per condition, never summed) from the accepted registers; 'EXAMPLE DATA' in the "
    "note when the bundled example registers are used.",
    metadata={"comment": "Register indicator values (columns of published.indicator_values)."},
    **STAGING,
)
def register_indicator_values(
    paths: UrbanSafetyPaths, prevention_measures: pl.DataFrame, collective_impact_initiatives: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    example = registers_are_example(paths.registers_path)
    frames = []
    if prevention_measures.height:
        frames.append(prevention_pyramid_indicators(prevention_measures, example=example))
    if collective_impact_initiatives.height:
        frames.append(collective_impact_indicators(collective_impact_initiatives, example=example))
    frame = pl.concat(frames) if frames else empty_frame(DOMAIN_INDICATOR_VALUES)
    return dg.Output(frame, metadata={"dagster/row_count": frame.height, "example_registers": example})


@dg.asset_check(
    asset=dg.AssetKey(["staging", "register_errors"]),
    name="register_accepted",
    description="Every register was accepted; a rejected register publishes nothing (not blocking).",
)
def register_accepted(register_errors: pl.DataFrame) -> dg.AssetCheckResult:
    messages = [
        f"{r['file']}, line {r['line']}, column {r['column']}: {r['message']}"
        for r in register_errors.iter_rows(named=True)
    ]
    return dg.AssetCheckResult(
        passed=register_errors.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"errors": register_errors.height, "problems": "\n".join(messages[:200]) or "none"},
    )


REGISTER_ASSETS = [registers, register_indicator_values]
REGISTER_CHECKS = [register_accepted]
