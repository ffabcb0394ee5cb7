"""Great Expectations (GX 1.x) quality gates for every warehouse table, through GX's own checkpoints.

The suites are generated (:mod:`expectations.suites`). :func:`validate` runs one suite on a Polars frame through a
GX ``Checkpoint`` of one ``ValidationDefinition`` and returns a :class:`GxOutcome` that keeps two things apart:

* ``failed``: expectations the **data** did not meet (bad data: report it, fail the check);
* ``errors``: expectations GX could not evaluate (a metric raised, unknown column, broken kwargs, unknown
  expectation type). GX returns those as ``success=False`` with ``exception_info``; here they are a fault of the
  **check machinery** and never count as a data failure. Callers raise on them (:meth:`GxOutcome.raise_for_errors`).

GX is imported lazily (2-3 s) with analytics off and progress bars off. It validates pandas frames only (GX 1.24
cannot take a Polars frame, and its SQL datasource does not work with DuckDB), so frames go through
:func:`to_pandas`. The asset checks use an ephemeral context; ``make quality`` (:func:`main`) a file context in a
temporary folder whose checkpoints carry GX's ``UpdateDataDocsAction``, writing the Data Docs site configured in
:mod:`expectations.data_docs` (pages that open offline).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from expectations.suites import LAYERS, build_suite, suite_names, table_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LAYERS", "GxOutcome", "load_suite", "suite_names", "table_of", "validate"]

# Counts, percentages and up to 20 unexpected values per expectation (SUMMARY costs ~50 % more time).
RESULT_FORMAT = "BASIC"
# The verdict only, about a third faster: what the asset checks run first (validate_fast).
VERDICT_ONLY = "BOOLEAN_ONLY"
_MAX_TEXT = 400
_lock = threading.Lock()


def load_suite(name: str) -> dict[str, Any]:
    """The suite of table ``<layer>.<table>`` as a GX 1.x suite dict (generated)."""
    return build_suite(name)


class GxMachineryError(RuntimeError):
    """GX could not evaluate some expectations of a suite: a fault of the checks, not of the data."""

    def __init__(self, suite: str, errors: Sequence[str]):
        self.suite, self.errors = suite, list(errors)
        more = f"\n  … and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        shown = "\n  ".join(self.errors[:20])
        super().__init__(
            f"GX suite {suite}: {len(self.errors)} expectation(s) could not be evaluated:\n  {shown}{more}"
        )


@dataclass
class GxOutcome:
    """What one suite said about one frame: ``passed`` (no evaluated expectation failed), ``errors`` (expectations
    GX could not evaluate: raise, do not report bad data) and ``ok`` (both)."""

    suite: str
    passed: bool
    failed: list[str]
    errors: list[str]
    statistics: dict[str, Any]
    seconds: float = 0.0
    result: Any = field(default=None, repr=False, compare=False)  # GX's ExpectationSuiteValidationResult

    @property
    def ok(self) -> bool:
        return self.passed and not self.errors

    def raise_for_errors(self) -> None:
        if self.errors:
            raise GxMachineryError(self.suite, self.errors)

    def summary(self) -> str:
        s = self.statistics
        head = (
            f"{self.suite}: {'ok' if self.ok else 'FAILED' if not self.passed else 'ERROR'} "
            f"({s.get('evaluated_expectations', 0)} expectations, {len(self.failed)} failed, {len(self.errors)} "
            f"errors, {s.get('rows', '?')} rows, {self.seconds:.2f} s)"
        )
        return "\n".join([head, *(f"  failed: {f}" for f in self.failed), *(f"  ERROR: {e}" for e in self.errors)])


# ------------------------------------------------------------------------------------------------ GX plumbing


@cache
def _gx() -> Any:
    """great_expectations, imported on first use with analytics off (the import alone takes 2-3 s)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


def preload_in_background() -> threading.Thread:
    """Import GX in a thread, so the 2-3 s import overlaps the run's first steps."""
    thread = threading.Thread(target=_gx, name="gx-import", daemon=True)
    thread.start()
    return thread


