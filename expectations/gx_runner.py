"""Great Expectations (GX 1.x) quality gates for every warehouse table.

One versioned suite per table lives in ``expectations/suites/<layer>.<table>.json`` (GX 1.x JSON:
``{"name", "meta": {"version", "layer", "table", ...}, "notes", "expectations": [{"type", "kwargs"}]}``).
:func:`validate` checks a Polars frame against one suite and returns a :class:`GxOutcome` that keeps two
things apart (ecosystem.md §4):

* ``failed``: expectations the **data** did not meet (bad data: report it, fail the check);
* ``errors``: expectations GX could not evaluate (a metric raised, unknown column, broken kwargs, unknown
  expectation type). GX returns those as ``success=False`` with ``exception_info``; here they are a fault of the
  **check machinery** and never count as a data failure. Callers raise on them (:meth:`GxOutcome.raise_for_errors`).

How GX is used, and why:

* imported lazily (2-3 s) inside the functions that need it, with ``GX_ANALYTICS_ENABLED=false``;
* one ephemeral context per process, progress bars off; only pandas frames are validated (GX 1.24 cannot take a
  Polars frame, and its SQL datasource is broken with duckdb), so frames go through :func:`to_pandas`, which maps
  integers to pandas' nullable ``Int32``/``Int64`` so a column's type does not depend on whether it has nulls;
* :func:`build_data_docs` renders GX Data Docs for a run's results through a throwaway file-mode context.

Run ``python -m expectations.gx_runner`` to validate every table of the warehouse files (read-only) and time it.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import pandas as pd

SUITES_DIR = Path(__file__).with_name("suites")
LAYERS = ("raw", "staging", "published")
# What the summaries quote of a failing expectation's unexpected values.
_EXAMPLES = 5
_MAX_TEXT = 400
# Counts, percentages and up to 20 unexpected values per expectation (SUMMARY costs ~50 % more time).
RESULT_FORMAT = "BASIC"
DOCS_SITE = "local_site"

_lock = threading.Lock()


class GxMachineryError(RuntimeError):
    """GX could not evaluate some expectations of a suite: a fault of the checks, not of the data."""

    def __init__(self, suite: str, errors: Sequence[str]):
        self.suite = suite
        self.errors = list(errors)
        shown = "\n  ".join(self.errors[:20])
        more = f"\n  … and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        super().__init__(
            f"GX suite {suite}: {len(self.errors)} expectation(s) could not be evaluated:\n  {shown}{more}"
        )


@dataclass
class GxOutcome:
    """What one suite said about one frame.

    ``passed`` is the verdict on the data: no expectation that GX could evaluate failed. ``errors`` lists the
    expectations it could not evaluate (machinery errors: raise, do not report bad data). ``ok`` is the single
    verdict: data passed and nothing errored.
    """

    suite: str
    passed: bool
    failed: list[str]
    errors: list[str]
    statistics: dict[str, Any]
    seconds: float = 0.0
    # The GX ExpectationSuiteValidationResult and the suite it ran (for Data Docs); None if GX never ran.
    result: Any = field(default=None, repr=False, compare=False)
    suite_json: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

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
        lines = [head] + [f"  failed: {f}" for f in self.failed] + [f"  ERROR: {e}" for e in self.errors]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ suites


def suite_names() -> list[str]:
    """Every stored suite, ``<layer>.<table>``, sorted."""
    return sorted(p.name.removesuffix(".json") for p in SUITES_DIR.glob("*.json"))


def load_suite(name: str) -> dict[str, Any]:
    """The stored suite ``<layer>.<table>`` as a dict (GX 1.x JSON)."""
    path = SUITES_DIR / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no GX suite {name!r} in {SUITES_DIR}; known: {', '.join(suite_names())}")
    return json.loads(path.read_text(encoding="utf-8"))


def table_of(name: str) -> tuple[str, str]:
    """(layer, table) of a suite name."""
    layer, _, table = name.partition(".")
    if layer not in LAYERS or not table:
        raise ValueError(f"suite name {name!r} is not <layer>.<table> with layer one of {LAYERS}")
    return layer, table


# ------------------------------------------------------------------------------------------------ GX plumbing


@cache
def _gx() -> Any:
    """great_expectations, imported on first use with analytics off (the import alone takes 2-3 s)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


