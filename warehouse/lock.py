"""One writer at a time: a lock file next to the pipeline's working DuckDB file.

A run holds it from its first step to the end of its publication (the ``paths`` resource takes it when the run
starts and gives it back when the run ends; ``make run`` holds it around its staleness query and its run too),
so ``make run``, a run launched from the UI and a scheduled run never interleave their writes, and the
half-built snapshots a killed run leaves behind are removed only by the one process allowed to write.

The lock is an OS lock (``filelock``: ``fcntl.flock`` on Linux): a killed process releases it with its file
descriptors, so no stale lock needs clearing by hand. Within one process the same lock object is shared and
re-entrant (the run inside ``make run``, the publication inside the run).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_TIMEOUT_ENV = "URBAN_SAFETY_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_S = 1800.0  # a forced full run takes well under a minute; a writer waiting longer is stuck

_locks: dict[str, FileLock] = {}
_guard = threading.Lock()


class WriterBusyError(RuntimeError):
    """Another process held the writer lock for longer than the timeout."""


def lock_path(work_db: Path) -> Path:
    work_db = Path(work_db).resolve()
    return work_db.with_name(f"{work_db.name}.lock")


def writer_lock(work_db: Path) -> FileLock:
    """The process-wide lock object of ``work_db`` (re-entrant: a counter, not a second OS lock)."""
    path = lock_path(work_db)
    with _guard:
        if str(path) not in _locks:
            path.parent.mkdir(parents=True, exist_ok=True)
            _locks[str(path)] = FileLock(path, thread_local=False)
        return _locks[str(path)]


def holds_writer_lock(work_db: Path) -> bool:
    """True if this process holds the writer lock of ``work_db``."""
    return writer_lock(work_db).is_locked


def _timeout() -> float:
    return float(os.environ.get(LOCK_TIMEOUT_ENV) or DEFAULT_TIMEOUT_S)


@contextmanager
def exclusive_writer(work_db: Path, log=None, timeout: float | None = None) -> Iterator[None]:
    """Hold the writer lock of ``work_db``; wait (saying so through ``log``) while another process writes."""
    lock = writer_lock(work_db)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if log is not None:
            log(f"another run is writing {work_db} (lock {lock_path(work_db)}); waiting for it to finish")
        try:
            lock.acquire(timeout=_timeout() if timeout is None else timeout)
        except Timeout as exc:
            raise WriterBusyError(f"{lock_path(work_db)} is still held by another process") from exc
    try:
        yield
    finally:
        lock.release()
