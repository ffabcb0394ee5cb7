"""What the dashboard reads: the analysts' file alone when it publishes the code labels, so a site can be built
while a run holds the working file; the working file's ICCS labels only for a warehouse without them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from dashboard.data import load
from tests.pipelines.conftest import BuiltWarehouse, work_db_for

HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)"


def test_the_dashboard_reads_while_another_process_holds_the_working_file(built: BuiltWarehouse) -> None:
    work_db = work_db_for(built.db)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(work_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        published = load(built.db, work_db)
    finally:
        holder.kill()
        holder.wait()
    assert published.label("iccs", "ICCS0101") is not None
    assert published.values.height > 0


def test_without_published_labels_the_iccs_labels_come_from_the_working_file(
    built: BuiltWarehouse, tmp_path: Path
) -> None:
    db = tmp_path / "urban_safety.duckdb"
    shutil.copyfile(built.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE published.code_labels")
    published = load(db, work_db_for(built.db))
    assert published.label("iccs", "ICCS0101") is not None  # from raw.iccs_labels
    assert {code_list for code_list, _ in published.labels} == {"iccs"}