def preload_in_background() -> threading.Thread:
    """Start importing GX in a thread: the 2-3 s import then overlaps the run's first steps (native Polars and
    DuckDB code releases the GIL) instead of delaying the first check."""
    thread = threading.Thread(target=_gx, name="gx-import", daemon=True)
    thread.start()
    return thread


@cache
def _batch_definition() -> Any:
    """A whole-dataframe batch definition on a pandas datasource of one ephemeral context (per process)."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas("urban_safety")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole_frame")
    )


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """The frame as pandas, with integers as nullable Int32/Int64 (so nulls do not turn them into float64);
    strings are pandas 3 ``str``, floats ``float64``, dates and timestamps ``datetime64``, decimals and lists
    ``object``."""
    import pandas as pd
    import pyarrow as pa

    mapping = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype()}
    mapping |= {pa.int64(): pd.Int64Dtype(), pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype()}
    return frame.to_pandas(types_mapper=mapping.get)


def _build_suite(name: str, suite_json: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """The GX suite, built expectation by expectation: one that cannot be built (unknown type, bad kwargs) is
    left out and reported as a machinery error instead of failing the whole suite."""
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations, errors = [], []
    for i, spec in enumerate(suite_json.get("expectations", [])):
        try:
            config = ExpectationConfiguration(
                type=spec["type"], kwargs=dict(spec.get("kwargs", {})), meta=spec.get("meta"), notes=spec.get("notes")
            )
            expectations.append(config.to_domain_obj())
        except Exception as exc:  # any construction failure is a machinery error
            what = _describe(spec.get("type", "?"), spec.get("kwargs", {}))
            errors.append(f"#{i} {what}: could not be built: {type(exc).__name__}: {_message(exc)}")
    suite = gx.ExpectationSuite(
        name=suite_json.get("name", name),
        expectations=expectations,
        meta=dict(suite_json.get("meta", {})),
        notes=suite_json.get("notes"),
    )
    return suite, errors


def _message(exc: BaseException | str) -> str:
    """The first lines of an exception's text, on one line."""
    text = str(exc).strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return _clip(" / ".join(lines[:4]) if lines else type(exc).__name__ if isinstance(exc, BaseException) else "")


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _describe(kind: str, kwargs: Mapping[str, Any]) -> str:
    """'expect_x(column=value, unit IN (...))': the type, its columns and its row condition."""
    parts = []
    for key in ("column", "column_A", "column_B"):
        if key in kwargs:
            parts.append(f"{key}={kwargs[key]}")
    if "column_list" in kwargs:
        parts.append(f"columns={','.join(map(str, kwargs['column_list']))}")
    condition = kwargs.get("row_condition")
    if condition:
        parts.append(f"where {condition!r}" if not isinstance(condition, dict) else f"where {_condition(condition)}")
    return f"{kind}({', '.join(parts)})"


def _condition(c: Mapping[str, Any]) -> str:
    kind = c.get("type")
    column = (c.get("column") or {}).get("name", "?")
    if kind == "nullity":
        return f"{column} IS {'NULL' if c.get('is_null') else 'NOT NULL'}"
    if kind == "comparison":
        return f"{column} {c.get('operator')} {c.get('parameter')!r}"
    if kind in ("and", "or"):
        return f" {kind.upper()} ".join(_condition(x) for x in c.get("conditions", []))
    return str(c)


