"""Operations under stress, on real runs of `python -m pipelines.run` in subprocesses:

- a run killed with SIGKILL at any moment (while loading, while the snapshot is being written, right around the
  swap) leaves the analysts' file wholly old or wholly new, and the next run completes without repair; the
  snapshot is written under the writer lock;
- a second process reading the analysts' file in a loop during a full run (the one after the kills) sees no
  error, always one complete publication, and never blocks the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import Timeout

from sources.config import PROJECT_ROOT
from tests.pipelines.conftest import BuiltWarehouse, published_snapshot, work_db_for
from warehouse.db import connect
from warehouse.lock import writer_lock
from warehouse.publish import snapshot_temp_files

RUN_TIMEOUT = 900  # a safety net for a stuck run, not a speed requirement (machines may be loaded)


def _env(db: Path, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "URBAN_SAFETY_DB": str(db),
        "URBAN_SAFETY_DATA_DIR": str(data_dir),
        "URBAN_SAFETY_WORK_DB": str(work_db_for(db)),
    }


def _start_run(db: Path, data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.run", "--force"],
        cwd=PROJECT_ROOT,
        env=_env(db, data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _consistent(db: Path) -> tuple[str, dict[str, int]]:
    """(last run_id, rows per table) after checking every table has exactly the rows its publication logged."""
    with connect(db, read_only=True) as con:
        run_id = con.execute("SELECT run_id FROM meta.publish_log ORDER BY published_at DESC LIMIT 1").fetchall()[0][0]
        logged = dict(
            con.execute("SELECT table_name, row_count FROM meta.publish_log WHERE run_id = ?", [run_id]).fetchall()
        )
        actual = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in logged}
    assert actual == logged, f"publication {run_id} is incomplete: {actual} != {logged}"
    return run_id, actual


@pytest.fixture
def warehouse(built: BuiltWarehouse, tmp_path: Path) -> Path:
    db = tmp_path / "urban_safety.duckdb"
    shutil.copyfile(built.db, db)
    shutil.copyfile(built.work_db, work_db_for(db))
    return db


def _held_by_another_process(work_db: Path) -> bool:
    lock = writer_lock(work_db)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def _kill_when(proc: subprocess.Popen, ready, extra_delay: float) -> bool:
    """SIGKILL the run once `ready()` holds (polled every 2 ms), after `extra_delay`; False if it finished first."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            time.sleep(extra_delay)
            if proc.poll() is not None:
                return False
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        time.sleep(0.002)
    return False


def test_sigkill_at_any_moment_leaves_old_or_new_and_the_next_run_completes_under_a_reader(
    warehouse: Path, built: BuiltWarehouse, tmp_path: Path
) -> None:
    """Kill real runs while they load the sources, while the new snapshot is being written and right around the
    swap; after each kill the analysts' file opens complete. Then an ordinary run finishes without repair while
    a second process reads the analysts' file in a loop before, during and after it: the reader blocks nothing
    and only ever sees complete publications, old then new."""
    before_run, _ = _consistent(warehouse)
    before = published_snapshot(warehouse)
    assert before["published.indicator_values"]
    kills = 0
    for moment, extra_delay in (("loading", 1.5), ("snapshot_half_written", 0.05), ("around_the_swap", 0.15)):
        proc = _start_run(warehouse, built.data_dir)
        started = time.monotonic()
        lock_held_while_publishing: list[bool] = []

        def publishing(lock_held_while_publishing=lock_held_while_publishing) -> bool:
            if not snapshot_temp_files(warehouse):
                return False
            lock_held_while_publishing.append(_held_by_another_process(work_db_for(warehouse)))
            return True

        if moment == "loading":
            killed = _kill_when(proc, lambda started=started: time.monotonic() - started > 0, extra_delay)
        else:
            killed = _kill_when(proc, publishing, extra_delay)
        if moment == "snapshot_half_written" and killed:
            # The snapshot is being written by a run that holds the writer lock (taken when the run started).
            assert lock_held_while_publishing == [True]
        kills += killed
        # The file opens and every table has exactly the rows its publication logged: the old publication, or
        # the killed run's complete new one (same inputs, so both hold the same rows).
        _consistent(warehouse)
        assert published_snapshot(warehouse) == before, moment
    assert kills >= 2  # at least the loading and the half-written snapshot were really interrupted
    last_before_rerun, _ = _consistent(warehouse)

    report = _read_in_a_loop_during(lambda: _run(warehouse, built.data_dir), warehouse, tmp_path / "stop-reading")

    final_run, _ = _consistent(warehouse)
    assert final_run not in (before_run, last_before_rerun)
    assert snapshot_temp_files(warehouse) == []  # the killed runs' half-built snapshots were cleaned up
    assert published_snapshot(warehouse) == before
    assert report["n_errors"] == 0, report["errors"]
    assert report["incomplete"] == []
    assert report["reads"] > 20
    assert report["versions"] == sorted({last_before_rerun, final_run})  # the publication before the run, then its


READER = textwrap.dedent(
    """
    import json, sys, time
    import duckdb
    from pathlib import Path
    db, stop = sys.argv[1], Path(sys.argv[2])
    reads, errors, versions, incomplete = 0, [], set(), []
    while not stop.exists():
        try:
            with duckdb.connect(db, read_only=True) as con:
                run_id = con.execute(
                    "SELECT run_id FROM meta.publish_log ORDER BY published_at DESC LIMIT 1").fetchall()[0][0]
                logged = dict(con.execute(
                    "SELECT table_name, row_count FROM meta.publish_log WHERE run_id = ?", [run_id]).fetchall())
                for table, rows in logged.items():
                    n = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                    if n != rows:
                        incomplete.append([run_id, table, n, rows])
                versions.add(run_id)
                reads += 1
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.02)
    print(json.dumps({"reads": reads, "errors": errors[:5], "n_errors": len(errors),
                      "versions": sorted(versions), "incomplete": incomplete[:5]}))
    """
)


def _run(db: Path, data_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.run", "--force"],
        cwd=PROJECT_ROOT,
        env=_env(db, data_dir),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def _read_in_a_loop_during(action: Callable[[], None], db: Path, stop: Path) -> dict:
    """Start a reader of ``db`` in another process, let it read for a second, do ``action``, let it read a second
    more, stop it; its report (reads, errors, publications seen, incomplete ones)."""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # the reader has the old publication open before the run starts
        action()
        time.sleep(1.0)  # and reads the new one a few times before it is told to stop
    finally:
        stop.touch()
    out, err = reader.communicate(timeout=RUN_TIMEOUT)
    assert out, f"reader failed: {err[-2000:]}"
    return json.loads(out)