class _Context:
    """A GX context with one whole-dataframe batch definition; each suite gets a checkpoint of its own."""

    def __init__(self, root: Path | None = None):
        gx = _gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        if root is None:
            self.context = gx.get_context(mode="ephemeral")
            self.actions: list[Any] = []
        else:
            from expectations.data_docs import SITE_NAME, site_config

            self.context = gx.get_context(mode="file", project_root_dir=str(root))
            for existing in list(self.context.get_site_names()):
                self.context.delete_data_docs_site(existing)
            self.context.add_data_docs_site(SITE_NAME, site_config())
            self.actions = [gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[SITE_NAME])]
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        # The suites added to this context (it starts empty: `make quality`'s file context is a new temporary folder).
        self.names: set[str] = set()
        asset = self.context.data_sources.add_pandas("urban_safety").add_dataframe_asset("frame")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")

    def checkpoint(self, suite: Any, result_format: str) -> Any:
        """A checkpoint of one validation definition for ``suite``. Added afresh: GX's ``add_or_update`` compares
        every expectation with every other (seconds for a suite of 60) and a suite is run once per context anyway.
        What to delete first is looked up in :attr:`names`, not in the stores: listing a store deserialises every
        suite in it, which made validating n suites in one context take time growing with n squared."""
        gx = _gx()
        name = suite.name
        if name in self.names:
            for store in (self.context.checkpoints, self.context.validation_definitions, self.context.suites):
                store.delete(name)
        self.names.add(name)
        suite = self.context.suites.add(suite)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=self.batch_definition, suite=suite)
        )
        return self.context.checkpoints.add(
            gx.Checkpoint(
                name=name,
                validation_definitions=[definition],
                actions=self.actions,
                result_format={"result_format": result_format},
            )
        )


@cache
def _ephemeral() -> _Context:
    return _Context()


@contextmanager
def _quiet() -> Iterable[None]:
    """GX 1.24 warns on its own deprecated paths (condition_parser, string row conditions) and pandas 3."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """The frame as pandas, integers as nullable Int32/Int64 (so nulls do not turn them into float64)."""
    import pandas as pd
    import pyarrow as pa

    mapping = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype()}
    mapping |= {pa.int64(): pd.Int64Dtype(), pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype()}
    return frame.to_pandas(types_mapper=mapping.get)


def _build_suite(name: str, suite_json: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """The GX suite, built expectation by expectation: one that cannot be built (unknown type, bad kwargs) is left
    out and reported as a machinery error instead of failing the whole suite."""
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations, errors = [], []
    for i, spec in enumerate(suite_json.get("expectations", [])):
        try:
            config = ExpectationConfiguration(type=spec["type"], kwargs=dict(spec.get("kwargs", {})))
            expectations.append(config.to_domain_obj())
        except Exception as exc:  # any construction failure is a machinery error
            what = _describe(spec.get("type", "?"), spec.get("kwargs", {}))
            errors.append(f"#{i} {what}: could not be built: {type(exc).__name__}: {_message(exc)}")
    meta = dict(suite_json.get("meta", {}))
    return gx.ExpectationSuite(name=suite_json.get("name", name), expectations=expectations, meta=meta), errors


# ------------------------------------------------------------------------------------------------ messages


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _message(exc: BaseException | str) -> str:
    """The first lines of an exception's text, on one line."""
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    return _clip(" / ".join(lines[:4]) if lines else type(exc).__name__ if isinstance(exc, BaseException) else "")


def _condition(c: Mapping[str, Any]) -> str:
    kind, column = c.get("type"), (c.get("column") or {}).get("name", "?")
    if kind == "nullity":
        return f"{column} IS {'NULL' if c.get('is_null') else 'NOT NULL'}"
    if kind == "comparison":
        return f"{column} {c.get('operator')} {c.get('parameter')!r}"
    if kind in ("and", "or"):
        return f" {kind.upper()} ".join(_condition(x) for x in c.get("conditions", []))
    return str(c)


def _describe(kind: str, kwargs: Mapping[str, Any]) -> str:
    """'expect_x(column=value, where unit IN [...])': the type, its columns and its row condition."""
    parts = [f"{key}={kwargs[key]}" for key in ("column", "column_A", "column_B") if key in kwargs]
    if "column_list" in kwargs:
        parts.append(f"columns={','.join(map(str, kwargs['column_list']))}")
    condition = kwargs.get("row_condition")
    if hasattr(condition, "dict"):
        condition = condition.dict()
    if condition:
        parts.append(f"where {_condition(condition)}" if isinstance(condition, dict) else f"where {condition!r}")
    return f"{kind}({', '.join(parts)})"


