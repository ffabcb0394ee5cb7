"""One writer at a time: the writer lock next to the working file, held by another process, keeps a publication
from deleting that process's half-built snapshot (regression: a run deleted every `*.tmp-*` it found)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.pipelines.conftest import published_snapshot
from tests.warehouse.test_publish import _frames
from warehouse.lock import WriterBusyError, exclusive_writer, holds_writer_lock, lock_path
from warehouse.publish import publish, snapshot_temp_files

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from warehouse.lock import exclusive_writer
    work_db, snapshot = Path(sys.argv[1]), Path(sys.argv[2])
    with exclusive_writer(work_db):
        snapshot.write_bytes(b"half-built snapshot of another writer")
        print("holding", flush=True)
        sys.stdin.read()  # until the test closes our stdin
    """
)


def test_a_publication_waits_for_the_writer_and_never_deletes_its_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, work_db = tmp_path / "urban_safety.duckdb", tmp_path / "urban_safety.work.duckdb"
    publish(db, _frames(), run_id="r1", fingerprint="f1", work_db=work_db)
    before = published_snapshot(db)
    theirs = db.with_name(f"{db.name}.tmp-0123456789ab")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(work_db), str(theirs)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setenv("URBAN_SAFETY_LOCK_TIMEOUT", "0.5")
        with pytest.raises(WriterBusyError, match=str(lock_path(work_db))):
            publish(db, _frames(3.0), run_id="r2", fingerprint="f2", work_db=work_db)
        assert theirs.exists()  # the other writer's snapshot is left alone
        assert published_snapshot(db) == before  # and nothing was published over it
    finally:
        holder.communicate("", timeout=30)
    # The other writer is gone (its lock released with its process): the leftover is cleaned under the lock.
    publish(db, _frames(3.0), run_id="r2", fingerprint="f2", work_db=work_db)
    assert snapshot_temp_files(db) == []
    assert published_snapshot(db) != before


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    work_db = tmp_path / "w.duckdb"
    with exclusive_writer(work_db):
        with exclusive_writer(work_db, timeout=0):  # the run inside `make run`, the publication inside the run
            assert holds_writer_lock(work_db)
        assert holds_writer_lock(work_db)
    assert not holds_writer_lock(work_db)
