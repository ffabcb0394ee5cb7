"""The GX suites, generated from the declarations (expectations.suites) plus the semantic rules: valid, one per
warehouse table, following warehouse/metadata.py when it changes, passing on a warehouse built from the bundled data,
failing on crafted bad data, keeping GX's own errors apart from data failures, and rendered as Data Docs that need
no network."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from expectations import gx_runner, rules, suites
from expectations.gx_runner import GxMachineryError, GxOutcome
from sources.eurostat import OBS_STATUS_CODES
from warehouse import metadata
from warehouse.metadata import PUBLISHED_TABLES, Column

SUITES = gx_runner.suite_names()
FIXED_RUN_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def gx_tables(built) -> dict[str, pl.DataFrame]:
    """Every raw, staging and published table of the session's materialisation of the bundled data, read
    read-only from the analysts' file and the working file."""
    assert built.result.success, "the pipeline failed on the bundled data; the GX suites cannot be checked"
    files = [built.db, built.work_db]
    names = set()
    import duckdb

    for path in files:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.sql("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        names |= {f"{s}.{t}" for s, t in rows if s in gx_runner.LAYERS}
    frames, missing = gx_runner.read_tables(files, sorted(names))
    assert not missing
    return frames


@pytest.fixture(scope="session")
def outcomes(gx_tables: dict[str, pl.DataFrame]) -> dict[str, GxOutcome]:
    return {name: gx_runner.validate(name, gx_tables[name]) for name in SUITES if name in gx_tables}


# ------------------------------------------------------------------------------------------------ the suites


def test_there_is_a_suite_per_layer() -> None:
    layers = {gx_runner.table_of(n)[0] for n in SUITES}
    assert layers == {"raw", "staging", "published"}
    assert {f"published.{t.name}" for t in PUBLISHED_TABLES} <= set(SUITES)


@pytest.mark.parametrize("name", SUITES)
def test_suite_is_valid_gx_and_has_columns_and_a_row_band(name: str) -> None:
    import great_expectations as gx

    raw = gx_runner.load_suite(name)
    suite = gx.ExpectationSuite(**raw)  # raises on an unknown expectation type or bad kwargs
    assert suite.name == name
    assert len(suite.expectations) == len(raw["expectations"]) > 0
    layer, table = gx_runner.table_of(name)
    assert raw["meta"]["layer"] == layer and raw["meta"]["table"] == table
    types = [e["type"] for e in raw["expectations"]]
    assert "expect_table_row_count_to_equal" not in types, "row counts are bands, never exact"
    (band,) = [e["kwargs"] for e in raw["expectations"] if e["type"] == "expect_table_row_count_to_be_between"]
    assert band["min_value"] < band["max_value"]
    if name in rules.BUNDLED_ROWS:
        assert band["min_value"] <= rules.BUNDLED_ROWS[name] <= band["max_value"]
    presence = {"expect_table_columns_to_match_ordered_list", "expect_table_columns_to_match_set"}
    assert presence & set(types), "every suite checks which columns are there"
    kinds = [(e["type"], json.dumps(e["kwargs"], sort_keys=True)) for e in raw["expectations"]]
    assert len(kinds) == len(set(kinds)), "no expectation twice"


def test_suites_follow_a_column_added_to_the_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another developer adds a column to warehouse/metadata.py: every suite of that table checks it at once."""
    added = Column("interviews_total", "BIGINT", "Interviews the value rests on.", nullable=False)
    table, domain = metadata.INDICATOR_VALUES, metadata.DOMAIN_INDICATOR_VALUES
    wider = dataclasses.replace(table, columns=(*table.columns, added))
    monkeypatch.setattr(
        suites, "DOMAIN_INDICATOR_VALUES", dataclasses.replace(domain, columns=(*domain.columns, added))
    )
    monkeypatch.setattr(suites, "PUBLISHED_TABLES", tuple(wider if t is table else t for t in PUBLISHED_TABLES))

    for name in ("published.indicator_values", "staging.indicator_values", "staging.crime_indicator_values"):
        exps = suites.build_suite(name)["expectations"]
        (columns,) = [e["kwargs"] for e in exps if e["type"] == "expect_table_columns_to_match_ordered_list"]
        assert columns["column_list"][-1] == "interviews_total"
        assert {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "interviews_total"}} in exps
        kind = {
            "type": "expect_column_values_to_be_of_type",
            "kwargs": {"column": "interviews_total", "type_": "int64"},
        }
        assert kind in exps


def test_every_warehouse_table_has_a_suite_and_every_suite_a_table(gx_tables: dict[str, pl.DataFrame]) -> None:
    assert sorted(gx_tables) == SUITES


@pytest.mark.parametrize("table", PUBLISHED_TABLES, ids=lambda t: t.qualified_name)
def test_published_suites_follow_the_contract(table) -> None:
    """Columns in order, the key unique and the NOT NULL columns not null, as warehouse/metadata.py declares."""
    exps = gx_runner.load_suite(table.qualified_name)["expectations"]
    (columns,) = [e["kwargs"] for e in exps if e["type"] == "expect_table_columns_to_match_ordered_list"]
    assert columns["column_list"] == table.column_names
    keys = [
        e["kwargs"].get("column_list") or [e["kwargs"]["column"]]
        for e in exps
        if e["type"] in ("expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique")
    ]
    assert list(table.key) in keys
    not_null = {
        e["kwargs"]["column"]
        for e in exps
        if e["type"] == "expect_column_values_to_not_be_null" and "row_condition" not in e["kwargs"]
    }
    assert {c.name for c in table.columns if not c.nullable} <= not_null


def test_flag_letters_are_the_readers_lists() -> None:
    """obs_status patterns allow exactly the letters sources.eurostat accepts (Eurostat's list + legacy r, s, z)."""
    patterns = {
        e["kwargs"]["regex"]
        for name in SUITES
        for e in gx_runner.load_suite(name)["expectations"]
        if e["type"] == "expect_column_values_to_match_regex" and e["kwargs"]["column"] == "obs_status"
    }
    assert len(patterns) == 1
    (pattern,) = patterns
    letters = re.fullmatch(r"\^\[([a-z]+)\]\+\$", pattern)
    assert letters and set(letters.group(1)) == set(OBS_STATUS_CODES)


# ------------------------------------------------------------------------------------------------ bundled data


@pytest.mark.parametrize("name", SUITES)
def test_suite_passes_on_the_bundled_data(outcomes: dict[str, GxOutcome], name: str) -> None:
    outcome = outcomes[name]
    assert outcome.errors == [], outcome.summary()
    assert outcome.failed == [], outcome.summary()
    assert outcome.passed and outcome.ok
    assert outcome.statistics["evaluated_expectations"] == len(gx_runner.load_suite(name)["expectations"])


# ------------------------------------------------------------------------------------------------ bad data


def _duplicate_key(f: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([f, f.head(1)])


def _value_above_ci_high(f: pl.DataFrame) -> pl.DataFrame:
    i = f.with_row_index("_i").filter(pl.col("unit") == "per 100000 inhabitants")["_i"][0]
    return f.with_columns(
        pl.when(pl.int_range(pl.len()) == i).then(pl.col("ci_high") * 2 + 1).otherwise(pl.col("value")).alias("value")
    )


def _share_of_120(f: pl.DataFrame) -> pl.DataFrame:
    i = f.with_row_index("_i").filter(pl.col("unit") == "% of respondents")["_i"][0]
    return f.with_columns(pl.when(pl.int_range(pl.len()) == i).then(120.0).otherwise(pl.col("value")).alias("value"))


def _set_first(column: str, value: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def mutate(f: pl.DataFrame) -> pl.DataFrame:
        first = pl.int_range(pl.len()) == 0
        return f.with_columns(pl.when(first).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))

    return mutate


BAD_DATA = {
    "duplicate key": (
        "published.indicator_values",
        _duplicate_key,
        "expect_compound_columns_to_be_unique(columns=indicator_id,breakdown,geo_code,period,series_variant)",
    ),
    "value above ci_high": (
        "published.indicator_values",
        _value_above_ci_high,
        "expect_column_pair_values_a_to_be_greater_than_b(column_A=ci_high, column_B=value)",
    ),
    "share of 120": (
        "published.indicator_values",
        _share_of_120,
        "expect_column_values_to_be_between(column=value, where unit IN",
    ),
    "unknown geo_level": (
        "published.indicator_values",
        _set_first("geo_level", "NUTS9"),
        "expect_column_values_to_be_in_set(column=geo_level)",
    ),
    "unknown geo_level in geographies": (
        "published.geographies",
        _set_first("geo_level", "DISTRICT"),
        "expect_column_values_to_be_in_set(column=geo_level)",
    ),
    "unknown flag letter": (
        "published.indicator_values",
        _set_first("obs_status", "bx"),
        "expect_column_values_to_match_regex(column=obs_status)",
    ),
    "unknown flag letter in population": (
        "staging.population",
        _set_first("obs_status", "q"),
        "expect_column_values_to_match_regex(column=obs_status)",
    ),
    "row count far below the band": (
        "published.indicator_values",
        lambda f: f.head(100),
        "expect_table_row_count_to_be_between()",
    ),
    "maturity 5": (
        "published.self_assessment",
        lambda f: f.with_columns(pl.lit(5, dtype=pl.Int32).alias("maturity")),
        "expect_column_values_to_be_between(column=maturity)",
    ),
}


@pytest.mark.parametrize("case", BAD_DATA, ids=str)
def test_crafted_bad_data_fails_the_right_suite(gx_tables: dict[str, pl.DataFrame], case: str) -> None:
    name, mutate, expected = BAD_DATA[case]
    outcome = gx_runner.validate(name, mutate(gx_tables[name]))
    assert outcome.errors == [], outcome.summary()
    assert not outcome.passed and not outcome.ok
    assert any(f.startswith(expected) for f in outcome.failed), outcome.summary()
    outcome.raise_for_errors()  # bad data is not a machinery error


def test_a_failure_says_what_was_observed(gx_tables: dict[str, pl.DataFrame]) -> None:
    outcome = gx_runner.validate("published.indicator_values", _share_of_120(gx_tables["published.indicator_values"]))
    (share,) = [f for f in outcome.failed if f.startswith("expect_column_values_to_be_between(column=value, where")]
    assert "1 of" in share and "120.0" in share


# ------------------------------------------------------------------------------------------------ machinery errors


def _suite(name: str, *expectations: dict) -> dict:
    return {"name": name, "meta": {"version": 1}, "expectations": list(expectations)}


ROW_COUNT = {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 1000}}
BROKEN = {
    "column that does not exist": {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "no_such_column"},
    },
    "broken kwargs": {"type": "expect_column_values_to_be_between", "kwargs": {"column": "name", "min_value": "zero"}},
    "unknown kwarg": {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "name", "colour": "red"}},
    "unknown expectation type": {"type": "expect_column_values_to_be_lovely", "kwargs": {"column": "name"}},
    "regex that does not compile": {
        "type": "expect_column_values_to_match_regex",
        "kwargs": {"column": "indicator_id", "regex": "^[A-Z"},
    },
}