def _exception(exception_info: Any) -> str | None:
    """The message of the first raised exception in a result's exception_info, else None. GX uses either one
    flat dict or a dict of them keyed by metric id."""
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
    """numpy scalars (np.float64(1.0)) as plain Python values, inside tuples, lists and dicts too."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    item = getattr(value, "item", None)
    return item() if callable(item) and type(value).__module__ == "numpy" else value


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
        n, total = result["unexpected_count"], result.get("element_count")
        pct = result.get("unexpected_percent")
        examples = _plain(list(result.get("partial_unexpected_list") or [])[:_EXAMPLES])
        share = f" ({pct:.3g} % of non-missing)" if isinstance(pct, int | float) else ""
        return _clip(f"{n} of {total} rows unexpected{share}, e.g. {examples!r}")
    if result.get("details"):
        return _clip(f"details {result['details']!r}")
    return "failed"


def _key(config: Any) -> tuple[str, str]:
    return config.type, json.dumps(_expectation_kwargs(config), sort_keys=True, default=str)


def _expectation_kwargs(config: Any) -> dict[str, Any]:
    kwargs = dict(config.kwargs)
    condition = kwargs.get("row_condition")
    if condition is not None and hasattr(condition, "dict"):
        kwargs["row_condition"] = condition.dict()
    return kwargs


# ------------------------------------------------------------------------------------------------ validating


def validate(name: str, frame: pl.DataFrame, *, suite: Mapping[str, Any] | None = None) -> GxOutcome:
    """Validate ``frame`` (the table ``name`` = ``<layer>.<table>``) against its stored suite, or against
    ``suite`` (a GX 1.x suite dict) when given.

    Never raises for bad data or for expectations GX cannot evaluate: the first are in ``failed``, the second in
    ``errors`` (see :class:`GxOutcome`). Raises only if the suite itself cannot be found or read.
    """
    suite_json = dict(suite) if suite is not None else load_suite(name)
    _gx()  # the one-off import is not the suite's time
    started = time.perf_counter()
    with _lock, warnings.catch_warnings():
        # GX 1.24 warns on its own deprecated paths (condition_parser, string row conditions) and pandas 3.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        gx_suite, errors = _build_suite(name, suite_json)
        result = None
        failed: list[str] = []
        statistics: dict[str, Any] = {"rows": frame.height, "columns": frame.width}
        if gx_suite.expectations:
            try:
                batch = _batch_definition().get_batch(batch_parameters={"dataframe": to_pandas(frame)})
                result = batch.validate(gx_suite, result_format=RESULT_FORMAT)
            except Exception as exc:  # GX failing as a whole is a machinery error too
                errors.append(f"suite {name} could not be run: {type(exc).__name__}: {_message(exc)}")
        if result is not None:
            # GX returns results in its own order; report them in the suite's.
            position = {_key(e.configuration): i for i, e in enumerate(gx_suite.expectations)}
            for r in sorted(result.results, key=lambda r: position.get(_key(r.expectation_config), len(position))):
                config = r.expectation_config
                kwargs = _expectation_kwargs(config)
                what = _describe(config.type, kwargs)
                message = _exception(r.exception_info)
                if message is not None:
                    errors.append(f"{what}: {message}")
                elif not r.success:
                    failed.append(f"{what}: {_observed(config.type, kwargs, r.result or {})}")
            statistics |= dict(result.statistics)
    statistics |= {
        "failed": len(failed),
        "errors": len(errors),
        "not_built": len(suite_json.get("expectations", [])) - len(gx_suite.expectations),
    }
    seconds = time.perf_counter() - started
    statistics["seconds"] = round(seconds, 3)
    return GxOutcome(
        suite=name,
        passed=not failed,
        failed=failed,
        errors=errors,
        statistics=statistics,
        seconds=seconds,
        result=result,
        suite_json=suite_json,
    )


def validate_frames(frames: Mapping[str, pl.DataFrame]) -> dict[str, GxOutcome]:
    """Validate several tables, ``{"<layer>.<table>": frame}``, each against its stored suite."""
    return {name: validate(name, frame) for name, frame in frames.items()}


def default_warehouse_files() -> list[Path]:
    """The analysts' file and, when the pipeline keeps one, its working file (raw and staging)."""
    from sources.config import db_path, work_db_path

    return [f for f in (db_path(), work_db_path()) if f.exists()]


