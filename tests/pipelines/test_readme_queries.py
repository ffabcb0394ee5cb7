"""The README's query examples work on a freshly built warehouse: SQL through the DuckDB 1.5 CLI (an analyst
on a 1.x client, read-only) and the Python example as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sources.config import PROJECT_ROOT
from tests.pipelines.conftest import BuiltWarehouse

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SQL_BLOCKS = re.findall(r"```sql\n(.*?)```", README, re.S)
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"


def test_readme_has_examples() -> None:
    assert len(SQL_BLOCKS) >= 3 and len(PYTHON_BLOCKS) >= 1


@pytest.mark.parametrize("sql", SQL_BLOCKS, ids=[s.splitlines()[0][:60] for s in SQL_BLOCKS])
def test_sql_example_runs_in_the_duckdb_1_x_cli(built: BuiltWarehouse, sql: str) -> None:
    out = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", str(built.db), "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.")  # really a 1.x client reading the file pipeline wrote with DuckDB 2.0
    rows = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(rows) >= 2, f"header only, no rows:\n{out.stdout}"


def test_python_example_runs(built: BuiltWarehouse) -> None:
    code = PYTHON_BLOCKS[0].replace("warehouse/urban_safety.duckdb", str(built.db))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    shape = re.search(r"shape: \((\d+), 6\)", out.stdout)
    assert shape and int(shape.group(1)) > 100, out.stdout
