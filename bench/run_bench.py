"""Benchmark of `make run`: wall time and peak memory of a full run and of a no-change re-run, the forced full
run side by side with a base commit, and the dashboard build.

Runs `python -m pipelines.run` as a subprocess (as `make run` does) on a temporary warehouse file, several
times, and writes a Markdown table to bench/results.md. The base commit (``BENCH_BASE``, default the commit before
the operations rework) is checked out into a temporary git worktree and its forced full run timed in the same process,
alternating base and new runs so that other load on the machine hits both alike; the table reports the ratio of
the fastest runs. Then `python -m dashboard.build` (the whole site for every city and indicator, target <= 60 s)
is timed on the warehouse the runs published. Usage: `make bench` (or with REPEAT=n, BENCH_BASE=<commit>;
BENCH_BASE= skips the comparison).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "f1eb84f"  # the last commit before runs moved onto the Dagster instance
FLOOR = "do-nothing twin"


def timed(args: list[str], env: dict[str, str], cwd: Path = ROOT, module: str = "pipelines.run") -> tuple[float, float]:
    """(wall seconds, peak RSS of the child in MiB)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", module, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not the running maximum
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{module} exited {child.returncode}")
    return wall, usage.ru_maxrss / 1024


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("URBAN_SAFETY_") and k != "DAGSTER_HOME"}
    folder.mkdir(parents=True, exist_ok=True)
    # The instance configured as `make run`'s (no telemetry, one run at a time), only its storage elsewhere.
    shutil.copyfile(ROOT / "dagster.yaml", folder / "dagster.yaml")
    return {
        **env,
        "URBAN_SAFETY_DB": str(folder / "bench.duckdb"),
        "URBAN_SAFETY_WORK_DB": str(folder / "work.duckdb"),
        "DAGSTER_HOME": str(folder),
    }


def side_by_side(base: str, repeat: int, tmp: Path) -> list[str]:
    """Forced full runs of ``base`` and of this tree, and the do-nothing twin of this tree's job
    (bench/framework_floor.py), alternated; Markdown lines with the minima and their ratios to the base."""
    tree = tmp / "base"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), base], cwd=ROOT, check=True, capture_output=True)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True)
        runs: dict[str, list[tuple[float, float]]] = {"base": [], "new": [], FLOOR: []}
        envs = {"base": _env(tmp / "b"), "new": _env(tmp / "n"), FLOOR: _env(tmp / "f")}
        cwds = {"base": tree, "new": ROOT, FLOOR: ROOT}
        for side in ("base", "new"):
            timed([], envs[side], cwds[side])  # a first run fills each warehouse
        for _ in range(repeat):
            for side in runs:
                if side == FLOOR:
                    runs[side].append(timed([], envs[side], ROOT, module="bench.framework_floor"))
                else:
                    runs[side].append(timed(["--force"], envs[side], cwds[side]))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    best = {side: min(w for w, _ in samples) for side, samples in runs.items()}
    lines = [
        "",
        f"Forced full run side by side with the base commit {commit.stdout.strip()} ({repeat} alternated runs each):",
        "",
        "| tree | min wall s | median wall s | peak RSS MiB |",
        "|---|---|---|---|",
    ]
    for side, samples in runs.items():
        walls = [w for w, _ in samples]
        lines.append(
            f"| {side} | {best[side]:.2f} | {statistics.median(walls):.2f} | {max(m for _, m in samples):.0f} |"
        )
    lines += [
        "",
        f"**ratio new / base (fastest runs): {best['new'] / best['base']:.2f}**",
        "",
        f"*{FLOOR}*: this tree's job with every asset and check doing nothing (bench/framework_floor.py: the same "
        "nodes, inputs and checks; one log line per asset step; nothing read or stored), run in process on a "
        f"persistent SQLite instance as `make run` runs it: {best[FLOOR]:.2f} s, "
        f"**{best[FLOOR] / best['base']:.2f}x the base** — what Dagster alone takes for this graph before any "
        "data is read.",
    ]
    return lines


def main() -> int:
    repeat = int(os.environ.get("REPEAT", "3"))
    base = os.environ.get("BENCH_BASE", DEFAULT_BASE)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        # Its own warehouse and its own Dagster instance: the staleness of a temporary warehouse is recorded next to it.
        env = {**_env(Path(tmp)), "DAGSTER_HOME": str(Path(tmp))}
        first = [timed([], env)]
        rerun = [timed([], env) for _ in range(repeat)]
        forced = [timed(["--force"], env) for _ in range(repeat)]
        site = Path(tmp) / "site"
        dashboard = [timed(["--out", str(site)], env, module="dashboard.build") for _ in range(repeat)]
        pages = len(list(site.rglob("*.html")))
        charts = sum(p.read_text(encoding="utf-8").count('class="chart"') for p in site.rglob("*.html"))
        compared = side_by_side(base, repeat, Path(tmp)) if base else []
    rows = [
        ("first run, empty warehouse", first),
        ("re-run, nothing changed", rerun),
        ("forced full re-run (`ARGS=--force`)", forced),
        (f"dashboard: whole site, {pages} pages, {charts} charts (`python -m dashboard.build`)", dashboard),
    ]
    lines = [
        "# `make run` benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, bundled data, {repeat} repeats (median; peak RSS is the largest of the runs); "
        f"1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after (other work on the "
        "machine slows every row alike).",
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
    text = "\n".join(lines + compared) + "\n"
    (ROOT / "bench" / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