def _exception(exception_info: Any) -> str | None:
    """The message of the first raised exception in a result's exception_info (one flat dict, or several keyed by
    metric id), else None."""
    if not isinstance(exception_info, Mapping):
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, Mapping) and info.get("raised_exception"):
            message = info.get("exception_message") or ""
            if not message and info.get("exception_traceback"):
                message = str(info["exception_traceback"]).strip().splitlines()[-1]
            return _message(message or "exception without a message")
    return None


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values, inside lists too."""
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


def _observed(kind: str, kwargs: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """What the data showed, in one line."""
    expected_columns = kwargs.get("column_list") or kwargs.get("column_set")
    observed = result.get("observed_value")
    if kind.startswith("expect_table_columns_to_match") and isinstance(observed, list) and expected_columns:
        missing = [c for c in expected_columns if c not in observed]
        extra = [c for c in observed if c not in expected_columns]
        if missing or extra:
            return _clip(f"missing columns {missing}, unexpected columns {extra}")
        return _clip(f"columns in another order: {observed}")
    if "observed_value" in result:
        return _clip(f"observed {_plain(observed)!r}")
    if result.get("unexpected_count") is not None:
        pct = result.get("unexpected_percent")
        share = f" ({pct:.3g} % of non-missing)" if isinstance(pct, int | float) else ""
        examples = _plain(list(result.get("partial_unexpected_list") or [])[:5])
        return _clip(
            f"{result['unexpected_count']} of {result.get('element_count')} rows unexpected{share}, e.g. {examples!r}"
        )
    return _clip(f"details {result['details']!r}") if result.get("details") else "failed"


# ------------------------------------------------------------------------------------------------ validating


def validate(
    name: str,
    frame: pl.DataFrame,
    *,
    suite: Mapping[str, Any] | None = None,
    context: _Context | None = None,
    run_id: Any = None,
    result_format: str = RESULT_FORMAT,
) -> GxOutcome:
    """Validate ``frame`` (the table ``name`` = ``<layer>.<table>``) against its suite, or against ``suite`` (a GX
    1.x suite dict) when given, through a GX checkpoint in ``context`` (default: this process's ephemeral one).

    Never raises for bad data or for expectations GX cannot evaluate: the first are in ``failed``, the second in
    ``errors`` (see :class:`GxOutcome`).
    """
    suite_json = dict(suite) if suite is not None else load_suite(name)
    _gx()  # the one-off import is not the suite's time
    started = time.perf_counter()
    with _lock, _quiet():
        gx_suite, errors = _build_suite(name, suite_json)
        result, failed = None, []
        statistics: dict[str, Any] = {"rows": frame.height, "columns": frame.width}
        if gx_suite.expectations:
            try:
                checkpoint = (context or _ephemeral()).checkpoint(gx_suite, result_format)
                run = checkpoint.run(batch_parameters={"dataframe": to_pandas(frame)}, run_id=run_id)
                (result,) = run.run_results.values()
            except Exception as exc:  # GX failing as a whole is a machinery error too
                errors.append(f"suite {name} could not be run: {type(exc).__name__}: {_message(exc)}")
        if result is not None:
            # GX returns results in its own order; report them in the suite's.
            key = lambda c: (c.type, json.dumps(_kwargs(c), sort_keys=True, default=str))  # noqa: E731
            position = {key(e.configuration): i for i, e in enumerate(gx_suite.expectations)}
            for r in sorted(result.results, key=lambda r: position.get(key(r.expectation_config), len(position))):
                config = r.expectation_config
                what = _describe(config.type, _kwargs(config))
                message = _exception(r.exception_info)
                if message is not None:
                    errors.append(f"{what}: {message}")
                elif not r.success:
                    failed.append(f"{what}: {_observed(config.type, _kwargs(config), r.result or {})}")
            statistics |= dict(result.statistics)
    statistics |= {"failed": len(failed), "errors": len(errors)}
    statistics["not_built"] = len(suite_json.get("expectations", [])) - len(gx_suite.expectations)
    seconds = time.perf_counter() - started
    statistics["seconds"] = round(seconds, 3)
    return GxOutcome(name, not failed, failed, errors, statistics, seconds, result)


def validate_fast(name: str, frame: pl.DataFrame) -> GxOutcome:
    """:func:`validate`, computing GX's verdict only; when the suite fails or errors, it is run again with
    :data:`RESULT_FORMAT` so the outcome says what was observed. Same verdict, same expectations."""
    outcome = validate(name, frame, result_format=VERDICT_ONLY)
    return outcome if outcome.ok else validate(name, frame)


def _kwargs(config: Any) -> dict[str, Any]:
    kwargs = dict(config.kwargs)
    if hasattr(kwargs.get("row_condition"), "dict"):
        kwargs["row_condition"] = kwargs["row_condition"].dict()
    return kwargs


def default_warehouse_files() -> list[Path]:
    """The analysts' file and, when the pipeline keeps one, its working file (raw and staging)."""
    from sources.config import db_path, work_db_path

    return [f for f in (db_path(), work_db_path()) if f.exists()]


def read_tables(files: Sequence[Path], names: Iterable[str]) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """Each table ``<layer>.<table>`` from the first of ``files`` that has it, read read-only; also the names found
    in none of them, with why."""
    from warehouse.db import connect

    wanted, frames = list(names), {}
    for path in files:
        with connect(path, read_only=True) as con:
            present = {f"{s}.{t}" for s, t in con.sql("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
            for name in wanted:
                if name not in frames and name in present:
                    layer, table = table_of(name)
                    frames[name] = con.sql(f'SELECT * FROM "{layer}"."{table}"').pl()
    where = ", ".join(map(str, files)) or "no warehouse file"
    return frames, {n: f"table not found in {where}" for n in wanted if n not in frames}


def validate_warehouse(
    files: Sequence[Path] | None = None, names: Iterable[str] | None = None, docs: Path | None = None
) -> dict[str, GxOutcome]:
    """Validate every suite (or ``names``) against the warehouse tables in ``files`` (default: the configured
    analysts' and working files). A table found in no file is a machinery error of its suite. With ``docs``, the
    checkpoints also write GX Data Docs into that folder (:func:`build_data_docs`)."""
    from sources.config import work_db_path
    from warehouse.lock import exclusive_writer

    files = list(files) if files is not None else default_warehouse_files()
    work_db = work_db_path()
    # A run holds the working file open while it goes: read it between runs (waiting for the writer lock, and
    # saying so), whole, rather than fail to open it or catch a run half-way.
    reading_work_db = work_db.resolve() in {f.resolve() for f in files}
    with exclusive_writer(work_db, log=print) if reading_work_db else nullcontext():
        frames, missing = read_tables(files, names if names is not None else suite_names())
    if docs is None:
        out = {name: validate(name, frame) for name, frame in frames.items()}
    else:
        out = build_data_docs(frames, docs)
    for name, why in missing.items():
        out[name] = GxOutcome(name, passed=True, failed=[], errors=[why], statistics={"rows": None})
    return dict(sorted(out.items()))


def build_data_docs(
    frames: Mapping[str, pl.DataFrame],
    target_dir: Path,
    *,
    run_name: str = "urban-safety",
    run_time: datetime | None = None,
) -> dict[str, GxOutcome]:
    """Validate ``frames`` through checkpoints whose ``UpdateDataDocsAction`` writes GX's Data Docs, then place the
    site (``index.html``, ``static/``, ``expectations/``, ``validations/``) in ``target_dir``; nothing else there is
    touched. Every result is filed under one run (``run_name``, ``run_time``: default now, UTC)."""
    from great_expectations.core.run_identifier import RunIdentifier

    from expectations.data_docs import SITE_DIR

    run_id = RunIdentifier(run_name=run_name, run_time=run_time or datetime.now(UTC))
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gx-docs-") as tmp, _quiet():
        context = _Context(Path(tmp))
        outcomes = {name: validate(name, frame, context=context, run_id=run_id) for name, frame in frames.items()}
        site = Path(context.context.root_directory) / SITE_DIR
        for entry in ("index.html", "static", "expectations", "validations"):
            old, new = target_dir / entry, site / entry
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
            if new.is_dir():
                shutil.copytree(new, old)
            elif new.exists():
                shutil.copy2(new, old)
    return outcomes


# ------------------------------------------------------------------------------------------------ command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m expectations.gx_runner", description="Validate warehouse tables against the GX suites."
    )
    parser.add_argument("--db", type=Path, action="append", help="DuckDB file(s) to read (default: configured)")
    parser.add_argument("--suite", action="append", help="only these suites (<layer>.<table>)")
    parser.add_argument("--docs", type=Path, help="also write Data Docs into this folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failure and error")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    outcomes = validate_warehouse(args.db, args.suite, args.docs)
    for o in outcomes.values():
        print(o.summary() if args.verbose or not o.ok else o.summary().splitlines()[0])
    n_exp = sum(o.statistics.get("evaluated_expectations", 0) for o in outcomes.values())
    print(
        f"{len(outcomes)} suites, {n_exp} expectations, {sum(not o.passed for o in outcomes.values())} failing, "
        f"{sum(bool(o.errors) for o in outcomes.values())} with errors, {time.perf_counter() - started:.1f} s"
    )
    if args.docs:
        print(f"Data Docs: {args.docs / 'index.html'}")
    if any(o.errors for o in outcomes.values()):
        return 2
    return 0 if all(o.passed for o in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