@pytest.mark.parametrize("case", BROKEN, ids=str)
def test_machinery_errors_are_errors_not_data_failures(gx_tables: dict[str, pl.DataFrame], case: str) -> None:
    frame = gx_tables["published.indicators"]
    outcome = gx_runner.validate("published.indicators", frame, suite=_suite("broken", BROKEN[case], ROW_COUNT))
    assert len(outcome.errors) == 1, outcome.summary()
    assert outcome.failed == [] and outcome.passed  # the data broke nothing ...
    assert not outcome.ok  # ... but the check did not run completely
    assert BROKEN[case]["type"] in outcome.errors[0]
    with pytest.raises(GxMachineryError, match="could not be evaluated"):
        outcome.raise_for_errors()


def test_a_dropped_column_is_a_data_failure_and_errors_for_its_expectations(
    gx_tables: dict[str, pl.DataFrame],
) -> None:
    outcome = gx_runner.validate("published.indicators", gx_tables["published.indicators"].drop("caveats"))
    assert any(f.startswith("expect_table_columns_to_match_ordered_list") for f in outcome.failed)
    assert outcome.errors and all("caveats" in e for e in outcome.errors), outcome.summary()


def test_a_table_missing_from_the_warehouse_is_an_error(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    (outcome,) = gx_runner.validate_warehouse([db], ["published.indicators"]).values()
    assert outcome.errors and "not found" in outcome.errors[0] and not outcome.ok


HOLD_THE_WRITER_LOCK = (
    "import sys, time; from warehouse.lock import writer_lock; writer_lock(sys.argv[1]).acquire(); "
    "print('held', flush=True); time.sleep(120)"
)


def test_the_working_file_is_read_between_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make quality` reads the working file under the writer lock: while a run holds it, it waits (and says so),
    here until the lock's timeout, instead of failing to open the file or reading a run half-way."""
    import subprocess
    import sys

    import duckdb

    from sources.config import PROJECT_ROOT
    from warehouse.lock import LOCK_TIMEOUT_ENV, WriterBusyError

    work_db = tmp_path / "urban_safety.work.duckdb"
    duckdb.connect(str(work_db)).close()
    monkeypatch.setenv("URBAN_SAFETY_WORK_DB", str(work_db))
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, "0.2")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WRITER_LOCK, str(work_db)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WriterBusyError):
            gx_runner.validate_warehouse([work_db], ["published.indicators"])
    finally:
        holder.kill()
        holder.wait()
    assert "waiting for it to finish" in capsys.readouterr().out
    (outcome,) = gx_runner.validate_warehouse([work_db], ["published.indicators"]).values()  # lock released
    assert "not found" in outcome.errors[0]


# ------------------------------------------------------------------------------------------------ Data Docs


def test_data_docs_are_built_by_checkpoints_and_open_offline(
    gx_tables: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    frames = {n: gx_tables[n] for n in ("published.indicators", "raw.iccs_labels", "staging.geographies")}
    outcomes = gx_runner.build_data_docs(frames, tmp_path / "docs", run_time=FIXED_RUN_TIME)
    assert all(o.ok for o in outcomes.values())
    index = tmp_path / "docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    for name in frames:
        assert name in html, f"{name} is not on the Data Docs index"  # the table is rendered in the page itself
        layer, table = gx_runner.table_of(name)
        (page,) = (tmp_path / "docs" / "validations" / layer / table).rglob("*.html")
        assert page.relative_to(tmp_path / "docs").as_posix() in html  # the index links each result
        assert (tmp_path / "docs" / "expectations" / layer / f"{table}.html").is_file(), name
    for page in (tmp_path / "docs").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        loaded = re.findall(r"<(?:script|link|img)\b[^>]*(?:src|href)=[\"'](?:https?:)?//[^\"']+", text)
        assert loaded == [], f"{page.name} loads {loaded[:3]} from the network"
    logo = tmp_path / "docs" / "static" / "images" / "logo-long.png"
    assert logo.is_file() and 'src="./static/images/logo-long.png"' in html


def test_data_docs_are_deterministic(gx_tables: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    """Same results, same run: the same pages, but for the time GX loaded each batch (``ge_load_time``)."""
    frames = {n: gx_tables[n] for n in ("published.indicators", "raw.iccs_labels")}
    load_time = re.compile(r"(ge_load_time</span>.*?>)[0-9T.]+Z<", re.DOTALL)
    pages = []
    for folder in ("a", "b"):
        gx_runner.build_data_docs(frames, tmp_path / folder, run_time=FIXED_RUN_TIME)
        root = tmp_path / folder
        read = {p.relative_to(root): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.html"))}
        pages.append({p: load_time.sub(r"\1<load time>", text) for p, text in read.items()})
    assert pages[0] == pages[1]
    assert sum("<load time>" in text for text in pages[0].values()) == len(frames)


@pytest.mark.parametrize("case", ["duplicate key", "share of 120", "row count far below the band"])
def test_the_fast_path_gives_the_same_verdict_and_the_details(gx_tables: dict[str, pl.DataFrame], case: str) -> None:
    """The asset checks compute GX's verdict only and re-run a failing suite for the details."""
    name, mutate, expected = BAD_DATA[case]
    fast = gx_runner.validate_fast(name, mutate(gx_tables[name]))
    full = gx_runner.validate(name, mutate(gx_tables[name]))
    assert (fast.passed, fast.failed, fast.errors) == (full.passed, full.failed, full.errors)
    assert any(f.startswith(expected) for f in fast.failed)
    good = gx_runner.validate_fast(name, gx_tables[name])
    assert good.ok and good.statistics["evaluated_expectations"] == len(gx_runner.load_suite(name)["expectations"])