def read_tables(files: Sequence[Path], names: Iterable[str]) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """Each table ``<layer>.<table>`` from the first of ``files`` that has it, read read-only;
    also the names found in none of them, with why."""
    from warehouse.db import connect

    wanted = list(names)
    frames: dict[str, pl.DataFrame] = {}
    for path in files:
        con = connect(path, read_only=True)
        try:
            present = {f"{s}.{t}" for s, t in con.sql("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
            for name in wanted:
                if name in frames or name not in present:
                    continue
                layer, table = table_of(name)
                frames[name] = con.sql(f'SELECT * FROM "{layer}"."{table}"').pl()
        finally:
            con.close()
    missing = {
        n: f"table not found in {', '.join(map(str, files)) or 'no warehouse file'}" for n in wanted if n not in frames
    }
    return frames, missing


def validate_warehouse(files: Sequence[Path] | None = None, names: Iterable[str] | None = None) -> dict[str, GxOutcome]:
    """Validate every suite (or ``names``) against the warehouse tables in ``files`` (default: the configured
    analysts' and working files). A table found in no file is a machinery error of its suite."""
    files = list(files) if files is not None else default_warehouse_files()
    frames, missing = read_tables(files, names if names is not None else suite_names())
    out = validate_frames(frames)
    for name, why in missing.items():
        out[name] = GxOutcome(name, passed=True, failed=[], errors=[why], statistics={"rows": None})
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------------------ Data Docs


def build_data_docs(
    results: Iterable[GxOutcome] | Mapping[str, GxOutcome],
    target_dir: Path,
    *,
    run_name: str = "urban-safety",
    run_time: datetime | None = None,
) -> Path:
    """Write GX Data Docs (static HTML: an index, one page per suite and one per validation result) for the
    outcomes of one run into ``target_dir``; return its ``index.html``.

    The site is rendered by GX itself from a throwaway file-mode context. Every result is filed under the same
    run (``run_name``, ``run_time``: default now, UTC); pass a fixed ``run_time`` for byte-stable pages. Outcomes
    GX never ran (``result is None``) have no validation page. ``index.html``, ``static/``, ``expectations/`` and
    ``validations/`` in ``target_dir`` are replaced; nothing else there is touched.
    """
    outcomes = list(results.values()) if isinstance(results, Mapping) else list(results)
    run_time = run_time or datetime.now(UTC)
    gx = _gx()
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    gx_logger = logging.getLogger("great_expectations")
    with _lock, warnings.catch_warnings(), tempfile.TemporaryDirectory(prefix="gx-docs-") as tmp:
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        level = gx_logger.level
        gx_logger.setLevel(logging.ERROR)
        try:
            context = gx.get_context(mode="file", project_root_dir=tmp)
            site = {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": "data_docs/"},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
            for existing in list(context.get_site_names()):
                context.delete_data_docs_site(existing)
            context.add_data_docs_site(DOCS_SITE, site)
            run_id = RunIdentifier(run_name=run_name, run_time=run_time)
            added: set[str] = set()
            for outcome in outcomes:
                if outcome.suite not in added:
                    suite, _ = _build_suite(outcome.suite, outcome.suite_json or load_suite(outcome.suite))
                    context.suites.add(suite)
                    added.add(outcome.suite)
                if outcome.result is None:
                    continue
                key = ValidationResultIdentifier(
                    expectation_suite_identifier=ExpectationSuiteIdentifier(name=outcome.suite),
                    run_id=run_id,
                    batch_identifier=outcome.suite,
                )
                context.validation_results_store.set(key, _stable(outcome.result))
            context.build_data_docs(site_names=[DOCS_SITE])
            site_dir = Path(context.root_directory) / "data_docs"
            _localise(site_dir)
            for entry in ("index.html", "static", "expectations", "validations"):
                old = target_dir / entry
                if old.is_dir():
                    shutil.rmtree(old)
                elif old.exists():
                    old.unlink()
                if (site_dir / entry).exists():
                    if (site_dir / entry).is_dir():
                        shutil.copytree(site_dir / entry, old)
                    else:
                        shutil.copy2(site_dir / entry, old)
        finally:
            gx_logger.setLevel(level)
    return target_dir / "index.html"


_LOGO = re.compile(r"""https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/logo-long\.png\?[^"']*""")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _localise(site_dir: Path) -> None:
    """Make the pages depend on the results only: GX's page header loads its logo from its own S3 bucket with the
    build time and a context id in the query (so every build differs, and opening the page calls home); point it
    at the copy in ``static/images`` instead. Collapsible sections get a random uuid4 id per build; number them in
    order of appearance instead. (Bootstrap, jQuery and Vega still come from public CDNs, as GX writes them.)"""
    logo = site_dir / "static" / "images" / "logo-long.png"
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if logo.exists():
            text = _LOGO.sub(Path(os.path.relpath(logo, page.parent)).as_posix(), text)
        page.write_text(_number_uuids(text), encoding="utf-8")


def _number_uuids(text: str) -> str:
    ids: dict[str, str] = {}
    return _UUID.sub(lambda m: ids.setdefault(m.group(0), f"gx-{len(ids) + 1}"), text)


def _stable(result: Any) -> Any:
    """A copy of the result without the wall-clock load stamp GX adds to every batch (so the pages depend on the
    data and the run id only)."""
    stable = copy.copy(result)
    meta = dict(result.meta or {})
    if isinstance(meta.get("batch_markers"), dict):
        meta["batch_markers"] = {k: v for k, v in meta["batch_markers"].items() if k != "ge_load_time"}
    stable.meta = meta
    return stable


# ------------------------------------------------------------------------------------------------ command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m expectations.gx_runner",
        description="Validate warehouse tables against the GX suites in expectations/suites (read-only).",
    )
    parser.add_argument("--db", type=Path, action="append", help="DuckDB file(s) to read (default: configured)")
    parser.add_argument("--suite", action="append", help="only these suites (<layer>.<table>)")
    parser.add_argument("--docs", type=Path, help="also write Data Docs into this folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failure and error")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    _gx()
    import_s = time.perf_counter() - started
    files = args.db or default_warehouse_files()
    t = time.perf_counter()
    frames, missing = read_tables(files, args.suite or suite_names())
    read_s = time.perf_counter() - t
    t = time.perf_counter()
    outcomes = validate_frames(frames)
    validate_s = time.perf_counter() - t
    for name, why in missing.items():
        outcomes[name] = GxOutcome(name, passed=True, failed=[], errors=[why], statistics={"rows": None})
    for name in sorted(outcomes):
        o = outcomes[name]
        print(o.summary() if args.verbose or not o.ok else o.summary().splitlines()[0])
    n_exp = sum(o.statistics.get("evaluated_expectations", 0) for o in outcomes.values())
    print(
        f"{len(outcomes)} suites, {n_exp} expectations, {sum(not o.passed for o in outcomes.values())} failing, "
        f"{sum(bool(o.errors) for o in outcomes.values())} with errors; GX import {import_s:.1f} s, "
        f"reading {read_s:.1f} s, validating {validate_s:.1f} s"
    )
    if args.docs:
        t = time.perf_counter()
        index = build_data_docs(outcomes, args.docs)
        print(f"Data Docs: {index} ({time.perf_counter() - t:.1f} s)")
    if any(o.errors for o in outcomes.values()):
        return 2
    return 0 if all(o.passed for o in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
