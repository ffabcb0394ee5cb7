"""Benchmark of `make run`: wall time and peak memory of a full run and of a no-change re-run.

Runs `python -m pipelines.run` as a subprocess (as `make run` does) on a temporary warehouse file, several
times, and writes a Markdown table to bench/results.md. Usage: `make bench` (or with REPEAT=n).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS of the child in MiB)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.run", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not the running maximum
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"pipelines.run exited {child.returncode}")
    return wall, usage.ru_maxrss / 1024


def main() -> int:
    repeat = int(os.environ.get("REPEAT", "3"))
    with tempfile.TemporaryDirectory() as tmp:
        # Its own Dagster instance too: the staleness of a temporary warehouse is recorded next to it.
        env = {**os.environ, "URBAN_SAFETY_DB": str(Path(tmp) / "bench.duckdb"), "DAGSTER_HOME": str(Path(tmp))}
        first = [timed([], env)]
        rerun = [timed([], env) for _ in range(repeat)]
        forced = [timed(["--force"], env) for _ in range(repeat)]
    rows = [
        ("first run, empty warehouse", first),
        ("re-run, nothing changed", rerun),
        ("forced full re-run (`ARGS=--force`)", forced),
    ]
    lines = [
        "# `make run` benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, bundled data, {repeat} repeats (median; peak RSS is the largest of the runs).",
        "",
        "| scenario | runs | median wall s | min s | max s | peak RSS MiB |",
        "|---|---|---|---|---|---|",
    ]
    for name, samples in rows:
        walls = [w for w, _ in samples]
        lines.append(
            f"| {name} | {len(samples)} | {statistics.median(walls):.2f} | {min(walls):.2f} | {max(walls):.2f} "
            f"| {max(m for _, m in samples):.0f} |"
        )
    text = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
